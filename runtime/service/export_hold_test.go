package service

import "github.com/evgenhq/evgen/runtime/store"

// ClassifyFailure names classify's verdict on err with store's driver
// ("handler", "store", "connection"), for the external tests that feed it
// real driver errors.
func ClassifyFailure(err error, st store.Store) string {
	driver, _ := st.(store.ConnectionErrors)
	return [...]string{handlerFault: "handler", storeFault: "store", connectionFault: "connection"}[classify(err, driver)]
}

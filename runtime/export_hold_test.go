package runtime

// ClassifyFailure names classify's verdict on err with store's driver
// ("handler", "store", "connection"), for the external tests that feed it
// real driver errors.
func ClassifyFailure(err error, store Store) string {
	driver, _ := store.(ConnectionErrors)
	return [...]string{handlerFault: "handler", storeFault: "store", connectionFault: "connection"}[classify(err, driver)]
}

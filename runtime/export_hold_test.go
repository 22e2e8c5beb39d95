package runtime

// ClassifyFailure names classify's verdict on err ("handler", "store",
// "connection"), for the external tests that feed it real driver errors.
func ClassifyFailure(err error) string {
	return [...]string{handlerFault: "handler", storeFault: "store", connectionFault: "connection"}[classify(err)]
}

package wire

import (
	"errors"
	"strings"
)

// ErrRequired is the cause of the error reported for a required field
// that is missing, null or empty; errors.Is finds it under the field's
// path.
var ErrRequired = errors.New("required")

// pathError is an error at a field path such as "address.city" or
// "lines[2].amount".
type pathError struct {
	path string
	err  error
}

func (e *pathError) Error() string { return e.path + ": " + e.err.Error() }

func (e *pathError) Unwrap() error { return e.err }

// at puts err under path, joining it with the path err already carries.
func at(path string, err error) error {
	if err == nil {
		return nil
	}
	if pe, ok := err.(*pathError); ok {
		if strings.HasPrefix(pe.path, "[") {
			return &pathError{path + pe.path, pe.err}
		}
		return &pathError{path + "." + pe.path, pe.err}
	}
	return &pathError{path, err}
}

package runtime

import "errors"

// Permanent marks err as one that retrying cannot fix, such as a payload
// that does not decode: the consumer dead-letters the event at once instead
// of retrying it. Service.Publish marks its own such errors the same way
// (an event outside the contract, for instance), and the outbox relays set
// those events aside rather than retry them (see SetAsideOutbox).
// Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err, or any error it wraps, was marked by
// Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

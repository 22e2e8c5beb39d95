package runtime

import "errors"

// ErrUnroutable is returned by a broker Publish when RabbitMQ returned the
// event because no queue is bound to its routing key: the event was not
// stored anywhere, so reporting success would lose it. Declare consumers'
// queues (start the consuming service once, or use the event log of the
// recovery tooling) before publishing, or treat the error as "nobody
// subscribes to this event yet".
var ErrUnroutable = errors.New("unroutable: no queue is bound to the event's routing key")

// ErrNotInHandler is returned by the Publisher from TxPublisher when it is
// used outside a handler, where there is no inbox transaction to write to.
var ErrNotInHandler = errors.New("runtime: TxPublisher used outside a handler")

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

// ErrBrokerBlocked is wrapped in the error of a broker Publish whose
// deadline passed while RabbitMQ blocked the publisher connection (a memory
// or disk alarm: the broker stops reading from publishing connections until
// the alarm clears). The error names the broker's reason. The event may
// still be routed once the broker reads again, so retry with the same ID,
// which consumers' inboxes deduplicate; free memory or disk on the broker
// (see its logs and `rabbitmqctl status`) to end the alarm.
var ErrBrokerBlocked = errors.New("RabbitMQ is blocking publishers")

package cluster

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/nats-io/nats.go"
)

// DeleteStreams deletes the JetStream streams of namespace (and with them
// their consumers) on the NATS server transport names (a -transport URL).
func DeleteStreams(transport, namespace string) error {
	u, err := url.Parse(transport)
	if err != nil {
		return fmt.Errorf("delete streams of %s: %w", namespace, err)
	}
	u.RawQuery = ""
	nc, err := nats.Connect(u.String())
	if err != nil {
		return fmt.Errorf("delete streams of %s: %w", namespace, err)
	}
	defer nc.Close()
	js, err := nc.JetStream()
	if err != nil {
		return fmt.Errorf("delete streams of %s: %w", namespace, err)
	}
	var errs []error
	for name := range js.StreamNames() {
		if strings.HasPrefix(name, namespace+"_") {
			if err := js.DeleteStream(name); err != nil && !errors.Is(err, nats.ErrStreamNotFound) {
				errs = append(errs, fmt.Errorf("delete stream %s: %w", name, err))
			}
		}
	}
	return errors.Join(errs...)
}

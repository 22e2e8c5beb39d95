package cluster

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/evgenhq/evgen/runtime/transport/jetstream"
	"github.com/evgenhq/evgen/runtime/transport/pubsub"
)

// ReachableNATS reports whether the NATS server transport names (a
// -transport URL) answers.
func ReachableNATS(transport string) error {
	u, err := url.Parse(transport)
	if err != nil {
		return err
	}
	u.RawQuery = ""
	nc, err := nats.Connect(u.String(), nats.Timeout(2*time.Second))
	if err != nil {
		return err
	}
	nc.Close()
	return nil
}

// StreamMessages is how many events producer's JetStream stream holds;
// for a cluster over NATS (Options.Transport).
func (c *Cluster) StreamMessages(producer string) (uint64, error) {
	js, closeConn, err := jetStream(c.opts.Transport)
	if err != nil {
		return 0, err
	}
	defer closeConn()
	name := jetstream.StreamName(pubsub.Topic(c.opts.Namespace, producer))
	info, err := js.StreamInfo(name)
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", name, err)
	}
	return info.State.Msgs, nil
}

// jetStream connects to the NATS server transport names.
func jetStream(transport string) (nats.JetStreamContext, func(), error) {
	u, err := url.Parse(transport)
	if err != nil {
		return nil, nil, err
	}
	u.RawQuery = ""
	nc, err := nats.Connect(u.String(), nats.Timeout(5*time.Second))
	if err != nil {
		return nil, nil, err
	}
	js, err := nc.JetStream()
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return js, nc.Close, nil
}

// DeleteStreams deletes the JetStream streams of namespace (and with them
// their consumers) on the NATS server transport names (a -transport URL).
func DeleteStreams(transport, namespace string) error {
	js, closeConn, err := jetStream(transport)
	if err != nil {
		return fmt.Errorf("delete streams of %s: %w", namespace, err)
	}
	defer closeConn()
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

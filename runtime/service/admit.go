package service

import (
	"fmt"

	"github.com/evgenhq/evgen/runtime"
)

// admit reads d's metadata and checks what an event must be before a
// handler sees it, in this order: readable (the transport's verdict), with
// valid CloudEvents attributes (metaFromMessage), within
// Config.MaxEventBytes, and published by its producer (publishedBy). The
// error is the reason d is dead-lettered.
func (s *Service) admit(d *delivery) (runtime.Meta, error) {
	if u, ok := d.Delivery.(Unreadable); ok {
		if err := u.ReadError(); err != nil {
			m, _ := metaFromMessage(d.msg, d.RoutingKey(), 1) // for the logs and metrics, as far as it goes
			return m, fmt.Errorf("event %s is not a readable CloudEvent: %w", d.msg.UUID, err)
		}
	}
	m, err := metaFromMessage(d.msg, d.RoutingKey(), 1)
	if err != nil {
		return m, err
	}
	if n := len(d.msg.Payload); n > s.cfg.MaxEventBytes {
		return m, fmt.Errorf("event %s is %d bytes, more than this consumer's Config.MaxEventBytes (%d)", m.ID, n, s.cfg.MaxEventBytes)
	}
	return m, s.publishedBy(d, m)
}

// publishedBy checks that d came from m's producer: through its exchange
// (or straight to the queue, as resync answers come), and, when
// Config.PublisherUsers.Verify is set, from its broker user.
func (s *Service) publishedBy(d *delivery, m runtime.Meta) error {
	producer := runtime.ProducerOf(m.Type)
	if ex, want := d.Exchange(), namesOf(s.cfg.Namespace).exchange(producer); ex != "" && ex != want {
		return fmt.Errorf("event %s of %s arrived through exchange %s, not its producer's %s", m.ID, producer, ex, want)
	}
	if !s.cfg.PublisherUsers.Verify {
		return nil
	}
	want := s.cfg.PublisherUsers.userOf(producer)
	u, ok := d.Delivery.(UserIdentified)
	if !ok {
		return nil // the transport cannot say: Validate allows Verify with AMQP only
	}
	switch got := u.UserID(); {
	case got == "":
		return fmt.Errorf("event %s of %s has no user-id: with per-service broker users, %s's publisher sets it to %q (evgen does; others must set the AMQP user-id property)", m.ID, producer, producer, want)
	case got != want:
		return fmt.Errorf("event %s of %s was published by broker user %q, not %q: refused as forged", m.ID, producer, got, want)
	}
	return nil
}

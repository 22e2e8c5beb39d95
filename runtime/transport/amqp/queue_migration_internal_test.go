package amqp

import (
	"log/slog"
	"sync"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Concurrent mode settles a committed batch from the old queue with
// AckLater for every delivery but the last: the move counts those as
// settled (their events are applied; the held acks are flushed before the
// old queue is deleted), or it would wait for them for ever and never
// delete the old queue. A batch of three, two acked later and one acked.
func TestMovedDeliveryAckLaterCountsAsSettled(t *testing.T) {
	var mu sync.Mutex // the acker's timer sends too
	sent := 0
	acks := newChannelAcks(func(uint64, bool) error { mu.Lock(); defer mu.Unlock(); sent++; return nil }, slog.New(slog.DiscardHandler))
	m := &queueMigration{acks: acks, pending: map[uint64]bool{}, idle: make(chan struct{}, 1)}
	s := &consumerSession{acks: acks, migration: m}
	var batch []movedDelivery
	for tag := uint64(1); tag <= 3; tag++ {
		m.pending[tag] = true
		w := s.wrap(amqp.Delivery{DeliveryTag: tag})
		d, ok := w.(movedDelivery)
		if !ok {
			t.Fatalf("a delivery of the session moving the old queue is a %T, want a movedDelivery", w)
		}
		batch = append(batch, d)
	}
	// The last is acked first, as a batch's last delivery may be when
	// the other workers' deliveries are still in flight.
	if err := batch[2].Ack(); err != nil {
		t.Fatal(err)
	}
	for _, d := range batch[:2] {
		if err := d.AckLater(); err != nil {
			t.Fatal(err)
		}
	}
	if !m.settled() {
		t.Fatalf("deliveries %v still pending after AckLater: the move would never delete the old queue", m.pending)
	}
	select {
	case <-m.idle:
	default:
		t.Error("the move was not told that nothing is pending any more")
	}
	m.acks.flush()
	mu.Lock()
	defer mu.Unlock()
	if sent == 0 {
		t.Error("no ack sent after the flush")
	}
}

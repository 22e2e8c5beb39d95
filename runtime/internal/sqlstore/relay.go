package sqlstore

import (
	"context"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store"
)

// Send sends a relay's batch msgs to pub in commit order and returns how
// many of them, from the first, the relay may mark sent: each was
// confirmed, or failed with a runtime.Permanent error and was handed to
// setAside, which records it set aside in the relay's transaction. It
// stops at the first other failure and returns it (or setAside's error).
//
// Through a store.BatchPublisher the whole batch goes out in one call, its
// confirms pipelined, and the events after a failed one that were
// confirmed are sent again by the next batch (at least once: the
// consumers' inboxes drop the copy). Through any other publisher it sends
// one event per Publish call and sets each permanent failure aside before
// sending the next, so nothing after a failed event is sent before it.
func Send(ctx context.Context, pub runtime.Publisher, msgs []*message.Message, setAside func(i int, reason error) error) (int, error) {
	if bp, ok := pub.(store.BatchPublisher); ok {
		outcomes := bp.PublishBatch(ctx, msgs)
		for i, err := range outcomes {
			if err := settle(i, err, setAside); err != nil {
				return i, err
			}
		}
		return len(msgs), nil
	}
	for i, m := range msgs {
		if err := settle(i, pub.Publish(ctx, m), setAside); err != nil {
			return i, err
		}
	}
	return len(msgs), nil
}

// settle sets event i aside when its publish failed permanently, and
// returns any other failure.
func settle(i int, err error, setAside func(int, error) error) error {
	if runtime.IsPermanent(err) {
		return setAside(i, err)
	}
	return err
}

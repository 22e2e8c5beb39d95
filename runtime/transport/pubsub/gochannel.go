package pubsub

import (
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
)

// GoChannel is the Config of a transport over Watermill's in-memory
// gochannel, for unit tests: services in one process that share gc
// exchange events through it. gochannel keeps much less than a broker:
//
//   - nothing is kept for a service that is not subscribed: an event
//     published while its consumer is stopped (or before it first
//     subscribed) is gone, and so is everything when the process ends;
//   - it has no consumer groups: every replica of a service gets every
//     event (the inbox applies it once when the replicas share a store);
//   - events reach a subscriber in publish order only with
//     gochannel.Config.BlockPublishUntilSubscriberAck, under which Publish
//     waits until every subscriber acked the event; without it each event
//     is sent from a goroutine of its own, in any order;
//   - a nacked event is redelivered at once, in front of the ones after
//     it;
//   - a dead letter published while nothing subscribes to the dead-letter
//     topic is gone.
//
// The services never close gc (they share it): close it when they are done.
func GoChannel(gc *gochannel.GoChannel) Config {
	shared := unclosed{gc}
	return Config{
		Publisher:  shared,
		Subscriber: func(string) (message.Subscriber, error) { return shared, nil },
	}
}

// unclosed is a gochannel that a service's Close leaves open for the
// other services sharing it.
type unclosed struct{ *gochannel.GoChannel }

// Close leaves the gochannel open.
func (unclosed) Close() error { return nil }

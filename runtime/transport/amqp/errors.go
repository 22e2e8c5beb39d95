package amqp

import "errors"

// ErrBrokerBlocked is wrapped in the error of a publish whose deadline
// passed while RabbitMQ blocked the publisher connection (a memory or disk
// alarm: the broker stops reading from publishing connections until the
// alarm clears). The error names the broker's reason. The event may still
// be routed once the broker reads again, so retry with the same ID, which
// consumers' inboxes deduplicate; free memory or disk on the broker (see
// its logs and `rabbitmqctl status`) to end the alarm.
var ErrBrokerBlocked = errors.New("RabbitMQ is blocking publishers")

// HeaderDLQUserID is the header a dead-lettered copy keeps the original
// publisher's user-id in: the copy is published by the dead-lettering
// service's user, and RabbitMQ refuses any other user-id.
const HeaderDLQUserID = "x-evgen-original-user-id"

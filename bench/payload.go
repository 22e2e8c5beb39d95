package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

// emailChanged is the body every case sends: the fields of the example
// contract's users.UserEmailChanged event, so that the same bytes are a
// valid payload for the generated consumers too. The email is padded to
// bring the body to the -payload size.
type emailChanged struct {
	UserID    string    `json:"user_id"`
	Email     string    `json:"email"`
	ChangedAt time.Time `json:"changed_at"`
}

// newEmailChanged builds event i; at is its send time, which the latency
// cases read back on the consuming side.
func newEmailChanged(i, size int, at time.Time) emailChanged {
	ev := emailChanged{
		UserID:    fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
		Email:     fmt.Sprintf("user-%d@example.com", i),
		ChangedAt: at.UTC(),
	}
	if pad := size - len(ev.body()) - 1; pad > 0 {
		ev.Email = fmt.Sprintf("user-%d+%s@example.com", i, strings.Repeat("x", pad))
	}
	return ev
}

func (ev emailChanged) body() []byte {
	b, err := json.Marshal(ev)
	if err != nil {
		panic(fmt.Sprintf("marshal a struct of strings and a time: %v", err)) // cannot happen
	}
	return b
}

// publishing wraps a body the way every raw case sends it: persistent,
// with a UUIDv7 message-id for the consumers' dedup, and the header
// watermill-amqp's default marshaler reads the message UUID from, so a
// hand-written Watermill consumer can read what the raw publisher wrote.
func publishing(body []byte) amqp.Publishing {
	id := uuid.Must(uuid.NewV7()).String()
	return amqp.Publishing{
		MessageId:    id,
		ContentType:  "application/json",
		DeliveryMode: amqp.Persistent,
		Headers:      amqp.Table{"_watermill_message_uuid": id},
		Body:         body,
	}
}

// sentAt reads back the send time a latency case put in the body.
func sentAt(body []byte) (time.Time, error) {
	var ev emailChanged
	if err := json.Unmarshal(body, &ev); err != nil {
		return time.Time{}, fmt.Errorf("decode body for its send time: %w", err)
	}
	return ev.ChangedAt, nil
}

package pingevents

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/runtime"
)

// The publisher and handler glue of a package whose service both
// publishes and consumes; pong's package consumes Pinged in turn, and
// neither imports the other.

type registrar struct{ handlers []runtime.EventHandler }

func (r *registrar) Register(h runtime.EventHandler) error {
	r.handlers = append(r.handlers, h)
	return nil
}

type handlers struct{ got []Ponged }

func (h *handlers) HandlePonged(_ context.Context, e Ponged, _ runtime.Meta) error {
	h.got = append(h.got, e)
	return nil
}

func TestRegisterHandlersDispatchesByType(t *testing.T) {
	var r registrar
	var h handlers
	if err := RegisterHandlers(&r, &h); err != nil {
		t.Fatal(err)
	}
	if len(r.handlers) != 1 || r.handlers[0].Type != "pong.Ponged" || r.handlers[0].Version != 1 {
		t.Fatalf("registered %+v, want one handler for pong.Ponged v1", r.handlers)
	}
	if err := r.handlers[0].Handle(context.Background(), []byte(`{"round":3,"extra":true}`), runtime.Meta{}); err != nil {
		t.Fatalf("handle: %v", err)
	}
	if want := []Ponged{{Round: 3}}; !reflect.DeepEqual(h.got, want) {
		t.Errorf("handler got %+v, want %+v", h.got, want)
	}
	err := r.handlers[0].Handle(context.Background(), []byte(`{}`), runtime.Meta{})
	if !runtime.IsPermanent(err) {
		t.Errorf("handle of a payload without its required field: %v, want a permanent error", err)
	}
}

type capture struct{ msgs []*message.Message }

func (c *capture) Publish(_ context.Context, msgs ...*message.Message) error {
	c.msgs = append(c.msgs, msgs...)
	return nil
}

func TestPublisherSendsTypedEvents(t *testing.T) {
	var c capture
	p := NewPublisher(&c)
	if err := p.PublishPinged(context.Background(), Pinged{Round: Round{N: 7}}, runtime.WithID("id-1")); err != nil {
		t.Fatal(err)
	}
	if len(c.msgs) != 1 {
		t.Fatalf("sent %d messages, want 1", len(c.msgs))
	}
	m := c.msgs[0]
	if string(m.Payload) != `{"round":{"n":7}}` || m.UUID != "id-1" || m.Metadata.Get(runtime.HeaderType) != "ping.Pinged" {
		t.Errorf("sent %s (id %s, type %q)", m.Payload, m.UUID, m.Metadata.Get(runtime.HeaderType))
	}
}

func TestContract(t *testing.T) {
	want := runtime.Contract{
		Service:   "ping",
		Publishes: []runtime.EventInfo{{Producer: "ping", Name: "Pinged", Type: "ping.Pinged", Version: 1}},
		Consumes:  []runtime.EventInfo{{Producer: "pong", Name: "Ponged", Type: "pong.Ponged", Version: 1}},
	}
	if !reflect.DeepEqual(Contract, want) {
		t.Errorf("Contract = %+v\nwant %+v", Contract, want)
	}
}

func TestRegisterHandlersReportsRegistrarErrors(t *testing.T) {
	err := RegisterHandlers(failing{}, &handlers{})
	if !errors.Is(err, errFull) {
		t.Errorf("RegisterHandlers = %v, want it to wrap the registrar's error", err)
	}
}

var errFull = errors.New("full")

type failing struct{}

func (failing) Register(runtime.EventHandler) error { return errFull }

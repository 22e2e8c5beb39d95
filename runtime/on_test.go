package runtime

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestOnDecodesAndValidates(t *testing.T) {
	var got userRegistered
	h := On(func(_ context.Context, e userRegistered, _ Meta) error { got = e; return nil })
	if h.Type != "users.UserRegistered" || h.Version != 1 {
		t.Fatalf("handler for %s v%d", h.Type, h.Version)
	}
	tests := []struct {
		name      string
		payload   string
		permanent bool
	}{
		{"valid, unknown field ignored", `{"user_id":"u1","email":"e","extra":1}`, false},
		{"not JSON", `{nope`, true},
		{"missing required field", `{"email":"e"}`, true},
		{"fails Validate", `{"user_id":""}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := h.Handle(context.Background(), []byte(tt.payload), Meta{})
			if IsPermanent(err) != tt.permanent || (err == nil) == tt.permanent {
				t.Fatalf("err = %v, want permanent=%v", err, tt.permanent)
			}
		})
	}
	if got.UserID != "u1" {
		t.Fatalf("handler got %+v", got)
	}
}

func TestOnPassesHandlerErrorThrough(t *testing.T) {
	boom := errors.New("boom")
	h := On(func(context.Context, userRegistered, Meta) error { return boom })
	err := h.Handle(context.Background(), []byte(`{"user_id":"u"}`), Meta{})
	if !errors.Is(err, boom) || IsPermanent(err) {
		t.Fatalf("err = %v, want boom, not permanent", err)
	}
}

type recordingRegistrar struct {
	types []string
	fail  map[string]bool
}

func (r *recordingRegistrar) Register(h EventHandler) error {
	if r.fail[h.Type] {
		return errors.New("refused")
	}
	r.types = append(r.types, h.Type)
	return nil
}

func TestRegisterAllReportsEveryFailure(t *testing.T) {
	r := &recordingRegistrar{fail: map[string]bool{"users.UserRegistered": true, "billing.InvoicePaid": true}}
	err := RegisterAll(r,
		On(func(context.Context, userRegistered, Meta) error { return nil }),
		On(func(context.Context, invoicePaid, Meta) error { return nil }),
	)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"users.UserRegistered v1", "billing.InvoicePaid v2"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

func TestPermanentNil(t *testing.T) {
	if Permanent(nil) != nil || IsPermanent(nil) {
		t.Fatal("Permanent(nil) is not nil")
	}
}

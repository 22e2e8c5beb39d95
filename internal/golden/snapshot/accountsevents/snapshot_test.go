package accountsevents

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/evgenhq/evgen/runtime"
)

// registrar records what RegisterSnapshots registers.
type registrar struct{ got []runtime.SnapshotProvider }

func (r *registrar) RegisterSnapshot(p runtime.SnapshotProvider) error {
	r.got = append(r.got, p)
	return nil
}

// source holds two accounts and re-announces those asked for.
type source struct{ accounts []AccountOpened }

func (s source) SnapshotAccountOpened(_ context.Context, keys []string, emit func(AccountOpened) error) error {
	for _, a := range s.accounts {
		if len(keys) > 0 && !slices.Contains(keys, a.AccountID) {
			continue
		}
		if err := emit(a); err != nil {
			return err
		}
	}
	return nil
}

// RegisterSnapshots registers one provider per snapshot event, which
// passes the source's typed events on as runtime.Events.
func TestRegisterSnapshots(t *testing.T) {
	a := AccountOpened{AccountID: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", Owner: "ada", Version: 1}
	b := AccountOpened{AccountID: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", Owner: "bob", Version: 3}
	var r registrar
	if err := RegisterSnapshots(&r, source{[]AccountOpened{a, b}}); err != nil {
		t.Fatal(err)
	}
	if len(r.got) != 1 || r.got[0].Type != "accounts.AccountOpened" || r.got[0].Version != 1 {
		t.Fatalf("registered %+v, want one provider of accounts.AccountOpened v1", r.got)
	}
	var emitted []runtime.Event
	emit := func(e runtime.Event) error { emitted = append(emitted, e); return nil }
	if err := r.got[0].Emit(context.Background(), []string{b.AccountID}, emit); err != nil {
		t.Fatal(err)
	}
	if len(emitted) != 1 || *emitted[0].(*AccountOpened) != b {
		t.Errorf("emitted %v, want only %v", emitted, b)
	}
	stop := errors.New("stop")
	if err := r.got[0].Emit(context.Background(), nil, func(runtime.Event) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("Emit = %v, want emit's error passed back", err)
	}
}

package evgentest

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/runtime"
)

// Check is the duplicate-and-reorder checker. It applies events to a new
// copy of spec's service (a new database each time) in the ways
// at-least-once delivery can bring them, reads the final state of each
// copy with state, and fails t with the first sequence whose state differs
// (reflect.DeepEqual) from the straight run, in which each event is
// delivered once, in the order given:
//
//   - every event delivered twice, with a crash between commit and ack
//     before each redelivery: the inbox must drop the second copy;
//   - every event delivered twice, with a crash before the commit of the
//     first delivery: the handler runs twice, and only what it wrote
//     through service.Tx is rolled back, so anything else it does (an
//     email, a call to another system, a write on another connection)
//     happens twice;
//   - reorderings the contracts allow: the events of one producer and key
//     stay in order when the producer's contract orders that key's events
//     (order_by, EventInfo.OrderBy); every other event may come before or
//     after any other, as with several replicas, Concurrency > 1 or a
//     redriven dead letter. Up to Spec.Orderings of them, chosen the same
//     way on every run.
//
// Each event keeps one ID and time across the runs, so a state holding
// event IDs compares equal. state reads the service's tables
// (svc.DB()), and may read what the handlers published (svc.Published();
// those events get new IDs and times in every run) or keep elsewhere
// (svc.Handlers()).
func Check[H, S any](t testing.TB, spec Spec[H], events []runtime.Event, state func(ctx context.Context, svc *Service[H]) (S, error)) {
	t.Helper()
	failure, err := checkRuns(t, spec, events, state)
	if err != nil {
		t.Fatal(err)
	}
	if failure != "" {
		t.Fatal(failure)
	}
}

// step is one delivery of a run: an event, and where to crash, if at all.
type step struct {
	event int
	crash Crash
}

// plan is a run: its name in a failure message and its deliveries.
type plan struct {
	name  string
	steps []step
}

// checkRuns runs every plan and returns the failure message of the first
// whose state differs from the straight run's, "" when none does; err is
// a run that could not be carried out.
func checkRuns[H, S any](t testing.TB, spec Spec[H], events []runtime.Event, state func(context.Context, *Service[H]) (S, error)) (string, error) {
	if len(events) == 0 {
		return "", fmt.Errorf("evgentest.Check: no events to check")
	}
	msgs := make([]*message.Message, len(events))
	for i, e := range events {
		msg, err := runtime.NewMessage(context.Background(), e)
		if err != nil {
			return "", fmt.Errorf("evgentest.Check: event %d: %w", i+1, err)
		}
		msgs[i] = msg
	}
	plans := plans(spec, events)
	want, err := runPlan(t, spec, msgs, plans[0], state)
	if err != nil {
		return "", err
	}
	for _, p := range plans[1:] {
		got, err := runPlan(t, spec, msgs, p, state)
		if err != nil {
			return "", err
		}
		if !reflect.DeepEqual(got.final(), want.final()) {
			return report(spec.contract.Service, msgs, p, want, got), nil
		}
	}
	return "", nil
}

// run is what a plan did: each delivery's outcome and the state after it.
type run[S any] struct {
	outcomes []Delivered
	states   []S
}

func (r run[S]) final() S { return r.states[len(r.states)-1] }

// runPlan applies p to a new copy of the service, reading its state after
// each delivery.
func runPlan[H, S any](t testing.TB, spec Spec[H], msgs []*message.Message, p plan, state func(context.Context, *Service[H]) (S, error)) (run[S], error) {
	var r run[S]
	s, err := start(t, spec, slog.LevelWarn)
	if err != nil {
		return r, err
	}
	defer s.close()
	read := func() error {
		st, err := state(context.Background(), s)
		if err != nil {
			return fmt.Errorf("evgentest.Check, %s: read the state: %w", p.name, err)
		}
		r.states = append(r.states, st)
		return nil
	}
	for _, st := range p.steps {
		d, err := s.deliver(msgs[st.event].Copy(), st.crash)
		if err != nil {
			return r, fmt.Errorf("evgentest.Check, %s: %w", p.name, err)
		}
		r.outcomes = append(r.outcomes, d)
		if err := read(); err != nil {
			return r, err
		}
	}
	return r, nil
}

// plans are the straight run first, then the runs compared with it.
func plans[H any](spec Spec[H], events []runtime.Event) []plan {
	straight := plan{name: "each event delivered once, in order"}
	for i := range events {
		straight.steps = append(straight.steps, step{event: i})
	}
	out := []plan{straight}
	for _, c := range []Crash{CrashBeforeAck, CrashBeforeCommit} {
		p := plan{name: "every event delivered twice, with a " + c.String() + " before each redelivery"}
		for i := range events {
			p.steps = append(p.steps, step{event: i, crash: c})
		}
		out = append(out, p)
	}
	for n, order := range orderings(chains(spec, events), spec.orderings()) {
		p := plan{name: fmt.Sprintf("reordered (ordering %d)", n+1)}
		for _, i := range order {
			p.steps = append(p.steps, step{event: i})
		}
		out = append(out, p)
	}
	return out
}

// report says which sequence changed the final state, and how; when the
// sequence delivers the events in the straight run's order, it also points
// at the delivery after which the state first differed.
func report[S any](serviceName string, msgs []*message.Message, p plan, want, got run[S]) string {
	var b strings.Builder
	fmt.Fprintf(&b, "evgentest.Check: service %s ends in another state than the straight run when %s:\n", serviceName, p.name)
	first := firstDifference(p, want, got)
	for i, st := range p.steps {
		md := msgs[st.event].Metadata
		fmt.Fprintf(&b, "  %d. event %d, %s", i+1, st.event+1, md.Get(runtime.HeaderType))
		if k := md.Get(runtime.HeaderSubject); k != "" {
			fmt.Fprintf(&b, " (key %s)", k)
		}
		if st.crash != 0 {
			fmt.Fprintf(&b, ": %s, then redelivered", st.crash)
		}
		fmt.Fprintf(&b, ": %s\n", got.outcomes[i])
		if i == first {
			fmt.Fprintf(&b, "     the state first differs here; the straight run's:\n%s\n     this run's:\n%s\n", show(want.states[i], 7), show(got.states[i], 7))
		}
	}
	fmt.Fprintf(&b, "the straight run (each event once, in order) ends in:\n%s\nthis run ends in:\n%s", show(want.final(), 2), show(got.final(), 2))
	return b.String()
}

// firstDifference is the step of p after which its state first differed
// from the straight run's after the same event, or -1 when p reorders the
// events (the states between are then not comparable).
func firstDifference[S any](p plan, want, got run[S]) int {
	for i, st := range p.steps {
		if st.event != i {
			return -1
		}
	}
	for i := range p.steps {
		if !reflect.DeepEqual(want.states[i], got.states[i]) {
			return i
		}
	}
	return -1
}

// show prints a state indented: a slice one element a line, so that two
// states read side by side in a failure message.
func show(state any, indent int) string {
	pad := strings.Repeat(" ", indent)
	v := reflect.ValueOf(state)
	if v.Kind() != reflect.Slice {
		return fmt.Sprintf("%s%+v", pad, state)
	}
	if v.Len() == 0 {
		return pad + "(empty)"
	}
	lines := make([]string, v.Len())
	for i := range lines {
		lines[i] = fmt.Sprintf("%s%+v", pad, v.Index(i).Interface())
	}
	return strings.Join(lines, "\n")
}

package asyncapi

import (
	"strings"
	"testing"

	"github.com/evgenhq/evgen/internal/ordered"
	"github.com/evgenhq/evgen/schema"
)

// TestChannelsFollowWhatTheServiceDoes checks a service that only
// publishes gets only its exchange and send operations, one that only
// consumes only its queues and receive operations, with the namespace's
// names.
func TestChannelsFollowWhatTheServiceDoes(t *testing.T) {
	set, err := schema.Load("../testdata/oneway")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		service   string
		channels  []string
		want, not []string
	}{
		{"producer", []string{chExchange}, []string{"address: shop.producer\n", "send.producer.Ping.v1:", "- producer.Ping.v1\n"}, []string{"receive.", ".dlq"}},
		{"consumer", []string{chQueue, chDeadLetter}, []string{"address: shop.consumer.queue\n", "address: shop.consumer.dlq\n", "receive.producer.Ping.v1:"}, []string{"send.", "is: routingKey"}},
	} {
		t.Run(tc.service, func(t *testing.T) {
			svc := set.Services[0]
			if svc.Name != tc.service {
				svc = set.Services[1]
			}
			doc := Document(svc, Options{Namespace: "shop"})
			chs, _ := doc.Get("channels")
			if got := keys(chs.(*ordered.Map)); strings.Join(got, ",") != strings.Join(tc.channels, ",") {
				t.Errorf("channels %v, want %v", got, tc.channels)
			}
			data, err := Generate(svc, Options{Namespace: "shop"})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(data), w) {
					t.Errorf("document lacks %q", w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(string(data), n) {
					t.Errorf("document has %q", n)
				}
			}
		})
	}
}

func keys(m *ordered.Map) []string {
	var out []string
	for _, k := range []string{chExchange, chQueue, chDeadLetter} {
		if _, ok := m.Get(k); ok {
			out = append(out, k)
		}
	}
	return out
}

func TestSummaryIsTheFirstSentence(t *testing.T) {
	for doc, want := range map[string]string{
		"":          "",
		"One line.": "One line.",
		"A user signed up. It carries\nits state.":      "A user signed up.",
		"Wrapped over\ntwo lines.\n\nSecond paragraph.": "Wrapped over two lines.",
		"Version 1.5 of it":                             "Version 1.5 of it",
	} {
		if got := summary(doc); got != want {
			t.Errorf("summary(%q) = %q, want %q", doc, got, want)
		}
	}
}

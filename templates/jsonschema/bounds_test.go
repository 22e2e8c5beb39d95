package jsonschema_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/evgenhq/evgen/internal/golden/bounds/auditevents"
	"github.com/evgenhq/evgen/internal/golden/bounds/shopevents"
)

// TestSchemaBoundsAgreeWithGo checks that the exported schema of a
// bounded event and the generated decoders, the producer's and a
// consumer's, accept and reject the same payloads: lengths in code
// points, unanchored patterns, item counts, an optional list's minimum
// only when it is set.
func TestSchemaBoundsAgreeWithGo(t *testing.T) {
	ev := contractEvents(t, "../testdata/bounds")["shop.Signed.v1"]
	if ev == nil {
		t.Fatal("no shop.Signed v1 in testdata/bounds")
	}
	sch := compile(t, ev)
	tag := func(label string) string { return `{"label":"` + label + `"}` }
	email := func(local string) string { return `"email":"` + local + `@b.io"` }
	for _, tc := range []struct {
		name, payload string
		ok            bool
	}{
		{"minimal", `{` + email("a") + `,"tags":null}`, true},
		{"email at 254 code points", `{` + email(strings.Repeat("é", 249)) + `,"tags":[]}`, true},
		{"email at 255", `{` + email(strings.Repeat("é", 250)) + `,"tags":[]}`, false},
		{"email without @", `{"email":"ab.io","tags":[]}`, false},
		{"email with two @", `{"email":"a@b@c","tags":[]}`, false},
		{"nick at 8", `{` + email("a") + `,"nick":"abcdefgh","tags":[]}`, true},
		{"nick at 9", `{` + email("a") + `,"nick":"abcdefghi","tags":[]}`, false},
		{"nick against pattern", `{` + email("a") + `,"nick":"Ab","tags":[]}`, false},
		{"three tags", `{` + email("a") + `,"tags":[` + tag("ab") + `,` + tag("cd") + `,` + tag("ef") + `]}`, true},
		{"four tags", `{` + email("a") + `,"tags":[` + tag("ab") + `,` + tag("cd") + `,` + tag("ef") + `,` + tag("gh") + `]}`, false},
		{"tag label too short", `{` + email("a") + `,"tags":[` + tag("a") + `]}`, false},
		{"tag label too long", `{` + email("a") + `,"tags":[` + tag(strings.Repeat("a", 17)) + `]}`, false},
		{"tag label against pattern", `{` + email("a") + `,"tags":[` + tag("a1") + `]}`, false},
		{"codes absent", `{` + email("a") + `,"tags":[]}`, true},
		{"codes null", `{` + email("a") + `,"tags":[],"codes":null}`, true},
		{"codes empty, below min_items", `{` + email("a") + `,"tags":[],"codes":[]}`, false},
		{"codes three, above max_items", `{` + email("a") + `,"tags":[],"codes":["` + strings.Join([]string{uuid, uuid, uuid}, `","`) + `"]}`, false},
		{"codes two", `{` + email("a") + `,"tags":[],"codes":["` + uuid + `","` + uuid + `"]}`, true},
	} {
		schemaOK := sch.Validate(instance(t, []byte(tc.payload))) == nil
		if schemaOK != tc.ok {
			t.Errorf("%s: schema accepts %v, want %v: %s", tc.name, schemaOK, tc.ok, tc.payload)
		}
		for _, typ := range []reflect.Type{reflect.TypeFor[shopevents.Signed](), reflect.TypeFor[auditevents.Signed]()} {
			if got := goAccepts(typ, []byte(tc.payload)); got != tc.ok {
				t.Errorf("%s: %v accepts %v, want %v: %s", tc.name, typ, got, tc.ok, tc.payload)
			}
		}
	}
}

const uuid = "0190c5a8-1234-7abc-8def-0123456789ab"

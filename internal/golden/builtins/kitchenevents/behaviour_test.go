package kitchenevents

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/evgenhq/evgen/runtime"
)

// Behaviour of generated code, over the builtins case: every built-in
// type, optional of each, containers, enums and nested types.

const uuid = "0190c5a8-1234-7abc-8def-0123456789ab"

func ptr[T any](v T) *T { return &v }

func everything() Everything {
	return Everything{
		ID: uuid, Text: "text", Flag: true, Small: -32, Big: 1 << 40, Ratio: 0.25,
		Price: "12.50", At: time.Date(2024, 5, 6, 7, 8, 9, 10, time.UTC), Day: "2024-02-29",
		Timeout: "1h30m", Blob: []byte{0, 1, 255}, Status: StatusInProgress,
		Address: Address{Street: "1 Main St", City: "Springfield", Geo: &Geo{Lat: 1.5, Lng: -2}},
	}
}

func line(sku string) Line {
	return Line{Sku: sku, Quantity: 2, Price: "0.99", Status: StatusPending}
}

func containers() Containers {
	return Containers{
		OrderNo:     42,
		Lines:       []Line{line("a"), line("b")},
		Statuses:    []Status{StatusDone, StatusPending},
		IDs:         []string{uuid},
		ByWarehouse: map[string][]Line{"north": {line("c")}, "south": {}},
		Matrix:      [][]Line{{line("d")}, nil},
		Labels:      map[string]string{"k": "v"},
		Windows:     map[string]string{"open": "8h"},
	}
}

// roundTrip encodes v, decodes the JSON into a new value of its type, and
// checks that both are equal and valid.
func roundTrip[T runtime.Event](t *testing.T, v T) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	got := new(T)
	if err := json.Unmarshal(b, got); err != nil {
		t.Fatalf("unmarshal %T from %s: %v", v, b, err)
	}
	if !reflect.DeepEqual(*got, v) {
		t.Errorf("%T round trip through %s:\n got %+v\nwant %+v", v, b, *got, v)
	}
	if err := (*got).Validate(); err != nil {
		t.Errorf("%T after round trip: Validate: %v", v, err)
	}
}

func TestRoundTrip(t *testing.T) {
	roundTrip(t, everything())
	roundTrip(t, EverythingOptional{})
	roundTrip(t, EverythingOptional{
		ID: ptr(uuid), Text: ptr(""), Flag: ptr(false), Small: ptr(int32(0)), Big: ptr(int64(-1)),
		Ratio: ptr(0.0), Price: ptr("-0.5"), At: ptr(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)),
		Day: ptr("1999-12-31"), Timeout: ptr("250ms"), Blob: []byte("x"), Status: ptr(StatusDone),
		Address: &Address{Street: "s", City: "c"}, Tags: []string{"t"}, Counts: map[string]int64{"n": 3},
	})
	roundTrip(t, containers())
	roundTrip(t, Containers{})
	roundTrip(t, Names{Type: "t", Range: 3, Func: true, URL: "https://x", APIKey: "k", HTTPStatus: 404, UserID: uuid, OldName: ptr("o")})
	roundTrip(t, Empty{})
}

func TestWireNames(t *testing.T) {
	b, err := json.Marshal(Names{Type: "t", URL: "u", APIKey: "k", HTTPStatus: 1, UserID: uuid})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"t","range":0,"func":false,"url":"u","api_key":"k","http_status":1,"user_id":"` + uuid + `"}`
	if string(b) != want {
		t.Errorf("got %s\nwant %s", b, want)
	}
	if b, _ := json.Marshal(EverythingOptional{}); string(b) != "{}" {
		t.Errorf("empty optional fields encode as %s, want {}", b)
	}
}

func TestIdentity(t *testing.T) {
	for _, tc := range []struct {
		e       runtime.Event
		typ     string
		version int
		key     string
	}{
		{everything(), "kitchen.Everything", 1, uuid},
		{containers(), "kitchen.Containers", 1, "42"},
		{Containers{OrderNo: -7}, "kitchen.Containers", 1, "-7"},
		{Names{HTTPStatus: 1 << 40}, "kitchen.Names", 1, "1099511627776"},
		{Empty{}, "kitchen.Empty", 1, ""},
	} {
		if tc.e.EventType() != tc.typ || tc.e.EventVersion() != tc.version {
			t.Errorf("%T: type %q version %d, want %q %d", tc.e, tc.e.EventType(), tc.e.EventVersion(), tc.typ, tc.version)
		}
		k, keyed := tc.e.(runtime.Keyed)
		if keyed != (tc.key != "") {
			t.Errorf("%T: keyed %v, want %v", tc.e, keyed, tc.key != "")
		} else if keyed && k.EventKey() != tc.key {
			t.Errorf("%T: key %q, want %q", tc.e, k.EventKey(), tc.key)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		e    runtime.Event
		want string
	}{
		{"missing uuid", with(func(e *Everything) { e.ID = "" }), "id: required"},
		{"bad uuid", with(func(e *Everything) { e.ID = "0190c5a8-1234-7abc-8def-0123456789a" }), `id: "0190c5a8-1234-7abc-8def-0123456789a" is not a UUID (want 8-4-4-4-12 hex digits)`},
		{"uuid with no hyphens", with(func(e *Everything) { e.ID = "0190c5a812347abc8def0123456789abcdef" }), `is not a UUID`},
		{"empty string", with(func(e *Everything) { e.Text = "" }), "text: required"},
		{"NaN", with(func(e *Everything) { e.Ratio = math.NaN() }), "ratio: NaN is not a finite number"},
		{"infinity", with(func(e *Everything) { e.Ratio = math.Inf(-1) }), "ratio: -Inf is not a finite number"},
		{"bad decimal", with(func(e *Everything) { e.Price = "1e3" }), `price: "1e3" is not a decimal`},
		{"decimal with no digits after the point", with(func(e *Everything) { e.Price = "1." }), `price: "1." is not a decimal`},
		{"zero timestamp", with(func(e *Everything) { e.At = time.Time{} }), "at: required"},
		{"bad date", with(func(e *Everything) { e.Day = "2023-02-29" }), `day: "2023-02-29" is not a date (want YYYY-MM-DD)`},
		{"bad duration", with(func(e *Everything) { e.Timeout = "90" }), `timeout: "90" is not a duration`},
		{"missing enum", with(func(e *Everything) { e.Status = "" }), "status: required"},
		{"unknown enum", with(func(e *Everything) { e.Status = "lost" }), `status: unknown value "lost" (want one of pending, in_progress, done)`},
		{"nested", with(func(e *Everything) { e.Address.City = "" }), "address.city: required"},
		{"nested twice", with(func(e *Everything) { e.Address.Geo.Lat = math.Inf(1) }), "address.geo.lat: +Inf is not a finite number"},
		{"first field in contract order", with(func(e *Everything) { e.Text, e.Day = "", "x" }), "text: required"},
		{"optional set and bad", EverythingOptional{Day: ptr("tomorrow")}, `day: "tomorrow" is not a date`},
		{"optional enum", EverythingOptional{Status: ptr(Status("x"))}, `status: unknown value "x"`},
		{"optional nested", EverythingOptional{Address: &Address{Street: "s"}}, "address.city: required"},
		{"list element", withC(func(c *Containers) { c.Lines[1].Price = "" }), "lines[1].price: required"},
		{"list of enums", withC(func(c *Containers) { c.Statuses[0] = "x" }), `statuses[0]: unknown value "x"`},
		{"list of uuids", withC(func(c *Containers) { c.IDs = append(c.IDs, "x") }), `ids[1]: "x" is not a UUID`},
		{"map of lists", withC(func(c *Containers) { c.ByWarehouse["north"][0].Sku = "" }), "by_warehouse[north][0].sku: required"},
		{"list of lists", withC(func(c *Containers) { c.Matrix[0][0].Status = "x" }), `matrix[0][0].status: unknown value "x"`},
		{"map of durations", withC(func(c *Containers) { c.Windows["z"] = "soon" }), `windows[z]: "soon" is not a duration`},
		{"required string on a renamed keyword", Names{URL: "u", APIKey: "k", UserID: uuid}, "type: required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.e.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func with(change func(*Everything)) Everything {
	e := everything()
	change(&e)
	return e
}

func withC(change func(*Containers)) Containers {
	c := containers()
	change(&c)
	return c
}

// validJSON is a valid Everything on the wire.
const validJSON = `{"id":"` + uuid + `","text":"t","flag":true,"small":1,"big":2,"ratio":0.5,
	"price":"1.00","at":"2024-01-02T03:04:05Z","day":"2024-01-02","timeout":"1s","blob":"AAE=",
	"status":"done","address":{"street":"s","city":"c"}}`

// edit replaces the first occurrence of old in validJSON.
func edit(old, new string) string {
	if !strings.Contains(validJSON, old) {
		panic("validJSON has no " + old)
	}
	return strings.Replace(validJSON, old, new, 1)
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name, json, want string // want "" for success
	}{
		{"valid", validJSON, ""},
		{"unknown fields are ignored", edit(`"text":"t"`, `"text":"t","added_later":{"x":[1]},"Text":"other"`), ""},
		{"unknown nested fields are ignored", edit(`"city":"c"`, `"city":"c","zip":"12345"`), ""},
		{"missing required field", edit(`"text":"t",`, ``), "text: required"},
		{"null required field", edit(`"text":"t"`, `"text":null`), "text: required"},
		{"missing required bool", edit(`"flag":true,`, ``), "flag: required"},
		{"missing required bytes", edit(`"blob":"AAE=",`, ``), "blob: required"},
		{"null bytes read as empty", edit(`"blob":"AAE="`, `"blob":null`), ""},
		{"field names match exactly", edit(`"text":"t"`, `"TEXT":"t"`), "text: required"},
		{"missing nested field", edit(`"city":"c"`, `"town":"c"`), "address.city: required"},
		{"string for a bool", edit(`"flag":true`, `"flag":"yes"`), "flag: got string, want bool"},
		{"fraction for an integer", edit(`"small":1`, `"small":1.5`), "small: got number 1.5, want integer (int32)"},
		{"int32 overflow", edit(`"small":1`, `"small":3000000000`), "small: got number 3000000000, want integer (int32)"},
		{"number for a string", edit(`"text":"t"`, `"text":7`), "text: got number, want string"},
		{"number for a timestamp", edit(`"at":"2024-01-02T03:04:05Z"`, `"at":17`), "at: got number, want an RFC 3339 timestamp string"},
		{"bad timestamp", edit(`"at":"2024-01-02T03:04:05Z"`, `"at":"yesterday"`), `at: "yesterday" is not an RFC 3339 timestamp`},
		{"bad base64", edit(`"blob":"AAE="`, `"blob":"!!"`), "blob: illegal base64 data"},
		{"unknown enum value", edit(`"status":"done"`, `"status":"lost"`), `status: unknown value "lost" (want one of pending, in_progress, done)`},
		{"enum of the wrong type", edit(`"status":"done"`, `"status":1`), "status: got number, want string"},
		{"array for an object", edit(`"address":{"street":"s","city":"c"}`, `"address":[]`), "address: got array, want object"},
		{"not an object", `[1]`, "got array, want object"},
		{"null", `null`, "got null, want object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e Everything
			err := json.Unmarshal([]byte(tc.json), &e)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unmarshal: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("unmarshal = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestDecodeContainers(t *testing.T) {
	for _, tc := range []struct {
		name, json, want string
	}{
		{"lists and maps may be null", `{"order_no":1,"lines":null,"statuses":null,"ids":null,"by_warehouse":null,"matrix":null,"labels":null,"windows":null}`, ""},
		{"but must be present", `{"order_no":1,"lines":[],"statuses":[],"ids":[],"by_warehouse":{},"matrix":[],"labels":{}}`, "windows: required"},
		{"element of a list", `{"order_no":1,"lines":[{"sku":"a","quantity":1,"price":"1","status":"done"},{"sku":"b","quantity":"x"}]}`, "lines[1].quantity: got string, want integer (int32)"},
		{"missing field of an element", `{"order_no":1,"lines":[{"sku":"a","quantity":1,"price":"1"}]}`, "lines[0].status: required"},
		{"enum in a list", `{"order_no":1,"lines":[],"statuses":["done","lost"]}`, `statuses[1]: unknown value "lost"`},
		{"list of lists", `{"order_no":1,"lines":[],"statuses":[],"ids":[],"by_warehouse":{},"matrix":[[],[{"sku":1}]]}`, "matrix[1][0].sku: got number, want string"},
		{"map of lists", `{"order_no":1,"lines":[],"statuses":[],"ids":[],"by_warehouse":{"b":[],"a":[{}]}}`, "by_warehouse[a][0].sku: required"},
		{"map value", `{"order_no":1,"lines":[],"statuses":[],"ids":[],"by_warehouse":{},"matrix":[],"labels":{"k":false}}`, "labels[k]: got bool, want string"},
		{"object for a list", `{"order_no":1,"lines":{}}`, "lines: got object, want array"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c Containers
			err := json.Unmarshal([]byte(tc.json), &c)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unmarshal: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("unmarshal = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestDecodeEmptyEvent(t *testing.T) {
	for _, in := range []string{`{}`, `{"anything":[1,2]}`} {
		var e Empty
		if err := json.Unmarshal([]byte(in), &e); err != nil {
			t.Errorf("unmarshal %s: %v", in, err)
		}
	}
	var e Empty
	if err := json.Unmarshal([]byte(`"x"`), &e); err == nil {
		t.Error(`unmarshal "x" into Empty: no error`)
	}
}

func TestEnum(t *testing.T) {
	for _, s := range []Status{StatusPending, StatusInProgress, StatusDone} {
		if !s.Valid() || s.Validate() != nil {
			t.Errorf("%q: Valid %v, Validate %v", s, s.Valid(), s.Validate())
		}
	}
	if StatusInProgress != "in_progress" {
		t.Errorf("StatusInProgress = %q", StatusInProgress)
	}
	for _, s := range []Status{"", "Pending", "in-progress"} {
		if s.Valid() || s.Validate() == nil {
			t.Errorf("%q: Valid %v, Validate %v", s, s.Valid(), s.Validate())
		}
	}
}

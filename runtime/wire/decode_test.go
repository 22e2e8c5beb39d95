package wire_test

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/evgenhq/evgen/runtime/wire"
)

// valid is a userRegistered that breaks no rule; cases change one thing.
const valid = `"user_id":"0190c5a8-1234-7abc-8def-0123456789ab","email":"ada@example.com","plan":"pro","version":3,"score":1.5,"registered_at":"2024-05-01T12:00:00Z","addresses":[{"city":"Paris"}]`

func TestDecodeObject(t *testing.T) {
	for _, tc := range []struct {
		name, json, want string
	}{
		{"valid", `{` + valid + `}`, ""},
		{"spaces and unknown keys", "{ \n" + strings.ReplaceAll(valid, ",", " ,\t") + ` , "new" : {"a":[1,"]}"]} }`, ""},
		{"escaped unknown key", `{` + valid + `,"n\u0065w":1}`, ""},
		{"escaped known key counts", `{` + strings.Replace(valid, `"email"`, `"em\u0061il"`, 1) + `}`, ""},
		{"all optional set", `{` + valid + `,"name":"Ada","referrer":"0190c5a8-1234-7abc-8def-0123456789ab","limits":{"a":"1.5"},"tags":["x"],"extra":{"k":[1,2]}}`, ""},
		{"optional null", `{` + valid + `,"name":null,"tags":null}`, ""},
		{"nullable null", `{` + strings.Replace(valid, `[{"city":"Paris"}]`, `null`, 1) + `}`, ""},
		{"null", `null`, "got null, want object"},
		{"array", `[1]`, "got array, want object"},
		{"string", `"x"`, "got string, want object"},
		{"invalid JSON", `{"user_id":`, "unexpected end of JSON input"},
		{"missing required", `{"email":"a@b"}`, "user_id: required"},
		{"null required", `{` + strings.Replace(valid, `"pro"`, `null`, 1) + `}`, "plan: required"},
		{"missing nullable", `{` + strings.Replace(valid, `,"addresses":[{"city":"Paris"}]`, ``, 1) + `}`, "addresses: required"},
		{"string for int", `{` + strings.Replace(valid, `"version":3`, `"version":"3"`, 1) + `}`, "version: got string, want integer (int64)"},
		{"fraction for int", `{` + strings.Replace(valid, `"version":3`, `"version":3.5`, 1) + `}`, "version: got number 3.5, want integer (int64)"},
		{"int overflow", `{` + strings.Replace(valid, `"version":3`, `"version":99999999999999999999`, 1) + `}`, "version: got number 99999999999999999999, want integer (int64)"},
		{"large int", `{` + strings.Replace(valid, `"version":3`, `"version":-9223372036854775808`, 1) + `}`, ""},
		{"number for string", `{` + strings.Replace(valid, `"ada@example.com"`, `7`, 1) + `}`, "email: got number, want string"},
		{"escaped string", `{` + strings.Replace(valid, `"ada@example.com"`, `"ad\u00e9@example.com"`, 1) + `}`, ""},
		{"bool for float", `{` + strings.Replace(valid, `1.5`, `true`, 1) + `}`, "score: got bool, want number"},
		{"number for time", `{` + strings.Replace(valid, `"2024-05-01T12:00:00Z"`, `12`, 1) + `}`, "registered_at: got number, want an RFC 3339 timestamp string"},
		{"bad time", `{` + strings.Replace(valid, `2024-05-01T12:00:00Z`, `yesterday`, 1) + `}`, `registered_at: "yesterday" is not an RFC 3339 timestamp`},
		{"unknown enum", `{` + strings.Replace(valid, `"pro"`, `"gold"`, 1) + `}`, `plan: unknown value "gold" (want one of free, pro)`},
		{"number for enum", `{` + strings.Replace(valid, `"pro"`, `1`, 1) + `}`, `plan: got number, want string`},
		{"list element", `{` + strings.Replace(valid, `[{"city":"Paris"}]`, `[{"city":"Paris"},{"city":1}]`, 1) + `}`, "addresses[1].city: got number, want string"},
		{"list element missing", `{` + strings.Replace(valid, `[{"city":"Paris"}]`, `[{"city":"Paris"},{}]`, 1) + `}`, "addresses[1].city: required"},
		{"map value", `{` + valid + `,"extra":{"b":[1],"a":[1,"x"]}}`, "extra[a][1]: got string, want integer (int32)"},
		{"int32 range", `{` + valid + `,"extra":{"a":[2147483648]}}`, "extra[a][0]: got number 2147483648, want integer (int32)"},
		{"optional wrong type", `{` + valid + `,"name":1}`, "name: got number, want string"},
		{"last of repeated key", `{` + valid + `,"email":"x@y"}`, ""},
	} {
		var e userRegistered
		if got := errText(json.Unmarshal([]byte(tc.json), &e)); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestDecodeMatchesEncodingJSON checks that the fast paths decode valid
// input as encoding/json would.
func TestDecodeMatchesEncodingJSON(t *testing.T) {
	type plain userRegistered // without the UnmarshalJSON method
	for _, in := range []string{
		`{` + valid + `}`,
		`{` + valid + `,"name":"Ada","referrer":"0190c5a8-1234-7abc-8def-0123456789ab","limits":{"a":"1.5"},"tags":["x","y\n"],"extra":{"k":[1,-2]}}`,
		`{` + strings.Replace(valid, `"version":3`, `"version":-0`, 1) + `,"email":"x\"y","name":"\u00e9\ud83d\ude00"}`,
	} {
		var got userRegistered
		var want plain
		if err := json.Unmarshal([]byte(in), &got); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if !reflect.DeepEqual(plain(got), want) {
			t.Errorf("%s:\n got %+v\nwant %+v", in, got, want)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("%s: Validate: %v", in, err)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := func() userRegistered {
		return userRegistered{
			UserID: "0190c5a8-1234-7abc-8def-0123456789ab", Email: "a@b", Plan: planPro,
			RegisteredAt: time.Unix(1, 0), Addresses: []address{{City: "Paris"}},
		}
	}
	for _, tc := range []struct {
		name   string
		change func(*userRegistered)
		want   string
	}{
		{"valid", func(*userRegistered) {}, ""},
		{"first field in order", func(e *userRegistered) { e.UserID, e.Email = "", "" }, "user_id: required"},
		{"format", func(e *userRegistered) { e.UserID = "x" }, `user_id: "x" is not a UUID (want 8-4-4-4-12 hex digits)`},
		{"enum", func(e *userRegistered) { e.Plan = "gold" }, `plan: unknown value "gold" (want one of free, pro)`},
		{"finite", func(e *userRegistered) { e.Score = math.Inf(-1) }, "score: -Inf is not a finite number"},
		{"zero time", func(e *userRegistered) { e.RegisteredAt = time.Time{} }, "registered_at: required"},
		{"optional set", func(e *userRegistered) { e.Referrer = ptr("r") }, `referrer: "r" is not a UUID (want 8-4-4-4-12 hex digits)`},
		{"nested", func(e *userRegistered) { e.Addresses = append(e.Addresses, address{}) }, "addresses[1].city: required"},
		{"map", func(e *userRegistered) { e.Limits = map[string]string{"a": "x"} }, `limits[a]: "x" is not a decimal (want digits with an optional fraction, like "12.50")`},
	} {
		e := ok()
		tc.change(&e)
		err := e.Validate()
		if got := errText(err); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
		if strings.HasSuffix(tc.want, ": required") && !errors.Is(err, wire.ErrRequired) {
			t.Errorf("%s: %v does not wrap ErrRequired", tc.name, err)
		}
	}
	if err := wire.Validate(nil); err != nil {
		t.Errorf("Validate(nil) = %v", err)
	}
}

// TestFieldOfChecks checks that every check a field lists runs, in
// order, however many there are.
func TestFieldOfChecks(t *testing.T) {
	fail := func(msg string) func(int) error {
		return func(int) error { return errors.New(msg) }
	}
	pass := func(int) error { return nil }
	for _, tc := range []struct {
		name   string
		checks []func(int) error
		want   string
	}{
		{"none", nil, ""},
		{"one", []func(int) error{fail("a")}, "n: a"},
		{"second of two", []func(int) error{pass, fail("b")}, "n: b"},
		{"first of two", []func(int) error{fail("a"), fail("b")}, "n: a"},
		{"third of three", []func(int) error{pass, pass, fail("c")}, "n: c"},
		{"fifth of five", []func(int) error{pass, pass, pass, pass, fail("e")}, "n: e"},
		{"all pass", []func(int) error{pass, pass, pass}, ""},
	} {
		n := 1
		fields := []wire.Field{wire.FieldOf("n", &n, wire.Required, tc.checks...)}
		if got := errText(wire.Validate(fields)); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestDecodeEnum(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		value    plan
	}{
		{`"pro"`, "", planPro},
		{`"fr\u0065e"`, "", planFree},
		{`"gold"`, `unknown value "gold" (want one of free, pro)`, ""},
		{`""`, `unknown value "" (want one of free, pro)`, ""},
		{`1`, "got number, want string", ""},
		{`{"a":1}`, "got object, want string", ""},
	} {
		var v plan
		err := wire.DecodeEnum([]byte(tc.in), &v)
		if got := errText(err); got != tc.want || v != tc.value {
			t.Errorf("DecodeEnum(%s) = %q, %q; want %q, %q", tc.in, v, got, tc.value, tc.want)
		}
	}
}

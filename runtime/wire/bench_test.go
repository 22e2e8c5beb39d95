package wire_test

import (
	"encoding/json"
	"testing"
)

// BenchmarkDecodeValidate is what a consumer does once per delivery:
// decode a typical event and validate it.
//
//	go test -run '^$' -bench DecodeValidate -benchmem ./runtime/wire
func BenchmarkDecodeValidate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var e typicalEvent
		if err := json.Unmarshal(typical, &e); err != nil {
			b.Fatal(err)
		}
		if err := e.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

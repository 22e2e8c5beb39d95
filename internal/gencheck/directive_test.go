package gencheck

import (
	"reflect"
	"testing"
)

func TestDirectives(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want [][]string
	}{
		{"//go:generate go run github.com/evgenhq/evgen/cmd/evgen generate -service a -out ../x .\n", [][]string{{"-service", "a", "-out", "../x", "."}}},
		{"//go:generate evgen generate -out x a.yaml\n", [][]string{{"-out", "x", "a.yaml"}}},
		{"//go:generate go run github.com/evgenhq/evgen/cmd/evgen@v0.1.0 generate -out x .\n", [][]string{{"-out", "x", "."}}},
		{"//go:generate go run github.com/evgenhq/evgen/cmd/evgen docs -out site .\n", nil},
		{"//go:generate stringer -type generate\n// go:generate evgen generate -out x .\n", nil},
		{"//go:generate evgen generate -out a .\n//go:generate evgen generate -out b .\n", [][]string{{"-out", "a", "."}, {"-out", "b", "."}}},
	} {
		if got := Directives([]byte(tc.src)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Directives(%q) = %q, want %q", tc.src, got, tc.want)
		}
	}
}

package wire

import (
	"errors"
	"testing"
)

// The error paths alone; their use through generated code is tested in
// the external tests and in the packages under internal/golden.

func TestPaths(t *testing.T) {
	inner := at("city", ErrRequired)
	for _, tc := range []struct {
		err  error
		want string
	}{
		{at("address", inner), "address.city: required"},
		{at("lines", at("[2]", inner)), "lines[2].city: required"},
		{at("m", at("[k]", at("[0]", ErrRequired))), "m[k][0]: required"},
	} {
		if tc.err.Error() != tc.want {
			t.Errorf("got %q, want %q", tc.err, tc.want)
		}
		if !errors.Is(tc.err, ErrRequired) {
			t.Errorf("%q does not wrap ErrRequired", tc.err)
		}
	}
	if at("x", nil) != nil {
		t.Error("at(x, nil) != nil")
	}
}

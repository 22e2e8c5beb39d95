package support

import (
	"errors"
	"testing"
)

// The format checks, alone; generated code's use of the rest is tested in
// the packages under internal/golden.

func TestFormats(t *testing.T) {
	for _, tc := range []struct {
		check func(string) error
		name  string
		ok    []string
		bad   []string
	}{
		{isUUID, "isUUID",
			[]string{"0190c5a8-1234-7abc-8def-0123456789ab", "0190C5A8-1234-7ABC-8DEF-0123456789AB", "00000000-0000-0000-0000-000000000000"},
			[]string{"", "0190c5a812347abc8def0123456789abcdef", "0190c5a8-1234-7abc-8def-0123456789ag", "{0190c5a8-1234-7abc-8def-0123456789ab}", "0190c5a8-1234-7abc-8def_0123456789ab"}},
		{isDecimal, "isDecimal",
			[]string{"0", "12", "12.50", "-0.5", "00012.000", "123456789012345678901234567890.123456789"},
			[]string{"", "-", "+1", ".5", "1.", "1e3", "1.2.3", "1,5", " 1", "--1", "NaN"}},
		{isDate, "isDate",
			[]string{"2024-02-29", "0001-01-01", "9999-12-31"},
			[]string{"", "2023-02-29", "2024-2-1", "2024-01-01T00:00:00Z", "24-01-01"}},
		{isDuration, "isDuration",
			[]string{"0s", "1h30m", "250ms", "-1.5h"},
			[]string{"", "90", "1 h", "P1D"}},
	} {
		for _, s := range tc.ok {
			if err := tc.check(s); err != nil {
				t.Errorf("%s(%q) = %v, want nil", tc.name, s, err)
			}
		}
		for _, s := range tc.bad {
			if err := tc.check(s); err == nil {
				t.Errorf("%s(%q) = nil, want an error", tc.name, s)
			}
		}
	}
}

func TestPaths(t *testing.T) {
	inner := at("city", errRequired)
	for _, tc := range []struct {
		err  error
		want string
	}{
		{at("address", inner), "address.city: required"},
		{at("lines", at("[2]", inner)), "lines[2].city: required"},
		{at("m", at("[k]", at("[0]", errRequired))), "m[k][0]: required"},
	} {
		if tc.err.Error() != tc.want {
			t.Errorf("got %q, want %q", tc.err, tc.want)
		}
		if !errors.Is(tc.err, errRequired) {
			t.Errorf("%q does not wrap errRequired", tc.err)
		}
	}
	if at("x", nil) != nil {
		t.Error("at(x, nil) != nil")
	}
}

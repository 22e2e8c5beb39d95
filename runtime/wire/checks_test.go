package wire_test

import (
	"errors"
	"math"
	"regexp"
	"testing"

	"github.com/evgenhq/evgen/runtime/wire"
)

func TestFormats(t *testing.T) {
	for _, tc := range []struct {
		check func(string) error
		name  string
		ok    []string
		bad   []string
	}{
		{wire.UUID, "UUID",
			[]string{"0190c5a8-1234-7abc-8def-0123456789ab", "0190C5A8-1234-7ABC-8DEF-0123456789AB", "00000000-0000-0000-0000-000000000000"},
			[]string{"", "0190c5a812347abc8def0123456789abcdef", "0190c5a8-1234-7abc-8def-0123456789ag", "{0190c5a8-1234-7abc-8def-0123456789ab}", "0190c5a8-1234-7abc-8def_0123456789ab"}},
		{wire.Decimal, "Decimal",
			[]string{"0", "12", "12.50", "-0.5", "00012.000", "123456789012345678901234567890.123456789"},
			[]string{"", "-", "+1", ".5", "1.", "1e3", "1.2.3", "1,5", " 1", "--1", "NaN"}},
		{wire.Date, "Date",
			[]string{"2024-02-29", "0001-01-01", "9999-12-31"},
			[]string{"", "2023-02-29", "2024-2-1", "2024-01-01T00:00:00Z", "24-01-01"}},
		{wire.Duration, "Duration",
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

// errText is err's message, or "" for nil.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestChecks(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"NonZero empty string", wire.NonZero(""), "required"},
		{"NonZero string", wire.NonZero("a"), ""},
		{"NonZero enum", wire.NonZero(plan("")), "required"},
		{"NonZero int is not absent", wire.NonZero(1), ""},
		{"Finite", wire.Finite(1.5), ""},
		{"Finite NaN", wire.Finite(math.NaN()), "NaN is not a finite number"},
		{"Finite +Inf", wire.Finite(math.Inf(1)), "+Inf is not a finite number"},
		{"UnknownValue", wire.UnknownValue("gold", "free, pro"), `unknown value "gold" (want one of free, pro)`},
		{"IfSet unset", wire.IfSet(wire.UUID)(nil), ""},
		{"IfSet set bad", wire.IfSet(wire.NonZero[string], wire.UUID)(ptr("x")), `"x" is not a UUID (want 8-4-4-4-12 hex digits)`},
		{"IfSet set empty", wire.IfSet(wire.NonZero[string], wire.UUID)(ptr("")), "required"},
		{"Each ok", wire.Each(wire.Decimal)([]string{"1", "2.5"}), ""},
		{"Each names the index", wire.Each(wire.Decimal)([]string{"1", "x"}), `[1]: "x" is not a decimal (want digits with an optional fraction, like "12.50")`},
		{"Each nested", wire.Each(wire.Each(wire.NonZero[string]))([][]string{{"a"}, {"b", ""}}), "[1][1]: required"},
		{"EachValue ok", wire.EachValue(wire.Date)(map[string]string{"a": "2024-01-02"}), ""},
		{"EachValue first key in order", wire.EachValue(wire.Date)(map[string]string{"b": "x", "a": "y", "c": "2024-01-02"}), `[a]: "y" is not a date (want YYYY-MM-DD)`},
		{"EachValue of Each", wire.EachValue(wire.Each(wire.Duration))(map[string][]string{"k": {"1s", "2"}}), `[k][1]: "2" is not a duration (want a Go duration like "1h30m")`},
		{"MinLength ok", wire.MinLength(2)("ab"), ""},
		{"MinLength counts code points", wire.MinLength(3)("é€"), "is 2 characters long, shorter than the contract's minimum of 3"},
		{"MaxLength at the limit", wire.MaxLength(3)("abc"), ""},
		{"MaxLength multibyte within", wire.MaxLength(2)("é€"), ""},
		{"MaxLength over", wire.MaxLength(3)("abcd"), "is longer than the contract's limit of 3 characters (4 bytes)"},
		{"MaxLength multibyte over", wire.MaxLength(1)("é€"), "is longer than the contract's limit of 1 characters (5 bytes)"},
		{"Pattern match", wire.Pattern(regexp.MustCompile(`^[^@]+@[^@]+$`))("a@b"), ""},
		{"Pattern unanchored", wire.Pattern(regexp.MustCompile(`@`))("a@b"), ""},
		{"Pattern mismatch", wire.Pattern(regexp.MustCompile(`^[^@]+@[^@]+$`))("ab"), `does not match the pattern "^[^@]+@[^@]+$"`},
		{"MinItems ok", wire.MinItems[int](1)([]int{1}), ""},
		{"MinItems nil", wire.MinItems[int](1)(nil), "has 0 items, fewer than the 1 the contract requires"},
		{"MaxItems ok", wire.MaxItems[string](2)([]string{"a", "b"}), ""},
		{"MaxItems over", wire.MaxItems[string](2)([]string{"a", "b", "c"}), "has 3 items, more than the 2 the contract allows"},
		{"UnlessNil nil", wire.UnlessNil(wire.MinItems[int](1))(nil), ""},
		{"UnlessNil empty", wire.UnlessNil(wire.MinItems[int](1))([]int{}), "has 0 items, fewer than the 1 the contract requires"},
		{"IfSet MaxLength", wire.IfSet(wire.MaxLength(1))(ptr("ab")), "is longer than the contract's limit of 1 characters (2 bytes)"},
		{"Each MaxLength", wire.Each(wire.MaxLength(1))([]string{"a", "bc"}), "[1]: is longer than the contract's limit of 1 characters (2 bytes)"},
	} {
		if got := errText(tc.err); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	if !errors.Is(wire.NonZero(""), wire.ErrRequired) {
		t.Error("NonZero's error is not ErrRequired")
	}
}

func ptr[T any](v T) *T { return &v }

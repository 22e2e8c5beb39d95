package wire

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// NonZero rejects the zero value of a required field whose zero value is
// not a value of its contract type: an empty string, enum, UUID, decimal,
// date or duration, and the zero timestamp.
func NonZero[T comparable](v T) error {
	var zero T
	if v == zero {
		return ErrRequired
	}
	return nil
}

// Finite rejects NaN and the infinities, which JSON cannot carry: the
// check of a float64 field.
func Finite(f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("%v is not a finite number", f)
	}
	return nil
}

// UUID accepts the 36-character hyphenated form of a UUID, in either
// case: the check of a uuid field.
func UUID(s string) error {
	if len(s) != 36 {
		return fmt.Errorf("%q is not a UUID (want 8-4-4-4-12 hex digits)", s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return fmt.Errorf("%q is not a UUID (want 8-4-4-4-12 hex digits)", s)
			}
		case !isHex(c):
			return fmt.Errorf("%q is not a UUID (want 8-4-4-4-12 hex digits)", s)
		}
	}
	return nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// Decimal accepts an optional minus sign, digits, and an optional
// fraction: "12", "-0.5", "12.50"; it is the check of a decimal field.
// Exponents and a leading "+" or "." are rejected so that every consumer
// can parse the value the same way.
func Decimal(s string) error {
	whole, frac, hasFrac := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	if !isDigits(whole) || hasFrac && !isDigits(frac) {
		return fmt.Errorf("%q is not a decimal (want digits with an optional fraction, like \"12.50\")", s)
	}
	return nil
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Date accepts a calendar date in the form "2006-01-02": the check of a
// date field.
func Date(s string) error {
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return fmt.Errorf("%q is not a date (want YYYY-MM-DD)", s)
	}
	return nil
}

// Duration accepts a Go duration such as "1h30m" or "250ms": the check
// of a duration field.
func Duration(s string) error {
	if _, err := time.ParseDuration(s); err != nil {
		return fmt.Errorf("%q is not a duration (want a Go duration like \"1h30m\")", s)
	}
	return nil
}

// UnknownValue is the error of an enum's Validate for a value the
// contract does not list; want lists the values it does.
func UnknownValue(v, want string) error {
	return fmt.Errorf("unknown value %q (want one of %s)", v, want)
}

// IfSet is the checks cs of an optional field, whose Go type is a
// pointer: they run on the value when it is set.
func IfSet[T any](cs ...func(T) error) func(*T) error {
	return func(p *T) error {
		if p == nil {
			return nil
		}
		return run(*p, cs)
	}
}

// Each is the checks cs run on every element of a list; the error names
// the failing index, as in "lines[2]".
func Each[T any](cs ...func(T) error) func([]T) error {
	return func(l []T) error {
		for i, v := range l {
			if err := run(v, cs); err != nil {
				return at(fmt.Sprintf("[%d]", i), err)
			}
		}
		return nil
	}
}

// EachValue is the checks cs run on every value of a map, in key order so
// that the error reported is the same on every run; it names the failing
// key, as in "prices[eur]".
func EachValue[T any](cs ...func(T) error) func(map[string]T) error {
	return func(m map[string]T) error {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if err := run(m[k], cs); err != nil {
				return at("["+k+"]", err)
			}
		}
		return nil
	}
}

// MinLength is the check of a string field's `min_length:`: at least n
// Unicode code points, as JSON Schema's minLength counts them.
func MinLength(n int) func(string) error {
	return func(s string) error {
		if c := utf8.RuneCountInString(s); c < n {
			return fmt.Errorf("is %d characters long, shorter than the contract's minimum of %d", c, n)
		}
		return nil
	}
}

// MaxLength is the check of a string field's `max_length:`: at most n
// Unicode code points. It stops counting past n, so an oversized value
// costs no more than the limit; the error gives the byte length instead.
func MaxLength(n int) func(string) error {
	return func(s string) error {
		if len(s) <= n {
			return nil // n bytes hold at most n code points
		}
		c := 0
		for range s {
			if c++; c > n {
				return fmt.Errorf("is longer than the contract's limit of %d characters (%d bytes)", n, len(s))
			}
		}
		return nil
	}
}

// Pattern is the check of a string field's `pattern:`: re, unanchored as
// in JSON Schema, must match. Generated code compiles re once, at package
// level. The error names the pattern but not the value, which may be
// large or personal.
func Pattern(re *regexp.Regexp) func(string) error {
	return func(s string) error {
		if !re.MatchString(s) {
			return fmt.Errorf("does not match the pattern %q", re.String())
		}
		return nil
	}
}

// MinItems is the check of a list field's `min_items:`: at least n items.
func MinItems[T any](n int) func([]T) error {
	return func(l []T) error {
		if len(l) < n {
			return fmt.Errorf("has %d items, fewer than the %d the contract requires", len(l), n)
		}
		return nil
	}
}

// MaxItems is the check of a list field's `max_items:`: at most n items.
func MaxItems[T any](n int) func([]T) error {
	return func(l []T) error {
		if len(l) > n {
			return fmt.Errorf("has %d items, more than the %d the contract allows", len(l), n)
		}
		return nil
	}
}

// UnlessNil is the check c of an optional list, whose nil value is how it
// is absent: it runs only on a list that is set, even to no items.
func UnlessNil[T any](c func([]T) error) func([]T) error {
	return func(l []T) error {
		if l == nil {
			return nil
		}
		return c(l)
	}
}

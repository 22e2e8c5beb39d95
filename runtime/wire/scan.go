package wire

import (
	"encoding/json"
	"time"
)

// Decoding an object into map[string]json.RawMessage and then each value
// with json.Unmarshal costs a map, a copy of every key and value, and a
// reflective decode per field. The splitter and fast paths below read
// the common shapes directly and hand everything else to encoding/json,
// so that errors and edge cases stay exactly encoding/json's.

// splitObject sets raws[i] to the value of fields[i]'s key in the JSON
// object b, which must be valid JSON, and leaves it nil where the key is
// missing. It reports false if b is not an object, or has a key with
// escapes: the caller then falls back to encoding/json.
func splitObject(b []byte, fields []Field, raws [][]byte) bool {
	i := skipSpace(b, 0)
	if i == len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	if b[i] == '}' {
		return true
	}
	for {
		end := stringEnd(b, i)
		key, escaped := b[i+1:end-1], hasEscape(b[i+1:end-1])
		if escaped {
			return false
		}
		i = skipSpace(b, skipSpace(b, end)+1) // past the colon
		vend := valueEnd(b, i)
		for j := range fields {
			if fields[j].name == string(key) {
				raws[j] = b[i:vend]
			}
		}
		i = skipSpace(b, vend)
		if b[i] == '}' {
			return true
		}
		i = skipSpace(b, i+1) // past the comma
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd is the index just past the valid JSON string starting at i.
func stringEnd(b []byte, i int) int {
	for i++; b[i] != '"'; i++ {
		if b[i] == '\\' {
			i++
		}
	}
	return i + 1
}

// valueEnd is the index just past the valid JSON value starting at i.
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; ; i++ {
			switch b[i] {
			case '"':
				i = stringEnd(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
		i++
	}
	return i
}

// hasEscape reports whether the inside of a JSON string has an escape.
func hasEscape(s []byte) bool {
	for _, c := range s {
		if c == '\\' {
			return true
		}
	}
	return false
}

// plainString is the JSON string b when it is printable ASCII without
// escapes, which is the same in Go as in JSON.
func plainString(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	for _, c := range b[1 : len(b)-1] {
		if c < 0x20 || c > 0x7e || c == '\\' || c == '"' {
			return "", false
		}
	}
	return string(b[1 : len(b)-1]), true
}

// decodeFast decodes the valid JSON value raw into ptr when its type and
// raw's form are common and simple, and reports whether it did. When it
// reports false, ptr is unchanged or about to be decoded again, and the
// caller decodes with encoding/json.
func decodeFast(raw []byte, ptr any) bool {
	switch p := ptr.(type) {
	case *string:
		s, ok := plainString(raw)
		if ok {
			*p = s
		}
		return ok
	case *int64:
		n, ok := parseInt(raw, 64)
		if ok {
			*p = n
		}
		return ok
	case *int32:
		n, ok := parseInt(raw, 32)
		if ok {
			*p = int32(n)
		}
		return ok
	case *bool:
		switch string(raw) {
		case "true":
			*p = true
		case "false":
			*p = false
		default:
			return false
		}
		return true
	case *time.Time:
		return raw[0] == '"' && p.UnmarshalJSON(raw) == nil
	case **string:
		return fastPointer(raw, p)
	case **int64:
		return fastPointer(raw, p)
	case **int32:
		return fastPointer(raw, p)
	case **bool:
		return fastPointer(raw, p)
	case **time.Time:
		return fastPointer(raw, p)
	case json.Unmarshaler:
		// Generated types, whose errors encoding/json would return as
		// they are; decoding again on failure gives the same error.
		return p.UnmarshalJSON(raw) == nil
	}
	return false
}

// fastPointer is decodeFast for an optional field, whose Go type is a
// pointer.
func fastPointer[T any](raw []byte, p **T) bool {
	v := new(T)
	if !decodeFast(raw, v) {
		return false
	}
	*p = v
	return true
}

// parseInt parses raw, a JSON number, as a signed integer of the given
// bits; it reports false for fractions, exponents and overflow, which
// encoding/json then reports.
func parseInt(raw []byte, bits uint) (int64, bool) {
	neg := raw[0] == '-'
	digits := raw
	if neg {
		digits = raw[1:]
	}
	if len(digits) == 0 || len(digits) > 18 {
		return 0, false // 18 digits cannot overflow an int64
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	if bits == 32 && (n < -1<<31 || n > 1<<31-1) {
		return 0, false
	}
	return n, true
}

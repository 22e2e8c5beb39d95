package schema

import (
	"fmt"
	"go/token"
	"regexp"
	"strings"
	"unicode"
)

// The shapes of names in a contract.
var (
	serviceNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	upperCamelRE  = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)
	lowerSnakeRE  = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	goPackageRE   = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
)

// initialisms are written in capitals in Go names (user_id -> UserID). The
// list is staticcheck's (ST1003), so generated code passes the usual linters.
var initialisms = map[string]bool{
	"ACL": true, "AMQP": true, "API": true, "ASCII": true, "CPU": true, "CSS": true,
	"DB": true, "DNS": true, "EOF": true, "GID": true, "GUID": true, "HTML": true,
	"HTTP": true, "HTTPS": true, "ID": true, "IP": true, "JSON": true, "QPS": true,
	"RAM": true, "RPC": true, "RTP": true, "SIP": true, "SLA": true, "SMTP": true,
	"SQL": true, "SSH": true, "TCP": true, "TLS": true, "TS": true, "TTL": true,
	"UDP": true, "UI": true, "UID": true, "URI": true, "URL": true, "UTF8": true,
	"UUID": true, "VM": true, "XML": true, "XMPP": true, "XSRF": true, "XSS": true,
}

// goName turns a lower_snake name into an exported Go name with Go's
// initialisms: user_id -> UserID, api_url -> APIURL, user_ids -> UserIDs.
func goName(snake string) string {
	var b strings.Builder
	for _, part := range strings.Split(snake, "_") {
		b.WriteString(goWord(part))
	}
	return b.String()
}

// goWord capitalises one word of a lower_snake name.
func goWord(w string) string {
	if w == "" {
		return ""
	}
	up := strings.ToUpper(w)
	if initialisms[up] {
		return up
	}
	// A plural initialism keeps a lower-case s, as Go code writes it: IDs, URLs.
	if stem := up[:len(up)-1]; strings.HasSuffix(w, "s") && len(stem) > 1 && initialisms[stem] {
		return stem + "s"
	}
	return up[:1] + w[1:]
}

// camelToSnake suggests a lower_snake spelling of a name written in another
// case, for error messages: UserID -> user_id, userName -> user_name.
func camelToSnake(s string) string {
	runes := []rune(s)
	var b strings.Builder
	for i, r := range runes {
		switch {
		case isSeparator(r):
			b.WriteByte('_')
		case unicode.IsUpper(r):
			if i > 0 && !isSeparator(runes[i-1]) && (!unicode.IsUpper(runes[i-1]) || i+1 < len(runes) && unicode.IsLower(runes[i+1])) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.FieldsFunc(b.String(), isSeparator), "_")
}

func isSeparator(r rune) bool { return r == '_' || r == '-' || r == ' ' || r == '.' }

// snakeHint says how to write a lower_snake name, with a suggestion when
// one can be derived from the bad name.
func snakeHint(bad string, valid *regexp.Regexp) string {
	if s := camelToSnake(bad); s != bad && valid.MatchString(s) {
		return fmt.Sprintf("use lower_snake_case, such as %q", s)
	}
	return "use lower_snake_case: lower case letters and digits in words joined by single underscores, starting with a letter"
}

// camelHint says how to write an UpperCamelCase name, with a suggestion
// when one can be derived from the bad name.
func camelHint(bad string) string {
	if s := snakeToCamel(bad); s != bad && upperCamelRE.MatchString(s) {
		return fmt.Sprintf("use UpperCamelCase, such as %q", s)
	}
	return "use UpperCamelCase: letters and digits, starting with a capital letter"
}

// snakeToCamel suggests an UpperCamelCase spelling, for error messages.
func snakeToCamel(s string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(s, isSeparator) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// predeclared are Go's predeclared identifiers. A package named like one
// would shadow it in every file that imports the package.
var predeclared = map[string]bool{
	"any": true, "append": true, "bool": true, "byte": true, "cap": true, "clear": true,
	"close": true, "comparable": true, "complex": true, "complex128": true, "complex64": true,
	"copy": true, "delete": true, "error": true, "false": true, "float32": true,
	"float64": true, "imag": true, "int": true, "int16": true, "int32": true, "int64": true,
	"int8": true, "iota": true, "len": true, "make": true, "max": true, "min": true,
	"new": true, "nil": true, "panic": true, "print": true, "println": true, "real": true,
	"recover": true, "rune": true, "string": true, "true": true, "uint": true,
	"uint16": true, "uint32": true, "uint64": true, "uint8": true, "uintptr": true,
}

// goPackageNameProblem says why name cannot be a generated package's name,
// or returns "" when it can.
func goPackageNameProblem(name string) string {
	switch {
	case !goPackageRE.MatchString(name):
		return "a Go package name is lower case letters, digits and underscores, starting with a letter"
	case token.IsKeyword(name):
		return "it is a Go keyword"
	case predeclared[name]:
		return "it is a predeclared Go identifier and would shadow it where the package is imported"
	case name == "main" || name == "_":
		return "a generated package must be importable"
	}
	return ""
}

// clash describes two Go names that collide: equal, or equal but for case.
func clash(a, b string) string {
	if a == b {
		return "both become the Go name " + a
	}
	return "become the Go names " + a + " and " + b + ", which differ only in case"
}

package topology

import (
	"regexp"
	"testing"
)

// TestRegexMatchesExactlyItsNames checks the regular expressions RabbitMQ
// gets: each granted name matches whole, and nothing else does, neither a
// longer name with the same prefix nor one a bare dot would match.
func TestRegexMatchesExactlyItsNames(t *testing.T) {
	grants := []Grant{{Name: "shop.users"}, {Name: "amq.default"}, {Name: "shop-2.users.log"}}
	re := regexp.MustCompile(Regex(grants))
	cases := []struct {
		name string
		want bool
	}{
		{"shop.users", true},
		{"amq.default", true},
		{"shop-2.users.log", true},
		{"shop.users.dlq", false},
		{"shopXusers", false},
		{"xshop.users", false},
		{"amq.default2", false},
		{"", false},
	}
	for _, c := range cases {
		if got := re.MatchString(c.name); got != c.want {
			t.Errorf("%s matches %q: %v, want %v", re, c.name, got, c.want)
		}
	}
	if none := Regex(nil); none != "^$" {
		t.Errorf("no grants: %q, want ^$", none)
	}
}

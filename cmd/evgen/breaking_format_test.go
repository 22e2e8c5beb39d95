package main

import (
	"testing"

	"github.com/evgenhq/evgen/compat"
	"github.com/evgenhq/evgen/schema"
)

// TestGithubCommand pins the escaping of workflow commands: a property
// may not hold ":" or ",", and no part may hold a raw newline or "%".
func TestGithubCommand(t *testing.T) {
	breaking := []compat.Effect{{Mode: compat.Live, Services: []string{"b"}, Why: "100% lost"}}
	for _, tc := range []struct {
		name string
		f    compat.Finding
		want string
	}{
		{"error", compat.Finding{Rule: "FIELD_REMOVED", Pos: schema.Pos{File: "a,b:c.yaml", Line: 3, Col: 5}, Msg: "x\ny", Effects: breaking},
			"::error file=a%2Cb%3Ac.yaml,line=3,col=5,title=FIELD_REMOVED::x%0Ay; live: b (100%25 lost)"},
		{"note", compat.Finding{Rule: "FIELD_REMOVED", Pos: schema.Pos{File: "a.yaml", Line: 1, Col: 1}, Msg: "m"},
			"::notice file=a.yaml,line=1,col=1,title=FIELD_REMOVED::note: m; no service in the set is affected"},
		{"allowed", compat.Finding{Rule: "FIELD_REMOVED", Pos: schema.Pos{File: "a.yaml", Line: 1, Col: 1}, Msg: "m", Effects: breaking, Allowed: true},
			"::notice file=a.yaml,line=1,col=1,title=FIELD_REMOVED::allowed: m; live: b (100%25 lost)"},
		{"earlier revision", compat.Finding{Rule: "EVENT_REMOVED", Pos: schema.Pos{File: "HEAD~1:c/users.yaml", Line: 4, Col: 3}, Msg: "m"},
			"::notice file=c/users.yaml,line=4,col=3,title=EVENT_REMOVED::note: m; no service in the set is affected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := githubCommand(&tc.f, "HEAD~1"); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

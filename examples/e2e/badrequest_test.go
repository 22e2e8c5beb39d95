package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/evgenhq/evgen/examples/demo/cluster"
)

// Nothing a client sends crashes a service: bad requests get a 4xx with a
// JSON error saying what is wrong, and the services keep answering.
func TestBadRequests(t *testing.T) {
	c := start(t)
	u := register(t, c, "frank@example.com")
	users, billing := c.Users.URL(), c.Billing.URL()
	tests := []struct {
		name, method, url, body string
		status                  int
		says                    string
	}{
		{"not JSON", "POST", users + "/users", `{"email":`, 400, "not valid JSON"},
		{"empty body", "POST", users + "/users", ``, 400, "body is empty"},
		{"array", "POST", users + "/users", `[]`, 400, "must be a JSON object"},
		{"unknown field", "POST", users + "/users", `{"email":"a@b.example","plan":"pro","admin":true}`, 400, `unknown field "admin"`},
		{"bad email and plan", "POST", users + "/users", `{"email":"nope","plan":"gold"}`, 400, `plan "gold" is not one of free, pro, enterprise`},
		{"missing plan", "POST", users + "/users", `{"email":"a@b.example"}`, 400, "email and plan are required"},
		{"wrong type", "POST", users + "/users", `{"email":5,"plan":"pro"}`, 400, `field "email" must be string`},
		{"two objects", "POST", users + "/users", `{"email":"a@b.example","plan":"pro"}{}`, 400, "nothing after it"},
		{"too large", "POST", users + "/users", `{"name":"` + strings.Repeat("x", 70<<10) + `"}`, 413, "larger than"},
		{"id not a UUID", "GET", users + "/users/42", ``, 400, "not a UUID"},
		{"no such user", "GET", users + "/users/00000000-0000-4000-8000-000000000000", ``, 404, "no user"},
		{"empty patch", "PATCH", users + "/users/" + u.ID, `{}`, 400, "nothing to change"},
		{"no such endpoint", "PUT", users + "/users", ``, 404, "no endpoint"},
		{"negative amount", "POST", billing + "/invoices", `{"user_id":"` + u.ID + `","amount_cents":-5}`, 400, "amount_cents must be between"},
		{"huge amount", "POST", billing + "/invoices", `{"user_id":"` + u.ID + `","amount_cents":1e40}`, 400, `field "amount_cents"`},
		{"unknown customer", "POST", billing + "/invoices", `{"user_id":"00000000-0000-4000-8000-000000000000","amount_cents":5}`, 404, "no customer"},
		{"invoice id not a UUID", "POST", billing + "/invoices/x/pay", ``, 400, "not a UUID"},
		{"no such invoice", "POST", billing + "/invoices/00000000-0000-4000-8000-000000000000/pay", ``, 404, "not found"},
		{"resync from a stranger", "POST", billing + "/admin/resync", `{"producer":"mailer"}`, 400, `billing consumes from ["users"] only`},
		{"resync key not a UUID", "POST", billing + "/admin/resync", `{"producer":"users","keys":["42"]}`, 400, `key "42" is not a UUID`},
		{"fail with bad reason", "POST", billing + "/invoices/00000000-0000-4000-8000-000000000000/fail", `{"reason":""}`, 400, "reason must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, tt.url, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			var e struct{ Error string }
			if err := json.Unmarshal(data, &e); err != nil || resp.StatusCode != tt.status || !strings.Contains(e.Error, tt.says) {
				t.Errorf("got %d %s, want %d with an error saying %q", resp.StatusCode, data, tt.status, tt.says)
			}
		})
	}
	for _, api := range []*cluster.Client{c.Users.Client, c.Billing.Client} {
		if !api.Healthy(ctx) {
			t.Errorf("%s stopped answering", api.URL())
		}
	}
}

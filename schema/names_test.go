package schema

import "testing"

func TestGoName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"user_id", "UserID"},
		{"api_url", "APIURL"},
		{"http_status", "HTTPStatus"},
		{"id", "ID"},
		{"user_ids", "UserIDs"},
		{"urls", "URLs"},
		{"in_progress", "InProgress"},
		{"created_at", "CreatedAt"},
		{"utf8_name", "UTF8Name"},
		{"x", "X"},
		{"a1_b2", "A1B2"},
		{"status", "Status"},
		{"json_payload", "JSONPayload"},
	} {
		if got := goName(tc.in); got != tc.want {
			t.Errorf("goName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDidYouMean(t *testing.T) {
	for _, tc := range []struct {
		got        string
		candidates []string
		want       string
	}{
		{"uuidd", builtinNames, ` (did you mean "uuid"?)`},
		{"feilds", eventKeys, ` (did you mean "fields"?)`},
		{"Timestamp", builtinNames, ` (did you mean "timestamp"?)`},
		{"image", builtinNames, ""},
		{"x", []string{"y"}, ` (did you mean "y"?)`},
		{"string", builtinNames, ""},
	} {
		if got := didYouMean(tc.got, tc.candidates); got != tc.want {
			t.Errorf("didYouMean(%q) = %q, want %q", tc.got, got, tc.want)
		}
	}
}

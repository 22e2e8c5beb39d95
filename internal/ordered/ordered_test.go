package ordered

import "testing"

func TestMembersKeepTheirOrder(t *testing.T) {
	m := New().Set("z", 1).Set("a", New().Set("y", "<&>").Set("b", []string{"x"})).Set("z", 2)
	m.Merge(New().Set("m", true).Set("a", "again"))
	js, err := JSON(m)
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"z\": 2,\n  \"a\": \"again\",\n  \"m\": true\n}\n"; string(js) != want {
		t.Errorf("JSON = %q, want %q", js, want)
	}
	nested := New().Set("z", 1).Set("a", New().Set("y", "<&>").Set("b", []string{"x"}))
	js, _ = JSON(nested)
	if want := "{\n  \"z\": 1,\n  \"a\": {\n    \"y\": \"<&>\",\n    \"b\": [\n      \"x\"\n    ]\n  }\n}\n"; string(js) != want {
		t.Errorf("JSON = %q, want %q", js, want)
	}
	ym, err := YAML(nested)
	if err != nil {
		t.Fatal(err)
	}
	if want := "z: 1\na:\n  y: <&>\n  b:\n    - x\n"; string(ym) != want {
		t.Errorf("YAML = %q, want %q", ym, want)
	}
}

package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The demo opens SQLite files only, so it must not link pgx: the stores
// register their openers when imported (runtime/store/open), and pgx was
// about a quarter of the demo's first build when the opener linked every
// store.
func TestDemoDoesNotLinkPostgreSQL(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/evgenhq/evgen/examples/demo").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/jackc/pgx") || pkg == "github.com/evgenhq/evgen/runtime/store/postgres" {
			t.Errorf("the demo links %s", pkg)
		}
	}
}

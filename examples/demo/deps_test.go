package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/evgenhq/evgen/examples/demo/cluster"
)

// The demo opens SQLite files only, so neither it nor the services it
// builds (with cluster.SQLiteOnly) may link pgx: the stores register their
// openers when imported (runtime/store/open), and pgx was about a quarter
// of the demo's first build when the opener linked every store.
func TestDemoDoesNotLinkPostgreSQL(t *testing.T) {
	for _, args := range [][]string{
		{"github.com/evgenhq/evgen/examples/demo"},
		{"-tags", cluster.SQLiteOnly, "github.com/evgenhq/evgen/examples/users", "github.com/evgenhq/evgen/examples/billing"},
	} {
		out, err := exec.Command("go", append([]string{"list", "-deps"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %v: %v\n%s", args, err, out)
		}
		for _, pkg := range strings.Fields(string(out)) {
			if strings.HasPrefix(pkg, "github.com/jackc/pgx") || pkg == "github.com/evgenhq/evgen/runtime/store/postgres" {
				t.Errorf("%v links %s", args, pkg)
			}
		}
	}
}

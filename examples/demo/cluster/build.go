package cluster

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Build compiles the users and billing commands into dir, as dir/users and
// dir/billing, with the build tags given (SQLiteOnly for services that
// open SQLite files only). It runs the go command, so it works from inside
// the module.
func Build(ctx context.Context, dir string, tags ...string) error {
	args := []string{"build", "-o", dir + string(os.PathSeparator)}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	args = append(args, "github.com/evgenhq/evgen/examples/users", "github.com/evgenhq/evgen/examples/billing")
	cmd := exec.CommandContext(ctx, "go", args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build the services: %w\n%s", err, out)
	}
	return nil
}

// SQLiteOnly is the build tag that leaves the PostgreSQL store out of the
// users and billing commands: they then open SQLite files only, and their
// build does not compile pgx (see examples/users/postgres.go).
const SQLiteOnly = "evgen_sqlite_only"

// tail returns the last n lines of the file at path, or why it cannot.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

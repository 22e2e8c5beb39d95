package main

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/breaking/*/stdout.txt and exit.txt from the current output")

const breakingCases = "testdata/breaking/"

// TestBreakingGolden runs evgen breaking -against <case>/before <case>/after
// for each testdata/breaking/<case>, with the flags of <case>/args when
// there is one, and compares stdout with stdout.txt and the exit status
// with exit.txt.
func TestBreakingGolden(t *testing.T) {
	dirs, err := filepath.Glob(breakingCases + "*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no breaking cases: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			args := append([]string{"breaking", "-against", dir + "/before"}, caseArgs(t, dir)...)
			got := runEvgen(t, append(args, dir+"/after")...)
			if *update {
				writeGolden(t, dir, got)
				return
			}
			wantOut, wantCode := readGolden(t, dir)
			if got.stdout != wantOut || got.code != wantCode {
				t.Errorf("exit %d, stdout:\n%s\nwant exit %d, stdout (%s/stdout.txt):\n%s\nstderr:\n%s", got.code, got.stdout, wantCode, dir, wantOut, got.stderr)
			}
		})
	}
}

// caseArgs reads the extra flags of a case, one a line.
func caseArgs(t *testing.T, dir string) []string {
	t.Helper()
	data, err := os.ReadFile(dir + "/args")
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(data))
}

func readGolden(t *testing.T, dir string) (string, int) {
	t.Helper()
	out, err := os.ReadFile(dir + "/stdout.txt")
	if err != nil {
		t.Fatal(err)
	}
	code, err := os.ReadFile(dir + "/exit.txt")
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(code)))
	if err != nil {
		t.Fatalf("%s/exit.txt: %v", dir, err)
	}
	return string(out), n
}

func writeGolden(t *testing.T, dir string, got result) {
	t.Helper()
	if err := os.WriteFile(dir+"/stdout.txt", []byte(got.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/exit.txt", []byte(strconv.Itoa(got.code)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

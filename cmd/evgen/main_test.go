package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/evgenhq/evgen/internal/version"
)

// result is what one in-process run of evgen produced.
type result struct {
	code           int
	stdout, stderr string
}

func runEvgen(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

func TestDispatch(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		code       int
		stdout     string // substring; "" means stdout must be empty
		stderr     string // substring; "" means stderr must be empty
		stdoutFull bool
	}{
		{args: nil, code: exitUsage, stderr: "Usage:\n\n\tevgen <command> [arguments]"},
		{args: []string{"--help"}, code: exitOK, stdout: "\tvalidate   check a contract set"},
		{args: []string{"-h"}, code: exitOK, stdout: "Commands:"},
		{args: []string{"help"}, code: exitOK, stdout: "Run 'evgen help <command>'"},
		{args: []string{"help", "validate"}, code: exitOK, stdout: "usage: evgen validate [-help] path..."},
		{args: []string{"help", "nope"}, code: exitUsage, stderr: `evgen help: unknown command "nope"`},
		{args: []string{"help", "graph"}, code: exitOK, stdout: "usage: evgen graph [-format mermaid|dot] [-service NAME] path..."},
		{args: []string{"graph", "-nope"}, code: exitUsage, stderr: "Run 'evgen graph -help' for usage."},
		{args: []string{"graph", "does/not/exist"}, code: exitUsage, stderr: "evgen graph: "},
		{args: []string{"version"}, code: exitOK, stdout: "evgen " + version.Version + "\n", stdoutFull: true},
		{args: []string{"-version"}, code: exitOK, stdout: "evgen " + version.Version + "\n", stdoutFull: true},
		{args: []string{"--version"}, code: exitOK, stdout: "evgen " + version.Version + "\n", stdoutFull: true},
		{args: []string{"version", "extra"}, code: exitUsage, stderr: "takes no arguments"},
		{args: []string{"frobnicate"}, code: exitUsage, stderr: `evgen: unknown command "frobnicate"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			got := runEvgen(t, tc.args...)
			if got.code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", got.code, tc.code, got.stderr)
			}
			checkStream(t, "stdout", got.stdout, tc.stdout, tc.stdoutFull)
			checkStream(t, "stderr", got.stderr, tc.stderr, false)
		})
	}
}

// checkStream asserts a stream is empty when want is "", equals want when
// full, and contains want otherwise.
func checkStream(t *testing.T, name, got, want string, full bool) {
	t.Helper()
	switch {
	case want == "" && got != "":
		t.Errorf("%s = %q, want it empty", name, got)
	case full && got != want:
		t.Errorf("%s = %q, want %q", name, got, want)
	case !strings.Contains(got, want):
		t.Errorf("%s = %q, want it to contain %q", name, got, want)
	}
}

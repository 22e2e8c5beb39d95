package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitRepo makes a temporary git repository with a commit of the files in
// each of commits, in order, and makes it the working directory.
func gitRepo(t *testing.T, commits ...map[string]string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	t.Chdir(dir)
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("init", "-q")
	run("config", "user.name", "evgen test")
	run("config", "user.email", "test@example.com")
	for i, files := range commits {
		for name, data := range files {
			if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		run("add", "-A")
		run("commit", "-q", "-m", "commit "+string(rune('1'+i)))
	}
}

const (
	gitUsers   = "evgen: 1\nservice: users\nevents:\n  UserRegistered:\n    fields:\n      user_id: uuid\n      email: string\n"
	gitBilling = "evgen: 1\nservice: billing\nconsumes:\n  users: [UserRegistered]\n"
)

// TestBreakingAgainstGitRevision compares the contracts of the second
// commit with the first, read with git: the old side is named rev:path.
func TestBreakingAgainstGitRevision(t *testing.T) {
	gitRepo(t,
		map[string]string{"contracts/users.yaml": gitUsers, "contracts/billing.yaml": gitBilling, "contracts/testdata/bad.yaml": "not: a contract\n"},
		map[string]string{"contracts/users.yaml": strings.Replace(gitUsers, "      email: string\n", "", 1), "contracts/shipping.yaml": "evgen: 1\nservice: shipping\n"},
	)
	want := "contracts/users.yaml:4:3: FIELD_REMOVED: event users.UserRegistered: required field email removed (was HEAD~1:contracts/users.yaml:7:7); live: billing (their deployed decoders require email and reject every new event); code: billing (the generated UserRegistered loses field Email)\n"
	for _, paths := range [][]string{{"contracts"}, {"contracts/"}, {"contracts/..."}, {"./..."}, {"contracts/users.yaml", "contracts/billing.yaml"}} {
		got := runEvgen(t, append([]string{"breaking", "-against", "HEAD~1"}, paths...)...)
		if got.code != exitInvalid || got.stdout != want {
			t.Errorf("%v: exit %d, stdout:\n%s\nstderr:\n%s\nwant exit 1, stdout:\n%s", paths, got.code, got.stdout, got.stderr, want)
		}
	}
	got := runEvgen(t, "breaking", "-against", "HEAD", "contracts")
	if got.code != exitOK || got.stdout != "" {
		t.Errorf("against HEAD: exit %d, stdout %q, stderr %q, want no findings", got.code, got.stdout, got.stderr)
	}
	got = runEvgen(t, "breaking", "-against", "HEAD~2", "contracts")
	if got.code != exitUsage || got.stderr != "evgen breaking: -against HEAD~2: neither a directory nor a git revision\n" {
		t.Errorf("against HEAD~2: exit %d, stderr %q", got.code, got.stderr)
	}
}

// TestBreakingAgainstGitNewContracts: paths that did not exist at the
// revision contribute nothing, and nothing can break.
func TestBreakingAgainstGitNewContracts(t *testing.T) {
	gitRepo(t, map[string]string{"README": "x\n"}, map[string]string{"contracts/users.yaml": gitUsers})
	got := runEvgen(t, "breaking", "-against", "HEAD~1", "contracts")
	want := "evgen breaking: no contracts at HEAD~1 under the given paths; nothing to compare\n"
	if got.code != exitOK || got.stdout != "" || got.stderr != want {
		t.Errorf("exit %d, stdout %q, stderr %q, want exit 0 and %q", got.code, got.stdout, got.stderr, want)
	}
}

// TestBreakingAgainstGitInvalidEarlier: an invalid contract at the
// revision is reported under its rev:path name.
func TestBreakingAgainstGitInvalidEarlier(t *testing.T) {
	gitRepo(t, map[string]string{"c/users.yaml": "evgen: 1\nservice: Users\n"}, map[string]string{"c/users.yaml": gitUsers})
	got := runEvgen(t, "breaking", "-against", "HEAD~1", "c")
	want := "evgen breaking: the contracts at HEAD~1 are invalid:\nHEAD~1:c/users.yaml:2:10: bad service name \"Users\""
	if got.code != exitUsage || !strings.HasPrefix(got.stderr, want) {
		t.Errorf("exit %d, stderr %q, want exit 2 and %q...", got.code, got.stderr, want)
	}
}

// TestBreakingAgainstGitOversized: a huge file at the revision is read
// only up to the limit and rejected as the loader rejects it on disk.
func TestBreakingAgainstGitOversized(t *testing.T) {
	gitRepo(t, map[string]string{"c/users.yaml": "# " + strings.Repeat("x", 3<<20) + "\n" + gitUsers}, map[string]string{"c/users.yaml": gitUsers})
	got := runEvgen(t, "breaking", "-against", "HEAD~1", "c")
	want := "evgen breaking: the contracts at HEAD~1 are invalid:\nHEAD~1:c/users.yaml:1:1: file is larger than the 1 MiB limit for a contract file\n"
	if got.code != exitUsage || got.stderr != want {
		t.Errorf("exit %d, stderr %q, want exit 2 and %q", got.code, got.stderr, want)
	}
}

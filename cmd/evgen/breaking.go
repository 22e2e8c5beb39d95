package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/evgenhq/evgen/compat"
	"github.com/evgenhq/evgen/schema"
)

const breakingUsage = `usage: evgen breaking -against ref [-allow RULE[,RULE]] [-format text|json|github] path...

Breaking compares a contract set with an earlier one and reports every
change that breaks a service of the set, one a line, sorted:

	path:line:col: RULE: message; live|replay|code: services (how)

live: consumers built from the earlier contract read the events the
producer now sends. replay: consumers built from the later contract read
the events written before, still in the event log. code: Go code over the
generated package no longer compiles. A change that breaks no service of
the set is printed as a note ("RULE: note: ...") and does not fail.

The position is in the later contract; a removal points at what held the
removed part and says where it was.

Paths are as for evgen validate. The earlier set is ref:
  a directory     (or dir/...), loaded as evgen validate loads it
  a git revision  (main, HEAD~1, a tag): the same paths, read from that
                  revision with git; paths that did not exist there
                  contribute nothing

Flags:
  -against ref        the earlier contract set; required
  -allow RULE,...     accept the breaking changes of these rules: they are
                      printed as "allowed" and do not fail
  -format f           text (default), json, or github (GitHub Actions
                      workflow commands: ::error for breaks, ::notice for
                      notes and allowed breaks)

Rules:
%s
The rules, how each break shows and how to avoid it: docs/evolution.md.

Exit status: 0 when nothing breaks (or every break is allowed), 1 when
something does, 2 for a usage error: a bad flag, an unknown rule, a ref
that is neither a directory nor a git revision, or an invalid contract set
on either side (its problems go to stderr).
`

// breakingFlags are the parsed flags of evgen breaking.
type breakingFlags struct {
	against string
	allow   []string
	format  string
	paths   []string
}

// runBreaking is `evgen breaking`.
func runBreaking(args []string, stdout, stderr io.Writer) int {
	bf, code, ok := parseBreaking(args, stdout, stderr)
	if !ok {
		return code
	}
	later, err := loadLater(bf.paths)
	if err != nil {
		return setError(stderr, "the contracts", "", err)
	}
	earlier, err := loadEarlier(bf.against, bf.paths, stderr)
	if err != nil {
		return setError(stderr, "the contracts at "+bf.against, "-against "+bf.against+": ", err)
	}
	findings, err := compat.Compare(earlier, later.set)
	if err != nil {
		return setError(stderr, "the contracts", "", later.strictErr)
	}
	if err := compat.Allow(findings, bf.allow); err != nil {
		return breakingUsageError(stderr, err.Error())
	}
	if err := writeFindings(stdout, bf.format, bf.against, findings); err != nil {
		fmt.Fprintf(stderr, "evgen breaking: %v\n", err)
		return exitUsage
	}
	return breakingStatus(stderr, bf.against, findings)
}

// parseBreaking parses the flags; when ok is false the command ends with
// code.
func parseBreaking(args []string, stdout, stderr io.Writer) (bf breakingFlags, code int, ok bool) {
	fs := flag.NewFlagSet("breaking", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	fs.StringVar(&bf.against, "against", "", "the earlier contract set: a directory or a git revision")
	allow := fs.String("allow", "", "rules whose breaking changes are accepted, comma-separated")
	fs.StringVar(&bf.format, "format", "text", "text, json or github")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stdout, breakingUsage, ruleList())
			return bf, exitOK, false
		}
		return bf, breakingUsageError(stderr, ""), false
	}
	bf.paths = fs.Args()
	for _, r := range strings.Split(*allow, ",") {
		if r = strings.TrimSpace(r); r != "" {
			bf.allow = append(bf.allow, r)
		}
	}
	switch {
	case bf.against == "":
		return bf, breakingUsageError(stderr, "-against is required: the directory or git revision to compare with"), false
	case len(bf.paths) == 0:
		return bf, breakingUsageError(stderr, "no contract paths given"), false
	case !slices.Contains(formats, bf.format):
		return bf, breakingUsageError(stderr, fmt.Sprintf("unknown -format %q; use text, json or github", bf.format)), false
	}
	if err := compat.Allow(nil, bf.allow); err != nil {
		return bf, breakingUsageError(stderr, "-allow: "+err.Error()), false
	}
	return bf, exitOK, true
}

// ruleList is the rules for the help text, one a line.
func ruleList() string {
	var b strings.Builder
	for _, r := range compat.Rules {
		fmt.Fprintf(&b, "  %-26s %s\n", r.Name, r.Summary)
	}
	return b.String()
}

func breakingUsageError(stderr io.Writer, msg string) int {
	if msg != "" {
		fmt.Fprintln(stderr, "evgen breaking: "+msg)
	}
	fmt.Fprintln(stderr, "Run 'evgen breaking -help' for usage.")
	return exitUsage
}

// setError reports a set that could not be loaded: the problems of the
// set named what, or, after prefix, why it could not be read.
func setError(stderr io.Writer, what, prefix string, err error) int {
	var invalid *schema.Errors
	if errors.As(err, &invalid) {
		fmt.Fprintf(stderr, "evgen breaking: %s are invalid:\n%s\n", what, invalid.Error())
		return exitUsage
	}
	fmt.Fprintf(stderr, "evgen breaking: %s%v\n", prefix, err)
	return exitUsage
}

// breakingStatus is the exit status, with a line on stderr when a break
// is not allowed.
func breakingStatus(stderr io.Writer, against string, findings []*compat.Finding) int {
	var rules []string
	n := 0
	for _, f := range findings {
		if f.Breaking() && !f.Allowed {
			n++
			if !slices.Contains(rules, f.Rule) {
				rules = append(rules, f.Rule)
			}
		}
	}
	if n == 0 {
		return exitOK
	}
	fmt.Fprintf(stderr, "evgen breaking: %s against %s; fix them, or accept them with -allow %s\n",
		plural(n, "breaking change"), against, strings.Join(rules, ","))
	return exitInvalid
}

// laterSet is the set the paths name, loaded so that a consumer of an
// event its producer dropped is a finding rather than an invalid set;
// strictErr is what Load reported, printed when no rule explains it.
type laterSet struct {
	set       *schema.Set
	strictErr error
}

func loadLater(paths []string) (laterSet, error) {
	srcs, err := schema.ReadSources(paths...)
	if err != nil {
		return laterSet{}, err
	}
	set, strictErr := schema.LoadSources(srcs...)
	if strictErr == nil {
		return laterSet{set: set}, nil
	}
	set, err = schema.LoadSourcesWith(schema.LoadOptions{KeepUnresolved: true}, srcs...)
	if err != nil {
		return laterSet{}, strictErr
	}
	return laterSet{set: set, strictErr: strictErr}, nil
}

// loadEarlier loads the set to compare with: ref as a directory if there
// is one of that name, else as a git revision.
func loadEarlier(ref string, paths []string, stderr io.Writer) (*schema.Set, error) {
	dir, recursive := strings.CutSuffix(ref, "/...")
	if info, err := os.Stat(dir); err == nil && (info.IsDir() || !recursive) {
		return schema.Load(ref)
	}
	srcs, err := gitSources(ref, paths)
	if err != nil {
		return nil, err
	}
	if len(srcs) == 0 {
		fmt.Fprintf(stderr, "evgen breaking: no contracts at %s under the given paths; nothing to compare\n", ref)
		return &schema.Set{}, nil
	}
	return schema.LoadSources(srcs...)
}

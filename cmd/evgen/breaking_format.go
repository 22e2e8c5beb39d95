package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/evgenhq/evgen/compat"
)

// formats are the values of evgen breaking -format.
var formats = []string{"text", "json", "github"}

// writeFindings prints the findings in the format asked for; rev is the
// -against argument, whose files a git revision names rev:path.
func writeFindings(w io.Writer, format, rev string, findings []*compat.Finding) error {
	switch format {
	case "json":
		return writeJSON(w, findings)
	case "github":
		for _, f := range findings {
			fmt.Fprintln(w, githubCommand(f, rev))
		}
		return nil
	}
	for _, f := range findings {
		fmt.Fprintln(w, f.String())
	}
	return nil
}

// jsonFinding is a finding in -format json.
type jsonFinding struct {
	Rule     string          `json:"rule"`
	Severity string          `json:"severity"` // "error" or "note"
	Allowed  bool            `json:"allowed"`
	File     string          `json:"file"`
	Line     int             `json:"line"`
	Col      int             `json:"col"`
	Message  string          `json:"message"`
	Effects  []compat.Effect `json:"effects"`
}

func writeJSON(w io.Writer, findings []*compat.Finding) error {
	out := struct {
		Findings []jsonFinding `json:"findings"`
	}{Findings: []jsonFinding{}}
	for _, f := range findings {
		severity := "note"
		if f.Breaking() {
			severity = "error"
		}
		out.Findings = append(out.Findings, jsonFinding{
			Rule: f.Rule, Severity: severity, Allowed: f.Allowed,
			File: f.Pos.File, Line: f.Pos.Line, Col: f.Pos.Col,
			Message: f.Msg, Effects: append([]compat.Effect{}, f.Effects...),
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// githubCommand is a finding as a GitHub Actions workflow command: an
// error annotation for a break, a notice for a note or an allowed break.
// A finding in a file of the git revision rev (rev:path) is annotated on
// path.
func githubCommand(f *compat.Finding, rev string) string {
	level := "error"
	if !f.Breaking() || f.Allowed {
		level = "notice"
	}
	file := strings.TrimPrefix(f.Pos.File, rev+":")
	text := strings.TrimPrefix(f.String(), f.Pos.String()+": "+f.Rule+": ")
	return fmt.Sprintf("::%s file=%s,line=%d,col=%d,title=%s::%s",
		level, escapeProperty(file), f.Pos.Line, f.Pos.Col, f.Rule, escapeData(text))
}

// escapeData and escapeProperty escape as the Actions runner unescapes.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

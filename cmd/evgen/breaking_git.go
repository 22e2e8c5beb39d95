package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path"
	"slices"
	"strings"

	"github.com/evgenhq/evgen/schema"
)

// gitSources reads the contract files that paths name at the git
// revision rev, expanding them as schema.Load expands them on disk. Each
// source is named rev:path, so positions say which side they are on.
func gitSources(rev string, paths []string) ([]schema.Source, error) {
	if strings.HasPrefix(rev, "-") {
		return nil, errors.New("neither a directory nor a git revision")
	}
	if _, err := git("rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}"); err != nil {
		msg := "neither a directory nor a git revision"
		if !errors.Is(err, errGitFailed) {
			msg += " (" + err.Error() + ")"
		}
		return nil, errors.New(msg)
	}
	var files []string
	for _, p := range paths {
		found, err := gitFiles(rev, p)
		if err != nil {
			return nil, err
		}
		files = append(files, found...)
	}
	slices.Sort(files)
	files = slices.Compact(files)
	srcs := make([]schema.Source, 0, len(files))
	for _, f := range files {
		data, err := readBlob(rev, f)
		if err != nil {
			return nil, fmt.Errorf("read %s at %s: %w", f, rev, err)
		}
		srcs = append(srcs, schema.Source{Name: rev + ":" + f, Data: data})
	}
	return srcs, nil
}

// readBlob reads a file at rev, at most one byte past the size limit of a
// contract: enough for the loader to reject an oversized one without
// holding all of it.
func readBlob(rev, f string) ([]byte, error) {
	cmd := exec.Command("git", "cat-file", "blob", rev+":./"+f)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("git cat-file: %w", err)
	}
	data, readErr := io.ReadAll(io.LimitReader(out, schema.MaxFileSize+1))
	if len(data) > schema.MaxFileSize {
		_ = cmd.Process.Kill() // the rest is not needed: the loader rejects the file
		_ = cmd.Wait()
		return data, nil
	}
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("git cat-file: %s", firstLine(strings.TrimSpace(stderr.String()+" "+err.Error())))
	}
	return data, readErr
}

// gitFiles lists the contract files one path names at rev: a file, a
// directory's *.yaml and *.yml files, or for dir/... every one below dir
// outside testdata and directories starting with . or _. A path missing
// at rev names nothing: the contract is new.
func gitFiles(rev, p string) ([]string, error) {
	if dir, ok := strings.CutSuffix(p, "..."); ok && (dir == "" || strings.HasSuffix(dir, "/")) {
		dir = path.Clean(dir + ".")
		entries, err := lsTree(rev, "-r", dir)
		if err != nil {
			return nil, err
		}
		var files []string
		for _, e := range entries {
			if e.blob && schema.IsContractFile(e.name) && !skipped(dir, e.name) {
				files = append(files, e.name)
			}
		}
		return files, nil
	}
	entries, err := lsTree(rev, path.Clean(p))
	if err != nil || len(entries) != 1 {
		return nil, err
	}
	if entries[0].blob {
		return []string{entries[0].name}, nil
	}
	children, err := lsTree(rev, path.Clean(p)+"/")
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range children {
		if e.blob && schema.IsContractFile(e.name) {
			files = append(files, e.name)
		}
	}
	return files, nil
}

// skipped reports whether a file below dir is in a directory that dir/...
// skips.
func skipped(dir, name string) bool {
	rel := strings.TrimPrefix(name, dir+"/")
	if dir == "." {
		rel = name
	}
	elems := strings.Split(rel, "/")
	return slices.ContainsFunc(elems[:len(elems)-1], schema.SkipsDir)
}

// treeEntry is one line of git ls-tree: a path relative to the working
// directory, and whether it is a file.
type treeEntry struct {
	name string
	blob bool
}

func lsTree(rev string, args ...string) ([]treeEntry, error) {
	pathspec := args[len(args)-1]
	cmdArgs := append(append([]string{"ls-tree", "-z"}, args[:len(args)-1]...), rev, "--", pathspec)
	out, err := git(cmdArgs...)
	if err != nil {
		return nil, fmt.Errorf("list %s at %s: %w", pathspec, rev, err)
	}
	var entries []treeEntry
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		meta, name, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		fields := strings.Fields(meta)
		entries = append(entries, treeEntry{name: name, blob: len(fields) == 3 && fields[1] == "blob"})
	}
	return entries, nil
}

// errGitFailed is the error of a git command that failed without a word.
var errGitFailed = errors.New("git failed")

// git runs a git command in the working directory and returns its output;
// an error carries what git said.
func git(args ...string) ([]byte, error) {
	cmd := exec.Command("git", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	switch msg := strings.TrimSpace(stderr.String()); {
	case err == nil:
		return out, nil
	case errors.As(err, &exit) && msg == "":
		return nil, errGitFailed
	case errors.As(err, &exit):
		return nil, fmt.Errorf("git %s: %s", args[0], firstLine(msg))
	}
	return nil, fmt.Errorf("git %s: %w", args[0], err)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

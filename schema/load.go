package schema

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Source is one contract file held in memory: Name is the path printed in
// error positions, Data its content.
type Source struct {
	Name string
	Data []byte
}

// Load reads a contract set from files and directories and validates it.
// A directory contributes its *.yaml and *.yml files (not recursively); a
// path ending in "/..." contributes every such file below it, skipping
// testdata and directories whose name starts with "." or "_", as the go
// command does. Files are loaded in sorted order, each once.
//
// An invalid set yields *Errors with every problem found. A path that
// cannot be read yields a plain error wrapping the fs error.
func Load(paths ...string) (*Set, error) {
	srcs, err := ReadSources(paths...)
	if err != nil {
		return nil, err
	}
	return LoadSources(srcs...)
}

// ReadSources reads the contract files that paths name, as Load does,
// without validating them: for callers that load the same files in more
// than one way.
func ReadSources(paths ...string) ([]Source, error) {
	files, err := contractFiles(paths)
	if err != nil {
		return nil, err
	}
	srcs := make([]Source, 0, len(files))
	for _, f := range files {
		data, err := readLimited(f)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, Source{Name: f, Data: data})
	}
	return srcs, nil
}

// LoadSources validates a contract set held in memory; it is Load without
// the file system, for tests, fuzzing and editors.
func LoadSources(srcs ...Source) (*Set, error) {
	return LoadSourcesWith(LoadOptions{}, srcs...)
}

// LoadOptions relaxes what LoadSourcesWith accepts; the zero value is
// LoadSources.
type LoadOptions struct {
	// KeepUnresolved records a consumes entry that names a service missing
	// from the set, or an event its producer does not declare, in
	// Service.Unresolved instead of reporting it as an error. evgen
	// breaking uses it to report a consumer whose producer dropped an
	// event as a breaking change rather than an invalid set.
	KeepUnresolved bool
}

// LoadSourcesWith is LoadSources with options.
func LoadSourcesWith(opts LoadOptions, srcs ...Source) (*Set, error) {
	if len(srcs) == 0 {
		return nil, errors.New("no contract files given")
	}
	l := &loader{opts: opts}
	return l.load(srcs)
}

// contractFiles expands paths into the sorted, de-duplicated list of files.
func contractFiles(paths []string) ([]string, error) {
	if len(paths) == 0 {
		return nil, errors.New("no contract files given")
	}
	seen := map[string]bool{}
	var files []string
	for _, p := range paths {
		found, err := expand(p)
		if err != nil {
			return nil, err
		}
		for _, f := range found {
			if !seen[filepath.Clean(f)] {
				seen[filepath.Clean(f)] = true
				files = append(files, f)
			}
		}
	}
	sort.Strings(files)
	return files, nil
}

// expand lists the contract files one path names.
func expand(p string) ([]string, error) {
	if dir, ok := strings.CutSuffix(p, "..."); ok && (dir == "" || strings.HasSuffix(dir, "/")) {
		return walk(filepath.Clean(dir + "."))
	}
	info, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("load contracts: %w", err)
	}
	if !info.IsDir() {
		return []string{p}, nil
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		return nil, fmt.Errorf("load contracts: %w", err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && IsContractFile(e.Name()) {
			files = append(files, filepath.Join(p, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("load contracts: no *.yaml or *.yml files in directory %s", p)
	}
	return files, nil
}

// walk lists the contract files below root, as the go command walks "./...".
func walk(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && SkipsDir(d.Name()) {
			return filepath.SkipDir
		}
		if !d.IsDir() && IsContractFile(d.Name()) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load contracts: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("load contracts: no *.yaml or *.yml files below %s", root)
	}
	return files, nil
}

// SkipsDir reports whether a "dir/..." path skips directories of this
// name below dir, as the go command does; for listers of other trees
// (a git revision) that must expand paths as Load does.
func SkipsDir(name string) bool {
	return name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// IsContractFile reports whether a directory contributes a file of this
// name to a set: *.yaml and *.yml.
func IsContractFile(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

// readLimited reads at most MaxFileSize+1 bytes of a file: enough for the
// loader to reject an oversized file without holding all of it in memory.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load contracts: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("load contracts: read %s: %w", path, err)
	}
	return data, nil
}

package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/evgenhq/evgen/internal/synthetic"
)

// contractSet writes the synthetic contract set of the generator case
// (internal/synthetic) into dir and returns the files' paths.
func contractSet(dir string, services, events int) ([]string, error) {
	var paths []string
	for s, data := range synthetic.Contracts(services, events) {
		p := filepath.Join(dir, synthetic.FileName(s))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return nil, fmt.Errorf("write contract %s: %w", p, err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

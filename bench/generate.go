package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/evgenhq/evgen/schema"
)

// validateContracts times schema.Load, which parses and validates the
// whole set, over a synthetic set of -services services and -gen-events
// events written to a temporary directory (the writing is not timed).
func validateContracts(ctx context.Context, e *env) (res result, err error) {
	dir, err := os.MkdirTemp("", "evgen-bench-contracts-")
	if err != nil {
		return res, fmt.Errorf("temporary directory for the contract set: %w", err)
	}
	defer os.RemoveAll(dir)
	paths, err := contractSet(dir, e.cfg.Services, e.cfg.GenEvents)
	if err != nil {
		return res, err
	}
	start := time.Now()
	set, err := schema.Load(paths...)
	if err != nil {
		return res, fmt.Errorf("the synthetic contract set is invalid: %w", err)
	}
	elapsed := time.Since(start)
	res = result{Events: countEvents(set), Elapsed: elapsed, Notes: map[string]string{"counted": "contracts"}}
	res.Extra, err = measureFiles(paths)
	return res, err
}

// measureFiles counts the files, lines and bytes of paths.
func measureFiles(paths []string) (map[string]int64, error) {
	counts := map[string]int64{"files": int64(len(paths))}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("measure %s: %w", p, err)
		}
		counts["lines"] += int64(bytes.Count(b, []byte("\n")))
		counts["bytes"] += int64(len(b))
	}
	return counts, nil
}

// countEvents checks that the loaded model holds every event written.
func countEvents(set *schema.Set) int {
	n := 0
	for _, s := range set.Services {
		n += len(s.Events)
	}
	return n
}

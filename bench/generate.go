package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/evgenhq/evgen/schema"
	"github.com/evgenhq/evgen/templates"
)

// validateContracts times schema.Load, which parses and validates the
// whole set, over a synthetic set of -services services and -gen-events
// events written to a temporary directory (the writing is not timed).
func validateContracts(ctx context.Context, e *env) (result, error) {
	return withContractSet(e.cfg, func(paths []string) (result, error) {
		start := time.Now()
		set, err := schema.Load(paths...)
		if err != nil {
			return result{}, fmt.Errorf("the synthetic contract set is invalid: %w", err)
		}
		res := result{Events: countEvents(set), Elapsed: time.Since(start), Notes: map[string]string{"counted": "contracts"}}
		res.Extra, err = measureFiles(paths)
		return res, errors.Join(err, ctx.Err())
	})
}

// generateContracts times what evgen validate and evgen generate do for
// every service of the synthetic set, in process: schema.Load, then
// templates.Generate per service. Writing the files is cmd/evgen's job
// and not timed; their lines and bytes are counted.
func generateContracts(ctx context.Context, e *env) (result, error) {
	return withContractSet(e.cfg, func(paths []string) (result, error) {
		start := time.Now()
		set, err := schema.Load(paths...)
		if err != nil {
			return result{}, fmt.Errorf("the synthetic contract set is invalid: %w", err)
		}
		var files []templates.File
		for _, s := range set.Services {
			fs, err := templates.Generate(set, s.Name, templates.Options{})
			if err != nil {
				return result{}, fmt.Errorf("generate %s: %w", s.Name, err)
			}
			files = append(files, fs...)
		}
		res := result{Events: countEvents(set), Elapsed: time.Since(start), Notes: map[string]string{"counted": "generated"}}
		res.Extra = map[string]int64{"files": int64(len(files))}
		for _, f := range files {
			res.Extra["lines"] += int64(bytes.Count(f.Data, []byte("\n")))
			res.Extra["bytes"] += int64(len(f.Data))
		}
		return res, ctx.Err()
	})
}

// withContractSet writes the synthetic set to a temporary directory, runs
// fn over its files and removes it.
func withContractSet(cfg config, fn func(paths []string) (result, error)) (result, error) {
	dir, err := os.MkdirTemp("", "evgen-bench-contracts-")
	if err != nil {
		return result{}, fmt.Errorf("temporary directory for the contract set: %w", err)
	}
	defer os.RemoveAll(dir)
	paths, err := contractSet(dir, cfg.Services, cfg.GenEvents)
	if err != nil {
		return result{}, err
	}
	return fn(paths)
}

// countEvents checks that the loaded model holds every event written.
func countEvents(set *schema.Set) int {
	n := 0
	for _, s := range set.Services {
		n += len(s.Events)
	}
	return n
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

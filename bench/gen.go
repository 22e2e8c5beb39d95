package main

// The generated packages of the benchmark's own two-service contract set.
// TestGeneratedFresh fails when they are stale.
//go:generate go run github.com/evgenhq/evgen/cmd/evgen generate -omit-version -service benchpub -out internal/benchpubevents contracts
//go:generate go run github.com/evgenhq/evgen/cmd/evgen generate -omit-version -service benchsub -out internal/benchsubevents contracts

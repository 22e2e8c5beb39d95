//go:build !evgen_sqlite_only

package main

// -db takes postgres:// URLs too. Built with -tags evgen_sqlite_only (as
// the demo builds it), users opens SQLite files only and its build does
// not compile pgx.
import _ "github.com/evgenhq/evgen/runtime/store/postgres"

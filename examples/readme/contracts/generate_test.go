package contracts

import (
	"testing"

	"github.com/evgenhq/evgen/evgentest"
)

// TestGeneratedIsFresh fails when a contract here was edited without
// running go generate.
func TestGeneratedIsFresh(t *testing.T) { evgentest.CheckGenerated(t, ".") }

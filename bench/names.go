package main

import (
	"fmt"
	"net/url"
	"os"
	"sync/atomic"
	"time"
)

var nameSeq atomic.Int64

// uniqueName gives every exchange, queue and table of a run its own name,
// so that runs (and tests of other packages) never share state.
func uniqueName(prefix string) string {
	return fmt.Sprintf("bench_%s_%d_%d_%d", prefix, os.Getpid(), time.Now().UnixNano()%1_000_000, nameSeq.Add(1))
}

// redactURL hides a password in messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

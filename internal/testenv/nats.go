package testenv

import "testing"

// DefaultNATSURL is the NATS server with JetStream this project's machines
// start.
const DefaultNATSURL = "nats://127.0.0.1:4222"

// NATSURL returns the NATS server URL from EVGEN_NATS_URL (or the default)
// once the server answers on its port; otherwise it skips or fails t.
func NATSURL(t testing.TB) string {
	t.Helper()
	u := env("EVGEN_NATS_URL", DefaultNATSURL)
	reachable(t, "NATS", u, "4222")
	return u
}

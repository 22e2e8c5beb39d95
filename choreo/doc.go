// Package choreo is the choreography of a contract set as a graph: the
// services, the events each publishes, who consumes each event, and the
// reactions the contracts declare (`emits:` on a consumes entry), so that
// a saga reads as a chain of events with its compensations.
//
// It is a package of its own, next to schema rather than inside it,
// because it is a view over a validated set, not part of loading one:
// schema decides what a contract means, choreo only arranges the resolved
// model for pictures. `evgen graph` prints it as Mermaid or Graphviz DOT;
// other renderings (a documentation site, AsyncAPI) can build on the same
// Graph. Everything here is pure: no files, and the same set always gives
// the same graph and the same bytes.
package choreo

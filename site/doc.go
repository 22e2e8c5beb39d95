// Package site builds the catalog of a contract set: a static web site
// with an index of services and events, a page per service and per event,
// and the choreography drawn on each page as inline SVG. `evgen docs`
// writes it; the pages read from the file system with no network, as
// they fetch nothing: no script, no font, no stylesheet from elsewhere.
//
// Generation is pure: Generate returns every file in memory, keyed by
// its name in the site, and only cmd/evgen writes them. The output is the
// same bytes on every run for the same contracts and options.
package site

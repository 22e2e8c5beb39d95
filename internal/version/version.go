// Package version holds evgen's version, shared by the command line and
// the header of generated code.
package version

// Version is the evgen release, printed by `evgen version` and written in
// the header of generated files.
const Version = "0.1.0"

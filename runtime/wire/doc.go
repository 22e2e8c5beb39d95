// Package wire is the behaviour behind the Validate and UnmarshalJSON
// methods evgen generates: the fields table each generated struct lists,
// the checks of the contract's formats, and strict, tolerant JSON
// decoding that names the field at fault.
//
// It is only ever imported by code evgen generates, and its API is kept
// stable for that code: a generated package built by one evgen release
// keeps compiling against the runtime of the same major version. Users
// call the generated methods, not this package; the one exception is
// ErrRequired, which errors.Is can find in a generated Validate's error.
//
// Each event is decoded and validated once per delivery, so the fields
// table, Validate and DecodeObject are written not to allocate beyond the
// values they decode.
package wire

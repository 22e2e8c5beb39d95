package templates

import (
	"bytes"
	_ "embed" // for supportSource
	"errors"

	"github.com/evgenhq/evgen/schema"
)

// supportSource is the checks and decoding that generated Validate and
// UnmarshalJSON methods call. It is a real package, compiled and tested in
// templates/internal/support, copied into each generated package because
// generated code may import only the runtime, and the runtime's surface is
// fixed.
//
//go:embed internal/support/support.go
var supportSource []byte

// supportClause is the package clause of supportSource; its package
// documentation above it is not copied.
var supportClause = []byte("\npackage support\n")

// copySupport renders support.evgen.go: supportSource under the package's
// header and name.
func copySupport(p *schema.Package, header []string) ([]byte, error) {
	i := bytes.Index(supportSource, supportClause)
	if i < 0 {
		return nil, errors.New("internal/support/support.go has no package clause")
	}
	var b bytes.Buffer
	for _, h := range header {
		b.WriteString("// " + h + "\n")
	}
	b.WriteString("\npackage " + p.Name + "\n")
	b.Write(supportSource[i+len(supportClause):])
	return b.Bytes(), nil
}

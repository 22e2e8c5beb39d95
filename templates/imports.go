package templates

// Import paths of the packages generated code uses. Emitters refer to
// packages only through these constants and jen.Qual, so that jennifer
// writes every import block.
const (
	pkgContext = "context"
	pkgTime    = "time"
	pkgStrconv = "strconv"
	pkgFmt     = "fmt"
	pkgErrors  = "errors"
	pkgRegexp  = "regexp"
	pkgRuntime = "github.com/evgenhq/evgen/runtime"
	pkgWire    = "github.com/evgenhq/evgen/runtime/wire"
)

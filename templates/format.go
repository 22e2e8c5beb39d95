package templates

import (
	"bytes"
	"fmt"
	"go/format"
	"go/scanner"
	"go/token"
	"runtime"
	"sync"
	"sync/atomic"
)

// pieceSize is the least size, in bytes of unformatted source, of a piece
// formatted on its own. Smaller pieces would spend more on starting a
// parser and printer than they gain in parallelism.
const pieceSize = 16 << 10

// Formatting a file in pieces: jennifer formats a whole file with
// go/format on one goroutine, and go/format is two thirds of generation,
// most of it in one large types.evgen.go. Declarations that a blank line
// separates are formatted independently of each other: gofmt aligns
// columns only across adjacent lines, a blank line ends every alignment,
// and it writes exactly one blank line between top-level declarations
// that had one or more. So a file is cut at such blank lines into pieces
// that go/format formats in parallel, the first as it is (the package
// clause and the imports, which go/format sorts), the others behind a
// package clause and a blank line, as they stood in the file; their
// results, joined with one blank line, are byte for byte what go/format
// returns for the whole file. TestPiecesFormatLikeWholeFile holds it to
// that. go/format's own partial-source mode is not used: it puts the
// package clause on the first line of the piece, which can change how a
// leading comment aligns.

// pieceClause precedes every piece but the first, so that go/format
// formats it as a file.
const pieceClause = "package p\n\n"

// splitSource cuts src into pieces of at least minSize bytes at blank
// lines between top-level declarations after the imports; every piece
// but the first starts with pieceClause. A file it cannot scan, or one
// too small to cut, is one piece.
func splitSource(src []byte, minSize int) [][]byte {
	var pieces [][]byte
	start := 0
	for _, c := range cutPoints(src) {
		if c-start < minSize || len(src)-c < minSize/2 {
			continue
		}
		pieces = append(pieces, asPiece(src[start:c], start))
		start = c
	}
	return append(pieces, asPiece(src[start:], start))
}

// asPiece is the source of a piece that starts at offset start of its
// file.
func asPiece(b []byte, start int) []byte {
	if start == 0 {
		return b
	}
	return append([]byte(pieceClause), b...)
}

// formatPiece formats one piece of a file, the first if first.
func formatPiece(piece []byte, first bool) ([]byte, error) {
	out, err := format.Source(piece)
	if err != nil || first {
		return out, err
	}
	out, ok := bytes.CutPrefix(out, []byte(pieceClause))
	if !ok {
		return nil, fmt.Errorf("formatted piece does not start with %q", pieceClause)
	}
	return out, nil
}

// cutPoints lists the offsets in src of the tokens and comments that start
// a top-level declaration, or a comment among them, after a blank line:
// the previous token ended a top-level declaration (a semicolon outside
// any bracket) and only white space holding two or more newlines lies
// between. Points before the last import keyword are left out, so that
// the imports stay in the first piece. Nil if src does not scan.
func cutPoints(src []byte) []int {
	fset := token.NewFileSet()
	file := fset.AddFile("", -1, len(src))
	var s scanner.Scanner
	failed := false
	s.Init(file, src, func(token.Position, string) { failed = true }, scanner.ScanComments)
	var cuts []int
	depth, prevEnd, lastImport := 0, 0, -1
	afterDecl := false // the last token outside comments ended a top-level declaration
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF || failed {
			break
		}
		off := file.Offset(pos)
		if tok == token.SEMICOLON && lit == "\n" { // inserted at a newline: spans no source
			afterDecl = depth == 0
			continue
		}
		if afterDecl && prevEnd <= off && isBlankLines(src[prevEnd:off]) {
			cuts = append(cuts, off)
		}
		switch tok {
		case token.LPAREN, token.LBRACE, token.LBRACK:
			depth++
		case token.RPAREN, token.RBRACE, token.RBRACK:
			depth--
		case token.IMPORT:
			lastImport = off
		}
		if tok != token.COMMENT {
			afterDecl = tok == token.SEMICOLON && depth == 0
		}
		prevEnd = off + len(lit)
		if tok.IsOperator() { // lit is empty
			prevEnd = off + len(tok.String())
		}
	}
	if failed {
		return nil
	}
	for len(cuts) > 0 && cuts[0] <= lastImport {
		cuts = cuts[1:]
	}
	return cuts
}

// isBlankLines reports whether b is white space holding a blank line.
func isBlankLines(b []byte) bool {
	return len(bytes.Trim(b, " \t\r\n")) == 0 && bytes.Count(b, []byte("\n")) >= 2
}

// joinFormatted joins the formatted pieces of one file with one blank
// line between them.
func joinFormatted(formatted [][]byte) []byte {
	if len(formatted) == 1 {
		return formatted[0]
	}
	n := 0
	for _, f := range formatted {
		n += len(f) + 2
	}
	out := make([]byte, 0, n)
	for i, f := range formatted {
		if i > 0 {
			out = append(out, "\n\n"...)
		}
		out = append(out, bytes.TrimRight(f, "\n")...)
	}
	return append(out, '\n')
}

// formatFiles formats each unformatted file of srcs, skipping nil ones,
// with its pieces spread over up to GOMAXPROCS goroutines. A file one of
// whose pieces does not format is formatted whole, which succeeds where
// the printer moved a line out of a piece (gofmt moves build constraints
// to the top of the file) and otherwise gives the error with positions in
// the file.
func formatFiles(srcs [][]byte) ([][]byte, []error) {
	type job struct{ file, piece int }
	var jobs []job
	pieces := make([][][]byte, len(srcs))
	formatted := make([][][]byte, len(srcs))
	for i, src := range srcs {
		if src == nil {
			continue
		}
		pieces[i] = splitSource(src, pieceSize)
		formatted[i] = make([][]byte, len(pieces[i]))
		for j := range pieces[i] {
			jobs = append(jobs, job{i, j})
		}
	}
	failed := make([]atomic.Bool, len(srcs))
	parallel(len(jobs), func(k int) {
		j := jobs[k]
		out, err := formatPiece(pieces[j.file][j.piece], j.piece == 0)
		if err != nil {
			failed[j.file].Store(true)
		}
		formatted[j.file][j.piece] = out
	})
	datas := make([][]byte, len(srcs))
	errs := make([]error, len(srcs))
	for i, src := range srcs {
		switch {
		case src == nil:
		case failed[i].Load():
			datas[i], errs[i] = format.Source(src)
			if errs[i] != nil {
				errs[i] = fmt.Errorf("format: %w (an emitter wrote invalid Go):\n%s", errs[i], src)
			}
		default:
			datas[i] = joinFormatted(formatted[i])
		}
	}
	return datas, errs
}

// parallel calls do(i) for every i in [0, n) on up to GOMAXPROCS
// goroutines and returns when all calls have.
func parallel(n int, do func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				do(i)
			}
		})
	}
	wg.Wait()
}

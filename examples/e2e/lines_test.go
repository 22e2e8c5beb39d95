package e2e

import (
	"bufio"
	"fmt"
	"io"
	"testing"
	"time"
)

// lineReader reads a child process's output a line at a time with a
// bound, so that a child that stops printing fails the test instead of
// hanging it until go test's own timeout.
type lineReader struct {
	lines <-chan string
	done  <-chan error // the scanner's error once output ends
	kill  func()
}

// readLines starts reading r in the background; kill stops the child
// when a line does not come in time.
func readLines(r io.Reader, kill func()) *lineReader {
	lines, done := make(chan string), make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lines <- sc.Text()
		}
		done <- sc.Err()
		close(lines)
	}()
	return &lineReader{lines: lines, done: done, kill: kill}
}

// next returns the next line, or an error when output ended or within
// passed without a line (the child is killed then).
func (l *lineReader) next(within time.Duration) (string, error) {
	select {
	case line, ok := <-l.lines:
		if !ok {
			return "", fmt.Errorf("output ended: %v", <-l.done)
		}
		return line, nil
	case <-time.After(within):
		l.kill()
		return "", fmt.Errorf("no line within %v; process killed", within)
	}
}

func TestLineReaderBoundsASilentProcess(t *testing.T) {
	r, w := io.Pipe()
	defer w.Close()
	killed := false
	lines := readLines(r, func() { killed = true; w.Close() })
	go fmt.Fprintln(w, "ready")
	if line, err := lines.next(5 * time.Second); err != nil || line != "ready" {
		t.Fatalf("first line %q, %v; want ready", line, err)
	}
	if line, err := lines.next(50 * time.Millisecond); err == nil || !killed {
		t.Fatalf("a silent writer gave %q, %v (killed %v); want a timeout that kills it", line, err, killed)
	}
}

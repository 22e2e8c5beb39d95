package service

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/jackc/pgx/v5/pgconn"
)

// Which failures use up an attempt and which hold the delivery. Real
// errors of a cut pgx connection are in TestClassifyRealConnectionErrors.
func TestClassify(t *testing.T) {
	pg := func(code string) error { return &pgconn.PgError{Code: code, Message: "x"} }
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name string
		err  error
		want fault
	}{
		{"nil", nil, handlerFault},
		{"handler's own error", errors.New("invoice not found"), handlerFault},
		{"begin failed", storeOp(refused), storeFault},
		{"claim on a missing table", storeOp(pg("42P01")), storeFault},
		{"commit, server shutting down", storeOp(pg("57P01")), storeFault},
		{"commit, serialization failure", storeOp(pg("40001")), handlerFault},
		{"commit, deadlock", storeOp(pg("40P01")), handlerFault},
		{"commit, deferred unique violation", storeOp(pg("23505")), handlerFault},
		{"memory store's claim conflict, its deadlock", storeOp(fmt.Errorf("claim x: %w", store.ErrClaimConflict)), handlerFault},
		{"store error marked permanent", runtime.Permanent(storeOp(refused)), handlerFault},
		{"handler: bad connection", fmt.Errorf("insert invoice: %w", driver.ErrBadConn), connectionFault},
		{"handler: connection done", sql.ErrConnDone, connectionFault},
		{"handler: EOF", fmt.Errorf("read: %w", io.EOF), connectionFault},
		{"handler: unexpected EOF", io.ErrUnexpectedEOF, connectionFault},
		{"handler: connection refused", refused, connectionFault},
		{"handler: connection reset", fmt.Errorf("x: %w", syscall.ECONNRESET), connectionFault},
		{"handler: DNS", &net.DNSError{Err: "no such host", Name: "db"}, connectionFault},
		{"handler: admin shutdown", pg("57P01"), connectionFault},
		{"handler: connection exception", pg("08006"), connectionFault},
		{"handler: too many connections", pg("53300"), connectionFault},
		{"handler: division by zero", pg("22012"), handlerFault},
		{"handler: unique violation", pg("23505"), handlerFault},
		{"handler: serialization failure", pg("40001"), handlerFault},
		{"handler: file not found (an Errno, not a socket's)", &fs.PathError{Op: "open", Path: "x", Err: syscall.ENOENT}, handlerFault},
		{"handler: context cancelled", fmt.Errorf("query: %w", context.Canceled), handlerFault},
		{"handler: deadline", context.DeadlineExceeded, handlerFault},
		{"handler: connection error marked permanent", runtime.Permanent(driver.ErrBadConn), handlerFault},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.err, nil); got != tt.want {
				t.Errorf("classify(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

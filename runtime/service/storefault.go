package service

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store"
)

// Who failed. A handler's own error uses up an attempt of the retry
// policy, and after the last one the event is dead-lettered. An error of
// the database the inbox lives in is no fault of the event: dead-lettering
// events through an outage (about 1.5 s into it with the default policy)
// would empty the queue into the DLQ and, in ordered mode, apply later
// events before earlier ones. Such failures hold the delivery instead; see
// hold.go.

// fault is the classification of a failed attempt.
type fault int

const (
	// handlerFault counts as an attempt.
	handlerFault fault = iota
	// storeFault is a failure of the inbox transaction itself (begin,
	// claim, savepoint, commit): it holds the delivery.
	storeFault
	// connectionFault is a handler error that is a lost or refused
	// database connection: it holds the delivery if the store's database
	// does not answer either, since the handler may have been talking to
	// another server.
	connectionFault
)

// classify tells whose failure err is. Errors the database answered with
// about the data (a constraint violation, a serialization failure or
// deadlock, SQLSTATE classes 23 and 40) are the handler's even when a
// commit returned them: its writes caused them, and retrying them is what
// the retry policy is for.
//
// drv, when not nil, recognizes the lost connections of the store's
// database driver that the generic checks do not.
func classify(err error, drv store.ConnectionErrors) fault {
	var op *storeOpError
	switch {
	case err == nil, runtime.IsPermanent(err), dataConflict(err):
		return handlerFault
	case errors.As(err, &op):
		return storeFault
	case connectionLost(err, drv):
		return connectionFault
	}
	return handlerFault
}

// storeOpError marks an error of the store's own inbox operations, as
// opposed to one a handler returned. It adds no text: the stores' errors
// say which operation failed.
type storeOpError struct{ err error }

func (e *storeOpError) Error() string { return e.err.Error() }
func (e *storeOpError) Unwrap() error { return e.err }

// storeOp marks err, unless nil, as a failure of the store.
func storeOp(err error) error {
	if err == nil {
		return nil
	}
	return &storeOpError{err}
}

// sqlState is implemented by the errors of PostgreSQL drivers (pgx's
// *pgconn.PgError, lib/pq's *pq.Error); the runtime does not import them.
type sqlState interface{ SQLState() string }

// dataConflict reports an error the database answered about the data. The
// memory store's ErrClaimConflict is its deadlock error.
func dataConflict(err error) bool {
	var st sqlState
	if errors.Is(err, store.ErrClaimConflict) {
		return true
	}
	if !errors.As(err, &st) {
		return false
	}
	class := st.SQLState()
	return strings.HasPrefix(class, "23") || strings.HasPrefix(class, "40")
}

// connectionLost reports errors of a connection that was lost, refused or
// closed, as database/sql and pgx return them when the network or the
// server goes away (found by cutting a pgx connection mid-transaction:
// driver.ErrBadConn from a statement, an *net.OpError wrapped in
// pgconn.ConnectError from a new connection, pgconn.ErrConnClosed from a
// commit after that, which only drv, the postgres store's, can recognize). SQLite
// has no connection to lose; its SQLITE_BUSY can only come from BEGIN
// IMMEDIATE (the sqlite store takes the write lock there), a store operation. A context that ended is not one: that is a deadline or a
// shutdown.
func connectionLost(err error, drv store.ConnectionErrors) bool {
	var st sqlState
	var op *net.OpError
	var dns *net.DNSError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	case errors.As(err, &st):
		return serverGoingAway(st.SQLState())
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.As(err, &op), errors.As(err, &dns):
		return true
	}
	return socketErrno(err) || (drv != nil && drv.ConnectionLost(err))
}

// serverGoingAway reports PostgreSQL's connection exceptions (class 08),
// a server shutting down or starting (57P01-57P03) and a full connection
// table (53300): the server cannot take the work now, whatever it is.
func serverGoingAway(state string) bool {
	switch state {
	case "57P01", "57P02", "57P03", "53300":
		return true
	}
	return strings.HasPrefix(state, "08")
}

// socketErrno reports the errno values of a broken connection. Only these:
// every syscall.Errno is a net.Error, an ENOENT from a handler included.
func socketErrno(err error) bool {
	for _, e := range []syscall.Errno{syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE, syscall.ETIMEDOUT, syscall.EHOSTUNREACH, syscall.ENETUNREACH} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

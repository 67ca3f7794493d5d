package datastore

import (
	"errors"
	"fmt"
	"unsafe"

	"modernc.org/libc"
	"modernc.org/libc/sys/types"
	sqlite3 "modernc.org/sqlite/lib"
)

// bulkConn is a connection of its own to the SQLite store's file, driven
// through SQLite's C API as the modernc driver exposes it (modernc.org/sqlite/lib),
// for the one job where the database/sql driver's per-value costs dominate:
// appending millions of rows. The driver binds each value by looking up
// the parameter's name, copying text into a fresh C string and taking the
// connection mutex for every call; here the connection is opened
// SQLITE_OPEN_NOMUTEX (only the load's goroutine uses it), values are
// bound by position, and the text of a whole statement is copied into one
// reused C buffer and bound from there (SQLITE_STATIC). Only C memory
// (from libc's allocator, outside Go's heap) is handed to SQLite, so the
// code stays valid under the race detector's pointer checks.
//
// It shares the file, its WAL and its locks with the store's pool like a
// second process would, so a load's writes are transactions like any
// other and nothing of them is visible until the version switch.
type bulkConn struct {
	tls *libc.TLS
	db  uintptr
	out uintptr // C memory for one pointer the C API returns
	// text is C memory the bound text of a statement is copied into.
	text    uintptr
	textCap int
}

func openBulk(path string) (*bulkConn, error) {
	c := &bulkConn{tls: libc.NewTLS()}
	if c.out = libc.Xcalloc(c.tls, 1, 8); c.out == 0 {
		c.tls.Close()
		return nil, errors.New("datastore: out of C memory")
	}
	name, err := libc.CString(path)
	if err != nil {
		c.close()
		return nil, err
	}
	defer libc.Xfree(c.tls, name)
	rc := sqlite3.Xsqlite3_open_v2(c.tls, name, c.out, sqlite3.SQLITE_OPEN_READWRITE|sqlite3.SQLITE_OPEN_NOMUTEX, 0)
	c.db = c.returned()
	if rc != sqlite3.SQLITE_OK {
		err := c.err(rc)
		c.close()
		return nil, fmt.Errorf("datastore: open bulk connection: %w", err)
	}
	sqlite3.Xsqlite3_busy_timeout(c.tls, c.db, 10000)
	// NORMAL, as the store's own connections: a load's rows are invisible
	// until the version switch, so a power cut can lose only rows of a load
	// that had not switched yet.
	for _, pragma := range []string{"PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON"} {
		if err := c.exec(pragma); err != nil {
			c.close()
			return nil, err
		}
	}
	return c, nil
}

// returned reads the pointer the last call stored at c.out.
func (c *bulkConn) returned() uintptr { return *cPointer[uintptr](c.out) }

// cPointer views C memory at p as a *T. The uintptr's bits are
// reinterpreted rather than converted: p is not a Go pointer, and the
// memory is outside Go's heap.
func cPointer[T any](p uintptr) *T { return *(**T)(unsafe.Pointer(&p)) }

// textBuffer returns C memory for at least n bytes of text, reused across statements.
func (c *bulkConn) textBuffer(n int) ([]byte, error) {
	if n > c.textCap {
		size := max(n, 2*c.textCap, 64<<10)
		p := libc.Xrealloc(c.tls, c.text, types.Size_t(size))
		if p == 0 {
			return nil, errors.New("datastore: out of C memory")
		}
		c.text, c.textCap = p, size
	}
	return unsafe.Slice(cPointer[byte](c.text), c.textCap), nil
}

// err describes the connection's last error.
func (c *bulkConn) err(rc int32) error {
	msg := libc.GoString(sqlite3.Xsqlite3_errstr(c.tls, rc))
	if c.db != 0 {
		if m := libc.GoString(sqlite3.Xsqlite3_errmsg(c.tls, c.db)); m != "" && m != msg {
			msg += ": " + m
		}
	}
	return &bulkError{code: rc, msg: msg}
}

type bulkError struct {
	code int32
	msg  string
}

func (e *bulkError) Error() string { return fmt.Sprintf("sqlite: %s (%d)", e.msg, e.code) }

// exec runs SQL without arguments.
func (c *bulkConn) exec(sql string) error {
	q, err := libc.CString(sql)
	if err != nil {
		return err
	}
	defer libc.Xfree(c.tls, q)
	if rc := sqlite3.Xsqlite3_exec(c.tls, c.db, q, 0, 0, 0); rc != sqlite3.SQLITE_OK {
		return c.err(rc)
	}
	return nil
}

// bulkStmt is a prepared statement bound by position.
type bulkStmt struct {
	c    *bulkConn
	p    uintptr
	args int
}

func (c *bulkConn) prepare(sql string) (*bulkStmt, error) {
	q, err := libc.CString(sql)
	if err != nil {
		return nil, err
	}
	defer libc.Xfree(c.tls, q)
	if rc := sqlite3.Xsqlite3_prepare_v2(c.tls, c.db, q, -1, c.out, 0); rc != sqlite3.SQLITE_OK {
		return nil, c.err(rc)
	}
	s := &bulkStmt{c: c, p: c.returned()}
	s.args = int(sqlite3.Xsqlite3_bind_parameter_count(c.tls, s.p))
	return s, nil
}

// run binds vals (int64, float64, string, []byte, bool or nil) to the
// statement's parameters in order, steps it to completion and resets it.
func (s *bulkStmt) run(vals []any) error {
	if len(vals) != s.args {
		return fmt.Errorf("datastore: %d values for %d parameters", len(vals), s.args)
	}
	size := 1 // empty text needs a non-NULL pointer (NULL would bind SQL NULL)
	for _, v := range vals {
		switch x := v.(type) {
		case string:
			size += len(x)
		case []byte:
			size += len(x)
		}
	}
	buf, err := s.c.textBuffer(size)
	if err != nil {
		return err
	}
	tls, p, at, base := s.c.tls, s.p, 1, s.c.text
	var rc int32
	for i, v := range vals {
		n := int32(i + 1)
		switch x := v.(type) {
		case nil:
			rc = sqlite3.Xsqlite3_bind_null(tls, p, n)
		case int64:
			rc = sqlite3.Xsqlite3_bind_int64(tls, p, n, x)
		case int:
			rc = sqlite3.Xsqlite3_bind_int64(tls, p, n, int64(x))
		case float64:
			rc = sqlite3.Xsqlite3_bind_double(tls, p, n, x)
		case bool:
			b := int32(0)
			if x {
				b = 1
			}
			rc = sqlite3.Xsqlite3_bind_int(tls, p, n, b)
		case string:
			copy(buf[at:], x)
			rc = sqlite3.Xsqlite3_bind_text(tls, p, n, base+uintptr(at), int32(len(x)), 0)
			at += len(x)
		case []byte:
			copy(buf[at:], x)
			rc = sqlite3.Xsqlite3_bind_blob(tls, p, n, base+uintptr(at), int32(len(x)), 0)
			at += len(x)
		default:
			rc = sqlite3.SQLITE_MISMATCH
		}
		if rc != sqlite3.SQLITE_OK {
			sqlite3.Xsqlite3_clear_bindings(tls, p)
			if rc == sqlite3.SQLITE_MISMATCH {
				return fmt.Errorf("datastore: cannot bind value %d of type %T", i+1, v)
			}
			return s.c.err(rc)
		}
	}
	if rc = sqlite3.Xsqlite3_step(tls, p); rc != sqlite3.SQLITE_DONE {
		err = s.c.err(rc)
	}
	sqlite3.Xsqlite3_reset(tls, p)
	sqlite3.Xsqlite3_clear_bindings(tls, p) // the text buffer is reused
	return err
}

func (s *bulkStmt) close() {
	if s != nil && s.p != 0 {
		sqlite3.Xsqlite3_finalize(s.c.tls, s.p)
		s.p = 0
	}
}

// close rolls back anything left open and closes the connection.
func (c *bulkConn) close() error {
	var err error
	if c.db != 0 {
		if sqlite3.Xsqlite3_get_autocommit(c.tls, c.db) == 0 {
			c.exec("ROLLBACK")
		}
		if rc := sqlite3.Xsqlite3_close_v2(c.tls, c.db); rc != sqlite3.SQLITE_OK {
			err = errors.Join(err, c.err(rc))
		}
		c.db = 0
	}
	libc.Xfree(c.tls, c.text)
	libc.Xfree(c.tls, c.out)
	c.text, c.out = 0, 0
	c.tls.Close()
	return err
}

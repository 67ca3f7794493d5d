package web

import (
	"context"
	"io"
	"net/http"
	"sync"
	"time"

	"dataport/internal/web/api"
)

// Timeouts bound every request (see bound); a zero field takes its
// default. A request's context ends at its deadline, when its client goes
// away (net/http cancels it) or when the server shuts down; handlers stop
// at their next check of the context.
type Timeouts struct {
	// Request bounds an ordinary request: its context, and the reading of
	// its body (default 30 s). Its answer may be written for writeGrace more.
	Request time.Duration
	// Stall is how long an upload may send nothing, or an export's client
	// take nothing, before its request ends (default 2 min).
	Stall time.Duration
	// Long bounds an upload or an export however steadily it moves
	// (default 150 min: 8 GiB, api.MaxUpload, at 1 MB/s).
	Long time.Duration
}

// Default timeouts.
const (
	DefaultRequestTimeout = 30 * time.Second
	DefaultStallTimeout   = 2 * time.Minute
	DefaultLongTimeout    = 150 * time.Minute
	// writeGrace is how long after its context has ended an answer may
	// still be written (an error answer, or a slow client reading).
	writeGrace = 15 * time.Second
)

func (t Timeouts) withDefaults() Timeouts {
	if t.Request <= 0 {
		t.Request = DefaultRequestTimeout
	}
	if t.Stall <= 0 {
		t.Stall = DefaultStallTimeout
	}
	if t.Long <= 0 {
		t.Long = DefaultLongTimeout
	}
	return t
}

// longRoutes are the requests bounded by their progress instead of
// Timeouts.Request: file uploads (API and browser form) and exports.
var longRoutes = func() *http.ServeMux {
	mux := http.NewServeMux()
	for _, p := range []string{"POST " + api.Prefix + "/resources/{id}/data", "POST /resources/{id}/upload", "GET " + api.Prefix + "/resources/{id}/export"} {
		mux.Handle(p, http.NotFoundHandler())
	}
	return mux
}()

// bound gives each request a deadline: t.Request for ordinary ones (for
// their context and for reading their body, with writeGrace more to write
// the answer); for uploads and exports t.Long, and t.Stall without
// progress (bytes of the body read, bytes of the answer written). When a
// request's context ends before its handler returns, blocked reads of its
// body fail at once and blocked writes within writeGrace, so a handler
// waiting on a client stops too.
func bound(t Timeouts, next http.Handler) http.Handler {
	t = t.withDefaults()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if _, pattern := longRoutes.Handler(r); pattern != "" {
			t.serveLong(next, rc, w, r)
			return
		}
		deadline := time.Now().Add(t.Request)
		ctx, cancel := context.WithDeadline(r.Context(), deadline)
		defer cancel()
		rc.SetReadDeadline(deadline)
		rc.SetWriteDeadline(deadline.Add(writeGrace))
		defer context.AfterFunc(ctx, func() { unblock(rc) })()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// unblock makes a blocked read of the body fail now and a blocked write
// fail after writeGrace: the request's context has ended.
func unblock(rc *http.ResponseController) {
	rc.SetReadDeadline(time.Now())
	rc.SetWriteDeadline(time.Now().Add(writeGrace))
}

// serveLong serves an upload or an export under t.Long and t.Stall. A read
// deadline is set only while a body is arriving (on a request without one,
// net/http's read of the connection would end the request at the
// deadline), and a write deadline only ahead of each write.
func (t Timeouts) serveLong(next http.Handler, rc *http.ResponseController, w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), t.Long)
	defer cancel()
	p := &progress{ctx: ctx, rc: rc, cancel: cancel, stall: t.Stall, every: min(time.Second, t.Stall/4)}
	rc.SetWriteDeadline(time.Time{})
	rc.SetReadDeadline(time.Time{})
	if r.Body != nil && r.Body != http.NoBody {
		p.move(&p.lastRead, rc.SetReadDeadline)
		r.Body = &progressBody{ReadCloser: r.Body, p: p}
	}
	defer context.AfterFunc(ctx, p.stop)()
	next.ServeHTTP(&progressWriter{ResponseWriter: w, p: p}, r.WithContext(ctx))
}

// progress moves a transfer's read and write deadlines stall ahead as
// bytes move (at most every every), until its context ends.
type progress struct {
	ctx       context.Context
	stall     time.Duration
	every     time.Duration
	rc        *http.ResponseController
	cancel    context.CancelFunc
	mu        sync.Mutex
	lastRead  time.Time // when each deadline was last moved
	lastWrite time.Time
	bodyDone  bool
}

// move sets a deadline p.stall ahead, unless it was moved less than
// p.every ago or the request has ended.
func (p *progress) move(last *time.Time, set func(time.Time) error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(*last) < p.every || p.ctx.Err() != nil || (last == &p.lastRead && p.bodyDone) {
		return
	}
	*last = now
	set(now.Add(p.stall))
}

// bodyRead lifts the read deadline once the body has been read: net/http
// then reads the connection only to notice the client going away, and the
// handler may work on (an XLSX is parsed after it has arrived).
func (p *progress) bodyRead() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.bodyDone && p.ctx.Err() == nil {
		p.bodyDone = true
		p.rc.SetReadDeadline(time.Time{})
	}
}

// stop unblocks the transfer when the request's context ends.
func (p *progress) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	unblock(p.rc)
}

// progressBody moves the read deadline on as the body arrives.
type progressBody struct {
	io.ReadCloser
	p *progress
}

func (b *progressBody) Read(buf []byte) (int, error) {
	n, err := b.ReadCloser.Read(buf)
	if n > 0 {
		b.p.move(&b.p.lastRead, b.p.rc.SetReadDeadline)
	}
	if err == io.EOF {
		b.p.bodyRead()
	}
	return n, err
}

// progressWriter moves the write deadline on ahead of each write, and
// ends the request when a write fails (the client is gone or stalled).
type progressWriter struct {
	http.ResponseWriter
	p *progress
}

func (w *progressWriter) Write(b []byte) (int, error) {
	w.p.move(&w.p.lastWrite, w.p.rc.SetWriteDeadline)
	n, err := w.ResponseWriter.Write(b)
	if err != nil {
		w.p.cancel()
	}
	return n, err
}

func (w *progressWriter) Flush() { w.p.rc.Flush() }

func (w *progressWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

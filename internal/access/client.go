package access

import (
	"context"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// Client is how a request reached the platform: its address and, for a
// machine client, the per-grant API key it presented. The web layer puts it
// into every request's context; Decide reads it when Request leaves
// ClientIP or ClientKey empty, so data paths need not pass it themselves.
type Client struct {
	IP  string
	Key string // the secret of a per-grant API key ("dpk_…"), never logged
}

type clientKey struct{}

// WithClient returns ctx carrying c.
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientFrom returns the client of ctx (zero when none was set).
func ClientFrom(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey{}).(Client)
	return c
}

// KeyHeader is the header a machine client sends its per-grant API key in.
const KeyHeader = "X-Dataport-Key"

// ClientMiddleware records each request's client address and per-grant API
// key in its context, tracks the decisions made while serving it, and gives
// a response refused for a rate-limited decision the status 429 and a
// Retry-After header, whichever handler (API, CKAN, UI) wrote it. The
// address is the TCP peer's: a deployment behind a reverse proxy must make
// the proxy set the peer (or extend this) — headers such as X-Forwarded-For
// are not trusted, so they cannot be used to dodge rate limits.
func ClientMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			ip = r.RemoteAddr
		}
		c := Client{IP: ip, Key: strings.TrimSpace(r.Header.Get(KeyHeader))}
		ctx, t := Track(WithClient(r.Context(), c))
		next.ServeHTTP(&retryWriter{ResponseWriter: w, t: t}, r.WithContext(ctx))
	})
}

// retryWriter sets Retry-After on a refusal caused by a rate limit.
type retryWriter struct {
	http.ResponseWriter
	t     *Tracker
	wrote bool
}

func (w *retryWriter) WriteHeader(code int) {
	if !w.wrote && (code == http.StatusTooManyRequests || code == http.StatusForbidden) {
		if d, ok := w.t.Denial(); ok && d.Reason == ReasonRateLimited {
			code = http.StatusTooManyRequests
			w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(d.RetryAfter.Seconds())))))
		}
	}
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *retryWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (flushing streamed exports).
func (w *retryWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush forwards to the underlying writer, for handlers that assert http.Flusher.
func (w *retryWriter) Flush() {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

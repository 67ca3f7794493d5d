package web

import (
	"net"
	"net/http"
	"strings"

	"dataport/internal/access"
)

// clientContext records each request's client address and per-grant API key
// in its context, where access.Decide finds them. It writes nothing: a
// refusal's status and Retry-After come from problem.Of, whichever surface
// (API, CKAN, UI) answers. The address is the TCP peer's: a deployment
// behind a reverse proxy must make the proxy set the peer (or extend this) —
// headers such as X-Forwarded-For are not trusted, so they cannot be used to
// dodge rate limits.
func clientContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			ip = r.RemoteAddr
		}
		c := access.Client{IP: ip, Key: strings.TrimSpace(r.Header.Get(access.KeyHeader))}
		next.ServeHTTP(w, r.WithContext(access.WithClient(r.Context(), c)))
	})
}

package web

import (
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// MetricsAccess says who may read /metrics: a client whose address is in
// one of Allow's networks, or one presenting Token as a bearer token
// (Authorization: Bearer TOKEN, compared in constant time). Everyone else
// is answered 404, as if there were no metrics, or 403 for a wrong token.
// The address is the connection's peer, never a forwarded header: behind a
// reverse proxy on the same host, do not forward /metrics, or use a token.
type MetricsAccess struct {
	Allow []netip.Prefix // nil: DefaultMetricsAllow; empty and non-nil: no network
	Token string         // "" accepts no token
}

// DefaultMetricsAllow is the loopback of both address families, the
// networks /metrics is served to when none are configured.
var DefaultMetricsAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}

// ParseMetricsAllow parses CIDRs (a bare address is one host) for
// MetricsAccess.Allow, naming the first bad entry.
func ParseMetricsAllow(cidrs []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(cidrs))
	for _, c := range cidrs {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if !strings.Contains(c, "/") {
			a, err := netip.ParseAddr(c)
			if err != nil {
				return nil, err
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// guard serves next to the clients m admits.
func (m MetricsAccess) guard(next http.Handler) http.Handler {
	allow := m.Allow
	if allow == nil {
		allow = DefaultMetricsAllow
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			if m.Token != "" && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(bearer)), []byte(m.Token)) == 1 {
				next.ServeHTTP(w, r)
				return
			}
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		if peerIn(r.RemoteAddr, allow) {
			next.ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
	})
}

// peerIn reports whether the connection's address is in one of the networks.
func peerIn(remote string, nets []netip.Prefix) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range nets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

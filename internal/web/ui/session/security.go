package session

import (
	"net/http"
)

// contentSecurityPolicy allows only our own styles and images: no scripts at
// all, no framing, and forms that post only to us.
const contentSecurityPolicy = "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self'; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// maxFormBytes caps every request body CapBody lets through.
const maxFormBytes = 1 << 20

// Headers sets the browser protections on every response.
func Headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// CapBody limits request bodies to maxFormBytes.
func CapBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		next.ServeHTTP(w, r)
	})
}

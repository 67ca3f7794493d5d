package api

import (
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"dataport/internal/access"
	"dataport/internal/identity"

	"github.com/danielgtaylor/huma/v2"
)

// Rate-limit and quota fields sent on every response to a keyed request
// (a per-grant API key in X-Dataport-Key, or a bearer token) that asked the
// access decision point. RateLimit-Policy and RateLimit are the fields of
// the IETF draft "RateLimit header fields for HTTP"
// (draft-ietf-httpapi-ratelimit-headers-12); RateLimit-Limit,
// RateLimit-Remaining and RateLimit-Reset are the single-value fields of its
// earlier versions, which many clients still read, for the tightest limit.
const (
	RateLimitPolicyHeader    = "RateLimit-Policy"
	RateLimitHeader          = "RateLimit"
	RateLimitLimitHeader     = "RateLimit-Limit"
	RateLimitRemainingHeader = "RateLimit-Remaining"
	RateLimitResetHeader     = "RateLimit-Reset"
	// QuotaRemainingHeader carries the rows left of the grant's total row
	// quota once the response is counted (absent when no quota applies).
	QuotaRemainingHeader = "Dataport-Quota-Remaining"
)

// exposedHeaders are the response fields a browser client may read (CORS).
var exposedHeaders = strings.Join([]string{RateLimitPolicyHeader, RateLimitHeader, RateLimitLimitHeader, RateLimitRemainingHeader,
	RateLimitResetHeader, QuotaRemainingHeader, QuotaTruncatedHeader, "Retry-After", "Location"}, ", ")

// rateWindow is the window of every rate limit: they are counted per minute.
const rateWindow = 60

// rateHeaders tracks the access decisions of keyed requests and writes
// their rate limits and row quota as response fields before the status.
func rateHeaders(next http.Handler) http.Handler {
	return trackRates(func(r *http.Request) bool {
		return access.ClientFrom(r.Context()).Key != "" || !identity.FromContext(r.Context()).IsAnonymous()
	}, next)
}

// RateHeaders writes the same rate and quota fields for a surface that
// authenticates inside its handler (the CKAN API): a request is keyed when
// it sends a per-grant key or a token (Authorization, X-CKAN-API-Key). A
// token that turns out wrong asks no decision, and gets no fields. Browsers
// may read the fields (CORS), as on the native API.
func RateHeaders(next http.Handler) http.Handler {
	track := trackRates(func(r *http.Request) bool {
		return access.ClientFrom(r.Context()).Key != "" || r.Header.Get("Authorization") != "" || r.Header.Get("X-CKAN-API-Key") != ""
	}, next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Expose-Headers", exposedHeaders)
		track.ServeHTTP(w, r)
	})
}

// trackRates tracks the access decisions of the requests keyed says are
// keyed, and writes their fields before the status.
func trackRates(keyed func(*http.Request) bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !keyed(r) {
			next.ServeHTTP(w, r)
			return
		}
		ctx, t := access.Track(r.Context())
		next.ServeHTTP(&rateWriter{ResponseWriter: w, t: t}, r.WithContext(ctx))
	})
}

// rateWriter sets the rate fields when the status is written.
type rateWriter struct {
	http.ResponseWriter
	t     *access.Tracker
	wrote bool
}

func (w *rateWriter) WriteHeader(code int) {
	if !w.wrote {
		w.wrote = true
		setRateHeaders(w.Header(), w.t.Decisions())
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *rateWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (Flush).
func (w *rateWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush passes streamed exports on as they are written.
func (w *rateWriter) Flush() {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	http.NewResponseController(w.ResponseWriter).Flush()
}

// setRateHeaders writes the rate limits and row quota of decisions: per
// policy the state with the fewest requests left (a request over several
// resources asks once for each), and the smallest quota left.
func setRateHeaders(h http.Header, decisions []access.Decision) {
	var rates []access.Rate
	quota := int64(-1)
	for _, d := range decisions {
		for _, r := range d.Rates {
			i := slices.IndexFunc(rates, func(x access.Rate) bool { return x.Policy == r.Policy })
			if i < 0 {
				rates = append(rates, r)
			} else if r.Remaining < rates[i].Remaining {
				rates[i] = r
			}
		}
		if left, ok := d.RowsRemaining(); ok && (quota < 0 || left < quota) {
			quota = left
		}
	}
	if quota >= 0 {
		h.Set(QuotaRemainingHeader, strconv.FormatInt(quota, 10))
	}
	if len(rates) == 0 {
		return
	}
	policies, states := make([]string, len(rates)), make([]string, len(rates))
	tightest := rates[0]
	for i, r := range rates {
		policies[i] = fmt.Sprintf("%q;q=%d;w=%d", r.Policy, r.Limit, rateWindow)
		states[i] = fmt.Sprintf("%q;r=%d;t=%d", r.Policy, r.Remaining, resetSeconds(r))
		if r.Remaining < tightest.Remaining {
			tightest = r
		}
	}
	h.Set(RateLimitPolicyHeader, strings.Join(policies, ", "))
	h.Set(RateLimitHeader, strings.Join(states, ", "))
	h.Set(RateLimitLimitHeader, strconv.Itoa(tightest.Limit))
	h.Set(RateLimitRemainingHeader, strconv.Itoa(tightest.Remaining))
	h.Set(RateLimitResetHeader, strconv.FormatInt(resetSeconds(tightest), 10))
}

// resetSeconds is r.Reset in whole seconds, rounded up.
func resetSeconds(r access.Rate) int64 { return int64(math.Ceil(r.Reset.Seconds())) }

// documentRateHeaders describes the rate and quota fields on the answers of
// data route op (allowed, refused, rate-limited) in the OpenAPI document.
func documentRateHeaders(api huma.API, op huma.Operation) {
	pi := api.OpenAPI().Paths[op.Path]
	if pi == nil || op.Method != http.MethodGet || pi.Get == nil {
		return
	}
	text := func(doc string) *huma.Param {
		return &huma.Param{Description: doc, Schema: &huma.Schema{Type: "string"}}
	}
	headers := map[string]*huma.Param{
		RateLimitPolicyHeader: text(`The rate limits that counted the request, e.g. "key";q=1200;w=60, "grant";q=60;w=60: q requests a window of w seconds ` +
			`(IETF draft "RateLimit header fields for HTTP"). Keyed requests only (X-Dataport-Key or a bearer token).`),
		RateLimitHeader:          text(`Each limit's state, e.g. "key";r=1199;t=1: r requests may follow at once, t seconds until it is full again.`),
		RateLimitLimitHeader:     text("The tightest limit's requests a minute (the draft's earlier single-value form)."),
		RateLimitRemainingHeader: text("The tightest limit's requests that may follow at once."),
		RateLimitResetHeader:     text("Seconds until the tightest limit is full again."),
		QuotaRemainingHeader:     text("Under a grant with a total row quota: the rows left once this response is counted."),
	}
	for _, code := range []string{"200", "403", "429"} {
		if r := pi.Get.Responses[code]; r != nil {
			if r.Headers == nil {
				r.Headers = map[string]*huma.Param{}
			}
			maps.Copy(r.Headers, headers)
		}
	}
}

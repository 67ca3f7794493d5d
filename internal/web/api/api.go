// Package api is dataport's native JSON API under /api/v1, described by an
// OpenAPI 3.1 document generated from these Go types (huma). Errors are
// application/problem+json with one entry per bad field.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/ledger"
	"dataport/internal/web/problem"
	"dataport/internal/web/services"
	"dataport/internal/web/uploadgate"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1"

// Config is what the API serves: the application services and the
// version it reports.
type Config struct {
	services.Services
	Version string
	// Uploads bounds each account's uploads (nil: uploadgate.New()).
	Uploads *uploadgate.Gate
}

// New returns the API handler, to be mounted at Prefix. Callers authenticate
// with "Authorization: Bearer TOKEN"; without it they act anonymously.
func New(cfg Config) http.Handler {
	mux := http.NewServeMux()
	hc := huma.DefaultConfig("dataport API", cfg.Version)
	hc.Components.Schemas = huma.NewMapRegistry("#/components/schemas/", schemaName)
	hc.Info.Description = "Public data catalog, sharing, opening and exchange platform. Responses to a per-grant API key (X-Dataport-Key) " +
		"or a bearer token that read data carry the rate limits that counted them — RateLimit-Policy and RateLimit as in the IETF draft " +
		"\"RateLimit header fields for HTTP\", and RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset for the tightest — and, under " +
		"a grant with a total row quota, Dataport-Quota-Remaining: the rows left once the response is counted."
	hc.DocsPath = "" // the built-in docs page loads scripts from a CDN; government networks have none
	hc.CreateHooks = nil
	hc.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "An API token from POST /api/v1/users/me/tokens or `dataport token create`."},
	}
	hc.Info.Contact = &huma.Contact{Name: "The platform operator (平台运营方) of this deployment"}
	hc.Tags = tags
	base := humago.NewWithPrefix(mux, Prefix, hc)
	api := newGroup(base)
	h := &handlers{id: cfg.Identity, cat: cfg.Catalog, ledger: cfg.Ledger, acc: cfg.Services, log: cfg.Log, ds: cfg.Datastore}
	h.routes(api)
	documentFieldProblems(base.OpenAPI())
	if cfg.Datastore != nil {
		documentUpload(api) // served by UploadHandler, mounted beside this handler
	}
	docsRoutes(mux)
	return authenticate(cfg.Identity, cfg.Log, rateHeaders(mux))
}

type handlers struct {
	id     *identity.Service
	cat    *catalog.Service
	ledger *ledger.Service
	acc    services.Services // the workflows (Access, Sharing, Opening, Notify), Grades, Profiles and Harvest
	log    *slog.Logger
	ds     *datastore.Service
}

// authenticate resolves the bearer token into the request's principal. A
// token that is present but wrong is refused outright rather than treated as anonymous.
func authenticate(ids *identity.Service, log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Access-Control-Expose-Headers", exposedHeaders)
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
			w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 4<<20)
		auth := r.Header.Get("Authorization")
		if auth == "" {
			next.ServeHTTP(w, r)
			return
		}
		secret, ok := strings.CutPrefix(auth, "Bearer ")
		p, err := ids.TokenPrincipal(r.Context(), strings.TrimSpace(secret))
		if !ok || err != nil {
			if err != nil && !errors.Is(err, identity.ErrUnauthenticated) {
				log.ErrorContext(r.Context(), "token lookup failed", "err", err)
			}
			writeProblem(w, http.StatusUnauthorized, "invalid, expired or revoked API token")
			return
		}
		next.ServeHTTP(w, r.WithContext(identity.NewContext(r.Context(), p)))
	})
}

func writeProblem(w http.ResponseWriter, status int, detail string) {
	body, _ := json.Marshal(huma.ErrorModel{Title: http.StatusText(status), Status: status, Detail: detail})
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("WWW-Authenticate", `Bearer realm="dataport"`)
	w.WriteHeader(status)
	w.Write(body)
}

// fail turns a domain error into a problem response through problem.Of:
// field errors become entries located in the body ("body.items[1].name")
// with their code and arguments; internal errors are logged and shown
// generically; a rate limit carries Retry-After.
func (h *handlers) fail(ctx context.Context, err error) error {
	pr := problem.Of(identity.FromContext(ctx), err)
	if !pr.Public {
		h.log.ErrorContext(ctx, "api request failed", "err", err)
	}
	var out error = huma.NewError(pr.Status, pr.Detail)
	if pr.Kind == problem.Validation {
		out = fieldProblems(pr.Fields)
	}
	return withHeaders(out, pr.Header)
}

// withHeaders returns err carrying h (Retry-After), or err itself when h is empty.
func withHeaders(err error, h http.Header) error {
	if len(h) == 0 {
		return err
	}
	return huma.ErrorWithHeaders(err, h)
}

// List is the envelope of every list response.
type List[T any] struct {
	Body struct {
		Items      []T    `json:"items"`
		NextCursor string `json:"next_cursor"`
	}
}

// Package ckan serves the CKAN Action API (version 3) at /api/3/action/{name}
// and /api/action/{name}, so that CKAN clients, scripts and harvesters work
// with dataport unchanged. A dataport resource is a CKAN package (dataset);
// docs/ckan-mapping.md says field by field how. Reads come from the search
// index; writes go through the catalog service with the caller's token, so
// the catalog's own authorization rules apply.
package ckan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"dataport/internal/access"
	"dataport/internal/catalog/ckanpkg"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
	nativeapi "dataport/internal/web/api"
	"dataport/internal/web/problem"
	"dataport/internal/web/services"
)

// Version is the CKAN version the API reports: the API behaves as this
// release's does for the actions it implements.
const Version = "2.11.3"

// Config is what the CKAN API serves: the application services (it needs
// Identity, Catalog and Search; Indexer, when set, is synced after every
// write, so that a client's next package_search sees what it just wrote, as
// CKAN indexes synchronously too; Datastore answers datastore_search and
// datastore_search_sql, which are left out without it) and the site's own
// settings.
type Config struct {
	services.Services
	// PublicURL is the site's address ("https://data.example.gov.cn"); empty
	// uses the request's host.
	PublicURL string
	SiteTitle string
}

// Prefixes are the paths the API answers under; the unversioned one is
// what the ckanapi client posts to (it does not follow redirects).
var Prefixes = []string{"/api/3/action/", "/api/action/"}

// api holds the services behind every action.
type api struct {
	Config
	orgs      *orgDirectory
	actionMap map[string]action // actions(), built once
	active    activeCache       // which packages have a current data version (active.go)
}

// action is one CKAN action. Actions without side effects also answer GET
// with query parameters; the others take POST only, as in CKAN.
type action struct {
	fn   func(ctx context.Context, c *call) (any, error)
	read bool
}

// call is one request to an action: its parameters and who makes it.
type call struct {
	params params
	who    identity.Principal
	base   string // site URL without a trailing slash
}

// New returns the handler for both Prefixes.
func New(cfg Config) http.Handler {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.SiteTitle == "" {
		cfg.SiteTitle = "公共数据平台"
	}
	a := &api{Config: cfg, orgs: newOrgDirectory(cfg.Identity)}
	a.actionMap = a.actions()
	mux := http.NewServeMux()
	for _, p := range Prefixes {
		mux.HandleFunc(p+"{name}", a.serve)
	}
	return nativeapi.RateHeaders(mux) // keyed datastore calls carry their rate limits and quota, as the native API's do
}

func (a *api) actions() map[string]action {
	m := map[string]action{
		"status_show":                         {a.statusShow, true},
		"site_read":                           {func(context.Context, *call) (any, error) { return true, nil }, true},
		"help_show":                           {a.helpShow, true},
		"package_list":                        {a.packageList, true},
		"package_show":                        {a.packageShow, true},
		"package_search":                      {a.packageSearch, true},
		"current_package_list_with_resources": {a.currentPackages, true},
		"resource_show":                       {a.resourceShow, true},
		"organization_list":                   {a.organizationList, true},
		"organization_show":                   {a.organizationShow, true},
		"group_list":                          {a.groupList, true},
		"group_show":                          {a.groupShow, true},
		"tag_list":                            {a.tagList, true},
		"license_list":                        {a.licenseList, true},
		"user_show":                           {a.userShow, true},
		"package_create":                      {a.packageCreate, false},
		"package_update":                      {a.packageUpdate, false},
		"package_patch":                       {a.packagePatch, false},
		"package_delete":                      {a.packageDelete, false},
		"resource_create":                     {a.resourceCreate, false},
		"resource_patch":                      {a.resourcePatch, false},
	}
	maps.Copy(m, a.datastoreActions())
	return m
}

// WriteActions names the actions that change something, sorted: they take
// POST only and answer 401 to a caller without a token before reading
// their parameters.
func WriteActions() []string {
	var names []string
	for name, act := range (&api{}).actions() {
		if !act.read {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// serve runs one action and writes CKAN's envelope.
func (a *api) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
		w.Header().Set("Access-Control-Allow-Headers", "Authorization, X-CKAN-API-Key, Content-Type")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	name := r.PathValue("name")
	act, ok := a.actionMap[name]
	if !ok {
		writeJSON(w, http.StatusBadRequest, "Bad request - Action name not known: "+name)
		return
	}
	c := &call{base: a.baseURL(r)}
	env := map[string]any{"help": c.base + "/api/3/action/help_show?name=" + name}
	result, err := a.run(r, w, act, c)
	if err != nil {
		status, header, body := a.errorBody(r.Context(), name, err)
		for k, v := range header {
			w.Header()[k] = v
		}
		if status == http.StatusBadRequest && body == nil {
			writeJSON(w, status, "Bad request - "+problem.Text(err.Error(), problem.MaxTextBytes))
			return
		}
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="dataport"`)
		}
		env["success"], env["error"] = false, body
		writeJSON(w, status, env)
		return
	}
	if raw, ok := result.(encoded); ok { // already JSON: splice it in rather than encode it again
		writeRaw(w, env["help"].(string), raw)
		return
	}
	if p, ok := result.(*pooledJSON); ok {
		writeRaw(w, env["help"].(string), p.buf.Bytes())
		putBuffer(p.buf)
		return
	}
	env["success"], env["result"] = true, result
	writeJSON(w, http.StatusOK, env)
}

// encoded is an action's result already encoded as JSON.
type encoded []byte

// pooledJSON is an action's result already encoded as JSON, in a buffer
// from the pool: serve gives the buffer back once it has written it.
type pooledJSON struct{ buf *bytes.Buffer }

var bufferPool sync.Pool

// getBuffer returns an empty buffer from the pool.
func getBuffer() *bytes.Buffer {
	if b, ok := bufferPool.Get().(*bytes.Buffer); ok {
		return b
	}
	return new(bytes.Buffer)
}

// putBuffer returns a buffer to the pool, unless it grew too large to keep.
func putBuffer(b *bytes.Buffer) {
	if b.Cap() > 1<<20 {
		return
	}
	b.Reset()
	bufferPool.Put(b)
}

// writeRaw writes a successful envelope around a result already in JSON.
func writeRaw(w http.ResponseWriter, help string, result encoded) {
	buf := getBuffer()
	defer putBuffer(buf)
	buf.Grow(len(result) + len(help) + 48)
	buf.WriteString(`{"help":`)
	writeJSONString(buf, help)
	buf.WriteString(`,"success":true,"result":`)
	buf.Write(result)
	buf.WriteString("}\n")
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
}

// run authenticates the caller, reads the parameters and calls the action.
func (a *api) run(r *http.Request, w http.ResponseWriter, act action, c *call) (any, error) {
	var err error
	if c.who, err = a.principal(r); err != nil {
		return nil, err
	}
	if !act.read && c.who.IsAnonymous() { // before the parameters are read or looked up
		return nil, errAnonymousWrite
	}
	if r.Method != http.MethodPost && !act.read {
		return nil, badRequest("JSON Error: Invalid request. Please use POST method for your request")
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<20)
	if c.params, err = readParams(r); err != nil {
		return nil, err
	}
	ctx := identity.NewContext(r.Context(), c.who)
	return act.fn(ctx, c)
}

// principal resolves the API token CKAN clients send raw in Authorization
// (ckanapi sends it there and in X-CKAN-API-Key). No token is anonymous; a
// wrong one is refused rather than ignored.
func (a *api) principal(r *http.Request) (identity.Principal, error) {
	token := strings.TrimSpace(r.Header.Get("Authorization"))
	token = strings.TrimSpace(strings.TrimPrefix(token, "Bearer "))
	if token == "" {
		token = strings.TrimSpace(r.Header.Get("X-CKAN-API-Key"))
	}
	if token == "" {
		return identity.Anonymous, nil
	}
	p, err := a.Identity.TokenPrincipal(r.Context(), token)
	if errors.Is(err, identity.ErrUnauthenticated) {
		return p, fmt.Errorf("%w: the API token is invalid, expired or revoked", identity.ErrForbidden)
	}
	return p, err
}

func (a *api) baseURL(r *http.Request) string {
	if a.PublicURL != "" {
		return strings.TrimRight(a.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// errAnonymousWrite refuses a write action without a token: 401 with
// WWW-Authenticate, in CKAN's error envelope (an Authorization Error, which
// CKAN clients such as ckanapi raise as NotAuthorized).
var errAnonymousWrite = fmt.Errorf("%w: write actions need an API token", identity.ErrUnauthenticated)

// errBadRequest is a request CKAN answers with a bare 400 string.
type errBadRequest struct{ msg string }

func (e errBadRequest) Error() string { return e.msg }

func badRequest(format string, args ...any) error { return errBadRequest{fmt.Sprintf(format, args...)} }

// errorBody maps an error to CKAN's status, headers (Retry-After) and error
// object, through problem.Of. A nil body with status 400 means CKAN's bare
// "Bad request" string. What the object echoes of the request is cut to
// problem's limits.
func (a *api) errorBody(ctx context.Context, action string, err error) (int, http.Header, map[string]any) {
	var br errBadRequest
	if errors.As(err, &br) {
		return http.StatusBadRequest, nil, nil
	}
	pr := problem.Of(identity.FromContext(ctx), err)
	if !pr.Public {
		a.Log.ErrorContext(ctx, "ckan action failed", "action", action, "err", err)
	}
	status, body := pr.CKANStatus, a.errorObject(pr, action, err)
	if errors.Is(err, errAnonymousWrite) {
		status = http.StatusUnauthorized
	}
	for k, v := range body {
		switch v := v.(type) {
		case string:
			body[k] = problem.Text(v, problem.MaxTextBytes)
		case []string:
			for i := range v {
				v[i] = problem.Text(v[i], problem.MaxTextBytes)
			}
		}
	}
	return status, pr.Header, body
}

// errorObject is CKAN's error object for pr, before the cut: its __type
// from the problem table, and the keys CKAN clients read for that type.
func (a *api) errorObject(pr problem.Problem, action string, err error) map[string]any {
	if pr.Kind == problem.Validation {
		return validationError(pr.Fields)
	}
	body := map[string]any{"__type": pr.CKANType}
	switch pr.Kind {
	case problem.Conflict:
		body["state"] = []string{err.Error()}
	case problem.Unauthenticated, problem.Forbidden, problem.Denied:
		body["message"] = accessDenied(action, err)
	case problem.RateLimited:
		body["message"] = "Too many requests: " + reason(err)
	case problem.NotFound:
		body["message"] = "Not found: " + notFoundWhat(err)
	case problem.BadQuery:
		body["message"] = "Search Query is invalid: " + err.Error()
	default:
		body["message"] = pr.Title
	}
	return body
}

// accessDenied is the message of CKAN's Authorization Error for err.
func accessDenied(action string, err error) string {
	var denied *access.DeniedError
	switch {
	case errors.Is(err, errAnonymousWrite):
		return "Authentication required: " + action + " needs an API token (Authorization header)"
	case errors.As(err, &denied):
		return "Access denied: " + denied.Decision.Message
	}
	if detail := strings.TrimPrefix(err.Error(), identity.ErrForbidden.Error()); strings.HasPrefix(detail, ": ") {
		return "Access denied" + detail
	}
	return "Access denied: you are not allowed to " + strings.ReplaceAll(action, "_", " ")
}

// reason is the access decision's message inside err, or err's own text.
func reason(err error) string {
	var denied *access.DeniedError
	if errors.As(err, &denied) {
		return denied.Decision.Message
	}
	return err.Error()
}

// validationError is CKAN's Validation Error: the messages by field, at
// most problem.MaxErrors of them (a final "__more" says how many were left
// out). "__codes" adds each message's stable code and arguments, by field
// and in the same order, for clients that translate.
func validationError(verrs validate.Errors) map[string]any {
	body := map[string]any{"__type": "Validation Error"}
	codes := map[string][]fieldCode{}
	keep, more := problem.Count(len(verrs))
	for _, fe := range verrs[:keep] {
		key := ckanField(fe.Field)
		msgs, _ := body[key].([]string)
		body[key] = append(msgs, fe.Message)
		codes[key] = append(codes[key], fieldCode{Code: fe.Code, Args: problem.Values(fe.Args)})
	}
	if len(codes) > 0 {
		body["__codes"] = codes
	}
	if more != "" {
		body["__more"] = []string{more}
	}
	return body
}

// fieldCode is one entry of a Validation Error's "__codes".
type fieldCode struct {
	Code string `json:"code,omitempty"`
	Args []any  `json:"args,omitempty"`
}

func notFoundWhat(err error) string {
	msg := strings.TrimSuffix(err.Error(), ": "+store.ErrNotFound.Error())
	if msg == store.ErrNotFound.Error() {
		return "the object does not exist"
	}
	return msg
}

// writeJSON encodes v into a buffer first, so a failed encode never leaves half a response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"success": false}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// params are an action's parameters: a JSON object, or form or query
// values (a value given twice is a list), as CKAN reads them.
type params map[string]any

func readParams(r *http.Request) (params, error) {
	p := params{}
	if r.Method != http.MethodPost {
		for k, vs := range r.URL.Query() {
			p.setValues(k, vs)
		}
		return p, nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/x-www-form-urlencoded", "multipart/form-data":
		if err := r.ParseMultipartForm(4 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
			return nil, badRequest("JSON Error: %v", err)
		}
		for k, vs := range r.PostForm {
			p.setValues(k, vs)
		}
		return p, nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, badRequest("JSON Error: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return p, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil || p == nil {
		return nil, badRequest("JSON Error: Error decoding JSON data. Request data JSON decoded to %s but it needs to be a dictionary.", strings.TrimSpace(string(body[:min(len(body), 80)])))
	}
	return p, nil
}

func (p params) setValues(k string, vs []string) {
	if len(vs) == 1 {
		p[k] = vs[0]
		return
	}
	list := make([]any, len(vs))
	for i, v := range vs {
		list[i] = v
	}
	p[k] = list
}

// str returns a parameter as text ("" when absent).
func (p params) str(key string) string { return ckanpkg.Text(p[key]) }

// has reports whether the parameter was given.
func (p params) has(key string) bool {
	_, ok := p[key]
	return ok
}

// integer returns an integer parameter, def when absent; a non-number is a
// Validation Error on that field, as in CKAN.
func (p params) integer(key string, def int) (int, error) {
	s := strings.TrimSpace(p.str(key))
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, validate.Errors{{Field: key, Value: s, Message: "Invalid integer"}}
	}
	if n < 0 {
		return 0, validate.Errors{{Field: key, Value: s, Message: "Must be a natural number"}}
	}
	return n, nil
}

// boolean reads CKAN's booleans: true, "true", "True", "1", "yes", "on".
func (p params) boolean(key string, def bool) bool {
	if strings.TrimSpace(p.str(key)) == "" {
		return def
	}
	return ckanpkg.Truthy(p.str(key))
}

// list reads a list parameter: a JSON list, a JSON-encoded list in a
// string (as in facet.field=["tags"]), or repeated values.
func (p params) list(key string) ([]string, error) {
	var raw []any
	switch v := p[key].(type) {
	case nil:
		return nil, nil
	case []any:
		raw = v
	case string:
		s := strings.TrimSpace(v)
		if s == "" {
			return nil, nil
		}
		if !strings.HasPrefix(s, "[") {
			return []string{s}, nil
		}
		if err := json.Unmarshal([]byte(s), &raw); err != nil {
			return nil, validate.Errors{{Field: key, Value: s, Message: "is not a JSON list"}}
		}
	default:
		return nil, validate.Errors{{Field: key, Message: "must be a list"}}
	}
	out := make([]string, 0, len(raw))
	for _, v := range raw {
		out = append(out, params{"v": v}.str("v"))
	}
	return out, nil
}

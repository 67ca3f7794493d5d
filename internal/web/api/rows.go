package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"dataport/internal/access"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/ingest"
	"dataport/internal/web/problem"
	"dataport/internal/web/uploadgate"

	"github.com/danielgtaylor/huma/v2"
)

// The native rows API: queries, exports, versions with their quality
// reports, rollback, release and diff, loading settings, and load status.
// Every operation that serves rows is a dataRoute and asks the access
// decision point through the datastore service. Uploads (POST
// /resources/{id}/data) stream a file of any size and are served by
// UploadHandler, outside huma, which would buffer the body.

type rowsIn struct {
	ID     string   `path:"id" doc:"Resource id"`
	Fields string   `query:"fields" doc:"Comma-separated items to return; default every item you may read"`
	Filter []string `query:"filter,explode" doc:"ITEM:OP:VALUE, repeatable; OP is eq, ne, lt, lte, gt, gte, in (values separated by |), null, notnull"`
	Q      string   `query:"q" doc:"Words that must each appear in some text item"`
	Sort   string   `query:"sort" doc:"ITEM [asc|desc], comma-separated; ties are broken by row"`
	Limit  int      `query:"limit" minimum:"1" maximum:"32000" default:"100"`
	Offset int      `query:"offset" minimum:"0" doc:"Matching rows to skip before the page (numbered paging); not with cursor, which is faster on deep pages"`
	Cursor string   `query:"cursor" doc:"next_cursor of the previous page (keyset paging)"`
	Total  bool     `query:"total" default:"true" doc:"Count the matching rows (exact up to 10,000, estimated beyond)"`
}

type rowsOut struct{ Body datastore.RowsPage }

type exportIn struct {
	ID     string   `path:"id" doc:"Resource id"`
	Fields string   `query:"fields" doc:"Comma-separated items to export; default every item you may read"`
	Filter []string `query:"filter,explode" doc:"ITEM:OP:VALUE, as for rows"`
	Q      string   `query:"q"`
	Sort   string   `query:"sort"`
	Format string   `query:"format" enum:"csv,json,xlsx,parquet,geojson" default:"csv" doc:"geojson (RFC 7946, one Feature a row) only for rows with longitude and latitude items or a GeoJSON geometry item"`
	BOM    bool     `query:"bom" doc:"Start a CSV with a UTF-8 byte order mark, for Excel"`
}

type versionIn struct {
	ID      string `path:"id"`
	Version int    `path:"version"`
}

type versionsIn struct {
	ID      string `path:"id"`
	Reports bool   `query:"reports" doc:"Include each version's quality report"`
}

type versionsOut struct {
	Body struct {
		Items []datastore.DataVersion `json:"items"`
	}
}

type versionOut struct{ Body datastore.DataVersion }

type releaseIn struct {
	ID      string `path:"id"`
	Version int    `path:"version"`
	Body    struct {
		Comment string `json:"comment" doc:"Why the personal information found does not block publication"`
	}
}

type diffIn struct {
	ID      string `path:"id"`
	Version int    `path:"version"`
	Against int    `query:"against" doc:"The version to compare with; default the one before"`
}

type diffOut struct{ Body datastore.VersionDiff }

type settingsOut struct{ Body datastore.LoadSettings }

type settingsIn struct {
	ID   string `path:"id"`
	Body datastore.LoadSettings
}

type loadIn struct {
	ID string `path:"id"`
}

type loadOut struct{ Body datastore.LoadStatus }

type staleOut struct {
	Body struct {
		Items []datastore.StaleResource `json:"items"`
	}
}

func (h *handlers) rowRoutes(api huma.API) {
	if h.ds == nil {
		return
	}
	tags := []string{tagData}
	secure := []map[string][]string{{"bearer": {}}}
	dataRoute(api, h, huma.Operation{OperationID: "list-rows", Method: http.MethodGet, Path: "/resources/{id}/rows", Tags: tags,
		Summary: "Rows of a resource's current version: fields, filters, full text, sort, offset or keyset paging",
		Description: "Rows of the resource's current version that the caller may read, after an access decision: only the granted fields and rows, " +
			"through the resource's de-identification profile where the rules require one, within the grant's quota. Filters, full-text q, sort " +
			"and paging by offset or, faster on deep pages, by keyset (next_cursor)."}, h.listRows)
	dataRoute(api, h, huma.Operation{OperationID: "export-rows", Method: http.MethodGet, Path: "/resources/{id}/export", Tags: tags,
		Summary:   "Stream every matching row as CSV, JSON, XLSX or Parquet",
		Responses: fileResponses("The rows, in the format asked for", exportTypes()),
		Description: "Streams every matching row the caller may read as CSV (optionally with a UTF-8 byte order mark), JSON, XLSX or Parquet, after the " +
			"same access decision as rows. " +
			"Text cells that a spreadsheet would run as a formula (first character other than white space =, +, -, @, or a leading tab or carriage return) " +
			"are written to CSV with a leading single quote, as OWASP advises against CSV injection; numbers stay numbers, and JSON, XLSX (text cells, " +
			"never formulas) and Parquet carry values unchanged. Under a grant's row quota an export holds at most what is left of it (and at most " +
			"the grant's rows per request): when that cut it, the response carries `Dataport-Quota-Truncated: true`; once the quota is used up, " +
			"exports are refused with reason over_quota."}, h.exportRows)
	huma.Register(api, huma.Operation{OperationID: "list-versions", Method: http.MethodGet, Path: "/resources/{id}/versions", Tags: tags,
		Summary: "Data versions of a resource, newest first",
		Description: "The resource's data versions, newest first, with their status, row counts and, with reports=true, each version's quality report, " +
			"for callers who may see the resource."}, h.listVersions)
	huma.Register(api, huma.Operation{OperationID: "get-version", Method: http.MethodGet, Path: "/resources/{id}/versions/{version}", Tags: tags,
		Summary:     "A data version with its quality report",
		Description: "One data version with its quality report: refused records, rule results and the personal information found."}, h.getVersion)
	huma.Register(api, huma.Operation{OperationID: "rollback-version", Method: http.MethodPost, Path: "/resources/{id}/versions/{version}/rollback",
		Tags: tags, Summary: "Serve an earlier version again", Security: secure,
		Description: "Serves an earlier ready version again as the current one. The resource's editors and admins and platform operators may; a version " +
			"that cannot be served answers 409."}, h.rollbackVersion)
	huma.Register(api, huma.Operation{OperationID: "release-version", Method: http.MethodPost, Path: "/resources/{id}/versions/{version}/release",
		Tags: tags, Summary: "Serve a version held back by the legality check", Security: secure,
		Description: "Serves a version the legality check held back (personal information found in data meant for opening), with a comment saying why " +
			"that does not block publication. The resource's admins and platform operators may."}, h.releaseVersion)
	dataRoute(api, h, huma.Operation{OperationID: "diff-version", Method: http.MethodGet, Path: "/resources/{id}/versions/{version}/diff", Tags: tags,
		Summary:     "Rows added, removed and changed against another version, by key",
		Description: "Rows added, removed and changed between two versions, by the resource's key items, after an access decision."}, h.diffVersion)
	dataRoute(api, h, huma.Operation{OperationID: "quarantine-version", Method: http.MethodGet, Path: "/resources/{id}/versions/{version}/quarantine",
		Tags: tags, Summary: "The records a load refused, as CSV (the providing institution)", Security: secure,
		Responses:   fileResponses("The refused records with their row, column and reason", map[string]*huma.Schema{"text/csv": {Type: huma.TypeString}}),
		Description: "The records a load refused, as CSV with the row, column and reason, for the providing institution after an access decision."}, h.quarantine)
	huma.Register(api, huma.Operation{OperationID: "get-datastore-settings", Method: http.MethodGet, Path: "/resources/{id}/datastore/settings",
		Tags: tags, Summary: "Loading settings: bad-record policy, versions kept, CEL quality rules, indexes",
		Description: "How the resource's data is loaded: the bad-record policy (reject, quarantine), how many versions are kept, the CEL quality rules " +
			"and the indexes."}, h.getSettings)
	huma.Register(api, huma.Operation{OperationID: "set-datastore-settings", Method: http.MethodPut, Path: "/resources/{id}/datastore/settings",
		Tags: tags, Summary: "Replace the loading settings", Security: secure,
		Description: "Replaces the loading settings; bad rules answer 422 naming the rule. The resource's editors and admins may."}, h.setSettings)
	huma.Register(api, huma.Operation{OperationID: "get-load", Method: http.MethodGet, Path: "/loads/{id}", Tags: tags,
		Summary: "Progress of a load", Security: secure,
		Description: "Progress of a load started by an upload: state, rows and bytes read, and the version it produced."}, h.getLoad)
	huma.Register(api, huma.Operation{OperationID: "stale-resources", Method: http.MethodGet, Path: "/organizations/{id}/stale", Tags: tags,
		Summary: "The institution's resources whose data is older than their update frequency allows", Security: secure,
		Description: "The institution's published resources whose current data is older than their update frequency allows. The institution's members " +
			"and platform staff may ask."}, h.staleResources)
}

func (h *handlers) query(in rowsIn) (datastore.Query, error) {
	q := datastore.Query{Q: in.Q, Limit: in.Limit, Offset: in.Offset, Cursor: in.Cursor, Total: in.Total}
	if in.Offset > 0 && in.Cursor != "" {
		return q, huma.Error422UnprocessableEntity("validation failed", &huma.ErrorDetail{Location: "query.offset",
			Message: "cannot be combined with cursor: a cursor already says where the page starts", Value: in.Offset})
	}
	for _, f := range strings.Split(in.Fields, ",") {
		if f = strings.TrimSpace(f); f != "" {
			q.Fields = append(q.Fields, f)
		}
	}
	for i, f := range in.Filter {
		parts := strings.SplitN(f, ":", 3)
		if len(parts) < 2 {
			return q, huma.Error422UnprocessableEntity("validation failed", &huma.ErrorDetail{Location: fmt.Sprintf("query.filter[%d]", i),
				Message: "must be ITEM:OP:VALUE", Value: f})
		}
		flt := datastore.Filter{Item: parts[0], Op: parts[1]}
		if len(parts) == 3 {
			flt.Values = []string{parts[2]}
			if flt.Op == datastore.OpIn {
				flt.Values = strings.Split(parts[2], "|")
			}
		}
		q.Filters = append(q.Filters, flt)
	}
	for _, s := range strings.Split(in.Sort, ",") {
		f := strings.Fields(s)
		if len(f) > 0 {
			q.Sort = append(q.Sort, datastore.SortKey{Item: f[0], Desc: len(f) > 1 && strings.EqualFold(f[1], "desc")})
		}
	}
	return q, nil
}

func (h *handlers) listRows(ctx context.Context, in *rowsIn) (*rowsOut, error) {
	q, err := h.query(*in)
	if err != nil {
		return nil, err
	}
	res, err := h.ds.Search(ctx, identity.FromContext(ctx), in.ID, access.ChannelAPIRows, q)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &rowsOut{Body: res}, nil
}

// QuotaTruncatedHeader is set to "true" on an export that a grant's row
// quota (or rows per request) cut short of the rows that matched.
const QuotaTruncatedHeader = "Dataport-Quota-Truncated"

func (h *handlers) exportRows(ctx context.Context, in *exportIn) (*huma.StreamResponse, error) {
	q, err := h.query(rowsIn{ID: in.ID, Fields: in.Fields, Filter: in.Filter, Q: in.Q, Sort: in.Sort})
	if err != nil {
		return nil, err
	}
	exp, err := h.ds.PrepareExport(ctx, identity.FromContext(ctx), in.ID, access.ChannelAPIExport, q)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	format, bom := in.Format, in.BOM
	if err := exp.CanWrite(format); err != nil {
		exp.Close(ctx)
		return nil, h.fail(ctx, err)
	}
	if h.acc.Engage != nil { // the dataset page's download count: every file download comes here
		h.acc.Engage.Download(in.ID)
	}
	return &huma.StreamResponse{Body: func(hctx huma.Context) {
		hctx.SetHeader("Content-Type", datastore.ExportFormats[format])
		hctx.SetHeader("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-v%d.%s"`, exp.Code, exp.Version(), format))
		if exp.Truncated {
			hctx.SetHeader(QuotaTruncatedHeader, "true")
		}
		if err := exp.WriteTo(hctx.Context(), hctx.BodyWriter(), format, bom); err != nil {
			h.log.ErrorContext(ctx, "export failed while streaming", "resource", in.ID, "err", err)
		}
	}}, nil
}

func (h *handlers) listVersions(ctx context.Context, in *versionsIn) (*versionsOut, error) {
	vs, err := h.ds.Versions(ctx, identity.FromContext(ctx), in.ID, in.Reports)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &versionsOut{}
	out.Body.Items = vs
	return out, nil
}

func (h *handlers) version(ctx context.Context, v datastore.DataVersion, err error) (*versionOut, error) {
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &versionOut{Body: v}, nil
}

func (h *handlers) getVersion(ctx context.Context, in *versionIn) (*versionOut, error) {
	v, err := h.ds.Version(ctx, identity.FromContext(ctx), in.ID, in.Version)
	return h.version(ctx, v, err)
}

func (h *handlers) rollbackVersion(ctx context.Context, in *versionIn) (*versionOut, error) {
	v, err := h.ds.Rollback(ctx, identity.FromContext(ctx), in.ID, in.Version)
	return h.version(ctx, v, err)
}

func (h *handlers) releaseVersion(ctx context.Context, in *releaseIn) (*versionOut, error) {
	v, err := h.ds.Release(ctx, identity.FromContext(ctx), in.ID, in.Version, in.Body.Comment)
	return h.version(ctx, v, err)
}

func (h *handlers) diffVersion(ctx context.Context, in *diffIn) (*diffOut, error) {
	against := in.Against
	if against == 0 {
		against = in.Version - 1
	}
	d, err := h.ds.Diff(ctx, identity.FromContext(ctx), in.ID, against, in.Version)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &diffOut{Body: d}, nil
}

func (h *handlers) quarantine(ctx context.Context, in *versionIn) (*huma.StreamResponse, error) {
	write, err := h.ds.Quarantine(ctx, identity.FromContext(ctx), in.ID, in.Version)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &huma.StreamResponse{Body: func(hctx huma.Context) {
		hctx.SetHeader("Content-Type", "text/csv; charset=utf-8")
		hctx.SetHeader("Content-Disposition", fmt.Sprintf(`attachment; filename="quarantine-v%d.csv"`, in.Version))
		w := csv.NewWriter(hctx.BodyWriter())
		if err := write(w); err != nil {
			h.log.ErrorContext(ctx, "quarantine download failed while streaming", "err", err)
		}
		w.Flush()
	}}, nil
}

func (h *handlers) getSettings(ctx context.Context, in *loadIn) (*settingsOut, error) {
	st, err := h.ds.Settings(ctx, identity.FromContext(ctx), in.ID)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &settingsOut{Body: st}, nil
}

func (h *handlers) setSettings(ctx context.Context, in *settingsIn) (*settingsOut, error) {
	st, err := h.ds.SetSettings(ctx, identity.FromContext(ctx), in.ID, in.Body)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &settingsOut{Body: st}, nil
}

func (h *handlers) getLoad(ctx context.Context, in *loadIn) (*loadOut, error) {
	l, err := h.ds.LoadStatus(ctx, identity.FromContext(ctx), in.ID)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &loadOut{Body: l}, nil
}

func (h *handlers) staleResources(ctx context.Context, in *loadIn) (*staleOut, error) {
	items, err := h.ds.Stale(ctx, identity.FromContext(ctx), in.ID)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &staleOut{}
	out.Body.Items = items
	return out, nil
}

// MaxUpload caps an uploaded file.
const MaxUpload = 8 << 30

// UploadHandler serves POST /api/v1/resources/{id}/data: the file streams
// from the request into a new version without being held in memory. It
// authenticates like the rest of the API (bearer token) but replaces the
// API's 4 MiB body cap with MaxUpload for this route only. One user runs
// at most uploadgate.Parallel uploads at once and starts about
// uploadgate.PerMinute a minute; another answers 429 with Retry-After
// before its body is read, so one account cannot keep the cores busy
// reading files.
func UploadHandler(cfg Config) http.Handler {
	h := &handlers{id: cfg.Identity, ds: cfg.Datastore, log: cfg.Log}
	gate := cfg.Uploads
	if gate == nil {
		gate = uploadgate.New()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := r.Body
		authenticate(cfg.Identity, cfg.Log, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if p := identity.FromContext(r.Context()); !p.IsAnonymous() {
				done, err := gate.Take(p.UserID, time.Now())
				if err != nil {
					pr := problem.Of(p, err)
					maps.Copy(w.Header(), pr.Header)
					writeJSONProblem(w, pr.Status, pr.Detail, nil)
					return
				}
				defer done()
			}
			r.Body = http.MaxBytesReader(w, body, MaxUpload)
			h.upload(w, r)
		})).ServeHTTP(w, r)
	})
}

func (h *handlers) upload(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := identity.FromContext(ctx)
	if p.IsAnonymous() {
		writeProblem(w, http.StatusUnauthorized, "authentication required: send an API token")
		return
	}
	src, name, err := uploadedFile(r)
	if err != nil {
		writeJSONProblem(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	q := r.URL.Query()
	opts := ingest.Options{Sheet: q.Get("sheet"), Encoding: q.Get("encoding")}
	switch d := q.Get("delimiter"); d {
	case "":
	case "tab", "\\t":
		opts.Delimiter = '\t'
	default:
		opts.Delimiter = []rune(d)[0]
	}
	v, err := h.ds.Load(ctx, p, r.PathValue("id"), datastore.LoadInput{File: src, Name: name, Size: r.ContentLength, Options: opts})
	if err != nil {
		h.uploadFailed(w, r, err)
		return
	}
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Location", fmt.Sprintf("%s/resources/%s/versions/%d", Prefix, v.ResourceID, v.Version))
	w.WriteHeader(http.StatusCreated)
	w.Write(body)
}

// uploadedFile returns the file part of a multipart form, or the raw body
// named by ?name=.
func uploadedFile(r *http.Request) (io.Reader, string, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		name := r.URL.Query().Get("name")
		if name == "" {
			name = map[string]string{"text/csv": "upload.csv", "application/json": "upload.json", "application/x-ndjson": "upload.ndjson",
				"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "upload.xlsx"}[mt]
		}
		return r.Body, name, nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "", err
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, "", errors.New("the form has no file field named \"file\"")
		}
		if err != nil {
			return nil, "", err
		}
		if part.FormName() == "file" {
			return part, part.FileName(), nil
		}
	}
}

// uploadFailed writes a refused load as problem+json with one entry per
// refused value, located as file.row[N].COLUMN.
func (h *handlers) uploadFailed(w http.ResponseWriter, r *http.Request, err error) {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		writeJSONProblem(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the file is larger than %d bytes", int64(MaxUpload)), nil)
		return
	}
	var le *datastore.LoadError
	if errors.As(err, &le) {
		details := make([]*huma.ErrorDetail, len(le.Errors))
		for i, e := range le.Errors {
			loc := "file.row[" + strconv.FormatInt(e.Row, 10) + "]"
			if e.Column != "" {
				loc += "." + e.Column
			}
			details[i] = &huma.ErrorDetail{Location: loc, Message: e.Reason, Value: e.Value}
		}
		writeJSONProblem(w, http.StatusUnprocessableEntity, le.Reason, details)
		return
	}
	pr := problem.Of(identity.FromContext(r.Context()), err)
	if !pr.Public {
		h.log.ErrorContext(r.Context(), "upload failed", "err", err)
	}
	for k, v := range pr.Header {
		w.Header()[k] = v
	}
	writeJSONProblem(w, pr.Status, pr.Detail, nil)
}

func writeJSONProblem(w http.ResponseWriter, status int, detail string, errs []*huma.ErrorDetail) {
	m := huma.ErrorModel{Title: http.StatusText(status), Status: status, Detail: detail, Errors: errs}
	capProblem(&m)
	body, _ := json.Marshal(m)
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	w.Write(body)
}

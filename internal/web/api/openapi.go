package api

import (
	"net/http"
	"reflect"

	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/web/problem"

	"github.com/danielgtaylor/huma/v2"
)

// The tags that group the operations of the OpenAPI document, one per
// domain. Every operation carries one of them (TestOpenAPIOperationsAreDocumented).
const (
	tagCatalog        = "Catalog"
	tagData           = "Data"
	tagAccess         = "Access"
	tagSharing        = "Sharing"
	tagOpening        = "Opening"
	tagNotifications  = "Notifications"
	tagReviews        = "Reviews"
	tagIdentity       = "Identity"
	tagClassification = "Classification"
	tagDeid           = "De-identification"
	tagLedger         = "Ledger"
)

// tags are the document's global tags, in the order a reader meets them.
var tags = []*huma.Tag{
	{Name: tagCatalog, Description: "The public data catalog (公共数据目录): resources described to the catalog spec, " +
		"their review by the platform operator, publication, retirement and version history."},
	{Name: tagData, Description: "The data behind a resource: uploads as new versions with quality reports, rows, exports, " +
		"version history, rollback and release, and loading settings. Every read is an access decision."},
	{Name: tagAccess, Description: "Grants, the access decision point, per-grant API keys and access groups."},
	{Name: tagSharing, Description: "Sharing between public institutions (article 17): requests, reviews within a deadline, escalation."},
	{Name: tagOpening, Description: "Opening to the public (article 18): applications for conditionally open data and annual open lists."},
	{Name: tagReviews, Description: "What waits for the caller across every kind of review: requests and applications to decide, " +
		"and requests for more material to answer."},
	{Name: tagNotifications, Description: "The caller's notices from the workflows."},
	{Name: tagIdentity, Description: "Organizations, users, memberships and API tokens."},
	{Name: tagClassification, Description: "Classification and grading (GB/T 43697): grades, their reasons, and what a grade requires."},
	{Name: tagDeid, Description: "De-identification profiles of a resource and their previews."},
	{Name: tagLedger, Description: "The transparency log: event history, receipts and the signed checkpoint."},
}

// bearer is the security requirement of an operation that needs an API token.
var bearer = []map[string][]string{{"bearer": {}}}

// isWrite reports whether method changes something.
func isWrite(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

// newGroup returns the API every operation is registered on. It applies,
// in one place for every operation:
//   - writes need an API token: each write operation declares bearer
//     security and a 401 response in the document, and an anonymous caller
//     gets 401 before its parameters or body are read or validated;
//   - error responses echo at most problem.MaxErrors entries and
//     problem.MaxValueBytes of each value.
func newGroup(api huma.API) *huma.Group {
	g := huma.NewGroup(api)
	unauthorized := &huma.Response{Description: "No API token was sent: send Authorization: Bearer TOKEN",
		Headers: map[string]*huma.Param{"WWW-Authenticate": {Description: "Bearer", Schema: &huma.Schema{Type: huma.TypeString}}},
		Content: map[string]*huma.MediaType{"application/problem+json": {
			Schema: api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[huma.ErrorModel](), true, "Error")}}}
	g.UseSimpleModifier(func(op *huma.Operation) {
		if !isWrite(op.Method) {
			return
		}
		if len(op.Security) == 0 {
			op.Security = bearer
		}
		if op.Responses == nil {
			op.Responses = map[string]*huma.Response{}
		}
		if op.Responses["401"] == nil {
			op.Responses["401"] = unauthorized
		}
	})
	g.UseMiddleware(func(ctx huma.Context, next func(huma.Context)) {
		if isWrite(ctx.Operation().Method) && identity.FromContext(ctx.Context()).IsAnonymous() {
			ctx.SetHeader("WWW-Authenticate", `Bearer realm="dataport"`)
			huma.WriteErr(g, ctx, http.StatusUnauthorized, "authentication required: send an API token as Authorization: Bearer TOKEN")
			return
		}
		next(ctx)
	})
	g.UseTransformer(func(_ huma.Context, _ string, v any) (any, error) {
		if m, ok := v.(*huma.ErrorModel); ok {
			capProblem(m)
		}
		return v, nil
	})
	return g
}

// capProblem cuts what m echoes of the request to problem's limits.
func capProblem(m *huma.ErrorModel) {
	m.Detail = problem.Text(m.Detail, problem.MaxTextBytes)
	keep, more := problem.Count(len(m.Errors))
	errs := make([]*huma.ErrorDetail, 0, keep+1)
	for _, e := range m.Errors[:keep] {
		if e == nil {
			continue
		}
		errs = append(errs, &huma.ErrorDetail{Message: problem.Text(e.Message, problem.MaxTextBytes),
			Location: problem.Text(e.Location, problem.MaxTextBytes), Value: problem.Value(e.Value)})
	}
	if more != "" {
		errs = append(errs, &huma.ErrorDetail{Message: more})
	}
	if m.Errors != nil {
		m.Errors = errs
	}
}

// uploadMediaTypes are the bodies POST /resources/{id}/data accepts as the raw file.
var uploadMediaTypes = []string{"text/csv", "application/json", "application/x-ndjson",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream"}

// documentUpload describes POST /resources/{id}/data, which UploadHandler
// serves outside huma so that the body streams instead of being read into
// memory: the operation is only added to the document, never registered.
func documentUpload(api huma.API) {
	oapi := api.OpenAPI()
	binary := &huma.Schema{Type: huma.TypeString, Format: "binary", Description: "The file's bytes"}
	content := map[string]*huma.MediaType{"multipart/form-data": {Schema: &huma.Schema{Type: huma.TypeObject, Required: []string{"file"},
		Properties: map[string]*huma.Schema{"file": binary}}}}
	for _, mt := range uploadMediaTypes {
		content[mt] = &huma.MediaType{Schema: binary}
	}
	errSchema := oapi.Components.Schemas.Schema(reflect.TypeFor[huma.ErrorModel](), true, "Error")
	problemResponse := func(desc string) *huma.Response {
		return &huma.Response{Description: desc, Content: map[string]*huma.MediaType{"application/problem+json": {Schema: errSchema}}}
	}
	query := func(name, desc string, enum ...any) *huma.Param {
		return &huma.Param{Name: name, In: "query", Description: desc, Schema: &huma.Schema{Type: huma.TypeString, Enum: enum}}
	}
	oapi.AddOperation(&huma.Operation{OperationID: "upload-data", Method: http.MethodPost, Path: "/resources/{id}/data",
		Tags: []string{tagData}, Security: bearer, Summary: "Load a file (CSV, XLSX, JSON, NDJSON) as a new version",
		Description: "Send the file as multipart/form-data (field `file`) or as the raw body with its media type, naming it with " +
			"`?name=FILE.csv` when the type does not say the format. The body is streamed: files of any size (up to 8 GiB) are read " +
			"once and never held in memory. The providing institution's editors and admins may load; an anonymous caller gets 401 " +
			"before the body is read. Answers 201 with the new version and its quality report, or 422 with the refused values " +
			"(row, column, value, reason; at most 100 entries, each value cut at 200 bytes); nothing changes on a refusal.",
		Parameters: []*huma.Param{
			{Name: "id", In: "path", Required: true, Description: "Resource id", Schema: &huma.Schema{Type: huma.TypeString}},
			query("name", "The file's name; its extension names the format of a raw body"),
			query("sheet", "The XLSX sheet to load (default: the first)"),
			query("encoding", "The text encoding of a CSV (default: detected)", "utf-8", "gb18030"),
			query("delimiter", "The CSV delimiter (default: detected); `tab` for a tab"),
		},
		RequestBody: &huma.RequestBody{Required: true, Description: "The file", Content: content},
		Responses: map[string]*huma.Response{
			"201": {Description: "The new version with its quality report",
				Headers: map[string]*huma.Param{"Location": {Description: "The new version", Schema: &huma.Schema{Type: huma.TypeString}}},
				Content: map[string]*huma.MediaType{"application/json": {
					Schema: oapi.Components.Schemas.Schema(reflect.TypeFor[datastore.DataVersion](), true, "")}}},
			"400": problemResponse("The form or body could not be read"),
			"401": problemResponse("No API token was sent"),
			"403": problemResponse("The caller may not load data into this resource"),
			"404": problemResponse("No such resource"),
			"413": problemResponse("The file is larger than the limit"),
			"422": problemResponse("The file was refused; nothing changed"),
		}})
}

package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"

	"dataport/internal/classify"
	"dataport/internal/deid"
	"dataport/internal/identity"
	"dataport/internal/ingest"
	"dataport/internal/validate"

	"github.com/danielgtaylor/huma/v2"
)

type gradingOut struct{ Body classify.ResourceGrading }

type csvIn struct {
	ID      string `path:"id"`
	RawBody []byte `contentType:"text/csv" doc:"CSV (UTF-8 or GB18030) with a header row, at most 4 MiB"`
}

type overrideIn struct {
	ID   string `path:"id"`
	Body classify.OverrideInput
}

type enforcementIn struct {
	ID   string `path:"id"`
	Use  string `query:"use" enum:"open,open_conditional,share,zone" default:"open"`
	Path string `query:"path" enum:"download,api,ckan,sql,export,sandbox" default:"download"`
}

type requirementOut struct{ Body classify.Requirement }

type rulesOut struct {
	Body struct {
		ID           string          `json:"id"`
		Rules        []classify.Rule `json:"rules"`
		MaxOpenLevel int             `json:"max_open_level"`
	}
}

type scanOnlyIn struct {
	RawBody []byte `contentType:"text/csv"`
	Subject string `query:"subject" doc:"Catalog subject code, for rules that use it"`
}

type scanOut struct{ Body classify.Result }

type profileOut struct{ Body deid.StoredProfile }

type profileIDIn struct {
	ID string `path:"id" doc:"Profile id"`
}

type createProfileIn struct {
	ID   string `path:"id" doc:"Resource id"`
	Body deid.ProfileInput
}

type updateProfileIn struct {
	ID   string `path:"id" doc:"Profile id"`
	Body deid.ProfileInput
}

type previewOut struct {
	Body struct {
		Report deid.Report `json:"report"`
		Header []string    `json:"header"`
		Rows   [][]string  `json:"rows" doc:"The first 20 rows of the output"`
	}
}

func (h *handlers) classifyRoutes(api huma.API) {
	if h.acc.Grades == nil || h.acc.Profiles == nil {
		return
	}
	tags := []string{tagClassification}
	secure := []map[string][]string{{"bearer": {}}}
	huma.Register(api, huma.Operation{Tags: tags, OperationID: "get-resource-grading", Method: http.MethodGet, Path: "/resources/{id}/grading",
		Summary: "The resource's grade (GB/T 43697) with its reasons and column findings",
		Description: "The resource's grade (general, important, core; level 1–4 under GB/T 43697) with the rules that gave it, the column findings of " +
			"the last scan, and any override."}, h.getGrading)
	huma.Register(api, huma.Operation{Tags: tags, OperationID: "scan-resource", Method: http.MethodPost, Path: "/resources/{id}/grading/scan",
		Summary: "Scan a CSV of the resource's data and store its grade", Security: secure,
		Description: "Scans a CSV sample of the resource's data (at most 4 MiB) for personal information, grades it and stores the result. The " +
			"resource's editors and platform operators may."}, h.scanResource)
	huma.Register(api, huma.Operation{Tags: tags, OperationID: "override-resource-grading", Method: http.MethodPost, Path: "/resources/{id}/grading/override",
		Summary:     "Set the resource's grade by hand, with a written reason",
		Description: "Platform operators may set any grade; the institution's admins may only make it stricter."}, h.overrideGrading)
	huma.Register(api, huma.Operation{Tags: tags, OperationID: "get-resource-enforcement", Method: http.MethodGet, Path: "/resources/{id}/enforcement",
		Summary: "What a read of the resource for a use and path requires under its grade",
		Description: "What a read of the resource for a use (open, open on application, share, zone) and path (download, API, CKAN, SQL, export, " +
			"sandbox) requires under its grade: allowed or not, de-identification, operator approval, watermarking."}, h.enforcement)
	huma.Register(api, huma.Operation{Tags: tags, OperationID: "get-grading-rules", Method: http.MethodGet, Path: "/grading/rules",
		Summary:     "The grading rules in force",
		Description: "The grading rules in force (shipped or the operator's file) and the highest level that may be opened."}, h.gradingRules)
	huma.Register(api, huma.Operation{Tags: tags, OperationID: "scan-csv", Method: http.MethodPost, Path: "/classify/scan",
		Summary: "Scan a CSV and grade it without storing anything", Security: secure,
		Description: "Scans a CSV (at most 4 MiB) for personal information and grades it, storing nothing: a check before cataloguing. Any signed-in " +
			"user may scan."}, h.scanOnly)
	h.profileRoutes(api, secure)
}

func (h *handlers) profileRoutes(api huma.API, secure []map[string][]string) {
	tags := []string{tagDeid}
	huma.Register(api, huma.Operation{OperationID: "list-deid-profiles", Method: http.MethodGet, Path: "/resources/{id}/deid-profiles", Tags: tags,
		Summary: "The resource's de-identification profiles", Security: secure,
		Description: "The resource's de-identification profiles. Members of its institution and platform staff see them."}, h.listProfiles)
	huma.Register(api, huma.Operation{OperationID: "create-deid-profile", Method: http.MethodPost, Path: "/resources/{id}/deid-profiles", Tags: tags,
		Summary: "Add a de-identification profile to a resource", DefaultStatus: http.StatusCreated, Security: secure,
		Description: "Adds a de-identification profile to the resource: operators per column (masking, generalisation by hierarchy, pseudonymisation " +
			"with a kept key, suppression) and privacy models (k-anonymity, l-diversity). The resource's editors and platform operators may."}, h.createProfile)
	huma.Register(api, huma.Operation{OperationID: "get-deid-profile", Method: http.MethodGet, Path: "/deid-profiles/{id}", Tags: tags,
		Summary: "Show a de-identification profile", Security: secure,
		Description: "One de-identification profile, without its secret key."}, h.getProfile)
	huma.Register(api, huma.Operation{OperationID: "update-deid-profile", Method: http.MethodPut, Path: "/deid-profiles/{id}", Tags: tags,
		Summary: "Replace a de-identification profile (its key stays)", Security: secure,
		Description: "Replaces a profile's operators and models; its pseudonymisation key stays, so pseudonyms stay stable. The resource's editors and " +
			"platform operators may."}, h.updateProfile)
	huma.Register(api, huma.Operation{OperationID: "delete-deid-profile", Method: http.MethodDelete, Path: "/deid-profiles/{id}", Tags: tags,
		Summary: "Delete a de-identification profile", DefaultStatus: http.StatusNoContent, Security: secure,
		Description: "Deletes a de-identification profile. The resource's editors and platform operators may."}, h.deleteProfile)
	huma.Register(api, huma.Operation{OperationID: "preview-deid-profile", Method: http.MethodPost, Path: "/deid-profiles/{id}/preview", Tags: tags,
		Summary: "Apply a profile to a CSV sample and show the report and the first rows", Security: secure,
		Description: "Applies the profile to a CSV sample (at most 4 MiB) and returns the risk report (k, l, suppressed records, re-identification risk) " +
			"and the first 20 output rows, storing nothing. The resource's editors and platform operators may."}, h.previewProfile)
}

func (h *handlers) getGrading(ctx context.Context, in *resourceIDIn) (*gradingOut, error) {
	g, err := h.acc.Grades.Get(ctx, identity.FromContext(ctx), in.ID)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &gradingOut{Body: g}, nil
}

func (h *handlers) scanResource(ctx context.Context, in *csvIn) (*gradingOut, error) {
	res, err := scanCSV(in.RawBody)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	g, err := h.acc.Grades.Grade(ctx, identity.FromContext(ctx), in.ID, res, "api upload")
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &gradingOut{Body: g}, nil
}

func (h *handlers) overrideGrading(ctx context.Context, in *overrideIn) (*gradingOut, error) {
	g, err := h.acc.Grades.Override(ctx, identity.FromContext(ctx), in.ID, in.Body)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &gradingOut{Body: g}, nil
}

func (h *handlers) enforcement(ctx context.Context, in *enforcementIn) (*requirementOut, error) {
	r, err := h.cat.Get(ctx, identity.FromContext(ctx), in.ID)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	req, err := h.acc.Grades.Requirement(ctx, r, classify.Use(in.Use), classify.Path(in.Path))
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &requirementOut{Body: req}, nil
}

func (h *handlers) gradingRules(ctx context.Context, _ *struct{}) (*rulesOut, error) {
	out := &rulesOut{}
	rs := h.acc.Grades.Rules()
	out.Body.ID, out.Body.Rules, out.Body.MaxOpenLevel = rs.ID(), rs.Rules, h.acc.Grades.Policy().MaxOpenLevel
	return out, nil
}

func (h *handlers) scanOnly(ctx context.Context, in *scanOnlyIn) (*scanOut, error) {
	if identity.FromContext(ctx).IsAnonymous() {
		return nil, h.fail(ctx, identity.ErrUnauthenticated)
	}
	res, err := scanCSV(in.RawBody)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	g, err := h.acc.Grades.Rules().Grade(res, classify.Facts{Subject: in.Subject})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	res.Classification = &g
	return &scanOut{Body: res}, nil
}

// scanCSV scans an uploaded CSV; a file that cannot be read is a field error of the body.
func scanCSV(body []byte) (classify.Result, error) {
	r, err := ingest.Open(bytes.NewReader(body), "upload.csv", ingest.Options{Format: ingest.CSV})
	if err != nil {
		return classify.Result{}, validate.Errors{{Field: "file", Message: err.Error()}}
	}
	defer r.Close()
	s := classify.NewScanner(r.Header())
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return s.Result(), nil
		}
		var rowErr *ingest.RowError
		if errors.As(err, &rowErr) {
			continue
		}
		if err != nil {
			return classify.Result{}, validate.Errors{{Field: "file", Message: err.Error()}}
		}
		s.Add(rec)
	}
}

func (h *handlers) listProfiles(ctx context.Context, in *resourceIDIn) (*List[deid.StoredProfile], error) {
	list, err := h.acc.Profiles.List(ctx, identity.FromContext(ctx), in.ID)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &List[deid.StoredProfile]{}
	out.Body.Items = list
	return out, nil
}

func (h *handlers) createProfile(ctx context.Context, in *createProfileIn) (*profileOut, error) {
	sp, err := h.acc.Profiles.Create(ctx, identity.FromContext(ctx), in.ID, in.Body)
	return h.profile(ctx, sp, err)
}

func (h *handlers) getProfile(ctx context.Context, in *profileIDIn) (*profileOut, error) {
	sp, err := h.acc.Profiles.Get(ctx, identity.FromContext(ctx), in.ID)
	return h.profile(ctx, sp, err)
}

func (h *handlers) updateProfile(ctx context.Context, in *updateProfileIn) (*profileOut, error) {
	sp, err := h.acc.Profiles.Update(ctx, identity.FromContext(ctx), in.ID, in.Body)
	return h.profile(ctx, sp, err)
}

func (h *handlers) deleteProfile(ctx context.Context, in *profileIDIn) (*struct{}, error) {
	if err := h.acc.Profiles.Delete(ctx, identity.FromContext(ctx), in.ID); err != nil {
		return nil, h.fail(ctx, err)
	}
	return nil, nil
}

func (h *handlers) profile(ctx context.Context, sp deid.StoredProfile, err error) (*profileOut, error) {
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &profileOut{Body: sp}, nil
}

func (h *handlers) previewProfile(ctx context.Context, in *struct {
	ID      string `path:"id" doc:"Profile id"`
	RawBody []byte `contentType:"text/csv"`
}) (*previewOut, error) {
	p := identity.FromContext(ctx)
	sp, err := h.acc.Profiles.Get(ctx, p, in.ID)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	r, err := h.cat.Get(ctx, p, sp.ResourceID)
	if err != nil || !deid.CanManage(p, r) {
		return nil, h.fail(ctx, identity.ErrForbidden)
	}
	t, err := readCSVTable(in.RawBody)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	outT, rep, err := h.acc.Profiles.Apply(ctx, sp.ID, t)
	if errors.Is(err, deid.ErrNoSolution) || errors.Is(err, deid.ErrLatticeTooLarge) {
		err = validate.Errors{{Field: "profile", Message: err.Error()}}
	}
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &previewOut{}
	out.Body.Report, out.Body.Header, out.Body.Rows = rep, outT.Header, outT.Rows[:min(20, len(outT.Rows))]
	return out, nil
}

func readCSVTable(body []byte) (deid.Table, error) {
	r, err := ingest.Open(bytes.NewReader(body), "upload.csv", ingest.Options{Format: ingest.CSV})
	if err != nil {
		return deid.Table{}, validate.Errors{{Field: "file", Message: err.Error()}}
	}
	defer r.Close()
	header := append([]string(nil), r.Header()...)
	rows, err := ingest.ReadAll(r)
	if err != nil {
		return deid.Table{}, validate.Errors{{Field: "file", Message: err.Error()}}
	}
	for i := range rows {
		for len(rows[i]) < len(header) {
			rows[i] = append(rows[i], "")
		}
	}
	return deid.Table{Header: header, Rows: rows}, nil
}

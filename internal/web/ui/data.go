package ui

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/ingest"
	"dataport/internal/jobs"
	"dataport/internal/validate"
)

// The data pages of a resource: a preview of its current rows, its data
// versions with their quality reports (rollback, release), the upload form
// and the status page of a load. Uploads are posted as multipart forms to
// their own route, outside the 1 MiB form cap: the file is spooled to the
// data dir while the browser shows its upload progress, then loaded by a
// background job (internal/jobs), which a restart does not lose, while the
// status page refreshes itself (no JavaScript).

// dataPage is the data of the resource's data page.
type dataPage struct {
	Resource catalog.Resource
	Preview  *datastore.RowsPage
	Cells    [][]string // the preview's rows as text ("—" for no value)
	Denied   string     // why the preview is not shown
	Versions []datastore.DataVersion
	CanLoad  bool
	Settings settingsForm
	Errors   formErrors
	// RuleTemplates are the common quality rules offered (desk_rules.go).
	RuleTemplates []string
}

// settingsForm is the loading settings as the form shows and takes them.
type settingsForm struct {
	OnError      string
	KeepVersions string
	Indexes      string // item names, comma-separated
	Rules        string // one rule a line: ITEM: EXPRESSION | MESSAGE
}

func newSettingsForm(st datastore.LoadSettings) settingsForm {
	f := settingsForm{OnError: string(st.OnError), KeepVersions: strconv.Itoa(st.KeepVersions), Indexes: strings.Join(st.Indexes, ", ")}
	var lines []string
	for _, r := range st.Rules {
		line := r.Item + ": " + r.Expr
		if r.Message != "" {
			line += " | " + r.Message
		}
		lines = append(lines, line)
	}
	f.Rules = strings.Join(lines, "\n")
	return f
}

// parse reads the form into settings; malformed rule lines are field errors.
func (f settingsForm) parse() (datastore.LoadSettings, validate.Errors) {
	var errs validate.Errors
	st := datastore.LoadSettings{OnError: datastore.OnError(f.OnError), Indexes: []string{}, Rules: []ingest.QualityRule{}}
	n, err := strconv.Atoi(strings.TrimSpace(f.KeepVersions))
	if err != nil {
		errs.Add("keep_versions", f.KeepVersions, validate.CodeInteger, "must be a whole number")
	}
	st.KeepVersions = n
	for _, ix := range strings.Split(f.Indexes, ",") {
		if ix = strings.TrimSpace(ix); ix != "" {
			st.Indexes = append(st.Indexes, ix)
		}
	}
	for i, line := range strings.Split(f.Rules, "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		item, rest, ok := strings.Cut(line, ":")
		if !ok {
			errs.Add(fmt.Sprintf("rules[%d]", i), line, "rule_syntax", "must be ITEM: EXPRESSION, optionally followed by | MESSAGE")
			continue
		}
		expr, msg, _ := strings.Cut(rest, "|")
		st.Rules = append(st.Rules, ingest.QualityRule{Item: strings.TrimSpace(item), Expr: strings.TrimSpace(expr), Message: strings.TrimSpace(msg)})
	}
	return st, errs
}

// versionPage shows one version's quality report.
type versionPage struct {
	Resource   catalog.Resource
	Version    datastore.DataVersion
	Items      []itemQualityRow
	CanManage  bool                   // roll back (ready, not current)
	CanRelease bool                   // held by the legality check
	Diff       *datastore.VersionDiff // against the version before, when both are readable
	Held       *heldReason            // why it is held and who may release it (desk_held.go)
	Errors     formErrors
}

// itemQualityRow is one item's completeness and validity, formatted.
type itemQualityRow struct {
	datastore.ItemQuality
	NullPercent string
}

// loadPage shows a load's progress and its job's.
type loadPage struct {
	Load     datastore.LoadStatus
	Job      *jobs.Job // nil when the load has no job (any more)
	Resource catalog.Resource
	Percent  int
	Loading  bool // the page refreshes itself
	Waiting  bool // the job has not started, or waits to try again
}

const maxUploadBytes = 8 << 30

// data guards a data page: without a datastore there is none.
func (s *server) data(h handlerFunc) handlerFunc {
	if s.datastore == nil {
		return s.notFound
	}
	return h
}

// dataPageHandler shows the preview, the versions and the upload form.
func (s *server) dataPageHandler(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	res, err := s.catalog.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	page, err := s.loadDataPage(r.Context(), p, res)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "data", page)
}

// loadDataPage gathers the data page: versions, settings and a preview.
func (s *server) loadDataPage(ctx context.Context, p identity.Principal, res catalog.Resource) (dataPage, error) {
	page := dataPage{Resource: res, CanLoad: s.jobs != nil && catalog.Actions(p, res).Has(catalog.ActionLoad), RuleTemplates: ruleTemplates}
	var err error
	if page.Versions, err = s.datastore.Versions(ctx, p, res.ID, false); err != nil {
		return page, err
	}
	st, err := s.datastore.Settings(ctx, p, res.ID)
	if err != nil {
		return page, err
	}
	page.Settings = newSettingsForm(st)
	preview, err := s.datastore.Search(ctx, p, res.ID, access.ChannelUIPreview, datastore.Query{Limit: 20, Total: true})
	var denied *access.DeniedError
	switch {
	case err == nil:
		page.Preview = &preview
		for _, row := range preview.Rows {
			cells := make([]string, len(row))
			for i, v := range row {
				cells[i] = "—"
				if v != nil {
					cells[i] = fmt.Sprint(v)
				}
			}
			page.Cells = append(page.Cells, cells)
		}
	case errors.As(err, &denied):
		page.Denied = denied.Decision.Message
	case errors.Is(err, datastore.ErrNoData):
	default:
		return page, err
	}
	return page, nil
}

// saveSettings replaces the loading settings, or shows the form's errors.
func (s *server) saveSettings(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	res, err := s.catalog.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	form := settingsForm{OnError: r.PostForm.Get("on_error"), KeepVersions: r.PostForm.Get("keep_versions"),
		Indexes: r.PostForm.Get("indexes"), Rules: r.PostForm.Get("rules")}
	st, errs := form.parse()
	if len(errs) == 0 {
		_, err = s.datastore.SetSettings(r.Context(), p, res.ID, st)
		errs = fieldErrors(err)
		if err != nil && errs == nil {
			return err
		}
	}
	if len(errs) > 0 {
		page, err := s.loadDataPage(r.Context(), p, res)
		if err != nil {
			return err
		}
		page.Settings, page.Errors = form, newFormErrors(langOf(r), errs)
		return s.render(w, r, http.StatusUnprocessableEntity, "data", page)
	}
	return seeOther(w, r, "/resources/"+res.ID+"/data", "")
}

// versionPageHandler shows a version's quality report.
func (s *server) versionPageHandler(w http.ResponseWriter, r *http.Request) error {
	page, err := s.loadVersionPage(r.Context(), principal(r), r.PathValue("id"), r.PathValue("version"))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "data_version", page)
}

func (s *server) loadVersionPage(ctx context.Context, p identity.Principal, id, version string) (versionPage, error) {
	n, err := strconv.Atoi(version)
	if err != nil {
		return versionPage{}, fmt.Errorf("version %q: %w", version, datastore.ErrNoData)
	}
	res, err := s.catalog.Get(ctx, p, id)
	if err != nil {
		return versionPage{}, err
	}
	v, err := s.datastore.Version(ctx, p, id, n)
	if err != nil {
		return versionPage{}, err
	}
	page := versionPage{Resource: res, Version: v,
		CanManage:  v.Status == datastore.StatusReady && !v.Current && (catalog.CanEdit(p, res) || catalog.CanReview(p)),
		CanRelease: v.Status == datastore.StatusHeld && catalog.CanRetire(p, res), Held: s.heldReasonOf(ctx, res, v)}
	for _, it := range v.Report.Items {
		page.Items = append(page.Items, itemQualityRow{ItemQuality: it, NullPercent: fmt.Sprintf("%.1f%%", it.NullRate*100)})
	}
	if v.Version > 1 && v.Status == datastore.StatusReady {
		if d, err := s.datastore.Diff(ctx, p, id, v.Version-1, v.Version); err == nil {
			page.Diff = &d // a pruned or held predecessor, or a denial, shows no diff
		}
	}
	return page, nil
}

// rollbackVersion serves an earlier version again.
func (s *server) rollbackVersion(w http.ResponseWriter, r *http.Request) error {
	n, _ := strconv.Atoi(r.PathValue("version"))
	if _, err := s.datastore.Rollback(r.Context(), principal(r), r.PathValue("id"), n); err != nil {
		return err
	}
	return seeOther(w, r, "/resources/"+r.PathValue("id")+"/data", "")
}

// releaseVersion serves a version held by the legality check.
func (s *server) releaseVersion(w http.ResponseWriter, r *http.Request) error {
	n, _ := strconv.Atoi(r.PathValue("version"))
	_, err := s.datastore.Release(r.Context(), principal(r), r.PathValue("id"), n, r.PostForm.Get("comment"))
	if errs := fieldErrors(err); errs != nil {
		page, perr := s.loadVersionPage(r.Context(), principal(r), r.PathValue("id"), r.PathValue("version"))
		if perr != nil {
			return perr
		}
		page.Errors = newFormErrors(langOf(r), errs)
		return s.render(w, r, http.StatusUnprocessableEntity, "data_version", page)
	}
	if err != nil {
		return err
	}
	return seeOther(w, r, "/resources/"+r.PathValue("id")+"/data", "")
}

// loadPageHandler shows a load's progress, refreshing while it runs.
func (s *server) loadPageHandler(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	l, err := s.datastore.LoadStatus(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	res, err := s.catalog.Get(r.Context(), p, l.ResourceID)
	if err != nil {
		return err
	}
	page := loadPage{Load: l, Resource: res, Loading: l.State == "loading"}
	if l.TotalBytes > 0 {
		page.Percent = int(min(100, l.Bytes*100/l.TotalBytes))
	}
	if s.jobs != nil {
		if j, err := s.jobs.LoadJob(r.Context(), l.ID); err == nil {
			page.Job = &j
			// A load whose try failed is marked failed, but its job runs
			// it again: the page follows it until the job is finished.
			page.Loading = page.Loading || l.State == "failed" && !j.Finished()
			page.Waiting = j.State != "running" && !j.Finished()
		} else if !errors.Is(err, jobs.ErrNoJob) {
			return err
		}
	}
	if page.Loading {
		w.Header().Set("Refresh", "2")
	}
	return s.render(w, r, http.StatusOK, "data_load", page)
}

// uploadHandler receives the upload form (multipart: csrf_token first,
// then file). It runs its own session and CSRF checks because the pages'
// middleware reads forms under a 1 MiB cap. The file is spooled to the data
// dir and its load queued as a job with the load's registration.
func (s *server) uploadHandler() http.Handler {
	return s.sessions.Load(s.handle(func(w http.ResponseWriter, r *http.Request) error {
		r.Body = http.MaxBytesReader(w, r.Body, maxUploadBytes)
		p, err := requireUser(r)
		if err != nil {
			return err
		}
		id := r.PathValue("id")
		if err := s.datastore.CanLoad(r.Context(), p, id); err != nil {
			return err // before reading the body, as the API refuses
		}
		done, err := s.uploads.Take(p.UserID, time.Now())
		if err != nil {
			return err // 429 with Retry-After, the body unread
		}
		defer done()
		name, path, size, err := s.spoolUpload(r)
		if err != nil {
			return err
		}
		loadID, err := s.jobs.EnqueueLoad(r.Context(), p, id, name, path, size)
		if err != nil {
			os.Remove(path)
			return err
		}
		return seeOther(w, r, "/loads/"+loadID, "")
	}))
}

// spoolUpload checks the form's CSRF token and writes its file to the
// runner's spool, returning the file's name, path and size.
func (s *server) spoolUpload(r *http.Request) (string, string, int64, error) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		return "", "", 0, errBadForm
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return "", "", 0, errBadForm
	}
	part, err := mr.NextPart()
	if err != nil || part.FormName() != "csrf_token" {
		return "", "", 0, errCSRF
	}
	sent, _ := io.ReadAll(io.LimitReader(part, 100))
	token := s.sessions.CSRF(r)
	if token == "" || subtle.ConstantTimeCompare(sent, []byte(token)) != 1 {
		return "", "", 0, errCSRF
	}
	for {
		part, err = mr.NextPart()
		if err != nil {
			return "", "", 0, errBadForm
		}
		if part.FormName() == "file" && part.FileName() != "" {
			break
		}
	}
	f, err := s.jobs.SpoolFile()
	if err != nil {
		return "", "", 0, err
	}
	defer f.Close()
	size, err := io.Copy(f, part)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		os.Remove(f.Name())
		return "", "", 0, errTooLarge
	} else if err != nil {
		os.Remove(f.Name())
		return "", "", 0, errBadForm
	}
	return part.FileName(), f.Name(), size, nil
}

// stalePage lists, for each institution of the viewer, the resources whose
// newest data is older than their update frequency allows.
type stalePage struct {
	Orgs []staleOrg
}

type staleOrg struct {
	Org   identity.Organization
	Items []datastore.StaleResource
}

// stalePageHandler is the timeliness part of the institution's dashboard.
func (s *server) stalePageHandler(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	var page stalePage
	for _, id := range p.OrgIDs() {
		org, err := s.identity.Organization(r.Context(), id)
		if err != nil {
			return err
		}
		items, err := s.datastore.Stale(r.Context(), p, id)
		if err != nil {
			return err
		}
		page.Orgs = append(page.Orgs, staleOrg{Org: org, Items: items})
	}
	return s.render(w, r, http.StatusOK, "data_stale", page)
}

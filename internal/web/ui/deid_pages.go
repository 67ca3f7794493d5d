package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/classify"
	"dataport/internal/datastore"
	"dataport/internal/deid"
	"dataport/internal/identity"
	"dataport/internal/ingest"
	"dataport/internal/store"
	"dataport/internal/validate"
	"dataport/internal/web/ui/i18n"
)

// The de-identification page of a resource (GB/T 37964): its profiles, a
// form to create or change one (an operator per data item, the
// quasi-identifiers with their hierarchies, k, l and the suppression
// limit), deletion, and a preview of a profile on the resource's current
// data or on a pasted CSV sample. The institution's members and platform
// staff see the page; its editors and platform operators change profiles
// (the deid service decides).

// deidPage is the data of the page.
type deidPage struct {
	Resource  catalog.Resource
	Profiles  []profileRow
	CanManage bool
	Form      deidForm
	Errors    formErrors
	Preview   *deidPreview
	HasData   bool        // the datastore can give the resource's current rows for a preview
	Presets   *presetForm // the presets in plain words, for those who manage profiles (desk_deid.go)
}

// profileRow is one stored profile as the list shows it.
type profileRow struct {
	deid.StoredProfile
	Ops         []string // "column: op", for the columns with an operator
	Suppression string   // the suppression limit as a percentage
}

// deidForm is the profile form as shown and as the user filled it in.
type deidForm struct {
	ProfileID      string // "" for a new profile
	Name           string
	Paths          []string
	K, L           string
	MaxSuppression string
	Sample         string // the preview's pasted CSV
	PreviewID      string // the profile the sample form previews
	PathChoices    []string
	Cols           []deidColumn
}

// deidColumn is one data item's row of the form.
type deidColumn struct {
	Index               int
	Name, Label         string
	Role                string // "", "qi" or "sensitive"
	Op                  string
	KeepFirst, KeepLast string
	Hierarchy           string // "" (guess from the values), a built-in type, or "csv" (kept from the API)
	Widths, Levels      string
	OpChoices, HChoices []string
}

// deidPreview is a profile's result on a table.
type deidPreview struct {
	ProfileName string
	Source      string // "current" or "sample"
	Version     int    // the data version previewed, for "current"
	Report      deid.Report
	RiskBefore  string // prosecutor risk: highest, average, records at risk
	RiskAfter   string
	Loss        string
	Header      []string
	Rows        [][]string
	Error       string // why the profile could not be applied
}

// formOps are the operators this form configures fully; others (set through
// the API) are offered only on the columns that already have them.
var formOps = []string{deid.OpKeep, deid.OpDrop, deid.OpRedact, deid.OpMask, deid.OpPseudonymize, deid.OpSuppress, deid.OpDateShift}

// hierarchyTypes are the built-in hierarchy builders; "" guesses from the values.
var hierarchyTypes = []string{"", "interval", "date", "region", "mask", "values"}

// deidPaths are the paths a profile may be limited to.
var deidPaths = append(slices.Clone(classify.OpenPaths), classify.PathSandbox)

// previewRows caps the rows of current data a preview reads.
const previewRows = 10000

// deidPage shows the profiles. Query: edit (a profile id) fills the form with it.
func (s *server) deidPage(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	page, err := s.loadDeidPage(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	if id := r.URL.Query().Get("edit"); id != "" && page.CanManage {
		sp, err := s.profiles.Get(r.Context(), p, id)
		if err != nil {
			return err
		}
		if sp.ResourceID != page.Resource.ID {
			return s.notFound(w, r)
		}
		page.Form = newDeidForm(page.Resource, &sp)
	}
	return s.render(w, r, http.StatusOK, "deid", page)
}

// loadDeidPage gathers the page for p: 404 for resources p cannot see, 403
// for those whose profiles p may not see.
// manageDeidPage loads the de-identification page of the resource in the
// path for a signed-in user who may manage its profiles.
func (s *server) manageDeidPage(r *http.Request) (identity.Principal, deidPage, error) {
	p, err := requireUser(r)
	if err != nil {
		return p, deidPage{}, err
	}
	page, err := s.loadDeidPage(r.Context(), p, r.PathValue("id"))
	if err == nil && !page.CanManage {
		err = identity.ErrForbidden
	}
	return p, page, err
}

func (s *server) loadDeidPage(ctx context.Context, p identity.Principal, id string) (deidPage, error) {
	if s.profiles == nil {
		return deidPage{}, fmt.Errorf("ui: no de-identification service: %w", errNoPage)
	}
	res, err := s.catalog.Get(ctx, p, id)
	if err != nil {
		return deidPage{}, err
	}
	list, err := s.profiles.List(ctx, p, res.ID)
	if err != nil {
		return deidPage{}, err
	}
	page := deidPage{Resource: res, CanManage: deid.CanManage(p, res), Form: newDeidForm(res, nil), HasData: s.datastore != nil}
	if page.CanManage {
		page.Presets = s.presetFormOf(ctx, p, res)
	}
	for _, sp := range list {
		row := profileRow{StoredProfile: sp, Suppression: percent(sp.Profile.MaxSuppression)}
		for _, it := range res.Items {
			if op, ok := sp.Profile.Columns[it.Name]; ok && op.Op != deid.OpKeep {
				row.Ops = append(row.Ops, it.Name+": "+op.Op)
			}
		}
		page.Profiles = append(page.Profiles, row)
	}
	return page, nil
}

// newDeidForm is the form for a new profile (sp nil) or for changing sp.
func newDeidForm(res catalog.Resource, sp *deid.StoredProfile) deidForm {
	f := deidForm{K: "5", L: "0", MaxSuppression: "0.05", PathChoices: stringsOf(deidPaths)}
	var prof deid.Profile
	if sp != nil {
		prof = sp.Profile
		f.ProfileID, f.Name = sp.ID, sp.Name
		f.K, f.L = strconv.Itoa(prof.K), strconv.Itoa(prof.L)
		f.MaxSuppression = strconv.FormatFloat(prof.MaxSuppression, 'f', -1, 64)
		f.Paths = stringsOf(sp.Paths)
	}
	for i, it := range res.Items {
		c := deidColumn{Index: i, Name: it.Name, Label: it.LabelZh, Op: deid.OpKeep}
		if slices.Contains(prof.QuasiIdentifiers, it.Name) {
			c.Role = "qi"
		} else if slices.Contains(prof.Sensitive, it.Name) {
			c.Role = "sensitive"
		}
		if op, ok := prof.Columns[it.Name]; ok {
			c.Op = op.Op
			if op.Op == deid.OpMask {
				c.KeepFirst, c.KeepLast = strconv.Itoa(op.KeepFirst), strconv.Itoa(op.KeepLast)
			}
		}
		if h, ok := prof.Hierarchies[it.Name]; ok {
			switch {
			case h.Type != "":
				c.Hierarchy = h.Type
				c.Widths = formatWidths(h.Widths)
				if h.Levels > 0 {
					c.Levels = strconv.Itoa(h.Levels)
				}
			default:
				c.Hierarchy = "csv"
			}
		}
		f.Cols = append(f.Cols, c.withChoices())
	}
	return f
}

// withChoices sets the choices of c's selects: the form's operators and
// hierarchy types, plus the ones c already has from the API.
func (c deidColumn) withChoices() deidColumn {
	c.OpChoices = slices.Clone(formOps)
	if c.Op != "" && !slices.Contains(c.OpChoices, c.Op) {
		c.OpChoices = append(c.OpChoices, c.Op)
	}
	c.HChoices = slices.Clone(hierarchyTypes)
	if c.Hierarchy != "" && !slices.Contains(c.HChoices, c.Hierarchy) {
		c.HChoices = append(c.HChoices, c.Hierarchy)
	}
	return c
}

func formatWidths(ws []float64) string {
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = strconv.FormatFloat(w, 'f', -1, 64)
	}
	return strings.Join(parts, ", ")
}

// readDeidForm reads the posted form over the resource's items.
func readDeidForm(r *http.Request, res catalog.Resource) deidForm {
	pf := r.PostForm
	f := deidForm{ProfileID: pf.Get("profile_id"), Name: pf.Get("deid_name"), Paths: pf["deid_paths"],
		K: pf.Get("deid_k"), L: pf.Get("deid_l"), MaxSuppression: pf.Get("deid_max_suppression"), PathChoices: stringsOf(deidPaths)}
	for i, it := range res.Items {
		at := func(name string) string { return pf.Get(fmt.Sprintf("cols.%d.%s", i, name)) }
		f.Cols = append(f.Cols, deidColumn{Index: i, Name: it.Name, Label: it.LabelZh, Role: at("role"), Op: at("op"),
			KeepFirst: at("keep_first"), KeepLast: at("keep_last"), Hierarchy: at("hierarchy"), Widths: at("widths"), Levels: at("levels")}.withChoices())
	}
	return f
}

// keyedError is a problem of one input of the form.
type keyedError struct {
	key string
	validate.FieldError
}

// input turns the form into the service's input. base is the stored
// profile being changed (zero for a new one): what the form does not show
// (t-closeness, risk settings, API-only operators and csv hierarchies left
// as they were) is kept from it. Problems of the form's own syntax come
// back as keyed errors.
func (f deidForm) input(base deid.Profile) (deid.ProfileInput, []keyedError) {
	var errs []keyedError
	whole := func(key, v string) int {
		v = strings.TrimSpace(v)
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, keyedError{key, validate.FieldError{Code: validate.CodeInteger, Message: "must be a whole number"}})
		}
		return n
	}
	prof := deid.Profile{T: base.T, SamplingFraction: base.SamplingFraction, RiskThreshold: base.RiskThreshold, Metric: base.Metric,
		QuasiIdentifiers: []string{}, Columns: map[string]deid.ColumnOp{}, Hierarchies: map[string]deid.HierarchySpec{}}
	prof.K = whole("deid_k", f.K)
	prof.L = whole("deid_l", f.L)
	if v := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(f.MaxSuppression), "%")); v != "" {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			errs = append(errs, keyedError{"deid_max_suppression", validate.FieldError{Code: validate.CodeNumber, Message: "must be a number"}})
		} else if strings.HasSuffix(strings.TrimSpace(f.MaxSuppression), "%") {
			x /= 100
		}
		prof.MaxSuppression = x
	}
	for _, c := range f.Cols {
		key := func(name string) string { return fmt.Sprintf("cols.%d.%s", c.Index, name) }
		switch c.Role {
		case "qi":
			prof.QuasiIdentifiers = append(prof.QuasiIdentifiers, c.Name)
		case "sensitive":
			prof.Sensitive = append(prof.Sensitive, c.Name)
		case "":
		default:
			errs = append(errs, keyedError{key("role"), validate.FieldError{Code: validate.CodeOneOf, Message: "must be one of the choices offered"}})
		}
		switch op := c.Op; {
		case op == "" || op == deid.OpKeep:
		case !slices.Contains(formOps, op) && base.Columns[c.Name].Op == op:
			prof.Columns[c.Name] = base.Columns[c.Name] // an API operator, unchanged
		default:
			co := deid.ColumnOp{Op: op}
			if op == deid.OpMask {
				co.KeepFirst, co.KeepLast = whole(key("keep_first"), c.KeepFirst), whole(key("keep_last"), c.KeepLast)
			}
			prof.Columns[c.Name] = co
		}
		switch h := c.Hierarchy; h {
		case "":
		case "csv":
			if old, ok := base.Hierarchies[c.Name]; ok && old.CSV != "" {
				prof.Hierarchies[c.Name] = old
			} else {
				errs = append(errs, keyedError{key("hierarchy"), validate.FieldError{Code: validate.CodeOneOf, Message: "must be one of the choices offered"}})
			}
		default:
			spec := deid.HierarchySpec{Type: h, Levels: whole(key("levels"), c.Levels)}
			for _, w := range strings.FieldsFunc(c.Widths, func(r rune) bool { return r == ',' || r == '，' || r == ' ' }) {
				x, err := strconv.ParseFloat(w, 64)
				if err != nil {
					errs = append(errs, keyedError{key("widths"), validate.FieldError{Code: "numbers", Message: "must be numbers separated by commas"}})
					break
				}
				spec.Widths = append(spec.Widths, x)
			}
			prof.Hierarchies[c.Name] = spec
		}
	}
	in := deid.ProfileInput{Name: f.Name, Profile: prof}
	for _, p := range f.Paths {
		in.Paths = append(in.Paths, classify.Path(p))
	}
	return in, errs
}

// saveDeidProfile creates a profile, or changes the one named by
// profile_id. Form fields: csrf_token, profile_id, deid_name, deid_paths,
// deid_k, deid_l, deid_max_suppression, cols.N.{role,op,keep_first,
// keep_last,hierarchy,widths,levels} per data item N.
func (s *server) saveDeidProfile(w http.ResponseWriter, r *http.Request) error {
	p, page, err := s.manageDeidPage(r)
	if err != nil {
		return err
	}
	form := readDeidForm(r, page.Resource)
	var base deid.Profile
	if form.ProfileID != "" {
		sp, err := s.profiles.Get(r.Context(), p, form.ProfileID)
		if err != nil {
			return err
		}
		if sp.ResourceID != page.Resource.ID {
			return s.notFound(w, r)
		}
		base = sp.Profile
	}
	in, formErrs := form.input(base)
	if len(formErrs) == 0 {
		if form.ProfileID == "" {
			_, err = s.profiles.Create(r.Context(), p, page.Resource.ID, in)
		} else {
			_, err = s.profiles.Update(r.Context(), p, form.ProfileID, in)
		}
		if errs := fieldErrors(err); errs != nil {
			formErrs = deidKeyed(page.Resource, errs)
		} else if err != nil {
			return err
		}
	}
	if len(formErrs) > 0 {
		page.Form = form
		page.Errors = deidFormErrors(langOf(r), page.Resource, formErrs)
		return s.render(w, r, http.StatusUnprocessableEntity, "deid", page)
	}
	done := "deid_created"
	if form.ProfileID != "" {
		done = "deid_updated"
	}
	return seeOther(w, r, "/resources/"+page.Resource.ID+"/deid", done)
}

// deleteDeidProfile removes a profile. Form fields: csrf_token.
func (s *server) deleteDeidProfile(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	if s.profiles == nil {
		return s.notFound(w, r)
	}
	sp, err := s.profiles.Get(r.Context(), p, r.PathValue("profile"))
	if err != nil {
		return err
	}
	if sp.ResourceID != r.PathValue("id") {
		return s.notFound(w, r)
	}
	if err := s.profiles.Delete(r.Context(), p, sp.ID); err != nil {
		return err
	}
	return seeOther(w, r, "/resources/"+sp.ResourceID+"/deid", "deid_deleted")
}

// previewDeidProfile applies a profile to the resource's current data, or
// to the pasted CSV sample when there is one, and shows the report and the
// first rows. Nothing is stored. Form fields: csrf_token, sample.
func (s *server) previewDeidProfile(w http.ResponseWriter, r *http.Request) error {
	p, page, err := s.manageDeidPage(r)
	if err != nil {
		return err
	}
	id := r.PathValue("profile")
	if id == "" {
		id = r.PostForm.Get("profile") // the sample form names the profile in a field
	}
	sp, err := s.profiles.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	if sp.ResourceID != page.Resource.ID {
		return s.notFound(w, r)
	}
	page.Form.PreviewID = sp.ID
	prev := &deidPreview{ProfileName: sp.Name, Source: "sample"}
	page.Preview = prev
	page.Form.Sample = r.PostForm.Get("sample")
	var t deid.Table
	if strings.TrimSpace(page.Form.Sample) != "" {
		if t, err = readSample(page.Form.Sample); err != nil {
			page.Errors = deidFormErrors(langOf(r), page.Resource, []keyedError{{"sample", validate.FieldError{Code: "sample", Args: []any{err.Error()}, Message: err.Error()}}})
			page.Preview = nil
			return s.render(w, r, http.StatusUnprocessableEntity, "deid", page)
		}
	} else {
		prev.Source = "current"
		t, prev.Version, err = s.currentTable(r.Context(), p, page.Resource.ID)
		if errors.Is(err, datastore.ErrNoData) && s.datastore != nil {
			prev.Source = "held" // no current data yet: the version held for personal information, for its editors
			prev.Version, t.Header, t.Rows, err = s.datastore.HeldRows(r.Context(), p, page.Resource.ID, previewRows)
		}
		if err != nil {
			var denied *access.DeniedError
			switch {
			case errors.Is(err, datastore.ErrNoData), errors.Is(err, errNoPage):
				prev.Error = i18n.T(langOf(r), "deid.no_data")
			case errors.As(err, &denied):
				prev.Error = denied.Decision.Message
			default:
				return err
			}
			return s.render(w, r, http.StatusOK, "deid", page)
		}
	}
	out, rep, err := s.profiles.Apply(r.Context(), sp.ID, t)
	if err != nil {
		if errs := fieldErrors(err); errs != nil {
			prev.Error = strings.Join(summarize(langOf(r), errs), "；")
		} else {
			// ErrNoSolution, ErrLatticeTooLarge and a table the profile does not fit.
			prev.Error = refusalText(langOf(r), err)
		}
		return s.render(w, r, http.StatusOK, "deid", page)
	}
	prev.Report, prev.Header, prev.Rows = rep, out.Header, out.Rows[:min(20, len(out.Rows))]
	lang := langOf(r)
	risk := func(m deid.ModelRisk) string {
		return i18n.T(lang, "deid.rep.risk", percent(m.Highest), percent(m.Average), percent(m.AtRisk))
	}
	prev.RiskBefore, prev.RiskAfter, prev.Loss = risk(rep.RiskBefore.Prosecutor), risk(rep.RiskAfter.Prosecutor), percent(rep.InformationLoss.Granularity)
	return s.render(w, r, http.StatusOK, "deid", page)
}

// currentTable reads the resource's current rows through the datastore (and
// so through the access decision point), as text.
func (s *server) currentTable(ctx context.Context, p identity.Principal, id string) (deid.Table, int, error) {
	if s.datastore == nil {
		return deid.Table{}, 0, errNoPage
	}
	rows, err := s.datastore.Search(ctx, p, id, access.ChannelDeidPreview, datastore.Query{Limit: previewRows})
	if err != nil {
		return deid.Table{}, 0, err
	}
	t := deid.Table{}
	for _, f := range rows.Fields {
		t.Header = append(t.Header, f.ID)
	}
	for _, row := range rows.Rows {
		cells := make([]string, len(row))
		for i, v := range row {
			if v != nil {
				cells[i] = fmt.Sprint(v)
			}
		}
		t.Rows = append(t.Rows, cells)
	}
	return t, rows.Version, nil
}

// readSample reads a pasted CSV with a header row.
func readSample(text string) (deid.Table, error) {
	rd, err := ingest.Open(bytes.NewReader([]byte(text)), "sample.csv", ingest.Options{Format: ingest.CSV})
	if err != nil {
		return deid.Table{}, err
	}
	defer rd.Close()
	header := slices.Clone(rd.Header())
	rows, err := ingest.ReadAll(rd)
	if err != nil {
		return deid.Table{}, err
	}
	for i := range rows {
		for len(rows[i]) < len(header) {
			rows[i] = append(rows[i], "")
		}
	}
	return deid.Table{Header: header, Rows: rows}, nil
}

// errNoPage marks a page the application runs without.
var errNoPage = fmt.Errorf("ui: page not available: %w", store.ErrNotFound)

// deidKeyed maps the service's field paths to the form's inputs.
func deidKeyed(res catalog.Resource, errs validate.Errors) []keyedError {
	col := func(name string) int {
		return slices.IndexFunc(res.Items, func(it catalog.Item) bool { return it.Name == name })
	}
	var out []keyedError
	for _, e := range errs {
		key := "deid_profile"
		f := e.Field
		switch {
		case f == "name":
			key = "deid_name"
		case strings.HasPrefix(f, "paths"):
			key = "deid_paths"
		case f == "profile.k", f == "profile.l", f == "profile.max_suppression":
			key = "deid_" + strings.TrimPrefix(f, "profile.")
		case f == "profile.sensitive":
			key = "deid_l"
		case strings.HasPrefix(f, "profile.quasi_identifiers["), strings.HasPrefix(f, "profile.sensitive["):
			if i := col(fmt.Sprint(e.Value)); i >= 0 {
				key = fmt.Sprintf("cols.%d.role", i)
			}
		case strings.HasPrefix(f, "profile.columns."), strings.HasPrefix(f, "profile.hierarchies."):
			rest := strings.TrimPrefix(strings.TrimPrefix(f, "profile.columns."), "profile.hierarchies.")
			name, sub, _ := strings.Cut(rest, ".")
			i := col(name)
			if i < 0 {
				break
			}
			part := "op"
			switch {
			case strings.HasPrefix(f, "profile.hierarchies.") && (sub == "widths" || sub == "levels"):
				part = sub
			case strings.HasPrefix(f, "profile.hierarchies."):
				part = "hierarchy"
			case e.Code == "keep_negative":
				part = "keep_first"
			}
			key = fmt.Sprintf("cols.%d.%s", i, part)
		}
		out = append(out, keyedError{key, e})
	}
	return out
}

// deidFormErrors translates the form's problems, labelling each column's
// inputs with the column's name.
func deidFormErrors(lang string, res catalog.Resource, errs []keyedError) formErrors {
	fe := formErrors{byKey: map[string][]string{}}
	for _, e := range errs {
		label := fieldLabel(lang, e.key)
		if parts := strings.Split(e.key, "."); len(parts) == 3 && parts[0] == "cols" {
			i, _ := strconv.Atoi(parts[1])
			if i >= 0 && i < len(res.Items) {
				label = i18n.T(lang, "deid.col_of", res.Items[i].Name, i18n.T(lang, "deid.col."+parts[2]))
			}
		}
		text := labelled(lang, label, problemText(lang, e.Code, e.Args, e.Message))
		fe.list = append(fe.list, formError{ID: fieldID(e.key), Text: text})
		fe.byKey[e.key] = append(fe.byKey[e.key], text)
	}
	return fe
}

// percent shows a share (0–1) as a percentage.
func percent(x float64) string { return strconv.FormatFloat(math.Round(x*1000)/10, 'f', -1, 64) + "%" }

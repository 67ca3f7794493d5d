package ui

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"dataport/internal/assess"
	"dataport/internal/identity"
	"dataport/internal/validate"
	"dataport/internal/web/ui/i18n"
)

// The risk assessments' pages work without script: an assessment's items
// are rows of inputs posted as parallel lists (asset_code, asset_name, …),
// with blank rows to add more; a row left blank is dropped. Problems are
// shown above the form and beside the row and column they name.

// assessBlankRows is how many empty rows each items table offers.
const assessBlankRows = 2

// assessListData is the schedule and the list.
type assessListData struct {
	Schedule    []assess.Entry
	Assessments []assess.Assessment
	State       string
	Next        string
	Overdue     int
}

// assessListPage shows the resources due for assessment, then the
// assessments the viewer may read (filtered by state).
func (s *server) assessListPage(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	sched, err := s.acc.Assess.Schedule(r.Context(), p)
	if err != nil {
		return err
	}
	d := assessListData{Schedule: sched, State: r.URL.Query().Get("state")}
	for _, e := range sched {
		if e.Due == assess.DueNow {
			d.Overdue++
		}
	}
	d.Assessments, d.Next, err = s.acc.Assess.List(r.Context(), p, assess.Filter{State: assess.State(d.State),
		Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "assess_list", d)
}

// assessNewData is the form of a new assessment.
type assessNewData struct {
	In     assess.NewInput
	Orgs   []identity.Organization // the viewer's institutions, for a system's assessment
	Errors formErrors
}

// assessNewForm is the form of a new assessment; ?resource= fills in the
// resource.
func (s *server) assessNewForm(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	in := assess.NewInput{Scope: assess.ScopeResource, ResourceID: r.URL.Query().Get("resource")}
	if in.ResourceID != "" {
		if res, err := s.catalog.Get(r.Context(), p, in.ResourceID); err == nil {
			in.Title = fmt.Sprintf("%d年度数据安全风险评估：%s", time.Now().In(beijing).Year(), res.TitleZh)
		}
	}
	return s.render(w, r, http.StatusOK, "assess_new", assessNewData{In: in, Orgs: s.orgsOf(r, p)})
}

// orgsOf are the organizations p belongs to.
func (s *server) orgsOf(r *http.Request, p identity.Principal) []identity.Organization {
	var out []identity.Organization
	for _, m := range p.Memberships {
		if o, err := s.identity.Organization(r.Context(), m.OrganizationID); err == nil {
			out = append(out, o)
		}
	}
	return out
}

// assessCreate starts an assessment. Form fields: csrf_token, scope,
// resource_id, system_name, org_id, title, scope_note.
func (s *server) assessCreate(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	f := r.PostForm
	in := assess.NewInput{Scope: assess.Scope(f.Get("scope")), ResourceID: f.Get("resource_id"), SystemName: f.Get("system_name"),
		OrgID: f.Get("org_id"), Title: f.Get("title"), ScopeNote: f.Get("scope_note")}
	a, err := s.acc.Assess.Create(r.Context(), p, in)
	if errs := fieldErrors(err); errs != nil {
		return s.render(w, r, http.StatusUnprocessableEntity, "assess_new",
			assessNewData{In: in, Orgs: s.orgsOf(r, p), Errors: newFormErrors(langOf(r), errs)})
	} else if err != nil {
		return err
	}
	return seeOther(w, r, assess.Link(a.ID), "assessment_created")
}

// assessData is an assessment's page.
type assessData struct {
	A        assess.Assessment
	Rows     assessRows // the items form's rows: the items, or what was posted
	Work     bool       // the viewer works on it
	Errors   formErrors
	Problems map[string]bool // "assets.1.value": the cells a problem names
	Task     assess.TaskInput
	TaskErrs formErrors
	Users    map[string]string // user id → name, for tasks' owners
	Members  []identity.User   // who may own a task
	Now      time.Time
}

// Draft reports whether the assessment is still edited.
func (d assessData) Draft() bool { return d.A.State == assess.StateDraft }

// Bad reports whether a problem names the cell (section, row, column).
func (d assessData) Bad(section string, row int, column string) bool {
	return d.Problems[section+"."+strconv.Itoa(row)+"."+column]
}

// CanTask reports whether the viewer may mark task t done.
func (d assessData) CanTask(t assess.Task, viewer identity.Principal) bool {
	return t.DoneAt == nil && (d.Work || t.OwnerUserID == viewer.UserID)
}

// assessPage shows an assessment.
func (s *server) assessPage(w http.ResponseWriter, r *http.Request) error {
	return s.showAssessment(w, r, http.StatusOK, nil, nil)
}

func (s *server) showAssessment(w http.ResponseWriter, r *http.Request, status int, posted *assessData, edit func(*assessData)) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	a, err := s.acc.Assess.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	d := assessData{A: a, Rows: rowsOf(a.Items, assessBlankRows), Work: assess.CanWork(p, a.OrgID), Now: time.Now(),
		Task: assess.TaskInput{Deadline: time.Now().In(beijing).AddDate(0, 1, 0).Format(time.DateOnly)}}
	if posted != nil {
		d.Rows, d.Errors, d.Problems = posted.Rows, posted.Errors, posted.Problems
		d.A.Title, d.A.ScopeNote, d.A.Conclusion = posted.A.Title, posted.A.ScopeNote, posted.A.Conclusion
	}
	if edit != nil {
		edit(&d)
	}
	if d.Users, d.Members, err = s.assessPeople(r, a); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, status, "assess", d)
}

// assessPeople names the tasks' owners and lists who may own a task: the
// institution's members.
func (s *server) assessPeople(r *http.Request, a assess.Assessment) (map[string]string, []identity.User, error) {
	ids := make([]string, 0, len(a.Tasks))
	for _, t := range a.Tasks {
		ids = append(ids, t.OwnerUserID)
	}
	names, err := s.identity.Usernames(r.Context(), ids)
	if err != nil {
		return nil, nil, err
	}
	members, err := s.identity.Members(r.Context(), a.OrgID)
	return names, members, err
}

// assessSave saves a draft's form: title, scope_note, conclusion and the
// items' rows.
func (s *server) assessSave(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	f := r.PostForm
	rows := rowsFromForm(f)
	in := assess.SaveInput{Title: f.Get("title"), ScopeNote: f.Get("scope_note"), Conclusion: f.Get("conclusion"), Items: rows.items()}
	_, err = s.acc.Assess.Save(r.Context(), p, r.PathValue("id"), in)
	if errs := fieldErrors(err); errs != nil {
		posted := &assessData{Rows: rows.withBlanks(assessBlankRows), A: assess.Assessment{Title: in.Title, ScopeNote: in.ScopeNote,
			Conclusion: in.Conclusion}}
		posted.Errors, posted.Problems = assessErrors(langOf(r), errs)
		return s.showAssessment(w, r, http.StatusUnprocessableEntity, posted, nil)
	} else if err != nil {
		return err
	}
	return seeOther(w, r, assess.Link(r.PathValue("id")), "assessment_saved")
}

// assessComplete completes a draft; what it lacks is shown above the form.
func (s *server) assessComplete(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	_, err = s.acc.Assess.Complete(r.Context(), p, r.PathValue("id"))
	if errs := fieldErrors(err); errs != nil {
		return s.showAssessment(w, r, http.StatusUnprocessableEntity, nil, func(d *assessData) {
			d.Errors, d.Problems = assessErrors(langOf(r), errs)
		})
	} else if err != nil {
		return err
	}
	return seeOther(w, r, assess.Link(r.PathValue("id")), "assessment_completed")
}

// assessAddTask adds a remediation task. Form fields: csrf_token, finding,
// title, owner_user_id, deadline.
func (s *server) assessAddTask(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	f := r.PostForm
	in := assess.TaskInput{Finding: f.Get("finding"), Title: f.Get("task_title"), OwnerUserID: f.Get("owner_user_id"), Deadline: f.Get("deadline")}
	_, err = s.acc.Assess.AddTask(r.Context(), p, r.PathValue("id"), in)
	if errs := fieldErrors(err); errs != nil {
		for i := range errs {
			if errs[i].Field == "title" {
				errs[i].Field = "task_title"
			}
		}
		return s.showAssessment(w, r, http.StatusUnprocessableEntity, nil, func(d *assessData) {
			d.Task, d.TaskErrs = in, newFormErrors(langOf(r), errs)
		})
	} else if err != nil {
		return err
	}
	return seeOther(w, r, assess.Link(r.PathValue("id")), "assessment_task_added")
}

// assessTaskDone marks a task done. Form fields: csrf_token, note.
func (s *server) assessTaskDone(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	_, err = s.acc.Assess.CompleteTask(r.Context(), p, r.PathValue("id"), r.PathValue("task"), r.PostForm.Get("note"))
	if err != nil {
		return err
	}
	return seeOther(w, r, assess.Link(r.PathValue("id")), "assessment_task_done")
}

// assessField is a problem's field path: "items.assets[1].value",
// "risks[0]", "conclusion".
var assessField = regexp.MustCompile(`^(?:items\.)?([a-z_]+)(?:\[(\d+)\])?(?:\.([a-z_]+))?`)

// assessErrors translates the problems of an assessment: each is labelled
// with its section, row and column ("资产第 2 行·价值：…"), and the cells
// they name are returned for the form to mark.
func assessErrors(lang string, errs validate.Errors) (formErrors, map[string]bool) {
	fe := formErrors{byKey: map[string][]string{}}
	cells := map[string]bool{}
	for _, e := range errs {
		m := assessField.FindStringSubmatch(e.Field)
		if m == nil {
			continue
		}
		section, row, column := m[1], m[2], m[3]
		label := i18n.T(lang, "field."+section)
		key := section
		if row != "" {
			n, _ := strconv.Atoi(row)
			label += i18n.T(lang, "assess.row", n+1)
			key += "." + row
			if column != "" {
				label += "·" + i18n.T(lang, "assess.col."+column)
				key += "." + column
			}
			cells[key] = true
		}
		text := labelled(lang, label, problemText(lang, e.Code, e.Args, e.Message))
		fe.list = append(fe.list, formError{ID: fieldID(key), Text: text})
		fe.byKey[key] = append(fe.byKey[key], text)
	}
	return fe, cells
}

// assessRows are the items form's rows.
type assessRows struct {
	Assets          []assess.Asset
	Threats         []assess.Threat
	Vulnerabilities []assess.Vulnerability
	Measures        []assessMeasureRow
	Findings        []assessFindingRow
}

// assessMeasureRow and assessFindingRow hold their code lists as the
// form's text ("V1, V2").
type assessMeasureRow struct {
	assess.Measure
	Codes string
}

type assessFindingRow struct {
	assess.Finding
	Codes string
}

// rowsOf are the form's rows of items, with blanks empty rows after each list.
func rowsOf(it assess.Items, blanks int) assessRows {
	var rows assessRows
	rows.Assets, rows.Threats, rows.Vulnerabilities = it.Assets, it.Threats, it.Vulnerabilities
	for _, m := range it.Measures {
		rows.Measures = append(rows.Measures, assessMeasureRow{Measure: m, Codes: strings.Join(m.Vulnerabilities, ", ")})
	}
	for _, f := range it.Findings {
		rows.Findings = append(rows.Findings, assessFindingRow{Finding: f, Codes: strings.Join(f.Risks, ", ")})
	}
	return rows.withBlanks(blanks)
}

func (rows assessRows) withBlanks(n int) assessRows {
	for range n {
		rows.Assets = append(rows.Assets, assess.Asset{})
		rows.Threats = append(rows.Threats, assess.Threat{})
		rows.Vulnerabilities = append(rows.Vulnerabilities, assess.Vulnerability{})
		rows.Measures = append(rows.Measures, assessMeasureRow{})
		rows.Findings = append(rows.Findings, assessFindingRow{})
	}
	return rows
}

// rowsFromForm reads the posted rows, dropping those left blank.
func rowsFromForm(f url.Values) assessRows {
	var rows assessRows
	col := func(name string, i int) string {
		if v := f[name]; i < len(v) {
			return strings.TrimSpace(v[i])
		}
		return ""
	}
	num := func(name string, i int) int { n, _ := strconv.Atoi(col(name, i)); return n }
	blank := func(i int, names ...string) bool {
		for _, n := range names {
			if col(n, i) != "" {
				return false
			}
		}
		return true
	}
	for i := range f["asset_code"] {
		if !blank(i, "asset_code", "asset_name", "asset_value", "asset_description") {
			rows.Assets = append(rows.Assets, assess.Asset{Code: col("asset_code", i), Name: col("asset_name", i), Kind: col("asset_kind", i),
				Value: num("asset_value", i), Description: col("asset_description", i)})
		}
	}
	for i := range f["threat_code"] {
		if !blank(i, "threat_code", "threat_name", "threat_likelihood", "threat_description") {
			rows.Threats = append(rows.Threats, assess.Threat{Code: col("threat_code", i), Name: col("threat_name", i),
				Source: col("threat_source", i), Likelihood: num("threat_likelihood", i), Description: col("threat_description", i)})
		}
	}
	for i := range f["vuln_code"] {
		if !blank(i, "vuln_code", "vuln_name", "vuln_asset", "vuln_threat", "vuln_severity") {
			rows.Vulnerabilities = append(rows.Vulnerabilities, assess.Vulnerability{Code: col("vuln_code", i), Name: col("vuln_name", i),
				Asset: col("vuln_asset", i), Threat: col("vuln_threat", i), Severity: num("vuln_severity", i)})
		}
	}
	for i := range f["measure_code"] {
		if !blank(i, "measure_code", "measure_name", "measure_vulnerabilities") {
			codes := col("measure_vulnerabilities", i)
			rows.Measures = append(rows.Measures, assessMeasureRow{Codes: codes, Measure: assess.Measure{Code: col("measure_code", i),
				Name: col("measure_name", i), Kind: col("measure_kind", i), Effective: col("measure_effective", i) == "yes",
				Vulnerabilities: splitCodes(codes)}})
		}
	}
	for i := range f["finding_code"] {
		if !blank(i, "finding_code", "finding_text", "finding_risks") {
			codes := col("finding_risks", i)
			rows.Findings = append(rows.Findings, assessFindingRow{Codes: codes, Finding: assess.Finding{Code: col("finding_code", i),
				Text: col("finding_text", i), Treatment: col("finding_treatment", i), Risks: splitCodes(codes)}})
		}
	}
	return rows
}

// splitCodes reads "V1, V2；V3" as codes.
func splitCodes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == ';' || r == '；' || r == ' ' || r == '、' })
}

// items are the rows as assessment items.
func (rows assessRows) items() assess.Items {
	it := assess.Items{Assets: rows.Assets, Threats: rows.Threats, Vulnerabilities: rows.Vulnerabilities}
	for _, m := range rows.Measures {
		it.Measures = append(it.Measures, m.Measure)
	}
	for _, f := range rows.Findings {
		it.Findings = append(it.Findings, f.Finding)
	}
	return it
}

// Grades are the 1–5 choices of values, likelihoods and severities.
func (assessData) Grades() []int { return []int{1, 2, 3, 4, 5} }

// AssetKinds, ThreatSources, MeasureKinds and Treatments are the form's choices.
func (assessData) AssetKinds() []string    { return assess.AssetKinds }
func (assessData) ThreatSources() []string { return assess.ThreatSources }
func (assessData) MeasureKinds() []string  { return assess.MeasureKinds }
func (assessData) Treatments() []string    { return assess.Treatments }

// States are the list's filter choices.
func (assessListData) States() []assess.State { return assess.States }

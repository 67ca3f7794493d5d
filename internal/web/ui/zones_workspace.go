package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/validate"
	"dataport/internal/zones"
	"dataport/internal/zones/zsql"
)

// The workspace of an authorised operator: the schema of the resources it
// may read (what each item may be used for), the SQL form with examples,
// its queries, its budgets and its usage. A statement the guard refuses
// is shown again with the refusal at its line and column.

// zoneQueryForm is what the SQL form holds.
type zoneQueryForm struct {
	SQL, Mechanism, Epsilon string
}

// zoneExample is a statement the workspace offers to start from.
type zoneExample struct {
	Title string // message key
	SQL   string
	Link  string // the workspace with the example in the form
}

// budgetView is an epsilon budget on one resource as the page shows it.
type budgetView struct {
	Title                   string
	Total, Spent, Remaining string
	Percent                 int // spent, of the total
}

// usageView is an operator's metering as the pages show it.
type usageView struct {
	Org                                  identity.Organization
	Queries, Released, Refused, InReview string
	RowsScanned, Compute, Cells, Epsilon string
}

// zoneQueryRow is one query in a list.
type zoneQueryRow struct {
	Q         zones.Query
	Link      string
	SQL       string // the statement's first line, shortened
	CanDecide bool   // the viewer may release or refuse its result now
}

// zoneWorkspaceData is the workspace page.
type zoneWorkspaceData struct {
	Nav        zoneNav
	Auth       *zones.Authorisation
	Tables     []schemaTable
	Examples   []zoneExample
	Mechanisms []zsql.Mechanism
	Form       zoneQueryForm
	MaxEpsilon string
	Period     string // the authorisation's
	Queries    []zoneQueryRow
	Budgets    []budgetView
	Usage      *usageView
	Refusal    *sqlRefusal
	Errors     formErrors
}

// DP says whether operators may ask for differential privacy here.
func (d zoneWorkspaceData) DP() bool { return slices.Contains(d.Mechanisms, zsql.DP) }

// zoneWorkspacePage shows the workspace; ?example=n puts example n in the form.
func (s *server) zoneWorkspacePage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.loadWorkspace(r, zoneQueryForm{Mechanism: string(zsql.SDC)})
	if err != nil {
		return err
	}
	if i, err := strconv.Atoi(r.URL.Query().Get("example")); err == nil && i >= 1 && i <= len(d.Examples) {
		d.Form.SQL = d.Examples[i-1].SQL
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, http.StatusOK, "zones_workspace", d)
}

func (s *server) loadWorkspace(r *http.Request, form zoneQueryForm) (zoneWorkspaceData, error) {
	ctx, lang := r.Context(), langOf(r)
	p, err := requireUser(r)
	if err != nil {
		return zoneWorkspaceData{}, err
	}
	z, err := s.zoneFor(r)
	if err != nil {
		return zoneWorkspaceData{}, err
	}
	nav, auth := s.zoneNavFor(r, z, "workspace")
	d := zoneWorkspaceData{Nav: nav, Auth: auth, Mechanisms: z.Rules.Mechanisms, Form: form, MaxEpsilon: epsilonText(z.Rules.MaxEpsilon)}
	if auth == nil {
		d.Tables = s.schemaTables(ctx, p, lang, z, nil)
		return d, nil
	}
	d.Tables, d.Period = s.schemaTables(ctx, p, lang, z, auth.ResourceIDs), periodText(auth.ValidFrom, auth.ValidUntil)
	d.Examples = zoneExamples(zonePath(z)+"/workspace", d.Tables)
	for _, b := range auth.Budgets {
		d.Budgets = append(d.Budgets, newBudgetView(b, tableTitle(d.Tables, b.ResourceID)))
	}
	if d.Queries, err = s.zoneQueryRows(ctx, p, z, ""); err != nil {
		return d, err
	}
	usage, err := s.acc.Zones.Usage(ctx, p, z.ID)
	if err != nil {
		return d, err
	}
	n := newNames(s, ctx, p)
	for _, u := range usage {
		if u.OperatorOrgID == auth.OperatorOrgID {
			v := newUsageView(u, n.org(u.OperatorOrgID))
			d.Usage = &v
		}
	}
	return d, nil
}

// zoneQueryRows lists the zone's queries the viewer may see, newest
// first (those of status only, unless it is "").
func (s *server) zoneQueryRows(ctx context.Context, p identity.Principal, z zones.Zone, status string) ([]zoneQueryRow, error) {
	list, _, err := s.acc.Zones.Queries(ctx, p, zones.QueryFilter{ZoneID: z.ID, Status: status, Limit: 30})
	if err != nil {
		return nil, err
	}
	out := make([]zoneQueryRow, len(list))
	for i, q := range list {
		first, _, _ := strings.Cut(strings.TrimSpace(q.SQL), "\n")
		if len([]rune(first)) > 80 {
			first = string([]rune(first)[:79]) + "…"
		}
		out[i] = zoneQueryRow{Q: q, Link: zonePath(z) + "/queries/" + url.PathEscape(q.ID), SQL: first, CanDecide: s.mayDecideRelease(ctx, p, q)}
	}
	return out, nil
}

// tableTitle is the title of the member resource id among tables.
func tableTitle(tables []schemaTable, id string) string {
	for _, t := range tables {
		if t.M.ResourceID == id {
			return t.Title
		}
	}
	return id
}

func newBudgetView(b zones.Budget, title string) budgetView {
	v := budgetView{Title: title, Total: epsilonText(b.Total), Spent: epsilonText(b.Spent), Remaining: epsilonText(b.Remaining)}
	if b.Total > 0 {
		v.Percent = int(min(100, b.Spent*100/b.Total+0.5))
	}
	return v
}

func newUsageView(u zones.Usage, org identity.Organization) usageView {
	return usageView{Org: org, Queries: countText(u.Queries), Released: countText(u.Released), Refused: countText(u.Refused),
		InReview: countText(u.InReview), RowsScanned: countText(u.RowsScanned), Compute: countText(u.ComputeMS),
		Cells: countText(u.CellsReleased), Epsilon: epsilonText(u.EpsilonSpent)}
}

// zoneExamples writes statements over the first resource that the guard
// accepts: a count by one attribute, a count and an average of a numeric
// item by another, and a two-way table. Examples the schema cannot fill
// are left out.
func zoneExamples(workspace string, tables []schemaTable) []zoneExample {
	if len(tables) == 0 {
		return nil
	}
	t := tables[0]
	var groups []string
	var numeric *schemaItem
	for i, it := range t.Items {
		switch it.Use {
		case "zones.use.attribute":
			groups = append(groups, it.Name)
		case "zones.use.bounded", "zones.use.numeric":
			if numeric == nil || numeric.Use != "zones.use.bounded" && it.Use == "zones.use.bounded" {
				numeric = &t.Items[i]
			}
		}
	}
	if len(groups) == 0 {
		return nil
	}
	from := `FROM "` + t.M.ResourceID + `"`
	out := []zoneExample{{Title: "zones.example.count", SQL: fmt.Sprintf("SELECT %s, COUNT(*) AS persons\n%s\nGROUP BY %s", groups[0], from, groups[0])}}
	if numeric != nil {
		g := groups[len(groups)-1]
		arg := numeric.Name
		if numeric.Bounds == "" {
			arg = "clamp(" + numeric.Name + ", 0, 1000)"
		}
		out = append(out, zoneExample{Title: "zones.example.average", SQL: fmt.Sprintf("SELECT %s, COUNT(*) AS persons, AVG(%s) AS average_%s\n%s\nGROUP BY %s",
			g, arg, numeric.Name, from, g)})
	}
	if len(groups) >= 2 {
		out = append(out, zoneExample{Title: "zones.example.table", SQL: fmt.Sprintf("SELECT %s, %s, COUNT(*) AS persons\n%s\nGROUP BY %s, %s",
			groups[0], groups[1], from, groups[0], groups[1])})
	}
	for i := range out {
		out[i].Link = workspace + "?example=" + strconv.Itoa(i+1) + "#field-sql"
	}
	return out
}

// zoneSubmit submits the workspace's statement (fields: sql, mechanism,
// epsilon). An accepted statement goes to its query's page; a refused
// one shows the workspace again with the refusal beside the SQL (422).
func (s *server) zoneSubmit(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	form := zoneQueryForm{SQL: r.PostForm.Get("sql"), Mechanism: r.PostForm.Get("mechanism"), Epsilon: r.PostForm.Get("epsilon")}
	in := zones.QueryInput{SQL: form.SQL, Mechanism: zsql.Mechanism(form.Mechanism)}
	var errs validate.Errors
	if eps := strings.TrimSpace(form.Epsilon); eps != "" {
		if in.Epsilon, err = strconv.ParseFloat(eps, 64); err != nil {
			errs.Add("epsilon", form.Epsilon, validate.CodeNumber, "must be a number")
		}
	}
	var q zones.Query
	var refusal *sqlRefusal
	if errs == nil {
		q, err = s.acc.Zones.Submit(r.Context(), p, r.PathValue("code"), in)
		refusal = refusalOf(err, form.SQL)
		if errs = fieldErrors(err); errs == nil && err != nil {
			return err
		}
	}
	if errs == nil {
		return seeOther(w, r, "/zones/"+url.PathEscape(r.PathValue("code"))+"/queries/"+url.PathEscape(q.ID), "")
	}
	d, err := s.loadWorkspace(r, form)
	if err != nil {
		return err
	}
	d.Errors, d.Refusal = newFormErrors(langOf(r), errs), refusal
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, http.StatusUnprocessableEntity, "zones_workspace", d)
}

// sqlRefusal is a refused statement's reason at its place: the line and
// column, the refused fragment, and the statement's line with a caret
// under the column.
type sqlRefusal struct {
	Line, Column int
	Fragment     string
	Reason       string
	Text         string // the statement's line
	Caret        string // spaces up to the column, then "^"
}

var refusalAt = regexp.MustCompile(`^(.*) \(line (\d+), column (\d+)\)$`)

// refusalOf finds the guard's refusal of statement in err: the
// *datastore.SQLRefusal itself, or the 422 on the field "sql" made of it
// (whose message ends "(line n, column m)" and whose value is the
// fragment). Nil when err is no refusal of the statement.
func refusalOf(err error, statement string) *sqlRefusal {
	var ref *datastore.SQLRefusal
	if errors.As(err, &ref) {
		return locate(&sqlRefusal{Line: ref.Line, Column: ref.Column, Fragment: ref.Fragment, Reason: ref.Reason}, statement)
	}
	for _, fe := range fieldErrors(err) {
		if fe.Field == "sql" {
			return refusalFromText(fe.Message, fmt.Sprint(valueOr(fe.Value)), statement)
		}
	}
	return nil
}

// refusalFromText reads a refusal written as the guard's error text:
// "reason (line n, column m)".
func refusalFromText(message, fragment, statement string) *sqlRefusal {
	ref := &sqlRefusal{Reason: message, Fragment: fragment}
	if m := refusalAt.FindStringSubmatch(message); m != nil {
		ref.Reason = m[1]
		ref.Line, _ = strconv.Atoi(m[2])
		ref.Column, _ = strconv.Atoi(m[3])
	}
	return locate(ref, statement)
}

func valueOr(v any) any {
	if v == nil {
		return ""
	}
	return v
}

// locate adds the statement's line and the caret under the column.
func locate(ref *sqlRefusal, statement string) *sqlRefusal {
	lines := strings.Split(strings.ReplaceAll(statement, "\r\n", "\n"), "\n")
	if ref.Line < 1 || ref.Line > len(lines) {
		return ref
	}
	ref.Text = lines[ref.Line-1]
	runes := []rune(ref.Text)
	col := min(max(ref.Column, 1), len(runes)+1)
	var pad strings.Builder
	for _, c := range runes[:col-1] {
		switch {
		case c == '\t':
			pad.WriteByte('\t')
		case wide(c):
			pad.WriteRune('\u3000') // an ideographic space is as wide as a Chinese character
		default:
			pad.WriteByte(' ')
		}
	}
	ref.Caret = pad.String() + "^"
	return ref
}

// wide says whether c takes two columns in a monospaced font (CJK
// characters and full-width forms).
func wide(c rune) bool {
	return c >= 0x1100 && (c <= 0x115f || c >= 0x2e80 && c <= 0xa4cf || c >= 0xac00 && c <= 0xd7a3 || c >= 0xf900 && c <= 0xfaff ||
		c >= 0xfe30 && c <= 0xfe4f || c >= 0xff00 && c <= 0xff60 || c >= 0xffe0 && c <= 0xffe6 || c >= 0x20000 && c <= 0x3fffd)
}

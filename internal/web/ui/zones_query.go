package ui

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/web/ui/i18n"
	"dataport/internal/zones"
)

// A query's page: its status (refreshing itself while it is queued or
// running), the result with suppressed cells marked and explained, the
// epsilon spent and left, the meter, the CSV download and the form that
// keeps it as an output; the steward decides a result in review there.
// A kept output's page shows the result it keeps.

// resultCell is one value of a result.
type resultCell struct {
	Text       string
	Suppressed bool // a suppressed cell's value, withheld
}

// resultTable is a released result as the pages show it.
type resultTable struct {
	Header     []string
	Rows       [][]resultCell
	Suppressed int // rows with withheld values
}

// newResultTable lays out q's result: the aggregate values of the rows
// in q.Suppressed are null and shown as withheld; the codes (text
// values) of a column named after a code-list item (labels, by item
// name) show their labels — never numbers, which are aggregates.
func newResultTable(q zones.Query, labels map[string]map[string]string) resultTable {
	t := resultTable{Header: q.Columns}
	for i, row := range q.Rows {
		suppressed := slices.Contains(q.Suppressed, i)
		cells := make([]resultCell, len(row))
		for j, v := range row {
			cells[j] = resultCell{Text: cellText(v), Suppressed: suppressed && v == nil}
			if code, ok := v.(string); ok && j < len(q.Columns) {
				if label := labels[q.Columns[j]][code]; label != "" && label != code {
					cells[j].Text += " " + label
				}
			}
		}
		if suppressed {
			t.Suppressed++
		}
		t.Rows = append(t.Rows, cells)
	}
	return t
}

// zoneKeepForm is what the "keep as output" form holds.
type zoneKeepForm struct {
	NameZh, NameEn, Description string
}

// zoneQueryData is a query's page.
type zoneQueryData struct {
	Nav       zoneNav
	Q         zones.Query
	Table     resultTable
	Refusal   *sqlRefusal // the guard's refusal, located in the statement
	Reason    string      // why it was refused or failed, in words
	Detail    string      // the service's detail of the reason (English)
	Epsilon   string      // spent
	Remaining string
	Meter     usageView
	MinCell   int
	Mine      bool // the viewer's organization ran it
	CanDecide bool // the steward may release or refuse it now
	Keep      zoneKeepForm
	Forms     caseForms
	Errors    formErrors
}

// Running says whether the query is still queued or running.
func (d zoneQueryData) Running() bool { return !d.Q.Finished() }

// Released says whether the result is released.
func (d zoneQueryData) Released() bool { return d.Q.Status == zones.QueryReleased }

// zoneQueryPage shows a query; it refreshes itself every two seconds
// until the query is finished.
func (s *server) zoneQueryPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.loadZoneQuery(r)
	if err != nil {
		return err
	}
	if d.Running() {
		w.Header().Set("Refresh", "2")
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, http.StatusOK, "zones_query", d)
}

func (s *server) loadZoneQuery(r *http.Request) (zoneQueryData, error) {
	p, err := requireUser(r)
	if err != nil {
		return zoneQueryData{}, err
	}
	z, q, err := s.zoneQuery(r, p)
	if err != nil {
		return zoneQueryData{}, err
	}
	lang, mine := langOf(r), slices.Contains(p.OrgIDs(), q.OperatorOrgID)
	section := "workspace"
	if !mine && zoneSteward(p, z) {
		section = "steward"
	}
	nav, _ := s.zoneNavFor(r, z, section)
	d := zoneQueryData{Nav: nav, Q: q, Table: newResultTable(q, s.codeLabels(r.Context(), p, q.ResourceIDs)), Epsilon: epsilonText(q.EpsilonSpent), Remaining: epsilonText(q.EpsilonRemaining),
		MinCell: z.Rules.MinCellSize, Mine: mine, CanDecide: s.mayDecideRelease(r.Context(), p, q)}
	d.Meter = newUsageView(zones.Usage{RowsScanned: q.Meter.RowsScanned, ComputeMS: q.Meter.ComputeMS, CellsReleased: int64(q.Meter.CellsReleased),
		EpsilonSpent: q.Meter.Epsilon}, identity.Organization{})
	if q.Reason != "" && (q.Status == zones.QueryRefused || q.Status == zones.QueryFailed) {
		code, detail, _ := strings.Cut(q.Reason, ":")
		d.Reason, d.Detail = reasonText(lang, code), strings.TrimSpace(detail)
		if code == zones.ReasonSQL {
			d.Refusal, d.Detail = refusalFromText(d.Detail, "", q.SQL), ""
		}
	}
	return d, nil
}

// mayDecideRelease says whether p may release or refuse q's result now:
// the review case's own rule (the steward's editors; platform operators
// once it is overdue).
func (s *server) mayDecideRelease(ctx context.Context, p identity.Principal, q zones.Query) bool {
	if q.Status != zones.QueryReview || s.acc.Review == nil {
		return false
	}
	c, err := s.acc.Review.Get(ctx, p, q.ID)
	return err == nil && c.CanDecide(p)
}

// zoneQuery reads the query of r's {id} in the zone of r's {code}.
func (s *server) zoneQuery(r *http.Request, p identity.Principal) (zones.Zone, zones.Query, error) {
	z, err := s.zoneFor(r)
	if err != nil {
		return z, zones.Query{}, err
	}
	q, err := s.acc.Zones.Query(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return z, q, err
	}
	if q.ZoneID != z.ID {
		return z, q, store.ErrNotFound
	}
	return z, q, nil
}

// reasonText is a refusal's reason code ("difference", "budget",
// "grant_revoked", ...) in the words of lang, or the code itself when it
// is none the pages know.
func reasonText(lang, code string) string {
	if key := "zones.reason." + code; i18n.Has(key) {
		return i18n.T(lang, key)
	}
	return code
}

// zoneQueryCSV sends a released result as CSV (UTF-8 with BOM).
func (s *server) zoneQueryCSV(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	if _, _, err := s.zoneQuery(r, p); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := s.acc.Zones.WriteCSV(r.Context(), p, r.PathValue("id"), &buf); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="zone-query-`+url.PathEscape(r.PathValue("id"))+`.csv"`)
	h.Set("Cache-Control", "no-store")
	_, err = buf.WriteTo(w)
	return err
}

// zoneReleaseReview records the steward's decision on a result in review
// (fields: decision, comment): approve releases it, reject refuses it.
func (s *server) zoneReleaseReview(w http.ResponseWriter, r *http.Request) error {
	forms := caseForms{Decision: r.PostForm.Get("decision"), Comment: r.PostForm.Get("comment")}
	path := "/zones/" + url.PathEscape(r.PathValue("code")) + "/queries/" + url.PathEscape(r.PathValue("id"))
	return s.caseAction(w, r, path, func(p identity.Principal) (string, error) {
		if _, _, err := s.zoneQuery(r, p); err != nil {
			return "", err
		}
		q, err := s.acc.Zones.DecideRelease(r.Context(), p, r.PathValue("id"), review.Decision(forms.Decision), forms.Comment)
		return "zone_release_" + q.Status, err
	}, func(forms caseForms) error {
		d, err := s.loadZoneQuery(r)
		if err != nil {
			return err
		}
		d.Forms = forms
		return s.render(w, r, http.StatusUnprocessableEntity, "zones_query", d)
	}, forms)
}

// zoneKeep keeps a released result as an output of the zone (fields:
// name_zh, name_en, description); a problem shows the query's page again
// with it beside its input (422).
func (s *server) zoneKeep(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	form := zoneKeepForm{NameZh: r.PostForm.Get("name_zh"), NameEn: r.PostForm.Get("name_en"), Description: r.PostForm.Get("description")}
	if _, _, err := s.zoneQuery(r, p); err != nil {
		return err
	}
	out, err := s.acc.Zones.Keep(r.Context(), p, r.PathValue("id"), zones.OutputInput{NameZh: form.NameZh, NameEn: form.NameEn, Description: form.Description})
	if err == nil {
		return seeOther(w, r, "/zones/"+url.PathEscape(r.PathValue("code"))+"/outputs/"+url.PathEscape(out.ID), "zone_output_kept")
	}
	errs := fieldErrors(err)
	if errs == nil {
		return err
	}
	d, err := s.loadZoneQuery(r)
	if err != nil {
		return err
	}
	d.Keep, d.Errors = form, newFormErrors(langOf(r), errs)
	return s.render(w, r, http.StatusUnprocessableEntity, "zones_query", d)
}

// zoneOutputData is a kept output's page.
type zoneOutputData struct {
	Nav   zoneNav
	O     zones.Output
	Q     zones.Query
	Name  string
	Table resultTable
}

// zoneOutputPage shows a kept output with the result it keeps.
func (s *server) zoneOutputPage(w http.ResponseWriter, r *http.Request) error {
	z, err := s.zoneFor(r)
	if err != nil {
		return err
	}
	o, q, err := s.acc.Zones.Output(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	if o.ZoneID != z.ID {
		return store.ErrNotFound
	}
	nav, _ := s.zoneNavFor(r, z, "zone")
	return s.render(w, r, http.StatusOK, "zones_output", zoneOutputData{Nav: nav, O: o, Q: q, Name: pick(langOf(r), o.NameZh, o.NameEn),
		Table: newResultTable(q, s.codeLabels(r.Context(), principal(r), q.ResourceIDs))})
}

package ui

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/validate"
	"dataport/internal/web/problem"
	"dataport/internal/web/ui/i18n"
)

// The catalog's review queue: submitted resources, oldest first, each with
// flags for the reviewer — the quality of its newest data load, personal
// information the load's legality check found, and what the entry lacks —
// and a batch form that approves or returns several with one reason. Each
// decision of a batch is the same catalog.Review call as on the resource's
// page, with its own event; one item's refusal leaves the others decided
// and is reported beside it.

// Flag levels.
const (
	flagOK   = "ok"
	flagWarn = "warn"
	flagNone = "none" // not known: no data loaded
)

// reviewFlag is one flag of a queue item: its kind (quality, pii,
// completeness), level and what it says, translated.
type reviewFlag struct {
	Kind  string
	Level string
	Text  string
	Link  string // where the detail is, "" for none
}

// reviewRow is one submitted resource in the queue.
type reviewRow struct {
	resourceRow
	Waited   int // working days since it was submitted
	Flags    []reviewFlag
	Selected bool // ticked in the batch form (kept when the form is refused)
}

// batchResult is how one item of a batch went.
type batchResult struct {
	Resource catalog.Resource
	Done     bool
	Status   catalog.Status // the new status when done
	Error    string         // why not, translated
}

// reviewPage is the operator's queue of submitted resources.
type reviewPage struct {
	Rows     []reviewRow
	Decision string
	Comment  string
	Errors   formErrors
	Results  []batchResult
	Decided  int // items of the batch decided
}

// reviewQueue lists submitted resources, oldest first, for reviewers only.
func (s *server) reviewQueue(w http.ResponseWriter, r *http.Request) error {
	return s.showReviewQueue(w, r, http.StatusOK, reviewPage{}, nil)
}

// showReviewQueue renders the queue with page's form state; selected are
// the ids ticked in a refused batch form.
func (s *server) showReviewQueue(w http.ResponseWriter, r *http.Request, status int, page reviewPage, selected map[string]bool) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	queue, err := s.catalog.ReviewQueue(r.Context(), p)
	if err != nil {
		return err
	}
	rows, err := s.resourceRows(r.Context(), queue)
	if err != nil {
		return err
	}
	lang, now := langOf(r), time.Now()
	page.Rows = make([]reviewRow, len(rows))
	for i, row := range rows {
		flags, err := s.reviewFlags(r.Context(), p, lang, row.Resource)
		if err != nil {
			return err
		}
		page.Rows[i] = reviewRow{resourceRow: row, Waited: s.workingDaysSince(row.Resource.UpdatedAt, now), Flags: flags,
			Selected: selected[row.Resource.ID]}
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, status, "review", page)
}

// reviewFlags are the quality, personal information and completeness flags
// of a submitted resource, from its newest data load's report and its entry.
func (s *server) reviewFlags(ctx context.Context, p identity.Principal, lang string, res catalog.Resource) ([]reviewFlag, error) {
	var newest *datastore.DataVersion
	if s.datastore != nil {
		versions, err := s.datastore.Versions(ctx, p, res.ID, true)
		if err != nil {
			return nil, err
		}
		if len(versions) > 0 {
			newest = &versions[0]
		}
	}
	return []reviewFlag{qualityFlag(lang, res, newest), piiFlag(lang, res, newest), completenessFlag(lang, res, newest)}, nil
}

// qualityFlag says what the newest load's quality report found: refused
// records, empty values in required items, repeated keys, a late load.
func qualityFlag(lang string, res catalog.Resource, v *datastore.DataVersion) reviewFlag {
	f := reviewFlag{Kind: "quality", Level: flagNone, Text: i18n.T(lang, "cockpit.flag.no_data")}
	if v == nil || v.Report == nil {
		return f
	}
	f.Link = fmt.Sprintf("/resources/%s/data/versions/%d", res.ID, v.Version)
	q := v.Report
	var problems []string
	if q.RowsRejected > 0 {
		problems = append(problems, i18n.T(lang, "cockpit.flag.rejected", q.RowsRejected, q.RowsRead))
	}
	required := map[string]bool{}
	for _, it := range v.Items {
		required[it.Name] = it.Required
	}
	for _, it := range q.Items {
		if required[it.Name] && it.Nulls > 0 {
			problems = append(problems, i18n.T(lang, "cockpit.flag.nulls", it.Label, it.Nulls))
		}
	}
	if q.Duplicates.Rows > 0 {
		problems = append(problems, i18n.T(lang, "cockpit.flag.duplicates", q.Duplicates.Rows))
	}
	if q.Timeliness.Late {
		problems = append(problems, i18n.T(lang, "cockpit.flag.late"))
	}
	if len(problems) == 0 {
		f.Level, f.Text = flagOK, i18n.T(lang, "cockpit.flag.quality_ok", q.RowsLoaded)
		return f
	}
	f.Level, f.Text = flagWarn, strings.Join(problems, i18n.T(lang, "cockpit.flag.sep"))
	return f
}

// piiFlag names the items the newest load's legality check found personal
// information in, and whether the load is held for it.
func piiFlag(lang string, res catalog.Resource, v *datastore.DataVersion) reviewFlag {
	f := reviewFlag{Kind: "pii", Level: flagNone, Text: i18n.T(lang, "cockpit.flag.not_checked")}
	if v == nil || v.Report == nil {
		if res.PersonalInfo {
			f.Level, f.Text = flagWarn, i18n.T(lang, "cockpit.flag.pii_declared")
		}
		return f
	}
	f.Link = fmt.Sprintf("/resources/%s/data/versions/%d", res.ID, v.Version)
	findings := v.Report.Legality.Findings
	if len(findings) == 0 {
		f.Level, f.Text = flagOK, i18n.T(lang, "cockpit.flag.pii_none")
		if res.PersonalInfo {
			f.Level, f.Text = flagWarn, i18n.T(lang, "cockpit.flag.pii_declared")
		}
		return f
	}
	labels := map[string]string{}
	for _, it := range v.Items {
		labels[it.Name] = it.LabelZh
	}
	var found []string
	for _, fi := range findings {
		found = append(found, i18n.T(lang, "cockpit.flag.pii_item", cmpOr(labels[fi.Item], fi.Item), codeLabel(lang, "pii", fi.Kind)))
	}
	key := "cockpit.flag.pii_found"
	if v.Status == datastore.StatusHeld {
		key = "cockpit.flag.pii_held"
	}
	f.Level, f.Text = flagWarn, i18n.T(lang, key, strings.Join(found, i18n.T(lang, "cockpit.flag.sep")))
	return f
}

// recommended are the catalog fields a complete entry fills in beyond
// what Validate requires.
var recommended = []string{"title_en", "keywords", "formats", "source_system", "contact_name", "contact_phone"}

// completenessFlag names what the entry lacks: recommended fields, item
// descriptions, and items the newest load found no column for.
func completenessFlag(lang string, res catalog.Resource, v *datastore.DataVersion) reviewFlag {
	var missing []string
	for _, key := range recommended {
		if !filled(res, key) {
			missing = append(missing, fieldLabel(lang, key))
		}
	}
	undescribed := 0
	for _, it := range res.Items {
		if strings.TrimSpace(it.Description) == "" {
			undescribed++
		}
	}
	if undescribed > 0 {
		missing = append(missing, i18n.T(lang, "cockpit.flag.undescribed", undescribed, len(res.Items)))
	}
	if v == nil {
		missing = append(missing, i18n.T(lang, "cockpit.flag.no_data"))
	} else if v.Report != nil {
		unmapped := 0
		for _, it := range v.Report.Items {
			if it.Mapped == "" {
				unmapped++
			}
		}
		if unmapped > 0 {
			missing = append(missing, i18n.T(lang, "cockpit.flag.unmapped", unmapped))
		}
	}
	if len(missing) == 0 {
		return reviewFlag{Kind: "completeness", Level: flagOK, Text: i18n.T(lang, "cockpit.flag.complete")}
	}
	return reviewFlag{Kind: "completeness", Level: flagWarn, Link: "/resources/" + res.ID,
		Text: i18n.T(lang, "cockpit.flag.missing", strings.Join(missing, i18n.T(lang, "cockpit.flag.sep")))}
}

// filled reports whether the recommended field key of res has a value.
func filled(res catalog.Resource, key string) bool {
	switch key {
	case "title_en":
		return res.TitleEn != ""
	case "keywords":
		return len(res.Keywords) > 0
	case "formats":
		return len(res.Formats) > 0
	case "source_system":
		return res.SourceSystem != ""
	case "contact_name":
		return res.ContactName != ""
	case "contact_phone":
		return res.ContactPhone != "" || res.ContactEmail != ""
	}
	return true
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// reviewBatch approves or returns the ticked resources with one comment.
// Form fields: csrf_token, ids (repeated), decision (approve|return),
// comment. A problem with the form itself (nothing or more than 100
// ticked, no decision, a return without a reason, as catalog.Review finds
// it on the first item) decides nothing and shows the queue again with
// the problem at its field (422); otherwise each resource is decided on its
// own and the page lists how each went.
func (s *server) reviewBatch(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	if !catalog.CanReview(p) {
		return identity.ErrForbidden
	}
	ids := r.PostForm["ids"]
	decision, comment := catalog.Decision(r.PostForm.Get("decision")), r.PostForm.Get("comment")
	form := reviewPage{Decision: string(decision), Comment: comment}
	selected := map[string]bool{}
	for _, id := range ids {
		selected[id] = true
	}
	if len(ids) == 0 || len(ids) > 100 {
		errs := validate.Errors{{Field: "ids", Value: len(ids), Code: "select_batch", Message: "select between 1 and 100 resources"}}
		form.Errors = newFormErrors(langOf(r), errs)
		return s.showReviewQueue(w, r, http.StatusUnprocessableEntity, form, selected)
	}
	lang, n := langOf(r), newNames(s, r.Context(), p)
	for i, id := range ids {
		res, err := s.catalog.Review(r.Context(), p, id, decision, comment)
		if errs := fieldErrors(err); i == 0 && errs != nil {
			// The decision and comment are checked before anything is
			// written and alike for every item: the form is at fault.
			form.Errors = newFormErrors(lang, errs)
			return s.showReviewQueue(w, r, http.StatusUnprocessableEntity, form, selected)
		}
		result := batchResult{Resource: res, Done: err == nil, Status: res.Status}
		if err != nil {
			result.Resource, result.Error = n.resource(id), s.batchErrorText(r, lang, err)
		} else {
			form.Decided++
		}
		form.Results = append(form.Results, result)
	}
	form.Decision, form.Comment = "", ""
	return s.showReviewQueue(w, r, http.StatusOK, form, nil)
}

// batchErrorText is why one item of a batch was not decided, in lang; an
// error that is not the client's is logged and named only as a failure.
func (s *server) batchErrorText(r *http.Request, lang string, err error) string {
	pr := problem.Of(principal(r), err)
	if !pr.Public {
		s.log.ErrorContext(r.Context(), "ui batch review item failed", "err", err)
		return i18n.T(lang, "cockpit.batch.failed")
	}
	if errs := fieldErrors(err); errs != nil {
		return strings.Join(summarize(lang, errs), i18n.T(lang, "cockpit.flag.sep"))
	}
	if pr.Code != "" {
		return problemText(lang, pr.Code, pr.Args, pr.Detail)
	}
	return errorText(lang, pr.Status, "title")
}

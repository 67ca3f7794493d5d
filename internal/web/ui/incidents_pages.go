package ui

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"dataport/internal/identity"
	"dataport/internal/ledger"
	"dataport/internal/monitor"
	"dataport/internal/monitor/incident"
	"dataport/internal/store"
	"dataport/internal/validate"
	"dataport/internal/workday"
)

// The incidents' pages: who sees them is incident.CanSee (the security
// officer, regulator and auditor for every unit, a unit's admins and
// editors for their own); who works on one, incident.CanManage.

// incidentViewer returns r's viewer when it may see some unit's incidents.
func incidentViewer(r *http.Request) (identity.Principal, securityNav, error) {
	p, err := requireUser(r)
	if err != nil {
		return p, securityNav{}, err
	}
	if !monitor.CanSee(p) && len(editedUnits(p)) == 0 {
		return p, securityNav{}, identity.ErrForbidden
	}
	return p, securityNav{Section: "incidents", Manage: monitor.CanManage(p)}, nil
}

// editedUnits are the units p is an editor or admin of.
func editedUnits(p identity.Principal) []string {
	var out []string
	for _, m := range p.Memberships {
		if p.AtLeast(m.OrganizationID, identity.RoleEditor) {
			out = append(out, m.OrganizationID)
		}
	}
	return out
}

func incidentPath(id string) string { return "/security/incidents/" + url.PathEscape(id) }

// incidentsData is the list.
type incidentsData struct {
	Nav       securityNav
	State     string
	Incidents []incident.Incident
	Orgs      map[string]string
	Now       time.Time
	Soon      time.Duration
	More      string
	CanOpen   bool
}

// States are the filter's choices.
func (incidentsData) States() []incident.State {
	return []incident.State{incident.StateOpen, incident.StateContained, incident.StateClosed}
}

// incidentsPage lists the incidents the viewer may see, newest first.
// Query: state, cursor.
func (s *server) incidentsPage(w http.ResponseWriter, r *http.Request) error {
	p, nav, err := incidentViewer(r)
	if err != nil {
		return err
	}
	q, is := r.URL.Query(), s.acc.Incidents
	d := incidentsData{Nav: nav, State: q.Get("state"), Now: time.Now(), Soon: is.Config().RemindBefore,
		CanOpen: monitor.CanManage(p) || len(editedUnits(p)) > 0}
	list, next, err := is.Incidents(r.Context(), p, incident.Filter{State: incident.State(d.State), Cursor: q.Get("cursor")})
	if fieldErrors(err) != nil {
		return validate.Errors{{Field: "state", Value: d.State, Code: validate.CodeOneOf, Message: "is not a state"}}
	} else if err != nil {
		return err
	}
	d.Incidents, d.Orgs = list, s.orgNames(r.Context(), list)
	if next != "" {
		d.More = "/security/incidents?" + url.Values{"state": {d.State}, "cursor": {next}}.Encode()
	}
	return s.render(w, r, http.StatusOK, "incidents", d)
}

// orgNames names the units of incidents.
func (s *server) orgNames(ctx context.Context, list []incident.Incident) map[string]string {
	out := map[string]string{}
	for _, inc := range list {
		if _, ok := out[inc.OrgID]; !ok {
			if o, err := s.identity.Organization(ctx, inc.OrgID); err == nil {
				out[inc.OrgID] = o.NameZh
			}
		}
	}
	return out
}

// incidentForm is the new incident's form.
type incidentForm struct {
	Nav    securityNav
	Alert  *monitor.Alert // the alert it is opened from
	Units  []identity.Organization
	In     incidentInput
	Errors formErrors
}

// Levels and Kinds are the form's choices.
func (incidentForm) Levels() []incident.Level { return incident.Levels }
func (incidentForm) Kinds() []incident.Kind   { return incident.Kinds }

// incidentInput is the form's values as typed.
type incidentInput struct {
	OrgID, Title, Kind, Level, Cause, Harm, Measures, Advice, Resources, Records, Persons, Discovered, Alert string
}

// newIncidentForm shows the form; ?alert=ID opens it from an alert (the
// security officer), its discovery the alert's time.
func (s *server) newIncidentForm(w http.ResponseWriter, r *http.Request) error {
	in := incidentInput{Kind: string(incident.KindLeak), Level: string(incident.LevelGeneral), Records: "0", Persons: "0",
		Alert: r.URL.Query().Get("alert"), Discovered: time.Now().In(workday.Beijing).Format("2006-01-02T15:04")}
	return s.showIncidentForm(w, r, http.StatusOK, in, nil)
}

func (s *server) showIncidentForm(w http.ResponseWriter, r *http.Request, status int, in incidentInput, errs validate.Errors) error {
	p, nav, err := incidentViewer(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	d := incidentForm{Nav: nav, In: in, Errors: newFormErrors(langOf(r), renameTradeFields(errs, map[string]string{"org_id": "incident_org", "kind": "incident_kind", "level": "incident_level"}))}
	if in.Alert != "" {
		a, err := s.acc.Monitor.Alert(ctx, p, in.Alert)
		if err != nil {
			return err
		}
		d.Alert = &a
		if status == http.StatusOK {
			d.In.Discovered = a.CreatedAt.In(workday.Beijing).Format("2006-01-02T15:04")
		}
	}
	if monitor.CanManage(p) {
		d.Units, err = s.identity.Organizations(ctx, identity.OrgFilter{Kind: identity.KindInstitution})
	} else {
		for _, id := range editedUnits(p) {
			if o, err := s.identity.Organization(ctx, id); err == nil {
				d.Units = append(d.Units, o)
			}
		}
	}
	if err != nil {
		return err
	}
	return s.render(w, r, status, "incident_new", d)
}

// openIncident records the form's incident (from its alert when it names
// one) and shows it; a problem shows the form again beside its field.
func (s *server) openIncident(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	f := r.PostForm
	in := incidentInput{OrgID: f.Get("org_id"), Title: f.Get("title"), Kind: f.Get("kind"), Level: f.Get("level"), Cause: f.Get("cause"),
		Harm: f.Get("harm"), Measures: f.Get("measures"), Advice: f.Get("advice"), Resources: f.Get("resource_ids"),
		Records: f.Get("records_affected"), Persons: f.Get("persons_affected"), Discovered: f.Get("discovered_at"), Alert: f.Get("alert")}
	details, errs := in.details()
	var inc incident.Incident
	if errs == nil {
		if in.Alert != "" {
			inc, err = s.acc.Incidents.OpenFromAlert(r.Context(), p, in.Alert, details)
		} else {
			inc, err = s.acc.Incidents.Open(r.Context(), p, details)
		}
		errs = fieldErrors(err)
		if errs == nil && err != nil {
			return err
		}
	}
	if errs != nil {
		return s.showIncidentForm(w, r, http.StatusUnprocessableEntity, in, errs)
	}
	return seeOther(w, r, incidentPath(inc.ID), "incident_opened")
}

// details reads the typed values, naming the numbers and time that do not parse.
func (in incidentInput) details() (incident.Details, validate.Errors) {
	d := incident.Details{OrgID: in.OrgID, Title: in.Title, Kind: incident.Kind(in.Kind), Level: incident.Level(in.Level), Cause: in.Cause,
		Harm: in.Harm, Measures: in.Measures, Advice: in.Advice, ResourceIDs: strings.Fields(strings.ReplaceAll(in.Resources, ",", " "))}
	var errs validate.Errors
	for field, dst := range map[string]*int64{"records_affected": &d.RecordsAffected, "persons_affected": &d.PersonsAffected} {
		v := map[string]string{"records_affected": in.Records, "persons_affected": in.Persons}[field]
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if strings.TrimSpace(v) != "" && err != nil {
			errs.Add(field, v, validate.CodeInteger, "is not a whole number")
		}
		*dst = n
	}
	if strings.TrimSpace(in.Discovered) != "" {
		t, err := parseLocal(in.Discovered)
		if err != nil {
			errs.Add("discovered_at", in.Discovered, "datetime", "is not a date and time")
		}
		d.DiscoveredAt = t
	}
	return d, errs
}

// parseLocal reads a datetime-local value (Beijing time).
func parseLocal(v string) (time.Time, error) {
	return time.ParseInLocation("2006-01-02T15:04", strings.TrimSpace(v), workday.Beijing)
}

// deadlineRow is a deadline with where it stands now.
type deadlineRow struct {
	incident.Deadline
	Status incident.DeadlineStatus
	Left   string // "3h 20m" or "-1h 5m"
}

// timelineRow is one sealed step of the incident.
type timelineRow struct {
	store.Event
	Link string
}

// incidentData is an incident's page.
type incidentData struct {
	Nav       securityNav
	I         incident.Incident
	Org       identity.Organization
	Officers  officersView
	Deadlines []deadlineRow
	Names     map[string]string
	Resources map[string]string
	Timeline  []timelineRow
	Manage    bool
	Missing   []string // what closing still needs
	Task      taskInput
	Review    incident.ReviewInput
	Errors    formErrors
}

type taskInput struct{ Title, Owner, Due string }

// incidentPage shows an incident.
func (s *server) incidentPage(w http.ResponseWriter, r *http.Request) error {
	return s.showIncident(w, r, http.StatusOK, incidentData{})
}

func (s *server) showIncident(w http.ResponseWriter, r *http.Request, status int, d incidentData) error {
	p, nav, err := incidentViewer(r)
	if err != nil {
		return err
	}
	ctx, is := r.Context(), s.acc.Incidents
	inc, err := is.Incident(ctx, p, r.PathValue("id"))
	if err != nil {
		return err
	}
	d.Nav, d.I, d.Manage = nav, inc, incident.CanManage(p, inc.OrgID) && inc.State != incident.StateClosed
	if d.Org, err = s.identity.Organization(ctx, inc.OrgID); err != nil {
		return err
	}
	now := time.Now()
	for _, dl := range inc.Deadlines() {
		d.Deadlines = append(d.Deadlines, deadlineRow{Deadline: dl, Status: dl.Status(now, is.Config().RemindBefore), Left: span(dl.Left(now))})
	}
	ids := []string{inc.CreatedBy, inc.ReviewedBy}
	for _, t := range inc.Tasks {
		ids = append(ids, t.OwnerUserID)
	}
	for _, doc := range inc.Documents {
		ids = append(ids, doc.IssuedBy)
	}
	d.Names, _ = s.identity.Usernames(ctx, ids)
	d.Officers = s.officers(ctx, d.Org)
	d.Resources = map[string]string{}
	for _, id := range inc.ResourceIDs {
		if res, err := s.catalog.Get(ctx, p, id); err == nil {
			d.Resources[id] = res.TitleZh
		}
	}
	if page, err := s.acc.Ledger.Events(ctx, p, ledger.Filter{SubjectKind: incident.SubjectKind, SubjectID: inc.ID, Limit: 200}); err == nil {
		for i := len(page.Events) - 1; i >= 0; i-- {
			ev := page.Events[i]
			d.Timeline = append(d.Timeline, timelineRow{Event: ev, Link: "/audit/events/" + url.PathEscape(ev.ID)})
		}
	}
	if inc.State == incident.StateContained {
		d.Missing = missingToClose(inc)
	}
	if d.Review.Summary == "" && d.Review.Lessons == "" {
		d.Review = incident.ReviewInput{Summary: inc.ReviewSummary, Lessons: inc.ReviewLessons}
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, status, "incident", d)
}

// missingToClose names, as message keys, what closing inc still needs.
func missingToClose(inc incident.Incident) []string {
	var out []string
	if inc.ReviewedAt == nil {
		out = append(out, "incident.missing.review")
	}
	if inc.ReportedAt == nil {
		out = append(out, "incident.missing.report")
	}
	if inc.NotifyDue != nil && inc.NotifiedAt == nil {
		out = append(out, "incident.missing.notice")
	}
	for _, t := range inc.Tasks {
		if t.DoneAt == nil {
			out = append(out, "incident.missing.tasks")
			break
		}
	}
	return out
}

// span writes a duration to the minute: "3h 20m", "-1h 05m".
func span(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	d = d.Round(time.Minute)
	h, m := int(d.Hours()), int(d.Minutes())%60
	if h >= 48 {
		return sign + strconv.Itoa(h/24) + "d " + strconv.Itoa(h%24) + "h"
	}
	return sign + strconv.Itoa(h) + "h " + strconv.Itoa(m) + "m"
}

// incidentStepKind names a step on an incident.
type incidentStepKind int

const (
	stepContain incidentStepKind = iota
	stepTask
	stepTaskDone
	stepIssue
	stepReview
	stepClose
)

// incidentStep takes a step on an incident. Form fields: contained_at
// (contain, optional); task_title, task_owner (a username), task_due
// (task); kind ("notice" or "report", issue); summary, lessons (review).
// A problem shows the page again with it beside its input (422) and
// changes nothing.
func (s *server) incidentStep(step incidentStepKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := requireUser(r)
		if err != nil {
			return err
		}
		ctx, id, is, f := r.Context(), r.PathValue("id"), s.acc.Incidents, r.PostForm
		d := incidentData{Task: taskInput{Title: f.Get("task_title"), Owner: strings.TrimSpace(f.Get("task_owner")), Due: f.Get("task_due")},
			Review: incident.ReviewInput{Summary: f.Get("summary"), Lessons: f.Get("lessons")}}
		done := ""
		switch step {
		case stepContain:
			var at time.Time
			if v := strings.TrimSpace(f.Get("contained_at")); v != "" {
				var perr error
				if at, perr = parseLocal(v); perr != nil {
					err = validate.Errors{{Field: "contained_at", Value: v, Code: "datetime", Message: "is not a date and time"}}
					break
				}
			}
			_, err = is.Contain(ctx, p, id, at)
			done = "incident_contained"
		case stepTask:
			err = s.addTask(r, p, id, d.Task)
			done = "incident_task_added"
		case stepTaskDone:
			_, err = is.CompleteTask(ctx, p, id, r.PathValue("task"))
			done = "incident_task_done"
		case stepIssue:
			_, _, err = is.Issue(ctx, p, id, f.Get("kind"))
			done = "incident_issued"
		case stepReview:
			_, err = is.Review(ctx, p, id, d.Review)
			done = "incident_reviewed"
		case stepClose:
			_, err = is.Close(ctx, p, id)
			done = "incident_closed"
		}
		if errs := fieldErrors(err); errs != nil {
			d.Errors = newFormErrors(langOf(r), renameTradeFields(errs, map[string]string{"title": "task_title", "owner_user_id": "task_owner",
				"due_at": "task_due"}))
			return s.showIncident(w, r, http.StatusUnprocessableEntity, d)
		} else if err != nil {
			return err
		}
		return seeOther(w, r, incidentPath(id), done)
	}
}

// addTask adds the form's task, its owner named by username.
func (s *server) addTask(r *http.Request, p identity.Principal, id string, t taskInput) error {
	in := incident.ResponseTaskInput{Title: t.Title}
	if t.Owner != "" {
		u, err := s.identity.UserByName(r.Context(), t.Owner)
		if errors.Is(err, store.ErrNotFound) {
			return validate.Errors{{Field: "task_owner", Value: t.Owner, Code: "not_member", Message: "is not an enabled member of the organization"}}
		} else if err != nil {
			return err
		}
		in.OwnerUserID = u.ID
	}
	if strings.TrimSpace(t.Due) != "" {
		due, err := parseLocal(t.Due)
		if err != nil {
			return validate.Errors{{Field: "task_due", Value: t.Due, Code: "datetime", Message: "is not a date and time"}}
		}
		in.DueAt = due
	}
	_, err := s.acc.Incidents.AddTask(r.Context(), p, id, in)
	return err
}

// incidentDocument serves an issued document as sealed: the HTML page
// (its inline print stylesheet allowed by hash, nothing else) or, with
// ?format=text, the plain text.
func (s *server) incidentDocument(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	doc, body, err := s.acc.Incidents.IssuedDocument(r.Context(), p, r.PathValue("id"), r.PathValue("doc"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.URL.Query().Get("format") == "text" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="incident-`+doc.Kind+"-"+doc.ID[:8]+`.txt"`)
		_, err = w.Write([]byte(body.Text))
		return err
	}
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'sha256-"+styleHash(body.HTML)+"'; "+
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err = w.Write([]byte(body.HTML))
	return err
}

// styleHash is the CSP hash (base64 SHA-256) of a document's inline
// stylesheet as it was issued: a document issued under an older
// stylesheet keeps its own.
func styleHash(doc string) string {
	style := incident.PrintStyle()
	if _, rest, ok := strings.Cut(doc, "<style>"); ok {
		style, _, _ = strings.Cut(rest, "</style>")
	}
	sum := sha256.Sum256([]byte(style))
	return base64.StdEncoding.EncodeToString(sum[:])
}

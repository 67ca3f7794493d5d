package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"dataport/internal/identity"
	"dataport/internal/monitor/incident"

	"github.com/danielgtaylor/huma/v2"
)

// tagIncidents groups the data security incidents.
const tagIncidents = "Incidents"

func init() {
	tags = append(tags, &huma.Tag{Name: tagIncidents, Description: "Data security incidents (数据安全事件, article 48; Data Security " +
		"Law art. 29, PIPL art. 57): kind, level (general 一般, major 较大, serious 重大, critical 特别重大), the resources, records and " +
		"persons affected, cause, discovery and containment; the deadlines to notify the affected persons and to report to the " +
		"authority, counted in hours from the discovery by level (defaults: report within 4 hours for major and above, after the " +
		"CAC's 2025 Measures for reporting cybersecurity incidents, 72 for general; notify within 24/24/48/72 hours from critical to " +
		"general; the deployment may change them); response tasks with owners and due times; the notice (个人信息安全事件告知书) and " +
		"report (数据安全事件报告) generated in Chinese as HTML with a print stylesheet and as plain text, kept as issued and their " +
		"SHA-256 sealed; the post-incident review that closing requires (open → contained → closed). The security officer works on " +
		"every unit's incidents, a unit's admins and editors on their own; the regulator and auditor read them. Every step is an " +
		"incident.* event sealed by the ledger. Each unit names its responsible person (数据安全负责人) and, optionally, a chief data " +
		"officer (首席数据官)."})
}

// deadlineView is a deadline with where it stands when answered.
type deadlineView struct {
	incident.Deadline
	Status       incident.DeadlineStatus `json:"status" enum:"pending,due_soon,overdue,met,met_late"`
	SecondsLeft  int64                   `json:"seconds_left" doc:"Until it is due (negative once passed)"`
	RemindBefore int64                   `json:"remind_before_seconds" doc:"How long before it is due the reminder goes out (due_soon from then)"`
}

// incidentBody is an incident with its deadlines' state.
type incidentBody struct {
	incident.Incident
	DeadlineStates []deadlineView `json:"deadline_states" doc:"The notify (when persons are affected) and report deadlines, as they stand now"`
}

type incidentOut struct{ Body incidentBody }

type incidentIDIn struct {
	ID string `path:"id"`
}

type listIncidentsIn struct {
	State  string `query:"state" enum:"open,contained,closed"`
	OrgID  string `query:"org_id" doc:"Only this unit's"`
	Cursor string `query:"cursor" doc:"next_cursor of the previous page"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

type openIncidentIn struct{ Body incident.Details }

type updateIncidentIn struct {
	ID   string `path:"id"`
	Body incident.Details
}

type openFromAlertIn struct {
	ID   string `path:"id" doc:"The alert's id"`
	Body incident.Details
}

type containIncidentIn struct {
	ID   string `path:"id"`
	Body struct {
		ContainedAt time.Time `json:"contained_at,omitempty" required:"false" doc:"When it was brought under control (default: now)"`
	}
}

type addTaskIn struct {
	ID   string `path:"id"`
	Body incident.ResponseTaskInput
}

type taskIn struct {
	ID     string `path:"id"`
	TaskID string `path:"task_id"`
}

type issueDocumentIn struct {
	ID   string `path:"id"`
	Body struct {
		Kind string `json:"kind" enum:"notice,report" doc:"notice: 个人信息安全事件告知书 to the affected persons; report: 数据安全事件报告 to the authority"`
	}
}

type incidentDocumentOut struct {
	Body struct {
		Filing   incident.Filing `json:"document"`
		Incident incidentBody    `json:"incident"`
	}
}

type incidentDocumentIn struct {
	ID     string `path:"id"`
	DocID  string `path:"doc_id"`
	Format string `query:"format" enum:"html,text" default:"html" doc:"html: the page with its print stylesheet; text: plain text"`
}

type reviewIncidentIn struct {
	ID   string `path:"id"`
	Body incident.ReviewInput
}

type setOfficersIn struct {
	ID   string `path:"id" doc:"The organization's id"`
	Body identity.Officers
}

type organizationOut struct{ Body identity.Organization }

func (h *handlers) incidentRoutes(api huma.API) {
	op := func(id, method, path string, status int, summary, desc string) huma.Operation {
		return huma.Operation{OperationID: id, Method: method, Path: path, Tags: []string{tagIncidents}, Summary: summary, Description: desc,
			DefaultStatus: status, Security: bearer}
	}
	h.incidentCaseRoutes(api, op)
	h.incidentStepRoutes(api, op)
	h.incidentDocumentRoutes(api, op)
	huma.Register(api, op("set-organization-officers", http.MethodPut, "/organizations/{id}/officers", 0,
		"Name a unit's responsible person for data security and chief data officer (the unit's admins, platform operators)",
		"The responsible person (数据安全负责人) is required, the chief data officer (首席数据官) optional; both must be enabled members "+
			"of the unit (422 otherwise, nothing changes). The incident documents name them as the unit's contacts."),
		func(ctx context.Context, in *setOfficersIn) (*organizationOut, error) {
			org, err := h.id.SetOfficers(ctx, identity.FromContext(ctx), in.ID, in.Body)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			return &organizationOut{Body: org}, nil
		})
}

// incident answers inc with its deadlines as they stand now.
func (h *handlers) incident(ctx context.Context, inc incident.Incident, err error) (*incidentOut, error) {
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &incidentOut{Body: h.incidentView(inc)}, nil
}

func (h *handlers) incidentView(inc incident.Incident) incidentBody {
	now, soon := time.Now(), h.acc.Incidents.Config().RemindBefore
	b := incidentBody{Incident: inc, DeadlineStates: []deadlineView{}}
	for _, d := range inc.Deadlines() {
		b.DeadlineStates = append(b.DeadlineStates, deadlineView{Deadline: d, Status: d.Status(now, soon),
			SecondsLeft: int64(d.Left(now).Seconds()), RemindBefore: int64(soon.Seconds())})
	}
	return b
}

func (h *handlers) incidentCaseRoutes(api huma.API, op operation) {
	is := h.acc.Incidents
	huma.Register(api, op("list-incidents", http.MethodGet, "/incidents", 0, "Data security incidents, newest first",
		"The security officer, regulator and auditor see every unit's; a unit's admins and editors their own. Tasks, documents and "+
			"resources are left out of the list (GET one for them)."),
		func(ctx context.Context, in *listIncidentsIn) (*List[incidentBody], error) {
			list, next, err := is.Incidents(ctx, identity.FromContext(ctx), incident.Filter{State: incident.State(in.State), OrgID: in.OrgID,
				Cursor: in.Cursor, Limit: in.Limit})
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			out := &List[incidentBody]{}
			out.Body.Items, out.Body.NextCursor = make([]incidentBody, len(list)), next
			for i, inc := range list {
				out.Body.Items[i] = h.incidentView(inc)
			}
			return out, nil
		})
	huma.Register(api, op("open-incident", http.MethodPost, "/incidents", http.StatusCreated,
		"Record a data security incident (the unit's admins and editors, the security officer)",
		"The deadlines to notify the persons (only when persons_affected > 0) and to report are computed from discovered_at by level. "+
			"Bad fields answer 422 naming each, and nothing is written."),
		func(ctx context.Context, in *openIncidentIn) (*incidentOut, error) {
			inc, err := is.Open(ctx, identity.FromContext(ctx), in.Body)
			return h.incident(ctx, inc, err)
		})
	huma.Register(api, op("open-incident-from-alert", http.MethodPost, "/monitor/alerts/{id}/incident", http.StatusCreated,
		"Turn a monitoring alert into an incident (the security officer)",
		"Records the incident and escalates the alert to it in one transaction (the alert's state becomes escalated, its incident_id "+
			"this incident's). discovered_at defaults to the alert's creation, from which the deadlines count. An alert already "+
			"escalated or closed answers 409 and nothing is written."),
		func(ctx context.Context, in *openFromAlertIn) (*incidentOut, error) {
			inc, err := is.OpenFromAlert(ctx, identity.FromContext(ctx), in.ID, in.Body)
			return h.incident(ctx, inc, err)
		})
	huma.Register(api, op("get-incident", http.MethodGet, "/incidents/{id}", 0, "One incident with its tasks, documents and deadlines",
		"For the security officer, regulator and auditor, and the unit's admins and editors; 404 for anyone else."),
		func(ctx context.Context, in *incidentIDIn) (*incidentOut, error) {
			inc, err := is.Incident(ctx, identity.FromContext(ctx), in.ID)
			return h.incident(ctx, inc, err)
		})
	huma.Register(api, op("update-incident", http.MethodPut, "/incidents/{id}", 0, "Change what is known of an incident",
		"Replaces title, kind, level, texts, resources and counts (the unit stays; discovered_at, when left out, too). A new level or "+
			"count of persons recomputes the deadlines from the discovery. A closed incident answers 409."),
		func(ctx context.Context, in *updateIncidentIn) (*incidentOut, error) {
			inc, err := is.Update(ctx, identity.FromContext(ctx), in.ID, in.Body)
			return h.incident(ctx, inc, err)
		})
}

func (h *handlers) incidentStepRoutes(api huma.API, op operation) {
	is := h.acc.Incidents
	huma.Register(api, op("contain-incident", http.MethodPost, "/incidents/{id}/contain", 0, "Record that an incident is contained",
		"open → contained, at contained_at (between the discovery and now; default now)."),
		func(ctx context.Context, in *containIncidentIn) (*incidentOut, error) {
			inc, err := is.Contain(ctx, identity.FromContext(ctx), in.ID, in.Body.ContainedAt)
			return h.incident(ctx, inc, err)
		})
	huma.Register(api, op("add-incident-task", http.MethodPost, "/incidents/{id}/tasks", http.StatusCreated, "Add a response task",
		"A title, an owner (a member of the unit, or a security officer) and a due time (not before the discovery)."),
		func(ctx context.Context, in *addTaskIn) (*incidentOut, error) {
			inc, err := is.AddTask(ctx, identity.FromContext(ctx), in.ID, in.Body)
			return h.incident(ctx, inc, err)
		})
	huma.Register(api, op("complete-incident-task", http.MethodPost, "/incidents/{id}/tasks/{task_id}/done", 0, "Mark a response task done",
		"Its owner, or anyone who works on the incident."),
		func(ctx context.Context, in *taskIn) (*incidentOut, error) {
			inc, err := is.CompleteTask(ctx, identity.FromContext(ctx), in.ID, in.TaskID)
			return h.incident(ctx, inc, err)
		})
	huma.Register(api, op("review-incident", http.MethodPost, "/incidents/{id}/review", 0, "Record the post-incident review",
		"A summary and the lessons; only once contained, revisable until closed."),
		func(ctx context.Context, in *reviewIncidentIn) (*incidentOut, error) {
			inc, err := is.Review(ctx, identity.FromContext(ctx), in.ID, in.Body)
			return h.incident(ctx, inc, err)
		})
	huma.Register(api, op("close-incident", http.MethodPost, "/incidents/{id}/close", 0, "Close an incident",
		"Only a contained incident with its review recorded, its report issued, its notice issued when persons are affected and every "+
			"task done; 409 names what is missing."),
		func(ctx context.Context, in *incidentIDIn) (*incidentOut, error) {
			inc, err := is.Close(ctx, identity.FromContext(ctx), in.ID)
			return h.incident(ctx, inc, err)
		})
}

func (h *handlers) incidentDocumentRoutes(api huma.API, op operation) {
	is := h.acc.Incidents
	huma.Register(api, op("issue-incident-document", http.MethodPost, "/incidents/{id}/documents", http.StatusCreated,
		"Issue the notice to the affected persons or the report to the authority",
		"Generates the document from the incident as it stands (the counts of records and persons affected, the resources, cause, "+
			"measures, tasks and the unit's responsible person), keeps both forms as issued and seals their SHA-256 with an "+
			"incident.document_issued event. The first notice records when the persons were notified, the first report when the "+
			"authority was. A notice with no person affected, or a closed incident, answers 409."),
		func(ctx context.Context, in *issueDocumentIn) (*incidentDocumentOut, error) {
			inc, doc, err := is.Issue(ctx, identity.FromContext(ctx), in.ID, in.Body.Kind)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			out := &incidentDocumentOut{}
			out.Body.Filing, out.Body.Incident = doc, h.incidentView(inc)
			return out, nil
		})
	get := op("get-incident-document", http.MethodGet, "/incidents/{id}/documents/{doc_id}", 0,
		"An issued document, byte for byte as sealed",
		"format=html (default): a self-contained page with its print stylesheet; format=text: plain text. Its SHA-256 is the "+
			"html_sha256 or text_sha256 of the incident.document_issued event.")
	get.Responses = fileResponses("The document", map[string]*huma.Schema{"text/html": {Type: huma.TypeString},
		"text/plain": {Type: huma.TypeString}})
	huma.Register(api, get, func(ctx context.Context, in *incidentDocumentIn) (*huma.StreamResponse, error) {
		doc, body, err := is.IssuedDocument(ctx, identity.FromContext(ctx), in.ID, in.DocID)
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		content, ctype, ext := body.HTML, "text/html; charset=utf-8", "html"
		if in.Format == "text" {
			content, ctype, ext = body.Text, "text/plain; charset=utf-8", "txt"
		}
		return &huma.StreamResponse{Body: func(hctx huma.Context) {
			hctx.SetHeader("Content-Type", ctype)
			hctx.SetHeader("Content-Disposition", `attachment; filename="incident-`+in.ID+"-"+doc.Kind+"."+ext+`"`)
			hctx.SetHeader("Cache-Control", "no-store")
			strings.NewReader(content).WriteTo(hctx.BodyWriter())
		}}, nil
	})
}

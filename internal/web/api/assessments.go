package api

import (
	"context"
	"net/http"
	"regexp"

	"dataport/internal/assess"
	"dataport/internal/identity"

	"github.com/danielgtaylor/huma/v2"
)

// tagAssessments groups the data security risk assessments.
const tagAssessments = "Risk assessments"

func init() {
	tags = append(tags, &huma.Tag{Name: tagAssessments, Description: "Data security risk assessments (数据安全风险评估, article 46) " +
		"by the method of GB/T 20984: of a resource or of an institution's information system, with the assets (value 1–5), threats " +
		"(likelihood 1–5), vulnerabilities (severity 1–5, naming the asset and threat) and existing measures; the risks computed by " +
		"the matrix method (GET /assessments/method), findings and remediation tasks with owners and deadlines. Important and core data " +
		"is shared, opened and used in zones only while a completed assessment at its present grade holds (a year, until its grade " +
		"changes). The institution's admins and editors and the security officer assess; the regulator and the auditor read."})
}

// assessPkg is package assess's import path.
const assessPkg = "dataport/internal/assess"

// assessType is a type of package assess as reflection names it.
var assessType = regexp.MustCompile(`dataport/internal/assess\.([A-Za-z0-9_]+)`)

// assessSchemaName prefixes package assess's types in name with
// Assessment (assess.Risk is AssessmentRisk), unless they have it.
func assessSchemaName(name string) string {
	return assessType.ReplaceAllStringFunc(name, func(m string) string {
		base := m[len(assessPkg)+1:]
		if len(base) >= len("Assessment") && base[:len("Assessment")] == "Assessment" {
			return base
		}
		return "Assessment" + base
	})
}

type listAssessmentsIn struct {
	State      string `query:"state" enum:"draft,completed,superseded,lapsed"`
	OrgID      string `query:"org" doc:"An institution's id"`
	ResourceID string `query:"resource" doc:"A resource's id"`
	Cursor     string `query:"cursor" doc:"next_cursor of the previous page"`
	Limit      int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

type assessmentIn struct {
	ID string `path:"id"`
}

type assessmentOut struct{ Body assess.Assessment }

type createAssessmentIn struct{ Body assess.NewInput }

type saveAssessmentIn struct {
	ID   string `path:"id"`
	Body assess.SaveInput
}

type addAssessmentTaskIn struct {
	ID   string `path:"id"`
	Body assess.TaskInput
}

type assessmentTaskIn struct {
	ID     string `path:"id"`
	TaskID string `path:"task_id"`
	Body   struct {
		Note string `json:"note,omitempty" required:"false" doc:"What was done"`
	}
}

type assessmentTaskOut struct{ Body assess.Task }

type assessmentScheduleOut struct {
	Body struct {
		Items []assess.Entry `json:"items"`
	}
}

// AssessmentMethod is the matrix method as data: anyone can recompute a
// risk with it.
type AssessmentMethod struct {
	Standard    string   `json:"standard"`
	Matrix      [][]int  `json:"matrix" doc:"matrix[a-1][b-1] is M(a, b)"`
	GradeBands  []int    `json:"grade_bands" doc:"The highest M value of grades 1–4 of likelihood and loss (higher is 5)"`
	LevelBands  []int    `json:"level_bands" doc:"The highest risk value of levels 1–4 (higher is 5)"`
	Steps       []string `json:"steps"`
	ValidityDay int      `json:"validity_days" doc:"How long a completed assessment holds, unless the grade changes first"`
}

type assessmentMethodOut struct{ Body AssessmentMethod }

// assessmentOp is one operation of the assessments' API.
func assessmentOp(id, method, path string, status int, summary, desc string) huma.Operation {
	op := huma.Operation{OperationID: id, Method: method, Path: "/assessments" + path, Tags: []string{tagAssessments},
		Summary: summary, Description: desc, DefaultStatus: max(status, 0)}
	if isWrite(method) || status == signedIn {
		op.Security = bearer
	}
	return op
}

func assessmentBody(a assess.Assessment) *assessmentOut { return &assessmentOut{Body: a} }

func (h *handlers) assessmentRoutes(api huma.API) {
	as := h.acc.Assess
	huma.Register(api, assessmentOp("list-assessments", http.MethodGet, "", signedIn, "Risk assessments",
		"The assessments you may read, newest first: your institutions' (admins and editors) or every institution's (the security "+
			"officer, the regulator, the auditor). Filtered by state, institution and resource, a page at a time."),
		func(ctx context.Context, in *listAssessmentsIn) (*List[assess.Assessment], error) {
			items, next, err := as.List(ctx, identity.FromContext(ctx), assess.Filter{State: assess.State(in.State), OrgID: in.OrgID,
				ResourceID: in.ResourceID, Cursor: in.Cursor, Limit: in.Limit})
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			out := &List[assess.Assessment]{}
			out.Body.Items, out.Body.NextCursor = items, next
			return out, nil
		})
	huma.Register(api, assessmentOp("create-assessment", http.MethodPost, "", http.StatusCreated, "Start a risk assessment",
		"A draft assessment of a resource (its institution's admins and editors, the security officer; the resource's effective grade "+
			"is recorded; one draft per resource) or of an institution's information system (system_name, org_id). Bad fields answer 422 "+
			"and nothing is written."),
		func(ctx context.Context, in *createAssessmentIn) (*assessmentOut, error) {
			return answer(h, ctx, assessmentBody)(as.Create(ctx, identity.FromContext(ctx), in.Body))
		})
	huma.Register(api, assessmentOp("get-assessment-schedule", http.MethodGet, "/schedule", signedIn, "Which resources need assessing",
		"The resources of important or core effective grade whose assessments you may read: overdue (no assessment holds: their "+
			"sharing, opening and zone use are refused), due soon (it lapses within 30 days) or current, overdue first."),
		func(ctx context.Context, _ *struct{}) (*assessmentScheduleOut, error) {
			items, err := as.Schedule(ctx, identity.FromContext(ctx))
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			out := &assessmentScheduleOut{}
			out.Body.Items = items
			return out, nil
		})
	huma.Register(api, assessmentOp("get-assessment-method", http.MethodGet, "/method", 0, "The risk computation method",
		"The matrix method of GB/T 20984 as data, for anyone: the matrix, the bands of grades and levels and the steps."),
		func(ctx context.Context, _ *struct{}) (*assessmentMethodOut, error) {
			return &assessmentMethodOut{Body: assessmentMethod()}, nil
		})
	huma.Register(api, assessmentOp("get-assessment", http.MethodGet, "/{id}", signedIn, "One risk assessment",
		"Its items, computed risks, findings, conclusion and remediation tasks; 404 for whoever may not read it."),
		func(ctx context.Context, in *assessmentIn) (*assessmentOut, error) {
			return answer(h, ctx, assessmentBody)(as.Get(ctx, identity.FromContext(ctx), in.ID))
		})
	huma.Register(api, assessmentOp("save-assessment", http.MethodPut, "/{id}", 0, "Save a draft's items",
		"Replaces the draft's title, scope, items, findings and conclusion and recomputes its risks. Every problem is a field error "+
			"naming its place (items.vulnerabilities[2].asset); nothing is written then. A completed assessment answers 409."),
		func(ctx context.Context, in *saveAssessmentIn) (*assessmentOut, error) {
			return answer(h, ctx, assessmentBody)(as.Save(ctx, identity.FromContext(ctx), in.ID, in.Body))
		})
	huma.Register(api, assessmentOp("complete-assessment", http.MethodPost, "/{id}/complete", 0, "Complete an assessment",
		"Needs an asset, a threat, a vulnerability, a conclusion, a finding treating every high or very high risk and a task for every "+
			"finding that reduces risks (422 naming what is missing). The resource's grade now is the grade assessed; it holds a year and "+
			"supersedes the resource's previous assessment; reads are decided with it at once."),
		func(ctx context.Context, in *assessmentIn) (*assessmentOut, error) {
			return answer(h, ctx, assessmentBody)(as.Complete(ctx, identity.FromContext(ctx), in.ID))
		})
	h.assessmentTaskRoutes(api)
}

func (h *handlers) assessmentTaskRoutes(api huma.API) {
	as := h.acc.Assess
	huma.Register(api, assessmentOp("add-assessment-task", http.MethodPost, "/{id}/tasks", http.StatusCreated, "Add a remediation task",
		"What is to be done, for which finding, by whom (a member of the institution or the security officer, who is told) and by "+
			"which day (YYYY-MM-DD, not before today in Beijing). An owner not done by the deadline is reminded once."),
		func(ctx context.Context, in *addAssessmentTaskIn) (*assessmentTaskOut, error) {
			t, err := as.AddTask(ctx, identity.FromContext(ctx), in.ID, in.Body)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			return &assessmentTaskOut{Body: t}, nil
		})
	huma.Register(api, assessmentOp("complete-assessment-task", http.MethodPost, "/{id}/tasks/{task_id}/done", 0,
		"Mark a remediation task done", "By its owner or the assessment's workers, with a note of what was done; done twice answers 409."),
		func(ctx context.Context, in *assessmentTaskIn) (*assessmentTaskOut, error) {
			t, err := as.CompleteTask(ctx, identity.FromContext(ctx), in.ID, in.TaskID, in.Body.Note)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			return &assessmentTaskOut{Body: t}, nil
		})
}

func assessmentMethod() AssessmentMethod {
	m := AssessmentMethod{Standard: "GB/T 20984", GradeBands: assess.GradeBands[:], LevelBands: assess.LevelBands[:],
		ValidityDay: 365, Steps: []string{
			"residual severity = severity − 1 (not below 1) when an effective existing measure addresses the vulnerability",
			"event likelihood = grade of M(threat likelihood, residual severity) by grade_bands",
			"event loss = grade of M(asset value, residual severity) by grade_bands",
			"risk value = M(event likelihood, event loss); risk level by level_bands (1 very low … 5 very high)",
			"M(a, b) is the rank of the cell (a, b) when the 25 cells are ordered by a×b, then b, then a",
		}}
	for a := 1; a <= 5; a++ {
		row := make([]int, 5)
		for b := 1; b <= 5; b++ {
			row[b-1] = assess.Matrix(a, b)
		}
		m.Matrix = append(m.Matrix, row)
	}
	return m
}

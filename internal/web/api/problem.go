package api

import (
	"net/http"
	"reflect"

	"dataport/internal/validate"
	"dataport/internal/web/problem"

	"github.com/danielgtaylor/huma/v2"
)

// validationProblem is the 422 problem+json body for field problems: huma's
// error model whose entries also carry each problem's stable code and
// arguments, so that clients can translate without parsing the English.
type validationProblem struct {
	Title  string         `json:"title"`
	Status int            `json:"status"`
	Detail string         `json:"detail"`
	Errors []fieldProblem `json:"errors"`
}

// fieldProblem is one entry of a validationProblem.
type fieldProblem struct {
	Message  string `json:"message"`
	Location string `json:"location,omitempty"`
	Value    any    `json:"value,omitempty"`
	Code     string `json:"code,omitempty"`
	Args     []any  `json:"args,omitempty"`
}

func (p *validationProblem) Error() string  { return p.Detail }
func (p *validationProblem) GetStatus() int { return p.Status }

// ContentType makes the body application/problem+json, as huma's own errors are.
func (p *validationProblem) ContentType(ct string) string {
	return (&huma.ErrorModel{}).ContentType(ct)
}

// fieldProblems returns the problem for errs, cut to problem's limits.
func fieldProblems(errs validate.Errors) *validationProblem {
	keep, more := problem.Count(len(errs))
	p := &validationProblem{Title: http.StatusText(http.StatusUnprocessableEntity), Status: http.StatusUnprocessableEntity,
		Detail: "validation failed", Errors: make([]fieldProblem, 0, keep+1)}
	for _, fe := range errs[:keep] {
		p.Errors = append(p.Errors, fieldProblem{Message: problem.Text(fe.Message, problem.MaxTextBytes),
			Location: problem.Text("body."+fe.Field, problem.MaxTextBytes), Value: problem.Value(fe.Value), Code: fe.Code, Args: problem.Values(fe.Args)})
	}
	if more != "" {
		p.Errors = append(p.Errors, fieldProblem{Message: more})
	}
	return p
}

// documentFieldProblems describes every operation's 422 answer as a
// validationProblem, whose entries carry code and args beside huma's fields;
// an operation with parameters or a body gets one when it lists none (its
// default answer is huma's error model, whose entries lack them).
func documentFieldProblems(doc *huma.OpenAPI) {
	schema := doc.Components.Schemas.Schema(reflect.TypeFor[validationProblem](), true, "ValidationProblem")
	for _, item := range doc.Paths {
		for _, op := range []*huma.Operation{item.Get, item.Put, item.Post, item.Delete, item.Patch} {
			if op == nil {
				continue
			}
			if r := op.Responses["422"]; r != nil {
				for _, mt := range r.Content {
					mt.Schema = schema
				}
			} else if len(op.Parameters) > 0 || op.RequestBody != nil {
				op.Responses["422"] = unprocessable(schema)
			}
		}
	}
}

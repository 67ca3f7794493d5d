package api

import (
	"context"
	"net/http"

	"dataport/internal/identity"
	"dataport/internal/review"

	"github.com/danielgtaylor/huma/v2"
)

// caseRecords are the records of a kind of review case as its service
// keeps them (review.Records): share requests, open applications, and the
// kinds to come.
type caseRecords[T any] interface {
	Get(ctx context.Context, p identity.Principal, id string) (T, error)
	List(ctx context.Context, p identity.Principal, f review.Filter) ([]T, error)
	Decide(ctx context.Context, p identity.Principal, id string, d review.Decision, comment string) (T, error)
	Withdraw(ctx context.Context, p identity.Principal, id string) (T, error)
	RequestInfo(ctx context.Context, p identity.Principal, id, question string) (T, error)
	Answer(ctx context.Context, p identity.Principal, id, answer string) (T, error)
}

// caseOut is one case record.
type caseOut[T any] struct{ Body T }

type workflowIDIn struct {
	ID string `path:"id"`
}

type listWorkflowIn struct {
	Side   string `query:"side" enum:"sent,received,queue" doc:"sent: yours; received: for your institutions' data; queue: waiting for your review, oldest deadline first"`
	Status string `query:"status" enum:"provider_review,operator_review,more_info,granted,rejected,withdrawn,expired"`
	Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"100"`
}

type caseTextIn struct {
	ID   string `path:"id"`
	Body struct {
		Text string `json:"text" maxLength:"2000" doc:"The question (request-info) or the answer"`
	}
}

type reviewWorkflowIn struct {
	ID   string `path:"id"`
	Body struct {
		Decision review.Decision `json:"decision" enum:"approve,reject"`
		Comment  string          `json:"comment" required:"false" doc:"Required when rejecting"`
	}
}

// caseDoc documents one operation on a kind's cases.
type caseDoc struct{ Summary, Description string }

// caseDocs document a kind's case operations: its path (e.g.
// "/share-requests"), the name in its operation ids ("share-request"),
// and each operation's words.
type caseDocs struct {
	Path, Name                                       string
	List, Get, Review, Withdraw, RequestInfo, Answer caseDoc
}

// caseRoutes registers the operations every kind of case offers — list,
// get, review, withdraw, request more information, answer — on recs.
func caseRoutes[T any](h *handlers, api huma.API, tag string, recs caseRecords[T], d caseDocs) {
	tags := []string{tag}
	op := func(id, method, path string, doc caseDoc) huma.Operation {
		return huma.Operation{OperationID: id, Method: method, Path: d.Path + path, Tags: tags, Security: bearer, Summary: doc.Summary,
			Description: doc.Description}
	}
	one := func(ctx context.Context) func(T, error) (*caseOut[T], error) {
		return func(v T, err error) (*caseOut[T], error) {
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			return &caseOut[T]{Body: v}, nil
		}
	}
	huma.Register(api, op("list-"+d.Name+"s", http.MethodGet, "", d.List), func(ctx context.Context, in *listWorkflowIn) (*List[T], error) {
		items, err := recs.List(ctx, identity.FromContext(ctx), review.Filter{Side: in.Side, Status: review.Status(in.Status), Limit: in.Limit})
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		out := &List[T]{}
		out.Body.Items = items
		if out.Body.Items == nil {
			out.Body.Items = []T{}
		}
		return out, nil
	})
	huma.Register(api, op("get-"+d.Name, http.MethodGet, "/{id}", d.Get), func(ctx context.Context, in *workflowIDIn) (*caseOut[T], error) {
		return one(ctx)(recs.Get(ctx, identity.FromContext(ctx), in.ID))
	})
	huma.Register(api, op("review-"+d.Name, http.MethodPost, "/{id}/review", d.Review), func(ctx context.Context, in *reviewWorkflowIn) (*caseOut[T], error) {
		return one(ctx)(recs.Decide(ctx, identity.FromContext(ctx), in.ID, in.Body.Decision, in.Body.Comment))
	})
	huma.Register(api, op("withdraw-"+d.Name, http.MethodPost, "/{id}/withdraw", d.Withdraw), func(ctx context.Context, in *workflowIDIn) (*caseOut[T], error) {
		return one(ctx)(recs.Withdraw(ctx, identity.FromContext(ctx), in.ID))
	})
	huma.Register(api, op("request-"+d.Name+"-info", http.MethodPost, "/{id}/request-info", d.RequestInfo), func(ctx context.Context, in *caseTextIn) (*caseOut[T], error) {
		return one(ctx)(recs.RequestInfo(ctx, identity.FromContext(ctx), in.ID, in.Body.Text))
	})
	huma.Register(api, op("answer-"+d.Name, http.MethodPost, "/{id}/answer", d.Answer), func(ctx context.Context, in *caseTextIn) (*caseOut[T], error) {
		return one(ctx)(recs.Answer(ctx, identity.FromContext(ctx), in.ID, in.Body.Text))
	})
}

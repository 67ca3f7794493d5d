package api

import (
	"context"
	"net/http"

	"dataport/internal/engage"
	"dataport/internal/identity"

	"github.com/danielgtaylor/huma/v2"
)

// engagement is a dataset's figures as its reader sees them.
type engagement struct {
	Body struct {
		engage.Count
		Rating    engage.Rating `json:"rating"`
		Followers int           `json:"followers"`
		Following bool          `json:"following" doc:"Whether the caller follows the dataset"`
	}
}

type rateIn struct {
	ID   string `path:"id"`
	Body struct {
		Stars int `json:"stars" required:"false" doc:"1 to 5; anything else is refused (422, body.stars)"`
	}
}

type ratingOut struct{ Body engage.Rating }

type commentIn struct {
	ID   string `path:"id"`
	Body struct {
		Body string `json:"body" required:"false" doc:"Plain text, at most 2,000 characters (required)"`
	}
}

type hideIn struct {
	ID   string `path:"id"`
	Body struct {
		Reason string `json:"reason" required:"false" doc:"Shown in the comment's place, at most 500 characters"`
	}
}

type commentOut struct{ Body engage.Comment }

type reportIn struct {
	ID   string `path:"id"`
	Body engage.ReportInput
}

type replyIn struct {
	ID   string `path:"id"`
	Body struct {
		Reply string `json:"reply" required:"false" doc:"The answer, at most 2,000 characters; replaces an earlier one"`
	}
}

type reportOut struct{ Body engage.ErrorReport }

func (h *handlers) engageRoutes(api huma.API) {
	tags := []string{tagCatalog}
	huma.Register(api, huma.Operation{OperationID: "get-engagement", Method: http.MethodGet, Path: "/resources/{id}/engagement", Tags: tags,
		Summary:     "A dataset's views, downloads, rating and followers",
		Description: "Views and downloads are counted in memory and written about once a minute; the answer includes what this server counted since."},
		h.getEngagement)
	huma.Register(api, huma.Operation{OperationID: "rate-resource", Method: http.MethodPut, Path: "/resources/{id}/rating", Tags: tags, Security: bearer,
		Summary:     "Rate a published dataset (1–5 stars)",
		Description: "One rating per user and dataset: rating again replaces it. Returns the dataset's rating after the change."}, h.rate)
	huma.Register(api, huma.Operation{OperationID: "list-comments", Method: http.MethodGet, Path: "/resources/{id}/comments", Tags: tags,
		Summary: "A dataset's comments, oldest first",
		Description: "Hidden comments keep their place with the reason; their text is given only to their author and to those who may hide comments. " +
			"Authors' names are masked (林**) except to themselves and moderators."}, h.listComments)
	huma.Register(api, huma.Operation{OperationID: "add-comment", Method: http.MethodPost, Path: "/resources/{id}/comments", Tags: tags, Security: bearer,
		Summary: "Comment on a published dataset", DefaultStatus: http.StatusCreated}, h.addComment)
	huma.Register(api, huma.Operation{OperationID: "hide-comment", Method: http.MethodPost, Path: "/comments/{id}/hide", Tags: tags, Security: bearer,
		Summary:     "Hide a comment, with a reason (the providing institution's editors, platform staff)",
		Description: "403 for others; 409 when the comment is already hidden."}, h.hideComment)
	huma.Register(api, huma.Operation{OperationID: "list-error-reports", Method: http.MethodGet, Path: "/resources/{id}/error-reports", Tags: tags,
		Summary:     "A dataset's error reports (数据纠错) with the provider's answers, newest first",
		Description: "Reports never name their reporter; mine marks the caller's own."}, h.listReports)
	huma.Register(api, huma.Operation{OperationID: "report-error", Method: http.MethodPost, Path: "/resources/{id}/error-reports", Tags: tags, Security: bearer,
		Summary: "Report an error in a published dataset", DefaultStatus: http.StatusCreated,
		Description: "Say where (a column by its data item name or label, a row, the value seen) and what is wrong. The providing institution's " +
			"editors are notified; a column that is not one of the dataset's items is refused (422, body.column)."}, h.reportError)
	huma.Register(api, huma.Operation{OperationID: "answer-error-report", Method: http.MethodPost, Path: "/error-reports/{id}/reply", Tags: tags, Security: bearer,
		Summary:     "Answer an error report (the providing institution's editors, platform operators)",
		Description: "Marks the report answered and notifies its reporter; answering again replaces the answer."}, h.replyReport)
	huma.Register(api, huma.Operation{OperationID: "follow-resource", Method: http.MethodPut, Path: "/resources/{id}/follow", Tags: tags, Security: bearer,
		Summary: "Follow a published dataset", DefaultStatus: http.StatusNoContent,
		Description: "Followers are notified (in the platform and by e-mail) when a new data version is served or the dataset is revised or retired."},
		h.follow)
	huma.Register(api, huma.Operation{OperationID: "unfollow-resource", Method: http.MethodDelete, Path: "/resources/{id}/follow", Tags: tags, Security: bearer,
		Summary: "Stop following a dataset", DefaultStatus: http.StatusNoContent}, h.unfollow)
}

func (h *handlers) getEngagement(ctx context.Context, in *resourceIDIn) (*engagement, error) {
	p := identity.FromContext(ctx)
	if _, err := h.cat.Get(ctx, p, in.ID); err != nil {
		return nil, h.fail(ctx, err)
	}
	svc, out := h.acc.Engage, &engagement{}
	counts, err := svc.Counts(ctx, in.ID)
	if err == nil {
		out.Body.Count = counts[in.ID]
		out.Body.Rating, err = svc.Rating(ctx, p, in.ID)
	}
	if err == nil {
		out.Body.Following, out.Body.Followers, err = svc.Following(ctx, p, in.ID)
	}
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return out, nil
}

func (h *handlers) rate(ctx context.Context, in *rateIn) (*ratingOut, error) {
	r, err := h.acc.Engage.Rate(ctx, identity.FromContext(ctx), in.ID, in.Body.Stars)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &ratingOut{Body: r}, nil
}

func (h *handlers) listComments(ctx context.Context, in *resourceIDIn) (*List[engage.Comment], error) {
	return listOf[engage.Comment](h, ctx)(h.acc.Engage.Comments(ctx, identity.FromContext(ctx), in.ID))
}

func (h *handlers) addComment(ctx context.Context, in *commentIn) (*commentOut, error) {
	return h.comment(ctx)(h.acc.Engage.AddComment(ctx, identity.FromContext(ctx), in.ID, in.Body.Body))
}

func (h *handlers) hideComment(ctx context.Context, in *hideIn) (*commentOut, error) {
	return h.comment(ctx)(h.acc.Engage.HideComment(ctx, identity.FromContext(ctx), in.ID, in.Body.Reason))
}

func (h *handlers) comment(ctx context.Context) func(engage.Comment, error) (*commentOut, error) {
	return func(c engage.Comment, err error) (*commentOut, error) {
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		return &commentOut{Body: c}, nil
	}
}

func (h *handlers) listReports(ctx context.Context, in *resourceIDIn) (*List[engage.ErrorReport], error) {
	return listOf[engage.ErrorReport](h, ctx)(h.acc.Engage.Reports(ctx, identity.FromContext(ctx), in.ID))
}

func (h *handlers) reportError(ctx context.Context, in *reportIn) (*reportOut, error) {
	return h.report(ctx)(h.acc.Engage.Report(ctx, identity.FromContext(ctx), in.ID, in.Body))
}

func (h *handlers) replyReport(ctx context.Context, in *replyIn) (*reportOut, error) {
	return h.report(ctx)(h.acc.Engage.Reply(ctx, identity.FromContext(ctx), in.ID, in.Body.Reply))
}

func (h *handlers) report(ctx context.Context) func(engage.ErrorReport, error) (*reportOut, error) {
	return func(r engage.ErrorReport, err error) (*reportOut, error) {
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		return &reportOut{Body: r}, nil
	}
}

func (h *handlers) follow(ctx context.Context, in *resourceIDIn) (*struct{}, error) {
	if err := h.acc.Engage.Follow(ctx, identity.FromContext(ctx), in.ID); err != nil {
		return nil, h.fail(ctx, err)
	}
	return nil, nil
}

func (h *handlers) unfollow(ctx context.Context, in *resourceIDIn) (*struct{}, error) {
	if err := h.acc.Engage.Unfollow(ctx, identity.FromContext(ctx), in.ID); err != nil {
		return nil, h.fail(ctx, err)
	}
	return nil, nil
}

// listOf answers with items, or with err as a problem.
func listOf[T any](h *handlers, ctx context.Context) func([]T, error) (*List[T], error) {
	return func(items []T, err error) (*List[T], error) {
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		out := &List[T]{}
		out.Body.Items = items
		return out, nil
	}
}

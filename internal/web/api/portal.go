package api

import (
	"context"
	"net/http"

	"dataport/internal/identity"
	"dataport/internal/portal"

	"github.com/danielgtaylor/huma/v2"
)

// tagPortal groups the portal's public pages besides the catalog.
const tagPortal = "Portal"

func init() {
	tags = append(tags, &huma.Tag{Name: tagPortal, Description: "Data requests (数据需求征集) the holding institution answers in public, " +
		"apps built on the data (应用成果展示) reviewed by the platform operators, news and notices, and the front page's figures."})
}

type listRequestsIn struct {
	Status         string `query:"status" enum:"pending,answered"`
	OrganizationID string `query:"organization_id" doc:"Only requests addressed to this institution"`
	Cursor         string `query:"cursor"`
	Limit          int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
}

type requestOut struct{ Body portal.DataRequest }

type createRequestIn struct{ Body portal.DataRequestInput }

type answerRequestIn struct {
	ID   string `path:"id"`
	Body portal.DataRequestAnswer
}

type routeRequestIn struct {
	ID   string `path:"id"`
	Body struct {
		OrganizationID string `json:"organization_id" doc:"The public institution that is to answer"`
	}
}

type pageIn struct {
	Cursor string `query:"cursor"`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
}

type appOut struct{ Body portal.App }

type submitAppIn struct{ Body portal.AppInput }

type listNewsIn struct {
	Kind   string `query:"kind" enum:"news,notice"`
	Cursor string `query:"cursor"`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
}

type newsOut struct{ Body portal.News }

type publishNewsIn struct{ Body portal.NewsInput }

type updateNewsIn struct {
	ID   string `path:"id"`
	Body portal.NewsInput
}

type statsOut struct{ Body portal.Stats }

func (h *handlers) portalRoutes(api huma.API) {
	tags := []string{tagPortal}
	reg := func(id, method, path string, status int, summary, desc string) huma.Operation {
		op := huma.Operation{OperationID: id, Method: method, Path: path, Tags: tags, Summary: summary, Description: desc, DefaultStatus: status}
		if isWrite(method) {
			op.Security = bearer
		}
		return op
	}
	p := h.acc.Portal
	huma.Register(api, reg("list-data-requests", http.MethodGet, "/data-requests", 0, "Data requests, newest first, with their answers",
		"Every data request is public except who filed it: its title, description, purpose, the institution asked and the answer."),
		func(ctx context.Context, in *listRequestsIn) (*List[portal.DataRequest], error) {
			page, err := p.Requests(ctx, portal.RequestFilter{Status: portal.RequestStatus(in.Status), OrganizationID: in.OrganizationID,
				Cursor: in.Cursor, Limit: in.Limit})
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			out := &List[portal.DataRequest]{}
			out.Body.Items, out.Body.NextCursor = page.Items, page.NextCursor
			return out, nil
		})
	huma.Register(api, reg("create-data-request", http.MethodPost, "/data-requests", http.StatusCreated, "Request data that is not open yet",
		"Files a request as the caller. The institution it names (its editors and admins) is told; a request naming none goes to the platform "+
			"operators, who route it. Everything but who filed it is public."),
		func(ctx context.Context, in *createRequestIn) (*requestOut, error) {
			return h.dataRequest(ctx)(p.SubmitRequest(ctx, identity.FromContext(ctx), in.Body))
		})
	huma.Register(api, reg("get-data-request", http.MethodGet, "/data-requests/{id}", 0, "One data request with its answer", ""),
		func(ctx context.Context, in *workflowIDIn) (*requestOut, error) {
			return h.dataRequest(ctx)(p.Request(ctx, in.ID))
		})
	huma.Register(api, reg("answer-data-request", http.MethodPost, "/data-requests/{id}/answer", 0,
		"Answer a data request (the named institution's editors and admins, or the platform operators)",
		"Records the answer in public and tells whoever filed the request: the data will be opened (planned), is open now (opened, naming the "+
			"published resource) or cannot be opened (declined, saying why). An answered request may be answered again."),
		func(ctx context.Context, in *answerRequestIn) (*requestOut, error) {
			return h.dataRequest(ctx)(p.AnswerRequest(ctx, identity.FromContext(ctx), in.ID, in.Body))
		})
	huma.Register(api, reg("route-data-request", http.MethodPost, "/data-requests/{id}/route", 0,
		"Send a waiting data request to an institution (platform operators)",
		"Addresses a request that waits for an answer to a public institution, whose editors and admins are told; an answered request answers 409."),
		func(ctx context.Context, in *routeRequestIn) (*requestOut, error) {
			return h.dataRequest(ctx)(p.RouteRequest(ctx, identity.FromContext(ctx), in.ID, in.Body.OrganizationID))
		})
	h.appRoutes(api, reg)
	h.newsRoutes(api, reg)
	huma.Register(api, reg("get-portal-stats", http.MethodGet, "/portal/stats", 0, "The platform's figures, as the front page shows them",
		"Public resources (published, not core data) and their institutions, items and open types; rows of open data; data requests and "+
			"answers; apps shown; resources by subject and by institution. Computed at most once a minute."),
		func(ctx context.Context, _ *struct{}) (*statsOut, error) {
			st, err := p.Stats(ctx)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			return &statsOut{Body: st}, nil
		})
}

type operation func(id, method, path string, status int, summary, desc string) huma.Operation

func (h *handlers) appRoutes(api huma.API, reg operation) {
	p := h.acc.Portal
	huma.Register(api, reg("list-apps", http.MethodGet, "/apps", 0, "Apps built on the data, as shown to the public",
		"The apps the platform operators approved, newest first."),
		func(ctx context.Context, in *pageIn) (*List[portal.App], error) {
			apps, next, err := p.PublishedApps(ctx, in.Limit, in.Cursor)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			out := &List[portal.App]{}
			out.Body.Items, out.Body.NextCursor = apps, next
			return out, nil
		})
	huma.Register(api, reg("submit-app", http.MethodPost, "/apps", http.StatusCreated, "Submit an app built on the data for review",
		"Files the app for the platform operators' review (10 working days), as the caller for the organization given or the first they "+
			"belong to; it needs the published resources it uses. The operators are told; the app is shown once approved."),
		func(ctx context.Context, in *submitAppIn) (*appOut, error) {
			return h.app(ctx)(p.SubmitApp(ctx, identity.FromContext(ctx), in.Body))
		})
	huma.Register(api, reg("get-app", http.MethodGet, "/apps/{id}", 0, "One app",
		"An approved app for anyone; one under review or rejected for its submitter and the platform operators, with its review history."),
		func(ctx context.Context, in *workflowIDIn) (*appOut, error) {
			return h.app(ctx)(p.App(ctx, identity.FromContext(ctx), in.ID))
		})
	huma.Register(api, reg("review-app", http.MethodPost, "/apps/{id}/review", 0, "Approve or reject an app (platform operators)",
		"Decides an app under review through the review workflow; rejecting needs a comment, told to the submitter. Whoever submitted it "+
			"never decides it (403); a decided app answers 409."),
		func(ctx context.Context, in *reviewWorkflowIn) (*appOut, error) {
			return h.app(ctx)(p.Apps.Decide(ctx, identity.FromContext(ctx), in.ID, in.Body.Decision, in.Body.Comment))
		})
}

func (h *handlers) newsRoutes(api huma.API, reg operation) {
	p := h.acc.Portal
	huma.Register(api, reg("list-news", http.MethodGet, "/news", 0, "News and notices, newest first", ""),
		func(ctx context.Context, in *listNewsIn) (*List[portal.News], error) {
			items, next, err := p.NewsList(ctx, portal.NewsKind(in.Kind), in.Limit, in.Cursor)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			out := &List[portal.News]{}
			out.Body.Items, out.Body.NextCursor = items, next
			return out, nil
		})
	huma.Register(api, reg("publish-news", http.MethodPost, "/news", http.StatusCreated, "Publish news or a notice (platform operators and sysadmins)",
		"Publishes the item at once. The body is plain text; blank lines part paragraphs."),
		func(ctx context.Context, in *publishNewsIn) (*newsOut, error) {
			return h.newsItem(ctx)(p.PublishNews(ctx, identity.FromContext(ctx), in.Body))
		})
	huma.Register(api, reg("get-news", http.MethodGet, "/news/{id}", 0, "One news item or notice", ""),
		func(ctx context.Context, in *workflowIDIn) (*newsOut, error) {
			return h.newsItem(ctx)(p.NewsItem(ctx, in.ID))
		})
	huma.Register(api, reg("update-news", http.MethodPut, "/news/{id}", 0, "Replace an item's kind, title and text (platform operators and sysadmins)", ""),
		func(ctx context.Context, in *updateNewsIn) (*newsOut, error) {
			return h.newsItem(ctx)(p.UpdateNews(ctx, identity.FromContext(ctx), in.ID, in.Body))
		})
	huma.Register(api, reg("withdraw-news", http.MethodDelete, "/news/{id}", http.StatusNoContent, "Take an item off the site (platform operators and sysadmins)", ""),
		func(ctx context.Context, in *workflowIDIn) (*struct{}, error) {
			if err := p.WithdrawNews(ctx, identity.FromContext(ctx), in.ID); err != nil {
				return nil, h.fail(ctx, err)
			}
			return nil, nil
		})
}

func (h *handlers) dataRequest(ctx context.Context) func(portal.DataRequest, error) (*requestOut, error) {
	return func(r portal.DataRequest, err error) (*requestOut, error) {
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		return &requestOut{Body: r}, nil
	}
}

func (h *handlers) app(ctx context.Context) func(portal.App, error) (*appOut, error) {
	return func(a portal.App, err error) (*appOut, error) {
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		return &appOut{Body: a}, nil
	}
}

func (h *handlers) newsItem(ctx context.Context) func(portal.News, error) (*newsOut, error) {
	return func(n portal.News, err error) (*newsOut, error) {
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		return &newsOut{Body: n}, nil
	}
}

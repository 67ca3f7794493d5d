package api

import (
	"context"
	"net/http"
	"time"

	"dataport/internal/identity"
	"dataport/internal/notify"
	"dataport/internal/opening"
	"dataport/internal/sharing"

	"github.com/danielgtaylor/huma/v2"
)

type createShareRequestIn struct{ Body sharing.RequestInput }

func (h *handlers) sharingRoutes(api huma.API) {
	huma.Register(api, huma.Operation{OperationID: "create-share-request", Method: http.MethodPost, Path: "/share-requests", Tags: []string{tagSharing},
		Security: bearer, DefaultStatus: http.StatusCreated,
		Summary: "Request another institution's resource (unconditional: granted at once; conditional: reviewed by a deadline; none: refused)",
		Description: "Files a request, for one of the caller's institutions, for another institution's published resource, with a purpose, a legal " +
			"basis, the data items needed and a duration. The resource's share type routes it: unconditional is granted at once (important data " +
			"first needs the operator), conditional waits for the provider's review within 5 working days, none is refused citing the catalog's " +
			"basis. Companies and persons apply for open data instead."},
		func(ctx context.Context, in *createShareRequestIn) (*caseOut[sharing.Request], error) {
			r, err := h.acc.Sharing.Create(ctx, identity.FromContext(ctx), in.Body)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			return &caseOut[sharing.Request]{Body: r}, nil
		})
	caseRoutes[sharing.Request](h, api, tagSharing, h.acc.Sharing, caseDocs{Path: "/share-requests", Name: "share-request",
		List: caseDoc{"Share requests you sent, received, or must review",
			"Requests the caller's institutions sent (side=sent), received for their data (side=received), or that wait for the caller's review " +
				"(side=queue, oldest deadline first; never the caller's own requests). Platform staff see every request."},
		Get: caseDoc{"One share request with its history",
			"One request with its history of steps. Both institutions and platform staff see it; others get 404."},
		Review: caseDoc{"Approve or reject a share request (provider admins; platform operators for important data and overdue requests)",
			"Approves or rejects a request under review; rejecting needs a comment. The provider's admins decide first (platform operators too " +
				"once it is overdue); important data then needs a platform operator. Whoever filed the request never decides it (403, separation of " +
				"duties), even when they also act for the provider or the platform. An approval creates the grant; a decided request answers 409."},
		Withdraw: caseDoc{"Withdraw your request while it is under review",
			"Ends a request while it is under review, at the requesting institution's wish. Its members may withdraw; a decided request answers 409."},
		RequestInfo: caseDoc{"Ask the requester for more material (whoever may decide the request now)",
			"Asks the requesting institution for more material. The request waits for its answer with the review deadline paused, and " +
				"expires when no answer comes within 10 working days. Whoever may decide the request's current step may ask; others get 403, a " +
				"request not under review 409."},
		Answer: caseDoc{"Answer a request for more material (the requesting institution's members)",
			"Gives the requesting institution's answer; the request returns to its reviewers with its deadline moved on by the working days it " +
				"waited. A request that does not wait for an answer answers 409."},
	})
}

type createApplicationIn struct{ Body opening.ApplicationInput }

func (h *handlers) openingRoutes(api huma.API) {
	huma.Register(api, huma.Operation{OperationID: "create-open-application", Method: http.MethodPost, Path: "/open-applications", Tags: []string{tagOpening},
		Security: bearer, DefaultStatus: http.StatusCreated,
		Summary: "Apply for a conditionally open resource as a company or a person",
		Description: "Applies, for a company (with its unified social credit code) or a person's own account, for a conditionally open resource, with " +
			"the purpose, the scenario of use, the security measures, the data items needed and a duration. The provider's admins review it, " +
			"then the platform operator."},
		func(ctx context.Context, in *createApplicationIn) (*caseOut[opening.Application], error) {
			a, err := h.acc.Opening.Apply(ctx, identity.FromContext(ctx), in.Body)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			return &caseOut[opening.Application]{Body: a}, nil
		})
	caseRoutes[opening.Application](h, api, tagOpening, h.acc.Opening, caseDocs{Path: "/open-applications", Name: "open-application",
		List: caseDoc{"Applications you sent, received, or must review",
			"Applications the caller sent (side=sent), received for their institutions' data (side=received), or that wait for their review " +
				"(side=queue, oldest deadline first; never the caller's own applications)."},
		Get: caseDoc{"One application with its history and, once granted, its agreement",
			"One application with its history and, once granted, the data use agreement and its hash (sealed in the ledger). The applicant, the " +
				"provider and platform staff see it."},
		Review: caseDoc{"Approve or reject an application (the provider's admins, then the platform operator)",
			"Approves or rejects an application under review; rejecting needs a comment. The provider's admins decide first, then a platform " +
				"operator, whose approval writes the agreement and the scoped grant. The applicant never decides their own application (403, " +
				"separation of duties); a decided application answers 409."},
		Withdraw: caseDoc{"Withdraw your application while it is under review",
			"Ends an application while it is under review, at the applicant's wish; a decided application answers 409."},
		RequestInfo: caseDoc{"Ask the applicant for more material (whoever may decide the application now)",
			"Asks the applicant for more material. The application waits for the answer with the review deadline paused, and expires when " +
				"no answer comes within 10 working days. Whoever may decide the application's current step may ask; others get 403, an " +
				"application not under review 409."},
		Answer: caseDoc{"Answer a request for more material (the applicant)",
			"Gives the applicant's answer; the application returns to its reviewers with its deadline moved on by the working days it " +
				"waited. An application that does not wait for an answer answers 409."},
	})
	h.openListRoutes(api)
}

type openListOut struct{ Body opening.OpenList }

type listOpenListsIn struct {
	Year int `query:"year" minimum:"2000" maximum:"2100" doc:"Default: this year"`
}

type saveOpenListIn struct {
	Body struct {
		OrganizationID string `json:"organization_id"`
		Year           int    `json:"year"`
		Plan           string `json:"plan" required:"false"`
	}
}

type addOpenListItemIn struct {
	ID   string `path:"id"`
	Body opening.ItemInput
}

type linkOpenListItemIn struct {
	ID     string `path:"id"`
	ItemID string `path:"item_id"`
	Body   struct {
		ResourceID string `json:"resource_id"`
	}
}

func (h *handlers) openListRoutes(api huma.API) {
	tags := []string{tagOpening}
	secure := []map[string][]string{{"bearer": {}}}
	huma.Register(api, huma.Operation{OperationID: "list-open-lists", Method: http.MethodGet, Path: "/open-lists", Tags: tags,
		Summary: "The annual open lists (年度公共数据开放清单) of a year, with planned, opened and late items",
		Description: "Every institution's annual open list for a year (default this year), with its plan and items: planned, opened (linked to a " +
			"published resource) and late."}, h.listOpenLists)
	huma.Register(api, huma.Operation{OperationID: "get-open-list", Method: http.MethodGet, Path: "/open-lists/{id}", Tags: tags,
		Summary:     "One institution's open list",
		Description: "One institution's open list for a year, with its plan and items."}, h.getOpenList)
	huma.Register(api, huma.Operation{OperationID: "save-open-list", Method: http.MethodPost, Path: "/open-lists", Tags: tags, Security: secure,
		Summary: "Create or update the plan of an institution's draft list for a year",
		Description: "Creates the institution's draft list for a year, or updates its plan. The institution's editors and admins may; a published list " +
			"answers 409."}, h.saveOpenList)
	huma.Register(api, huma.Operation{OperationID: "add-open-list-item", Method: http.MethodPost, Path: "/open-lists/{id}/items", Tags: tags, Security: secure,
		Summary:     "Add a planned item to a draft list",
		Description: "Adds a planned item (title, open type, planned date) to a draft list. The institution's editors and admins may."}, h.addOpenListItem)
	huma.Register(api, huma.Operation{OperationID: "link-open-list-item", Method: http.MethodPost, Path: "/open-lists/{id}/items/{item_id}/link", Tags: tags, Security: secure,
		Summary:     "Link an item to the catalog resource that fulfils it",
		Description: "Links an item of the list to the published catalog resource that fulfils it. The institution's editors and admins may."}, h.linkOpenListItem)
	huma.Register(api, huma.Operation{OperationID: "publish-open-list", Method: http.MethodPost, Path: "/open-lists/{id}/publish", Tags: tags, Security: secure,
		Summary:     "Publish a draft list (the institution's admins)",
		Description: "Publishes a draft list, which fixes its items. The institution's admins may; a published list answers 409."}, h.publishOpenList)
}

func (h *handlers) listOpenLists(ctx context.Context, in *listOpenListsIn) (*List[opening.OpenList], error) {
	year := in.Year
	if year == 0 {
		year = thisYear()
	}
	ls, err := h.acc.Opening.Lists(ctx, identity.FromContext(ctx), year)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &List[opening.OpenList]{}
	out.Body.Items = ls
	return out, nil
}

func (h *handlers) getOpenList(ctx context.Context, in *workflowIDIn) (*openListOut, error) {
	l, err := h.acc.Opening.OpenList(ctx, identity.FromContext(ctx), in.ID)
	return h.openList(ctx, l, err)
}

func (h *handlers) openList(ctx context.Context, l opening.OpenList, err error) (*openListOut, error) {
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &openListOut{Body: l}, nil
}

func (h *handlers) saveOpenList(ctx context.Context, in *saveOpenListIn) (*openListOut, error) {
	l, err := h.acc.Opening.SaveList(ctx, identity.FromContext(ctx), in.Body.OrganizationID, in.Body.Year, in.Body.Plan)
	return h.openList(ctx, l, err)
}

func (h *handlers) addOpenListItem(ctx context.Context, in *addOpenListItemIn) (*openListOut, error) {
	l, err := h.acc.Opening.AddItem(ctx, identity.FromContext(ctx), in.ID, in.Body)
	return h.openList(ctx, l, err)
}

func (h *handlers) linkOpenListItem(ctx context.Context, in *linkOpenListItemIn) (*openListOut, error) {
	l, err := h.acc.Opening.LinkItem(ctx, identity.FromContext(ctx), in.ID, in.ItemID, in.Body.ResourceID)
	return h.openList(ctx, l, err)
}

func (h *handlers) publishOpenList(ctx context.Context, in *workflowIDIn) (*openListOut, error) {
	l, err := h.acc.Opening.Publish(ctx, identity.FromContext(ctx), in.ID)
	return h.openList(ctx, l, err)
}

type listNotificationsIn struct {
	Unread bool `query:"unread" doc:"Only unread notices"`
	Limit  int  `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

type notificationIDIn struct {
	ID string `path:"id"`
}

func (h *handlers) notificationRoutes(api huma.API) {
	tags := []string{tagNotifications}
	secure := []map[string][]string{{"bearer": {}}}
	huma.Register(api, huma.Operation{OperationID: "list-notifications", Method: http.MethodGet, Path: "/notifications", Tags: tags, Security: secure,
		Summary:     "Your notices, newest first",
		Description: "The caller's notices from the workflows (requests submitted, decided, escalated), newest first; unread=true for the unread ones."}, h.listNotifications)
	huma.Register(api, huma.Operation{OperationID: "read-notification", Method: http.MethodPost, Path: "/notifications/{id}/read", Tags: tags, Security: secure,
		Summary: "Mark a notice read", DefaultStatus: http.StatusNoContent,
		Description: "Marks one of the caller's notices read. Another user's notice answers 404."}, h.readNotification)
}

func (h *handlers) listNotifications(ctx context.Context, in *listNotificationsIn) (*List[notify.Notification], error) {
	ns, err := h.acc.Notify.List(ctx, identity.FromContext(ctx), in.Unread, in.Limit)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &List[notify.Notification]{}
	out.Body.Items = ns
	return out, nil
}

func (h *handlers) readNotification(ctx context.Context, in *notificationIDIn) (*struct{}, error) {
	if err := h.acc.Notify.MarkRead(ctx, identity.FromContext(ctx), in.ID); err != nil {
		return nil, h.fail(ctx, err)
	}
	return &struct{}{}, nil
}

// thisYear is the current year in Beijing time.
func thisYear() int { return time.Now().In(time.FixedZone("CST", 8*3600)).Year() }

package api

import (
	"context"
	"errors"
	"net/http"

	"dataport/internal/catalog"
	"dataport/internal/identity"

	"github.com/danielgtaylor/huma/v2"
)

type resourceOut struct {
	Body catalog.Resource
}

type resourceIDIn struct {
	ID string `path:"id" doc:"Resource id"`
}

type listResourcesIn struct {
	Q              string `query:"q" doc:"Words in the title, code, keywords or description"`
	OrganizationID string `query:"organization_id"`
	Status         string `query:"status" enum:"draft,submitted,published,returned,retired"`
	ShareType      string `query:"share_type" enum:"unconditional,conditional,none"`
	OpenType       string `query:"open_type" enum:"unconditional,conditional,none"`
	Subject        string `query:"subject"`
	Classification string `query:"classification" enum:"general,important,core"`
	Limit          int    `query:"limit" minimum:"1" maximum:"200" default:"20"`
	Cursor         string `query:"cursor" doc:"next_cursor of the previous page"`
}

type createResourceIn struct {
	Body struct {
		OrganizationID string `json:"organization_id" required:"false" doc:"The providing institution (required)"`
		catalog.Input
	}
}

type updateResourceIn struct {
	ID   string `path:"id"`
	Body catalog.Input
}

type reviewIn struct {
	ID   string `path:"id"`
	Body struct {
		Decision catalog.Decision `json:"decision" enum:"approve,return"`
		Comment  string           `json:"comment" required:"false"`
	}
}

type retireIn struct {
	ID   string `path:"id"`
	Body struct {
		Reason string `json:"reason"`
	}
}

type historyOut struct {
	Body struct {
		Items []catalog.Version `json:"items"`
	}
}

type specOut struct {
	Body struct {
		Subjects        []catalog.Label          `json:"subjects"`
		Industries      []catalog.Label          `json:"industries"`
		Formats         []string                 `json:"formats"`
		Frequencies     []catalog.Frequency      `json:"update_frequencies"`
		ShareTypes      []catalog.ShareType      `json:"share_types"`
		OpenTypes       []catalog.OpenType       `json:"open_types"`
		Classifications []catalog.Classification `json:"classifications"`
		ItemTypes       []catalog.ItemType       `json:"item_types"`
	}
}

func (h *handlers) resourceRoutes(api huma.API) {
	tags := []string{tagCatalog}
	secure := []map[string][]string{{"bearer": {}}}
	huma.Register(api, huma.Operation{OperationID: "list-resources", Method: http.MethodGet, Path: "/resources", Tags: tags,
		Summary: "List catalog resources visible to the caller, newest first",
		Description: "Resources the caller may see, newest first, filtered by words, institution, status, share and open type, subject and " +
			"classification. Anonymous callers see published resources except core data; members also see their institution's drafts; platform " +
			"staff see everything under review. Pages are keyset cursors: pass next_cursor back as cursor."}, h.listResources)
	huma.Register(api, huma.Operation{OperationID: "get-resource", Method: http.MethodGet, Path: "/resources/{id}", Tags: tags,
		Summary: "Show a resource",
		Description: "One resource with its data items, share and open types and their basis, classification and status. A resource the caller may not " +
			"see answers 404, as if it did not exist."}, h.getResource)
	huma.Register(api, huma.Operation{OperationID: "create-resource", Method: http.MethodPost, Path: "/resources", Tags: tags,
		Summary: "Create a draft resource", DefaultStatus: http.StatusCreated, Security: secure,
		Description: "Creates a draft in the given institution's catalog, coded from the institution and subject. The institution's editors and admins " +
			"(and sysadmins) may create. Bad input answers 422 with one entry per field (body.items[1].name) and stores nothing."}, h.createResource)
	huma.Register(api, huma.Operation{OperationID: "update-resource", Method: http.MethodPut, Path: "/resources/{id}", Tags: tags,
		Summary: "Replace a draft or returned resource's description", Security: secure,
		Description: "Replaces the description of a draft or returned resource; the subject, part of its code, cannot change. The institution's editors " +
			"and admins may edit; a submitted or published resource answers 409."}, h.updateResource)
	huma.Register(api, huma.Operation{OperationID: "submit-resource", Method: http.MethodPost, Path: "/resources/{id}/submit", Tags: tags,
		Summary: "Submit a resource for review", Security: secure,
		Description: "Sends a draft or returned resource to the platform operator's review. The institution's editors and admins may submit; anything " +
			"else answers 409."}, h.submitResource)
	huma.Register(api, huma.Operation{OperationID: "review-resource", Method: http.MethodPost, Path: "/resources/{id}/review", Tags: tags,
		Summary: "Publish or return a submitted resource (platform operator)", Security: secure,
		Description: "The platform operator's verdict on a submitted resource: approve publishes it, return sends it back with a comment (required). " +
			"Other callers get 403; a resource that is not submitted answers 409."}, h.reviewResource)
	huma.Register(api, huma.Operation{OperationID: "retire-resource", Method: http.MethodPost, Path: "/resources/{id}/retire", Tags: tags,
		Summary: "Retire a published resource", Security: secure,
		Description: "Takes a published resource out of the public catalog, with a reason; its record and history stay. The institution's admins and " +
			"platform operators may retire."}, h.retireResource)
	huma.Register(api, huma.Operation{OperationID: "resource-history", Method: http.MethodGet, Path: "/resources/{id}/history", Tags: tags,
		Summary:     "Every version of a resource with field-level changes",
		Description: "Every version of the resource's description, oldest first, with the fields each change touched, who made it and when."}, h.resourceHistory)
	huma.Register(api, huma.Operation{OperationID: "catalog-spec", Method: http.MethodGet, Path: "/catalog/spec", Tags: tags,
		Summary: "The code lists resources are described with",
		Description: "The code lists of the catalog spec: subjects, industries, formats, update frequencies, share and open types, classifications and " +
			"item types, with their Chinese and English labels."}, h.catalogSpec)
}

func (h *handlers) listResources(ctx context.Context, in *listResourcesIn) (*List[catalog.Resource], error) {
	page, err := h.cat.List(ctx, identity.FromContext(ctx), catalog.Filter{
		Q: in.Q, OrganizationID: in.OrganizationID, Status: catalog.Status(in.Status),
		ShareType: catalog.ShareType(in.ShareType), OpenType: catalog.OpenType(in.OpenType), Subject: in.Subject,
		Classification: catalog.Classification(in.Classification), Limit: in.Limit, Cursor: in.Cursor,
	})
	if err != nil {
		return nil, h.failQuery(ctx, err)
	}
	out := &List[catalog.Resource]{}
	out.Body.Items, out.Body.NextCursor = page.Items, page.NextCursor
	return out, nil
}

// failQuery reports a bad query parameter as located in the query, not the body.
func (h *handlers) failQuery(ctx context.Context, err error) error {
	if errors.Is(err, catalog.ErrBadCursor) {
		return huma.Error422UnprocessableEntity("validation failed",
			&huma.ErrorDetail{Location: "query.cursor", Message: "is not a cursor from a previous page"})
	}
	return h.fail(ctx, err)
}

func (h *handlers) getResource(ctx context.Context, in *resourceIDIn) (*resourceOut, error) {
	r, err := h.cat.Get(ctx, identity.FromContext(ctx), in.ID)
	return h.resource(ctx, r, err)
}

func (h *handlers) resource(ctx context.Context, r catalog.Resource, err error) (*resourceOut, error) {
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &resourceOut{Body: r}, nil
}

func (h *handlers) createResource(ctx context.Context, in *createResourceIn) (*resourceOut, error) {
	p := identity.FromContext(ctx)
	if in.Body.OrganizationID == "" {
		return nil, huma.Error422UnprocessableEntity("validation failed",
			&huma.ErrorDetail{Location: "body.organization_id", Message: "is required"})
	}
	r, err := h.cat.Create(ctx, p, in.Body.OrganizationID, in.Body.Input)
	return h.resource(ctx, r, err)
}

func (h *handlers) updateResource(ctx context.Context, in *updateResourceIn) (*resourceOut, error) {
	r, err := h.cat.Update(ctx, identity.FromContext(ctx), in.ID, in.Body)
	return h.resource(ctx, r, err)
}

func (h *handlers) submitResource(ctx context.Context, in *resourceIDIn) (*resourceOut, error) {
	r, err := h.cat.Submit(ctx, identity.FromContext(ctx), in.ID)
	return h.resource(ctx, r, err)
}

func (h *handlers) reviewResource(ctx context.Context, in *reviewIn) (*resourceOut, error) {
	r, err := h.cat.Review(ctx, identity.FromContext(ctx), in.ID, in.Body.Decision, in.Body.Comment)
	return h.resource(ctx, r, err)
}

func (h *handlers) retireResource(ctx context.Context, in *retireIn) (*resourceOut, error) {
	r, err := h.cat.Retire(ctx, identity.FromContext(ctx), in.ID, in.Body.Reason)
	return h.resource(ctx, r, err)
}

func (h *handlers) resourceHistory(ctx context.Context, in *resourceIDIn) (*historyOut, error) {
	versions, err := h.cat.History(ctx, identity.FromContext(ctx), in.ID)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &historyOut{}
	out.Body.Items = versions
	return out, nil
}

func (h *handlers) catalogSpec(ctx context.Context, _ *struct{}) (*specOut, error) {
	out := &specOut{}
	b := &out.Body
	b.Subjects, b.Industries, b.Formats, b.Frequencies = catalog.Subjects, catalog.Industries, catalog.Formats, catalog.Frequencies
	b.ShareTypes, b.OpenTypes, b.Classifications, b.ItemTypes = catalog.ShareTypes, catalog.OpenTypes, catalog.Classifications, catalog.ItemTypes
	return out, nil
}

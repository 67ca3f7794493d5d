package api

import (
	"context"
	"net/http"
	"time"

	"dataport/internal/access"
	"dataport/internal/identity"

	"github.com/danielgtaylor/huma/v2"
)

type grantOut struct{ Body access.Grant }

type grantIDIn struct {
	ID string `path:"id" doc:"Grant id"`
}

type listGrantsIn struct {
	Side       string `query:"side" enum:"received,issued" doc:"received: held by you or your organizations; issued: on your organizations' data; empty: both"`
	ResourceID string `query:"resource_id"`
	Origin     string `query:"origin" enum:"share_request,open_application,zone,contract,manual"`
	Limit      int    `query:"limit" minimum:"1" maximum:"500" default:"100"`
}

type revokeGrantIn struct {
	ID   string `path:"id"`
	Body struct {
		Reason string `json:"reason"`
	}
}

type createGrantIn struct {
	Body struct {
		GranteeKind access.GranteeKind `json:"grantee_kind" enum:"organization,user,group"`
		GranteeID   string             `json:"grantee_id"`
		ResourceIDs []string           `json:"resource_ids"`
		Purpose     string             `json:"purpose"`
		Policy      access.Policy      `json:"policy" required:"false"`
		ValidFrom   time.Time          `json:"valid_from,omitempty" required:"false"`
		ValidUntil  time.Time          `json:"valid_until,omitempty" required:"false"`
	}
}

type createKeyIn struct {
	ID   string `path:"id"`
	Body struct {
		Name string `json:"name" doc:"What the key is for, e.g. the client system's name"`
	}
}

type createKeyOut struct {
	Body struct {
		Secret string     `json:"secret" doc:"Send it in the X-Dataport-Key header; shown only now"`
		Key    access.Key `json:"key"`
	}
}

type keyIDIn struct {
	ID    string `path:"id"`
	KeyID string `path:"key_id"`
}

type grantDecisionsIn struct {
	ID    string `path:"id"`
	Limit int    `query:"limit" minimum:"1" maximum:"500" default:"50"`
}

type createGroupIn struct {
	Body struct {
		NameZh          string   `json:"name_zh"`
		OrganizationIDs []string `json:"organization_ids"`
	}
}

type accessCheckIn struct {
	ID      string `path:"id" doc:"Resource id"`
	Action  string `query:"action" enum:"read,download,query,compute" default:"read"`
	Purpose string `query:"purpose" doc:"The purpose you would read for"`
}

type decisionOut struct{ Body access.Decision }

func (h *handlers) accessRoutes(api huma.API) {
	tags := []string{tagAccess}
	secure := []map[string][]string{{"bearer": {}}}
	huma.Register(api, huma.Operation{OperationID: "check-resource-access", Method: http.MethodGet, Path: "/resources/{id}/access", Tags: tags,
		Summary: "Ask the decision point whether you may read a resource, and under which constraints",
		Description: "Answers with the decision (logged like every decision) but serves no data. Anonymous callers are asked about as the public; " +
			"a per-grant key in X-Dataport-Key is decided under its grant. A rate-limited caller gets 429 with Retry-After.",
		Errors: []int{http.StatusTooManyRequests}}, h.checkAccess)
	huma.Register(api, huma.Operation{OperationID: "list-grants", Method: http.MethodGet, Path: "/grants", Tags: tags, Security: secure,
		Summary: "Grants you hold or issued, newest first, with their usage",
		Description: "Grants the caller holds (side=received: as a user or through their organizations and groups) or issued (side=issued: on their " +
			"institutions' data), newest first, with calls and rows used so far."}, h.listGrants)
	huma.Register(api, huma.Operation{OperationID: "create-grant", Method: http.MethodPost, Path: "/grants", Tags: tags, Security: secure,
		Summary: "Grant directly (platform operators): an authorisation decided outside the platform's workflows", DefaultStatus: http.StatusCreated,
		Description: "Creates a grant decided outside the platform's workflows (origin manual), for an organization, a user or a group, on one or more " +
			"resources, with a purpose, a policy (fields, row filter, actions, quotas) and a validity. Platform operators and sysadmins only."}, h.createGrant)
	huma.Register(api, huma.Operation{OperationID: "get-grant", Method: http.MethodGet, Path: "/grants/{id}", Tags: tags, Security: secure,
		Summary:     "One grant with its policy and usage (both sides see it)",
		Description: "One grant with its policy, validity, origin and usage. The grantee and the providing institution see it; others get 404."}, h.getGrant)
	huma.Register(api, huma.Operation{OperationID: "revoke-grant", Method: http.MethodPost, Path: "/grants/{id}/revoke", Tags: tags, Security: secure,
		Summary: "Revoke a grant: the next request under it is denied",
		Description: "Ends a grant now, with a reason: the next request under it is denied (in every server process within seconds). The providing " +
			"institution's admins and platform operators may revoke; an already revoked grant answers 409."}, h.revokeGrant)
	huma.Register(api, huma.Operation{OperationID: "list-grant-decisions", Method: http.MethodGet, Path: "/grants/{id}/decisions", Tags: tags, Security: secure,
		Summary:     "The latest access decisions made under a grant",
		Description: "The latest access decisions made under the grant, newest first: who read what, through which path, allowed or denied and why."}, h.grantDecisions)
	huma.Register(api, huma.Operation{OperationID: "list-grant-keys", Method: http.MethodGet, Path: "/grants/{id}/keys", Tags: tags, Security: secure,
		Summary: "A grant's API keys for machine clients",
		Description: "The API keys of a grant for machine clients, without their secrets. The grantee's admins (or the grantee user) and the provider " +
			"see them."}, h.listKeys)
	huma.Register(api, huma.Operation{OperationID: "create-grant-key", Method: http.MethodPost, Path: "/grants/{id}/keys", Tags: tags, Security: secure,
		Summary: "Create an API key for the grant (grantee admins); its secret is shown once", DefaultStatus: http.StatusCreated,
		Description: "Creates an API key that a machine client sends in X-Dataport-Key to read under this grant only. The secret is in the response and " +
			"never shown again. The grantee's admins (or the grantee user) may create keys."}, h.createKey)
	huma.Register(api, huma.Operation{OperationID: "revoke-grant-key", Method: http.MethodPost, Path: "/grants/{id}/keys/{key_id}/revoke", Tags: tags, Security: secure,
		Summary: "Revoke an API key", DefaultStatus: http.StatusNoContent,
		Description: "Revokes one API key of the grant; requests with it are refused from then on. The grantee's admins and the grant's revokers may " +
			"revoke keys."}, h.revokeKey)
	huma.Register(api, huma.Operation{OperationID: "create-access-group", Method: http.MethodPost, Path: "/access-groups", Tags: tags, Security: secure,
		Summary: "Define a group of organizations that can hold grants together (platform operators)", DefaultStatus: http.StatusCreated,
		Description: "Defines a named group of organizations that can hold grants together. Platform operators and sysadmins only."}, h.createGroup)
	h.sharingRoutes(api)
	h.openingRoutes(api)
	h.notificationRoutes(api)
}

func (h *handlers) checkAccess(ctx context.Context, in *accessCheckIn) (*decisionOut, error) {
	d, err := h.acc.Access.Decide(ctx, access.Request{Subject: identity.FromContext(ctx), ResourceID: in.ID,
		Action: access.Action(in.Action), Purpose: in.Purpose, Channel: access.ChannelAccessCheck})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if d.Reason == access.ReasonRateLimited {
		return nil, denialError(d) // asking too often is refused like reading too often
	}
	return &decisionOut{Body: d}, nil
}

func (h *handlers) listGrants(ctx context.Context, in *listGrantsIn) (*List[access.Grant], error) {
	gs, err := h.acc.Access.Grants(ctx, identity.FromContext(ctx), access.GrantFilter{Side: in.Side, ResourceID: in.ResourceID,
		OriginKind: access.OriginKind(in.Origin), Limit: in.Limit})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &List[access.Grant]{}
	out.Body.Items = gs
	return out, nil
}

func (h *handlers) createGrant(ctx context.Context, in *createGrantIn) (*grantOut, error) {
	b := in.Body
	g, err := h.acc.Access.GrantDirectly(ctx, identity.FromContext(ctx), access.NewGrant{GranteeKind: b.GranteeKind, GranteeID: b.GranteeID,
		ResourceIDs: b.ResourceIDs, Purpose: b.Purpose, Policy: b.Policy, ValidFrom: b.ValidFrom, ValidUntil: b.ValidUntil})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &grantOut{Body: g}, nil
}

func (h *handlers) getGrant(ctx context.Context, in *grantIDIn) (*grantOut, error) {
	g, err := h.acc.Access.Grant(ctx, identity.FromContext(ctx), in.ID)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &grantOut{Body: g}, nil
}

func (h *handlers) revokeGrant(ctx context.Context, in *revokeGrantIn) (*grantOut, error) {
	g, err := h.acc.Access.Revoke(ctx, identity.FromContext(ctx), in.ID, in.Body.Reason)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &grantOut{Body: g}, nil
}

func (h *handlers) grantDecisions(ctx context.Context, in *grantDecisionsIn) (*List[access.LoggedDecision], error) {
	ds, err := h.acc.Access.GrantDecisions(ctx, identity.FromContext(ctx), in.ID, in.Limit)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &List[access.LoggedDecision]{}
	out.Body.Items = ds
	return out, nil
}

func (h *handlers) listKeys(ctx context.Context, in *grantIDIn) (*List[access.Key], error) {
	keys, err := h.acc.Access.Keys(ctx, identity.FromContext(ctx), in.ID)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &List[access.Key]{}
	out.Body.Items = keys
	return out, nil
}

func (h *handlers) createKey(ctx context.Context, in *createKeyIn) (*createKeyOut, error) {
	secret, key, err := h.acc.Access.CreateKey(ctx, identity.FromContext(ctx), in.ID, in.Body.Name)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &createKeyOut{}
	out.Body.Secret, out.Body.Key = secret, key
	return out, nil
}

func (h *handlers) revokeKey(ctx context.Context, in *keyIDIn) (*struct{}, error) {
	if err := h.acc.Access.RevokeKey(ctx, identity.FromContext(ctx), in.ID, in.KeyID); err != nil {
		return nil, h.fail(ctx, err)
	}
	return &struct{}{}, nil
}

type groupOut struct{ Body access.Group }

func (h *handlers) createGroup(ctx context.Context, in *createGroupIn) (*groupOut, error) {
	g, err := h.acc.Access.CreateGroup(ctx, identity.FromContext(ctx), in.Body.NameZh, in.Body.OrganizationIDs)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &groupOut{Body: g}, nil
}

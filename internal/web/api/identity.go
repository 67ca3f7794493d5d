package api

import (
	"context"
	"net/http"
	"time"

	"dataport/internal/identity"

	"github.com/danielgtaylor/huma/v2"
)

type orgOut struct{ Body identity.Organization }

type listOrgsIn struct {
	Kind   string `query:"kind" enum:"institution,enterprise,individual,operator,exchange,regulator"`
	Q      string `query:"q"`
	Limit  int    `query:"limit" minimum:"1" maximum:"1000" default:"100"`
	Cursor string `query:"cursor"`
}

type orgIDIn struct {
	ID string `path:"id"`
}

type orgInputBody struct {
	Kind        identity.OrgKind `json:"kind" enum:"institution,enterprise,individual,operator,exchange,regulator"`
	NameZh      string           `json:"name_zh"`
	NameEn      string           `json:"name_en" required:"false"`
	USCC        string           `json:"uscc" required:"false" doc:"Unified social credit code (GB 32100); required for institutions and enterprises"`
	Code        string           `json:"code" required:"false" doc:"Short institution code used in catalog codes; defaults to the organization code inside the USCC"`
	RegionCode  string           `json:"region_code" required:"false"`
	Description string           `json:"description" required:"false"`
	Website     string           `json:"website" required:"false"`
}

func (b orgInputBody) input() identity.OrgInput { return identity.OrgInput(b) }

type createOrgIn struct{ Body orgInputBody }

type updateOrgIn struct {
	ID   string `path:"id"`
	Body orgInputBody
}

type userOut struct{ Body identity.User }

type createUserIn struct {
	Body struct {
		Username      string                  `json:"username"`
		DisplayName   string                  `json:"display_name"`
		Email         string                  `json:"email" required:"false"`
		Password      string                  `json:"password" writeOnly:"true"`
		PlatformRoles []identity.PlatformRole `json:"platform_roles" required:"false"`
		Memberships   []identity.Membership   `json:"memberships" required:"false"`
	}
}

type membershipIn struct {
	OrgID  string `path:"id"`
	UserID string `path:"user_id"`
	Body   struct {
		Role identity.Role `json:"role" enum:"member,editor,admin"`
	}
}

type memberIDIn struct {
	OrgID  string `path:"id"`
	UserID string `path:"user_id"`
}

type membersOut struct {
	Body struct {
		Items []identity.User `json:"items"`
	}
}

type createTokenIn struct {
	Body struct {
		Name          string `json:"name"`
		ExpiresInDays int    `json:"expires_in_days" required:"false" default:"90" doc:"1–366"`
	}
}

type tokenCreatedOut struct {
	Body struct {
		identity.Token
		Secret string `json:"token" doc:"The token itself. It is shown only in this response."`
	}
}

type tokensOut struct {
	Body struct {
		Items []identity.Token `json:"items"`
	}
}

type tokenIDIn struct {
	ID string `path:"id"`
}

// tagIdentityOps is the OpenAPI tag of the identity operations (declared
// with the document's tags in openapi.go).
const tagIdentityOps = "Identity"

func (h *handlers) identityRoutes(api huma.API) {
	tags := []string{tagIdentityOps}
	secure := []map[string][]string{{"bearer": {}}}
	huma.Register(api, huma.Operation{OperationID: "list-organizations", Method: http.MethodGet, Path: "/organizations", Tags: tags,
		Summary: "List organizations", Description: "Every registered organization, by id, filtered by kind and by part of its " +
			"name or code; keyset-paged with cursor. Anyone may list organizations."}, h.listOrganizations)
	huma.Register(api, huma.Operation{OperationID: "get-organization", Method: http.MethodGet, Path: "/organizations/{id}", Tags: tags,
		Summary: "Show an organization", Description: "One organization's details. Anyone may read them."}, h.getOrganization)
	huma.Register(api, huma.Operation{OperationID: "create-organization", Method: http.MethodPost, Path: "/organizations", Tags: tags,
		Summary: "Register an organization (sysadmin, platform operator)", DefaultStatus: http.StatusCreated, Security: secure,
		Description: "Registers an institution, enterprise, person, operator, exchange or regulator. The unified social credit code is " +
			"checked (GB 32100) and required for institutions and enterprises; a wrong or duplicate code is a 422 naming the field."}, h.createOrganization)
	huma.Register(api, huma.Operation{OperationID: "update-organization", Method: http.MethodPut, Path: "/organizations/{id}", Tags: tags,
		Summary: "Update an organization", Security: secure, Description: "Replaces an organization's details. Sysadmins, platform " +
			"operators and the organization's admins may."}, h.updateOrganization)
	huma.Register(api, huma.Operation{OperationID: "list-members", Method: http.MethodGet, Path: "/organizations/{id}/members", Tags: tags,
		Summary: "List an organization's members", Security: secure, Description: "The users of the organization with all their " +
			"memberships. Its admins, sysadmins and platform operators may list them."}, h.listMembers)
	huma.Register(api, huma.Operation{OperationID: "set-membership", Method: http.MethodPut, Path: "/organizations/{id}/members/{user_id}", Tags: tags,
		Summary: "Add a member or change a member's role", Security: secure,
		Description: "Gives the user the role (member, editor or admin) in the organization, adding the membership or changing its role; " +
			"the change holds from the user's next request. Its admins, sysadmins and platform operators may. An organization's own admin " +
			"may add only accounts of its side of the platform: a company or person account (a member of an enterprise or individual " +
			"organization) joins a public body, a public body's staff a company or person account, and a platform staff account any " +
			"organization only when a platform operator or sysadmin adds it — the admin gets 422 naming user_id and the reason. Demoting " +
			"the last admin is 409. To end a membership, DELETE it."}, h.setMembership)
	huma.Register(api, huma.Operation{OperationID: "remove-membership", Method: http.MethodDelete, Path: "/organizations/{id}/members/{user_id}", Tags: tags,
		Summary: "Remove a member", DefaultStatus: http.StatusNoContent, Security: secure,
		Description: "Ends the user's membership of the organization: from their next request (browser session or API token alike) they " +
			"no longer act for it or read its drafts and unopened data. Its admins, sysadmins and platform operators may. Removing " +
			"the last admin is 409; a user who is not a member is 404."}, h.removeMembership)
	huma.Register(api, huma.Operation{OperationID: "create-user", Method: http.MethodPost, Path: "/users", Tags: tags,
		Summary: "Create a user (sysadmin)", DefaultStatus: http.StatusCreated, Security: secure,
		Description: "Creates an account with a password (10–200 characters, stored as an argon2id hash), platform roles and " +
			"memberships. Nothing is written unless every field is valid."}, h.createUser)
	huma.Register(api, huma.Operation{OperationID: "get-me", Method: http.MethodGet, Path: "/users/me", Tags: tags,
		Summary: "The signed-in user", Security: secure, Description: "The caller's account with platform roles and memberships."}, h.me)
	huma.Register(api, huma.Operation{OperationID: "list-my-tokens", Method: http.MethodGet, Path: "/users/me/tokens", Tags: tags,
		Summary: "My API tokens (never the secrets)", Security: secure,
		Description: "The caller's API tokens, newest first, with prefix, expiry, last use and revocation; never the secrets."}, h.myTokens)
	huma.Register(api, huma.Operation{OperationID: "create-my-token", Method: http.MethodPost, Path: "/users/me/tokens", Tags: tags,
		Summary: "Create an API token; the secret is shown once", DefaultStatus: http.StatusCreated, Security: secure,
		Description: "Issues a named token for the caller, valid 1–366 days (default 90). The secret is in this response only; the " +
			"platform keeps its SHA-256."}, h.createToken)
	huma.Register(api, huma.Operation{OperationID: "revoke-my-token", Method: http.MethodDelete, Path: "/users/me/tokens/{id}", Tags: tags,
		Summary: "Revoke one of my API tokens", DefaultStatus: http.StatusNoContent, Security: secure,
		Description: "Revokes the token; requests with it are refused from the next one on. Another user's token is 404."}, h.revokeToken)
	h.accountRoutes(api, tags)
}

func (h *handlers) routes(api huma.API) {
	h.identityRoutes(api)
	h.resourceRoutes(api)
	h.ledgerRoutes(api)
	h.accessRoutes(api)
	h.rowRoutes(api)
	h.classifyRoutes(api)
	if h.acc.Review != nil {
		h.reviewRoutes(api)
	}
	if h.acc.Harvest != nil {
		h.harvestRoutes(api)
	}
	if h.acc.Portal != nil {
		h.portalRoutes(api)
	}
	if h.acc.Engage != nil {
		h.engageRoutes(api)
	}
	if h.acc.Indexer != nil {
		h.searchRoutes(api)
	}
	if h.acc.Assets != nil {
		h.assetRoutes(api)
	}
	if h.acc.Trade != nil {
		h.tradeRoutes(api)
	}
	if h.acc.Disputes != nil {
		h.disputeRoutes(api)
	}
	if h.acc.Risk != nil {
		h.riskRoutes(api)
	}
	if h.acc.Exchange != nil {
		h.exchangeRoutes(api)
	}
	if h.acc.Zones != nil {
		h.zoneRoutes(api)
	}
	if h.acc.Monitor != nil {
		h.monitorRoutes(api)
	}
	if h.acc.Assess != nil {
		h.assessmentRoutes(api)
	}
	if h.acc.Stats != nil {
		h.statsRoutes(api)
		h.statsIndexRoutes(api)
	}
	if h.acc.Incidents != nil {
		h.incidentRoutes(api)
	}
}

func (h *handlers) listOrganizations(ctx context.Context, in *listOrgsIn) (*List[identity.Organization], error) {
	orgs, err := h.id.Organizations(ctx, identity.OrgFilter{Kind: identity.OrgKind(in.Kind), Q: in.Q, After: in.Cursor, Limit: in.Limit + 1})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &List[identity.Organization]{}
	if len(orgs) > in.Limit {
		orgs = orgs[:in.Limit]
		out.Body.NextCursor = orgs[in.Limit-1].ID
	}
	out.Body.Items = orgs
	if out.Body.Items == nil {
		out.Body.Items = []identity.Organization{}
	}
	return out, nil
}

func (h *handlers) getOrganization(ctx context.Context, in *orgIDIn) (*orgOut, error) {
	org, err := h.id.Organization(ctx, in.ID)
	return h.org(ctx, org, err)
}

func (h *handlers) org(ctx context.Context, org identity.Organization, err error) (*orgOut, error) {
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &orgOut{Body: org}, nil
}

func (h *handlers) createOrganization(ctx context.Context, in *createOrgIn) (*orgOut, error) {
	org, err := h.id.CreateOrganization(ctx, identity.FromContext(ctx), in.Body.input())
	return h.org(ctx, org, err)
}

func (h *handlers) updateOrganization(ctx context.Context, in *updateOrgIn) (*orgOut, error) {
	org, err := h.id.UpdateOrganization(ctx, identity.FromContext(ctx), in.ID, in.Body.input())
	return h.org(ctx, org, err)
}

func (h *handlers) listMembers(ctx context.Context, in *orgIDIn) (*membersOut, error) {
	p := identity.FromContext(ctx)
	if !identity.CanManageMembers(p, in.ID) {
		return nil, h.fail(ctx, identity.ErrForbidden)
	}
	users, err := h.id.Members(ctx, in.ID)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &membersOut{}
	out.Body.Items = users
	return out, nil
}

func (h *handlers) setMembership(ctx context.Context, in *membershipIn) (*userOut, error) {
	p := identity.FromContext(ctx)
	err := h.id.SetMembership(ctx, p, in.UserID, identity.Membership{OrganizationID: in.OrgID, Role: in.Body.Role})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	u, err := h.id.User(ctx, p, in.UserID)
	return h.user(ctx, u, err)
}

func (h *handlers) removeMembership(ctx context.Context, in *memberIDIn) (*struct{}, error) {
	if err := h.id.RemoveMembership(ctx, identity.FromContext(ctx), in.OrgID, in.UserID); err != nil {
		return nil, h.fail(ctx, err)
	}
	return nil, nil
}

func (h *handlers) user(ctx context.Context, u identity.User, err error) (*userOut, error) {
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &userOut{Body: u}, nil
}

func (h *handlers) createUser(ctx context.Context, in *createUserIn) (*userOut, error) {
	b := in.Body
	u, err := h.id.CreateUser(ctx, identity.FromContext(ctx), identity.UserInput{Username: b.Username, DisplayName: b.DisplayName,
		Email: b.Email, Password: b.Password, PlatformRoles: b.PlatformRoles, Memberships: b.Memberships})
	return h.user(ctx, u, err)
}

func (h *handlers) me(ctx context.Context, _ *struct{}) (*userOut, error) {
	p := identity.FromContext(ctx)
	if p.IsAnonymous() {
		return nil, h.fail(ctx, identity.ErrUnauthenticated)
	}
	u, err := h.id.User(ctx, p, p.UserID)
	return h.user(ctx, u, err)
}

func (h *handlers) myTokens(ctx context.Context, _ *struct{}) (*tokensOut, error) {
	p := identity.FromContext(ctx)
	if p.IsAnonymous() {
		return nil, h.fail(ctx, identity.ErrUnauthenticated)
	}
	tokens, err := h.id.Tokens(ctx, p, p.UserID)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &tokensOut{}
	out.Body.Items = tokens
	return out, nil
}

func (h *handlers) createToken(ctx context.Context, in *createTokenIn) (*tokenCreatedOut, error) {
	p := identity.FromContext(ctx)
	if p.IsAnonymous() {
		return nil, h.fail(ctx, identity.ErrUnauthenticated)
	}
	days := in.Body.ExpiresInDays
	if days == 0 {
		days = 90
	}
	secret, t, err := h.id.CreateToken(ctx, p, p.UserID, in.Body.Name, time.Duration(days)*24*time.Hour)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &tokenCreatedOut{}
	out.Body.Token, out.Body.Secret = t, secret
	return out, nil
}

func (h *handlers) revokeToken(ctx context.Context, in *tokenIDIn) (*struct{}, error) {
	p := identity.FromContext(ctx)
	if p.IsAnonymous() {
		return nil, h.fail(ctx, identity.ErrUnauthenticated)
	}
	if err := h.id.RevokeToken(ctx, p, in.ID); err != nil {
		return nil, h.fail(ctx, err)
	}
	return nil, nil
}

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

func (h *handlers) identityRoutes(api huma.API) {
	orgs, users := []string{"organizations"}, []string{"users"}
	secure := []map[string][]string{{"bearer": {}}}
	huma.Register(api, huma.Operation{OperationID: "list-organizations", Method: http.MethodGet, Path: "/organizations", Tags: orgs,
		Summary: "List organizations"}, h.listOrganizations)
	huma.Register(api, huma.Operation{OperationID: "get-organization", Method: http.MethodGet, Path: "/organizations/{id}", Tags: orgs,
		Summary: "Show an organization"}, h.getOrganization)
	huma.Register(api, huma.Operation{OperationID: "create-organization", Method: http.MethodPost, Path: "/organizations", Tags: orgs,
		Summary: "Register an organization (sysadmin, platform operator)", DefaultStatus: http.StatusCreated, Security: secure}, h.createOrganization)
	huma.Register(api, huma.Operation{OperationID: "update-organization", Method: http.MethodPut, Path: "/organizations/{id}", Tags: orgs,
		Summary: "Update an organization", Security: secure}, h.updateOrganization)
	huma.Register(api, huma.Operation{OperationID: "list-members", Method: http.MethodGet, Path: "/organizations/{id}/members", Tags: orgs,
		Summary: "List an organization's members (its admins, sysadmins)", Security: secure}, h.listMembers)
	huma.Register(api, huma.Operation{OperationID: "set-membership", Method: http.MethodPut, Path: "/organizations/{id}/members/{user_id}", Tags: orgs,
		Summary: "Give a user a role in the organization", Security: secure}, h.setMembership)
	huma.Register(api, huma.Operation{OperationID: "create-user", Method: http.MethodPost, Path: "/users", Tags: users,
		Summary: "Create a user (sysadmin)", DefaultStatus: http.StatusCreated, Security: secure}, h.createUser)
	huma.Register(api, huma.Operation{OperationID: "get-me", Method: http.MethodGet, Path: "/users/me", Tags: users,
		Summary: "The signed-in user", Security: secure}, h.me)
	huma.Register(api, huma.Operation{OperationID: "list-my-tokens", Method: http.MethodGet, Path: "/users/me/tokens", Tags: users,
		Summary: "My API tokens (never the secrets)", Security: secure}, h.myTokens)
	huma.Register(api, huma.Operation{OperationID: "create-my-token", Method: http.MethodPost, Path: "/users/me/tokens", Tags: users,
		Summary: "Create an API token; the secret is shown once", DefaultStatus: http.StatusCreated, Security: secure}, h.createToken)
	huma.Register(api, huma.Operation{OperationID: "revoke-my-token", Method: http.MethodDelete, Path: "/users/me/tokens/{id}", Tags: users,
		Summary: "Revoke one of my API tokens", DefaultStatus: http.StatusNoContent, Security: secure}, h.revokeToken)
}

func (h *handlers) routes(api huma.API) {
	h.identityRoutes(api)
	h.resourceRoutes(api)
	h.ledgerRoutes(api)
	h.accessRoutes(api)
	h.rowRoutes(api)
	h.classifyRoutes(api)
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

package api

import (
	"context"
	"net/http"

	"dataport/internal/access"
	"dataport/internal/identity"

	"github.com/danielgtaylor/huma/v2"
)

// The account lifecycle operations: the sysadmin's list of users, disabling
// and enabling, platform roles, password resets and ending a user's
// sessions and tokens; and the caller's own password change. Redeeming a
// one-time reset code is a browser page (/password-reset): it is done by a
// person without a token.

type listUsersIn struct {
	Q      string `query:"q" doc:"Part of the username or display name"`
	Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"100"`
	Cursor string `query:"cursor" doc:"next_cursor of the previous page"`
}

type userIDIn struct {
	ID string `path:"id" doc:"User id"`
}

type accessEndedOut struct {
	Body identity.AccessEnded
}

type platformRolesIn struct {
	ID   string `path:"id" doc:"User id"`
	Body struct {
		PlatformRoles []identity.PlatformRole `json:"platform_roles" doc:"The user's platform roles, replacing the current ones (may be empty)"`
	}
}

type resetPasswordIn struct {
	ID   string `path:"id" doc:"User id"`
	Body struct {
		Password string `json:"password" writeOnly:"true" doc:"The new password, 10–200 characters"`
	}
}

type resetCodeOut struct {
	Body identity.PasswordResetCode
}

type changePasswordIn struct {
	Body struct {
		CurrentPassword string `json:"current_password" writeOnly:"true"`
		NewPassword     string `json:"new_password" writeOnly:"true" doc:"10–200 characters, not the current one"`
	}
}

func (h *handlers) accountRoutes(api huma.API, tags []string) {
	secure := []map[string][]string{{"bearer": {}}}
	huma.Register(api, huma.Operation{OperationID: "list-users", Method: http.MethodGet, Path: "/users", Tags: tags, Security: secure,
		Summary: "List users (sysadmin)", Description: "Every account by username, with platform roles, memberships and whether it is " +
			"disabled; filtered by part of the username or display name, keyset-paged with cursor. Sysadmins only."}, h.listUsers)
	huma.Register(api, huma.Operation{OperationID: "get-user", Method: http.MethodGet, Path: "/users/{id}", Tags: tags, Security: secure,
		Summary: "Show a user", Description: "One account with platform roles and memberships. The user, sysadmins and the admins of " +
			"the user's organizations may see it; others get 403."}, h.getUser)
	huma.Register(api, huma.Operation{OperationID: "disable-user", Method: http.MethodPost, Path: "/users/{id}/disable", Tags: tags, Security: secure,
		Summary: "Disable a user (sysadmin)", Description: "The account can no longer sign in; its browser sessions end and its API tokens " +
			"are revoked at once, so nothing of it works from the next request on. Answers what was ended. Disabling the platform's last " +
			"enabled sysadmin is 409. Disabling a disabled account changes nothing."}, h.disableUser)
	huma.Register(api, huma.Operation{OperationID: "enable-user", Method: http.MethodPost, Path: "/users/{id}/enable", Tags: tags, Security: secure,
		Summary: "Enable a user (sysadmin)", DefaultStatus: http.StatusNoContent, Description: "Lets a disabled account sign in again. " +
			"Tokens revoked when it was disabled stay revoked."}, h.enableUser)
	huma.Register(api, huma.Operation{OperationID: "set-platform-roles", Method: http.MethodPut, Path: "/users/{id}/platform-roles", Tags: tags,
		Security: secure, Summary: "Set a user's platform roles (sysadmin)", Description: "Replaces the user's platform roles " +
			"(sysadmin, operator, regulator, auditor); they hold from the user's next request. Taking the role from the platform's last " +
			"enabled sysadmin is 409."}, h.setPlatformRoles)
	huma.Register(api, huma.Operation{OperationID: "revoke-user-access", Method: http.MethodPost, Path: "/users/{id}/revoke-access", Tags: tags,
		Security: secure, Summary: "End a user's sessions and revoke their tokens (sysadmin)", Description: "Signs the user out of every " +
			"browser session and revokes every API token of theirs; they stop working on the next request. The account stays enabled: " +
			"the user may sign in again. Answers what was ended."}, h.revokeUserAccess)
	huma.Register(api, huma.Operation{OperationID: "reset-user-password", Method: http.MethodPut, Path: "/users/{id}/password", Tags: tags,
		Security: secure, Summary: "Set a user's password (sysadmin)", Description: "Sets the password; the old one stops working, every " +
			"browser session of the user ends and every API token is revoked. Answers what was ended."}, h.resetUserPassword)
	huma.Register(api, huma.Operation{OperationID: "issue-password-reset-code", Method: http.MethodPost, Path: "/users/{id}/password-reset-codes",
		Tags: tags, Security: secure, DefaultStatus: http.StatusCreated, Summary: "Issue a one-time password reset code (sysadmin)",
		Description: "Makes the old password stop working, ends every session, revokes every token and voids earlier codes, and returns " +
			"a code valid for 72 hours, shown only in this response (the platform keeps its SHA-256). The sysadmin hands it to the user, " +
			"who chooses a new password with it on the sign-in page's reset form (/password-reset); the code works once."}, h.issueResetCode)
	huma.Register(api, huma.Operation{OperationID: "change-my-password", Method: http.MethodPut, Path: "/users/me/password", Tags: tags,
		Security: secure, Summary: "Change my password", Description: "Sets the caller's password when current_password is right " +
			"(a wrong one is 422 and counts as a failed sign-in; repeated failures are 429 with Retry-After). Every browser session of " +
			"the caller ends; API tokens, including the one calling, stay valid. Answers what was ended."}, h.changeMyPassword)
}

func (h *handlers) listUsers(ctx context.Context, in *listUsersIn) (*List[identity.User], error) {
	users, err := h.id.Users(ctx, identity.FromContext(ctx), identity.UserFilter{Q: in.Q, After: in.Cursor, Limit: in.Limit + 1})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &List[identity.User]{}
	if len(users) > in.Limit {
		users = users[:in.Limit]
		out.Body.NextCursor = users[in.Limit-1].Username
	}
	out.Body.Items = users
	if out.Body.Items == nil {
		out.Body.Items = []identity.User{}
	}
	return out, nil
}

func (h *handlers) getUser(ctx context.Context, in *userIDIn) (*userOut, error) {
	u, err := h.id.User(ctx, identity.FromContext(ctx), in.ID)
	return h.user(ctx, u, err)
}

func (h *handlers) disableUser(ctx context.Context, in *userIDIn) (*accessEndedOut, error) {
	ended, err := h.id.DisableUser(ctx, identity.FromContext(ctx), in.ID)
	return h.accessEnded(ctx, ended, err)
}

func (h *handlers) enableUser(ctx context.Context, in *userIDIn) (*struct{}, error) {
	if err := h.id.EnableUser(ctx, identity.FromContext(ctx), in.ID); err != nil {
		return nil, h.fail(ctx, err)
	}
	return nil, nil
}

func (h *handlers) setPlatformRoles(ctx context.Context, in *platformRolesIn) (*userOut, error) {
	p := identity.FromContext(ctx)
	if err := h.id.SetPlatformRoles(ctx, p, in.ID, in.Body.PlatformRoles); err != nil {
		return nil, h.fail(ctx, err)
	}
	u, err := h.id.User(ctx, p, in.ID)
	return h.user(ctx, u, err)
}

func (h *handlers) revokeUserAccess(ctx context.Context, in *userIDIn) (*accessEndedOut, error) {
	ended, err := h.id.RevokeAccess(ctx, identity.FromContext(ctx), in.ID)
	return h.accessEnded(ctx, ended, err)
}

func (h *handlers) resetUserPassword(ctx context.Context, in *resetPasswordIn) (*accessEndedOut, error) {
	ended, err := h.id.ResetPassword(ctx, identity.FromContext(ctx), in.ID, in.Body.Password)
	return h.accessEnded(ctx, ended, err)
}

func (h *handlers) issueResetCode(ctx context.Context, in *userIDIn) (*resetCodeOut, error) {
	rc, err := h.id.IssuePasswordReset(ctx, identity.FromContext(ctx), in.ID)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &resetCodeOut{Body: rc}, nil
}

func (h *handlers) changeMyPassword(ctx context.Context, in *changePasswordIn) (*accessEndedOut, error) {
	ended, err := h.id.ChangePassword(ctx, identity.FromContext(ctx), identity.PasswordChange{
		Current: in.Body.CurrentPassword, New: in.Body.NewPassword, ClientIP: access.ClientFrom(ctx).IP})
	return h.accessEnded(ctx, ended, err)
}

func (h *handlers) accessEnded(ctx context.Context, ended identity.AccessEnded, err error) (*accessEndedOut, error) {
	if err != nil { // a throttled sign-in gets Retry-After from problem.Of
		return nil, h.fail(ctx, err)
	}
	return &accessEndedOut{Body: ended}, nil
}

package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/identity"
)

// TestResourceButtonsMatchWhatIsAccepted signs in every kind of person,
// shows them a resource in every status, and then tries each workflow form
// through the real handlers: the page offers a form exactly when posting it
// succeeds.
func TestResourceButtonsMatchWhatIsAccepted(t *testing.T) {
	p := newPortal(t)
	other := p.createInstitution("12110000000000002", "市生态环境局", "Municipal Ecology Bureau")
	p.createUser("admin.zhao", identity.UserInput{Memberships: []identity.Membership{{OrganizationID: p.org.ID, Role: identity.RoleAdmin}}})
	p.createUser("member.sun", identity.UserInput{Memberships: []identity.Membership{{OrganizationID: p.org.ID, Role: identity.RoleMember}}})
	p.createUser("editor.zhou", identity.UserInput{Memberships: []identity.Membership{{OrganizationID: other.ID, Role: identity.RoleEditor}}})
	p.createUser("root", identity.UserInput{PlatformRoles: []identity.PlatformRole{identity.PlatformSysadmin}})

	type form struct {
		name    string
		offered func(body, id string) bool
		post    func(b *browser, token, id string) page
	}
	forms := []form{
		{"edit", func(body, id string) bool {
			return strings.Contains(body, `href="/resources/`+id+`/edit"`) && strings.Contains(body, `action="/resources/`+id+`/submit"`)
		}, func(b *browser, token, id string) page {
			f := bikeForm(token, p.org.ID)
			f.Set("subject", "04")
			return b.post("/resources/"+id+"/edit", f)
		}},
		{"submit", func(body, id string) bool { return strings.Contains(body, `action="/resources/`+id+`/submit"`) },
			func(b *browser, token, id string) page {
				return b.post("/resources/"+id+"/submit", url.Values{"csrf_token": {token}})
			}},
		{"review", func(body, id string) bool { return strings.Contains(body, `action="/resources/`+id+`/review"`) },
			func(b *browser, token, id string) page {
				return b.post("/resources/"+id+"/review", url.Values{"csrf_token": {token}, "decision": {"approve"}, "comment": {""}})
			}},
		{"retire", func(body, id string) bool { return strings.Contains(body, `action="/resources/`+id+`/retire"`) },
			func(b *browser, token, id string) page {
				return b.post("/resources/"+id+"/retire", url.Values{"csrf_token": {token}, "reason": {"数据已停止更新"}})
			}},
	}
	people := []string{"", "member.sun", "editor.zhou", "editor.li", "admin.zhao", "operator.wang", "root"} // "": anonymous
	for _, username := range people {
		b := p.browser()
		token := ""
		if username == "" {
			token = b.csrf("/login")
		} else {
			b.login(username)
			token = b.csrf("/my")
		}
		nb := b.noRedirects()
		for _, status := range catalog.Statuses {
			for _, f := range forms {
				r := p.resourceIn(status)
				shown := nb.get("/resources/" + r.ID)
				offered := f.offered(shown.body, r.ID)
				done := f.post(nb, token, r.ID)
				accepted := done.status == http.StatusSeeOther && resourcePath.MatchString(done.header.Get("Location"))
				if offered != accepted {
					t.Errorf("%q on a %s resource: page %d offers %s: %v; posting it: %d %s", username, status, shown.status, f.name, offered, done.status, done.header.Get("Location"))
				}
			}
		}
	}
}

// resourceIn creates a resource of the portal's institution and moves it to
// status through the ordinary workflow.
func (p *portal) resourceIn(status catalog.Status) catalog.Resource {
	p.t.Helper()
	ctx, sys := context.Background(), identity.System
	r, err := p.catalog.Create(ctx, sys, p.org.ID, sampleInput("公交站点", "Bus stops"))
	steps := map[catalog.Status][]func() (catalog.Resource, error){
		catalog.StatusSubmitted: {func() (catalog.Resource, error) { return p.catalog.Submit(ctx, sys, r.ID) }},
		catalog.StatusReturned: {func() (catalog.Resource, error) { return p.catalog.Submit(ctx, sys, r.ID) },
			func() (catalog.Resource, error) {
				return p.catalog.Review(ctx, sys, r.ID, catalog.Return, "请补充说明")
			}},
		catalog.StatusPublished: {func() (catalog.Resource, error) { return p.catalog.Submit(ctx, sys, r.ID) },
			func() (catalog.Resource, error) { return p.catalog.Review(ctx, sys, r.ID, catalog.Approve, "") }},
		catalog.StatusRetired: {func() (catalog.Resource, error) { return p.catalog.Submit(ctx, sys, r.ID) },
			func() (catalog.Resource, error) { return p.catalog.Review(ctx, sys, r.ID, catalog.Approve, "") },
			func() (catalog.Resource, error) { return p.catalog.Retire(ctx, sys, r.ID, "停止更新") }},
	}
	for _, step := range steps[status] {
		if err != nil {
			break
		}
		r, err = step()
	}
	if err != nil || r.Status != status {
		p.t.Fatalf("resource in %s: %v (%s)", status, err, r.Status)
	}
	return r
}

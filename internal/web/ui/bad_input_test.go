package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"dataport/internal/identity"
	"dataport/internal/store/storetest"
)

// TestFormsRefuseBadInputAndChangeNothing posts bad input to every form that
// writes and checks the status, the message beside the field, and that no
// table changed.
func TestFormsRefuseBadInputAndChangeNothing(t *testing.T) {
	p := newPortal(t)
	ctx := context.Background()
	draft, err := p.catalog.Create(ctx, identity.System, p.org.ID, sampleInput("出租车营运数据", "Taxi operations"))
	if err != nil {
		t.Fatal(err)
	}
	submitted, err := p.catalog.Create(ctx, identity.System, p.org.ID, sampleInput("共享单车停放点", "Bike parking"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.catalog.Submit(ctx, identity.System, submitted.ID); err != nil {
		t.Fatal(err)
	}
	editor, operator := p.browser(), p.browser()
	editor.login("editor.li")
	operator.login("operator.wang")
	resourceForm := func() url.Values {
		return url.Values{"title_zh": {""}, "description_zh": {"说明"}, "subject": {"04"}, "update_frequency": {"daily"},
			"share_type": {"none"}, "open_type": {"none"}, "classification": {"general"}, "level": {"9"},
			"items.0.name": {"Bad Name"}, "items.0.label_zh": {"编号"}, "items.0.type": {"text"}}
	}
	tests := []struct {
		name   string
		who    *browser
		page   string // where the form is, for its CSRF token
		action string
		form   url.Values
		status int
		field  string // id of the field whose message must be linked from the summary
	}{
		{"create resource", editor, "/my/resources/new?organization_id=" + p.org.ID, "/my/resources",
			withValue(resourceForm(), "organization_id", p.org.ID), http.StatusUnprocessableEntity, "field-title_zh"},
		{"edit resource", editor, "/resources/" + draft.ID + "/edit", "/resources/" + draft.ID + "/edit",
			resourceForm(), http.StatusUnprocessableEntity, "field-items-0-name"},
		{"submit a submitted resource", editor, "/resources/" + submitted.ID, "/resources/" + submitted.ID + "/submit",
			url.Values{}, http.StatusConflict, ""},
		{"review without decision", operator, "/resources/" + submitted.ID, "/resources/" + submitted.ID + "/review",
			url.Values{"decision": {"perhaps"}}, http.StatusUnprocessableEntity, "field-decision"},
		{"review by the editor", editor, "/resources/" + submitted.ID, "/resources/" + submitted.ID + "/review",
			url.Values{"decision": {"approve"}}, http.StatusForbidden, ""},
		{"retire without reason", operator, "/resources/" + p.published.ID, "/resources/" + p.published.ID + "/retire",
			url.Values{"reason": {""}}, http.StatusUnprocessableEntity, "field-reason"},
		{"token without name", editor, "/account", "/account/tokens",
			url.Values{"name": {""}, "expires_in_days": {"30"}}, http.StatusUnprocessableEntity, "field-name"},
		{"token for too long", editor, "/account", "/account/tokens",
			url.Values{"name": {"ci"}, "expires_in_days": {"4000"}}, http.StatusUnprocessableEntity, "field-expires_in_days"},
		{"sign in with a wrong password", p.browser(), "/login", "/login",
			url.Values{"username": {"editor.li"}, "password": {"wrong password"}}, http.StatusUnauthorized, ""},
	}
	tables := []string{"organizations", "users", "memberships", "sessions", "api_tokens", "resources", "resource_versions", "events"}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			test.form.Set("csrf_token", test.who.csrf(test.page))
			before := storetest.CountRows(t, p.db, tables...)
			versions := p.versions()
			pg := test.who.post(test.action, test.form)
			mustStatus(t, pg, test.status)
			if test.field != "" {
				mustContain(t, pg, `href="#`+test.field+`"`, `id="`+test.field+`"`)
			}
			storetest.AssertUnchanged(t, p.db, before)
			if after := p.versions(); after != versions {
				t.Errorf("resource versions changed from %d to %d", versions, after)
			}
		})
	}
}

func withValue(v url.Values, key, value string) url.Values {
	v.Set(key, value)
	return v
}

// versions sums every resource's version number: any accepted change raises it.
func (p *portal) versions() int {
	var n int
	if err := p.db.QueryRow(`SELECT COALESCE(SUM(version), 0) FROM resources`).Scan(&n); err != nil {
		p.t.Fatal(err)
	}
	return n
}

package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"dataport/internal/identity"
	"dataport/internal/opening"
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
	year := thisYear()
	list, published := p.openLists(year)
	emptyList := listPath(year+1, p.org.ID)
	if _, err := p.opening.SaveList(ctx, identity.System, p.org.ID, year+1, ""); err != nil {
		t.Fatal(err)
	}
	other := p.createInstitution("12110000000000002", "市生态环境局", "Municipal Ecology and Environment Bureau")
	foreign, err := p.catalog.Create(ctx, identity.System, other.ID, sampleInput("空气质量监测", "Air quality"))
	if err != nil {
		t.Fatal(err)
	}
	p.createUser("admin.zhao", identity.UserInput{Memberships: []identity.Membership{{OrganizationID: p.org.ID, Role: identity.RoleAdmin}}})
	p.createUser("editor.zhou", identity.UserInput{Memberships: []identity.Membership{{OrganizationID: other.ID, Role: identity.RoleEditor}}})
	editor, operator, admin, stranger := p.browser(), p.browser(), p.browser(), p.browser()
	editor.login("editor.li")
	operator.login("operator.wang")
	admin.login("admin.zhao")
	stranger.login("editor.zhou")
	draftList := listPath(year, p.org.ID)
	publishedList := listPath(year-1, p.org.ID)
	item := list.Items[0].ID
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
		{"open list plan too long", editor, draftList + "/edit", draftList + "/edit",
			url.Values{"plan": {strings.Repeat("计", 8001)}}, http.StatusUnprocessableEntity, "field-plan"},
		{"open list item dated outside the year", editor, draftList + "/edit", draftList + "/items",
			url.Values{"title_zh": {"出租车营运"}, "open_type": {"unconditional"}, "planned_date": {fmt.Sprintf("%d-01-01", year+1)}},
			http.StatusUnprocessableEntity, "field-planned_date"},
		{"open list item without title, type or date", editor, draftList + "/edit", draftList + "/items",
			url.Values{"title_zh": {" "}, "open_type": {"none"}, "planned_date": {"31/12"}}, http.StatusUnprocessableEntity, "field-title_zh"},
		{"open list item of another institution's resource", editor, draftList + "/edit", draftList + "/items",
			url.Values{"resource_id": {foreign.ID}, "open_type": {"conditional"}, "planned_date": {fmt.Sprintf("%d-12-31", year)}},
			http.StatusUnprocessableEntity, "field-resource_id"},
		{"open list item on a published list", editor, publishedList + "/edit", publishedList + "/items",
			url.Values{"title_zh": {"出租车营运"}, "open_type": {"unconditional"}, "planned_date": {fmt.Sprintf("%d-12-31", year-1)}},
			http.StatusConflict, ""},
		{"open list plan of a published list", editor, publishedList + "/edit", publishedList + "/edit",
			url.Values{"plan": {"改计划"}}, http.StatusConflict, ""},
		{"open list item on a list not created", editor, draftList + "/edit", listPath(year+2, p.org.ID) + "/items",
			url.Values{"title_zh": {"出租车营运"}, "open_type": {"unconditional"}, "planned_date": {fmt.Sprintf("%d-12-31", year+2)}},
			http.StatusNotFound, ""},
		{"open list link without a resource", editor, draftList + "/edit", draftList + "/link",
			url.Values{"link_item_id": {item}, "link_resource_id": {""}}, http.StatusUnprocessableEntity, "field-link_resource_id"},
		{"open list link to another institution's resource", editor, draftList + "/edit", draftList + "/link",
			url.Values{"link_item_id": {item}, "link_resource_id": {foreign.ID}}, http.StatusUnprocessableEntity, "field-link_resource_id"},
		{"open list link of another list's item", editor, draftList + "/edit", draftList + "/link",
			url.Values{"link_item_id": {published.Items[0].ID}, "link_resource_id": {p.published.ID}}, http.StatusNotFound, ""},
		{"open list published by an editor", editor, draftList + "/edit", draftList + "/publish",
			url.Values{}, http.StatusForbidden, ""},
		{"open list published without items", admin, emptyList + "/edit", emptyList + "/publish",
			url.Values{}, http.StatusUnprocessableEntity, "field-list_items"},
		{"open list published twice", admin, publishedList + "/edit", publishedList + "/publish",
			url.Values{}, http.StatusConflict, ""},
		{"open list of another institution", stranger, "/open-lists", draftList + "/edit",
			url.Values{"plan": {"篡改"}}, http.StatusForbidden, ""},
	}
	tables := []string{"organizations", "users", "memberships", "sessions", "api_tokens", "resources", "resource_versions", "events",
		"open_lists", "open_list_items"}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			test.form.Set("csrf_token", test.who.csrf(test.page))
			// A refused sign-in is itself recorded, as one sealed
			// identity.signin.failed event (the security monitoring's
			// sign-in log), with the key its hashes are keyed with on
			// first use.
			signIn := test.action == "/login"
			counted := tables
			if signIn {
				counted = slices.DeleteFunc(slices.Clone(tables), func(t string) bool { return t == "events" })
			}
			before := storetest.CountRows(t, p.db, counted...)
			otherEvents, failedSignIns := p.signInEvents(t)
			versions := p.versions()
			pg := test.who.post(test.action, test.form)
			mustStatus(t, pg, test.status)
			if test.field != "" {
				mustContain(t, pg, `href="#`+test.field+`"`, `id="`+test.field+`"`)
			}
			storetest.AssertUnchanged(t, p.db, before)
			if signIn {
				others, failed := p.signInEvents(t)
				if others != otherEvents || failed != failedSignIns+1 {
					t.Errorf("a refused sign-in wrote %d events besides %d identity.signin.failed (want none and 1)",
						others-otherEvents, failed-failedSignIns)
				}
			}
			if after := p.versions(); after != versions {
				t.Errorf("resource versions changed from %d to %d", versions, after)
			}
		})
	}
}

// openLists gives the portal's institution a draft list for year and a
// published one for the year before, each with one item.
func (p *portal) openLists(year int) (draft, published opening.OpenList) {
	p.t.Helper()
	ctx := context.Background()
	for _, l := range []struct {
		year int
		list *opening.OpenList
	}{{year, &draft}, {year - 1, &published}} {
		saved, err := p.opening.SaveList(ctx, identity.System, p.org.ID, l.year, "计划")
		if err != nil {
			p.t.Fatal(err)
		}
		if saved, err = p.opening.AddItem(ctx, identity.System, saved.ID, opening.ItemInput{TitleZh: "公交到站", OpenType: "unconditional",
			PlannedDate: fmt.Sprintf("%d-12-31", l.year)}); err != nil {
			p.t.Fatal(err)
		}
		*l.list = saved
	}
	if _, err := p.opening.Publish(ctx, identity.System, published.ID); err != nil {
		p.t.Fatal(err)
	}
	return draft, published
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

// signInEvents counts the events other than refused sign-ins' records (and
// the key their hashes are keyed with), and the identity.signin.failed ones.
func (p *portal) signInEvents(t *testing.T) (others, failed int) {
	t.Helper()
	err := p.db.QueryRowContext(context.Background(), `SELECT
		COUNT(*) FILTER (WHERE type NOT IN ('identity.signin.failed', 'server_key.created')),
		COUNT(*) FILTER (WHERE type = 'identity.signin.failed') FROM events`).Scan(&others, &failed)
	if err != nil {
		t.Fatal(err)
	}
	return others, failed
}

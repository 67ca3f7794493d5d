package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"dataport/internal/identity"
	"dataport/internal/opening"
	"dataport/internal/store/storetest"
)

// thisYear is the year in Beijing, where the open lists count their days.
func thisYear() int { return time.Now().In(time.FixedZone("CST", 8*60*60)).Year() }

// listPath is the editor's page of org's list for year.
func listPath(year int, orgID string) string { return fmt.Sprintf("/open-lists/%d/%s", year, orgID) }

var itemOption = regexp.MustCompile(`<option value="([0-9a-f-]{36})">共享单车停放点位 · `)

// TestOpenListThroughForms keeps an institution's open list the way a
// browser would: its editor creates the list, adds an item and links it to
// the published resource; the editor may not publish, the admin does; the
// published list is read-only and public.
func TestOpenListThroughForms(t *testing.T) {
	p := newPortal(t)
	p.createUser("admin.zhao", identity.UserInput{Memberships: []identity.Membership{{OrganizationID: p.org.ID, Role: identity.RoleAdmin}}})
	year := thisYear()
	path := listPath(year, p.org.ID)
	editor := p.browser()
	editor.login("editor.li")

	lists := editor.get(fmt.Sprintf("/open-lists?year=%d", year))
	mustContain(t, lists, fmt.Sprintf("编制 %d 年度开放清单：市交通委员会", year), `href="`+path+`/edit"`)
	if strings.Contains(p.browser().get(fmt.Sprintf("/open-lists?year=%d", year)).body, path+"/edit") {
		t.Error("an anonymous visitor is offered the editor's page")
	}

	pg := editor.get(path + "/edit")
	mustStatus(t, pg, http.StatusOK)
	mustContain(t, pg, fmt.Sprintf("创建 %d 年度清单", year), `name="plan"`)
	if strings.Contains(pg.body, `action="`+path+`/items"`) {
		t.Error("the item form is offered before the list exists")
	}
	token := csrfField.FindStringSubmatch(pg.body)[1]

	pg = editor.post(path+"/edit", url.Values{"csrf_token": {token}, "plan": {"全年开放交通出行类数据。"}})
	if pg.url != path+"/edit?done=open_list_saved" {
		t.Fatalf("save plan ended at %s (%d)", pg.url, pg.status)
	}
	mustContain(t, pg, "开放清单已保存", "全年开放交通出行类数据。", "草稿", "尚无计划项", `action="`+path+`/items"`,
		"清单由本单位的管理员公布", `min="`+fmt.Sprint(year)+`-01-01"`)
	if strings.Contains(pg.body, `action="`+path+`/publish"`) {
		t.Error("the editor is offered the publish form")
	}

	pg = editor.post(path+"/items", url.Values{"csrf_token": {token}, "title_zh": {"共享单车停放点位"}, "open_type": {"conditional"},
		"planned_date": {fmt.Sprintf("%d-01-01", year+1)}, "note": {"与运营企业共同发布"}})
	mustStatus(t, pg, http.StatusUnprocessableEntity)
	mustContain(t, pg, `value="共享单车停放点位"`, ">与运营企业共同发布</textarea>", `value="conditional" id="field-open_type-conditional" checked`,
		fmt.Sprintf(`value="%d-01-01"`, year+1), `href="#field-planned_date"`, `id="field-planned_date-error"`,
		fmt.Sprintf("计划开放日期：必须在 %d 年内", year))
	if l, err := p.opening.ListOf(context.Background(), identity.System, p.org.ID, year); err != nil || len(l.Items) != 0 {
		t.Fatalf("the refused item was stored: %+v, %v", l, err)
	}

	pg = editor.post(path+"/items", url.Values{"csrf_token": {token}, "title_zh": {"共享单车停放点位"}, "open_type": {"unconditional"},
		"planned_date": {fmt.Sprintf("%d-12-31", year)}, "note": {"与运营企业共同发布"}})
	if pg.url != path+"/edit?done=open_list_item_added" {
		t.Fatalf("add item ended at %s (%d)\n%s", pg.url, pg.status, pg.body)
	}
	mustContain(t, pg, "计划项已添加", "共享单车停放点位", "与运营企业共同发布", fmt.Sprintf("%d-12-31", year), "待开放",
		"计划 1 项 · 已开放 0 项 · 逾期 0 项", `action="`+path+`/link"`)
	item := itemOption.FindStringSubmatch(pg.body)
	if item == nil {
		t.Fatal("the link form does not offer the item")
	}

	pg = editor.post(path+"/link", url.Values{"csrf_token": {token}, "link_item_id": {item[1]}, "link_resource_id": {p.published.ID}})
	if pg.url != path+"/edit?done=open_list_item_linked" {
		t.Fatalf("link ended at %s (%d)\n%s", pg.url, pg.status, pg.body)
	}
	mustContain(t, pg, "计划项已关联数据资源", "已开放", "计划 0 项 · 已开放 1 项 · 逾期 0 项", `<a href="/resources/`+p.published.ID+`">公交线路站点</a>`)

	pg = editor.post(path+"/publish", url.Values{"csrf_token": {token}})
	mustStatus(t, pg, http.StatusForbidden)
	if l, err := p.opening.ListOf(context.Background(), identity.System, p.org.ID, year); err != nil || l.Status != opening.ListDraft {
		t.Fatalf("after the editor's publish: %+v, %v", l, err)
	}

	admin := p.browser()
	admin.login("admin.zhao")
	pg = admin.get(path + "/edit")
	mustContain(t, pg, "公布后，清单的计划和计划项不能再修改", `action="`+path+`/publish"`)
	pg = admin.post(path+"/publish", url.Values{"csrf_token": {csrfField.FindStringSubmatch(pg.body)[1]}})
	if pg.url != path+"/edit?done=open_list_published" {
		t.Fatalf("publish ended at %s (%d)\n%s", pg.url, pg.status, pg.body)
	}
	mustContain(t, pg, "开放清单已公布", "已公布", "本清单已于", "全年开放交通出行类数据。", `action="`+path+`/link"`)
	for _, form := range []string{`action="` + path + `/edit"`, `action="` + path + `/items"`, `action="` + path + `/publish"`} {
		if strings.Contains(pg.body, form) {
			t.Errorf("the published list still offers %s", form)
		}
	}

	pg = editor.post(path+"/items", url.Values{"csrf_token": {token}, "title_zh": {"出租车营运"}, "open_type": {"conditional"},
		"planned_date": {fmt.Sprintf("%d-12-30", year)}})
	mustStatus(t, pg, http.StatusConflict)
	mustContain(t, pg, "开放清单已公布，不能再添加计划项")

	public := p.browser().get(fmt.Sprintf("/open-lists?year=%d", year))
	mustContain(t, public, "市交通委员会", "共享单车停放点位", "已开放")
	english := editor.get("/lang?to=en&next=" + url.QueryEscape(path+"/edit"))
	mustContain(t, english, fmt.Sprintf("Open data list for %d", year), "Published", "Opened", "This list was published on")
}

// TestOpenListEditorsOnly: another institution's editor, and anyone else
// who may not keep the list, is refused, and nothing changes.
func TestOpenListEditorsOnly(t *testing.T) {
	p := newPortal(t)
	ctx := context.Background()
	year := thisYear()
	path := listPath(year, p.org.ID)
	l, err := p.opening.SaveList(ctx, identity.System, p.org.ID, year, "交通计划")
	if err != nil {
		t.Fatal(err)
	}
	if l, err = p.opening.AddItem(ctx, identity.System, l.ID, opening.ItemInput{TitleZh: "公交到站", OpenType: "unconditional",
		PlannedDate: fmt.Sprintf("%d-12-31", year)}); err != nil {
		t.Fatal(err)
	}
	other := p.createInstitution("12110000000000002", "市生态环境局", "Municipal Ecology and Environment Bureau")
	p.createUser("editor.zhou", identity.UserInput{Memberships: []identity.Membership{{OrganizationID: other.ID, Role: identity.RoleEditor}}})
	p.createUser("member.qian", identity.UserInput{Memberships: []identity.Membership{{OrganizationID: p.org.ID, Role: identity.RoleMember}}})
	zhou, qian := p.browser(), p.browser()
	zhou.login("editor.zhou")
	qian.login("member.qian")

	lists := zhou.get(fmt.Sprintf("/open-lists?year=%d", year))
	mustContain(t, lists, listPath(year, other.ID)+"/edit")
	if strings.Contains(lists.body, path+"/edit") {
		t.Error("another institution's editor is offered the list")
	}
	tables := []string{"open_lists", "open_list_items", "events"}
	for _, b := range []struct {
		name string
		who  *browser
	}{{"other institution's editor", zhou}, {"member", qian}} {
		t.Run(b.name, func(t *testing.T) {
			before := storetest.CountRows(t, p.db, tables...)
			token := b.who.csrf("/my")
			mustStatus(t, b.who.get(path+"/edit"), http.StatusForbidden)
			for action, form := range map[string]url.Values{
				"/edit":    {"plan": {"篡改"}},
				"/items":   {"title_zh": {"篡改"}, "open_type": {"unconditional"}, "planned_date": {fmt.Sprintf("%d-12-31", year)}},
				"/link":    {"link_item_id": {l.Items[0].ID}, "link_resource_id": {p.published.ID}},
				"/publish": {},
			} {
				form.Set("csrf_token", token)
				pg := b.who.post(path+action, form)
				mustStatus(t, pg, http.StatusForbidden)
				mustContain(t, pg, "没有权限")
			}
			storetest.AssertUnchanged(t, p.db, before)
		})
	}

	if pg := p.browser().get(path + "/edit"); !strings.HasPrefix(pg.url, "/login?next=") {
		t.Errorf("anonymous visitor ended at %s, want the sign-in page", pg.url)
	}
	editor := p.browser()
	editor.login("editor.li")
	for _, missing := range []string{"/open-lists/abc/" + p.org.ID + "/edit", "/open-lists/1999/" + p.org.ID + "/edit"} {
		mustStatus(t, editor.get(missing), http.StatusNotFound)
	}
	pg := editor.post(listPath(year+1, p.org.ID)+"/items", url.Values{"csrf_token": {editor.csrf("/my")}, "title_zh": {"x"},
		"open_type": {"unconditional"}, "planned_date": {fmt.Sprintf("%d-01-01", year+1)}})
	mustStatus(t, pg, http.StatusNotFound)
}

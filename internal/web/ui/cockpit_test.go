package ui_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/notify"
	"dataport/internal/opening"
	"dataport/internal/review"
	"dataport/internal/sharing"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/services"
	"dataport/internal/web/ui"
	"dataport/internal/workday"
)

// cockpitPortal is a portal with what the cockpit counts: the datastore
// (held loads and quality reports), the review kinds (share requests and
// open-data applications), open lists and the outbox. Its users are an
// editor of the institution, a platform operator and a sysadmin.
type cockpitPortal struct {
	*portal
	ds      *datastore.Service
	editor  identity.Principal
	second  identity.Organization // another institution, without an open list
	sysRoot string                // the sysadmin's username
}

func newCockpitPortal(t *testing.T, db *store.DB) *cockpitPortal {
	t.Helper()
	ctx := context.Background()
	p := &portal{t: t, db: db, identity: identity.NewService(db), catalog: catalog.NewService(db)}
	p.org = p.createInstitution("12110000000000001", "市交通委员会", "Municipal Transport Commission")
	second := p.createInstitution("12110000000000002", "市卫生健康委员会", "Municipal Health Commission")
	p.createUser("editor.li", identity.UserInput{Memberships: []identity.Membership{{OrganizationID: p.org.ID, Role: identity.RoleEditor}}})
	p.createUser("operator.wang", identity.UserInput{PlatformRoles: []identity.PlatformRole{identity.PlatformOperator}})
	p.createUser("root", identity.UserInput{PlatformRoles: []identity.PlatformRole{identity.PlatformSysadmin}})
	p.published = p.publish(sampleInput("公交线路站点", "Bus routes and stops"))
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	acc := access.New(db, p.catalog, access.Config{Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(acc.Close)
	rev := review.NewService(db, review.Config{})
	p.opening = opening.NewService(db, p.catalog, p.identity, acc, opening.Config{Review: rev})
	shares := sharing.NewService(db, p.catalog, acc, sharing.Config{Review: rev})
	ds := datastore.New(datastore.Config{DB: db, Catalog: p.catalog, Access: acc, Log: log})
	h, err := ui.New(ui.Config{Services: services.Services{Identity: p.identity, Catalog: p.catalog, Access: acc, Opening: p.opening,
		Sharing: shares, Review: rev, Datastore: ds, Notify: notify.NewService(db), Log: log}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	p.url = srv.URL
	editor, err := p.identity.Principal(ctx, userID(t, p, "editor.li"))
	if err != nil {
		t.Fatal(err)
	}
	return &cockpitPortal{portal: p, ds: ds, editor: editor, second: second, sysRoot: "root"}
}

// submitted creates a resource of the institution, loads csv into it when
// given, and submits it for review.
func (c *cockpitPortal) submitted(in catalog.Input, csv string) catalog.Resource {
	c.t.Helper()
	ctx := context.Background()
	r, err := c.catalog.Create(ctx, c.editor, c.org.ID, in)
	if err != nil {
		c.t.Fatal(err)
	}
	if csv != "" {
		if _, err := c.ds.Load(ctx, c.editor, r.ID, datastore.LoadInput{File: strings.NewReader(csv), Name: "data.csv", Size: int64(len(csv))}); err != nil {
			c.t.Fatal(err)
		}
	}
	if r, err = c.catalog.Submit(ctx, c.editor, r.ID); err != nil {
		c.t.Fatal(err)
	}
	return r
}

// stationInput is a complete catalog entry: every recommended field filled
// and each item described.
func stationInput(title string) catalog.Input {
	in := sampleInput(title, "Stations "+title)
	in.Keywords, in.SourceSystem, in.ContactName, in.ContactPhone = []string{"站点"}, "交通运行监测系统", "李工", "010-12345678"
	in.Items = []catalog.Item{
		{Name: "station_id", LabelZh: "站点编号", Type: catalog.TypeText, Required: true, Key: true, Description: "站点的唯一编号"},
		{Name: "name", LabelZh: "站点名称", Type: catalog.TypeText, Description: "站点的中文名称"},
	}
	return in
}

// withPhone adds a phone item, undeclared as personal information.
func withPhone(in catalog.Input) catalog.Input {
	in.Items = append(in.Items, catalog.Item{Name: "phone", LabelZh: "联系电话", Type: catalog.TypeText, Description: "联系电话"})
	return in
}

// TestCockpitDashboard: platform staff see each queue's backlog and the
// counts of what needs attention, each linked to its list; institutions'
// staff are refused, anonymous visitors sent to sign in.
func TestCockpitDashboard(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		c := newCockpitPortal(t, db)
		c.submitted(stationInput("公交站点"), "站点编号,站点名称\nS1,甲\n")
		c.submitted(withPhone(stationInput("出租车站点")), "站点编号,站点名称,联系电话\nT1,乙,13812345678\nT2,丙,13912345678\n")
		ctx := context.Background()
		year := time.Now().In(workday.Beijing).Year()
		list, err := c.opening.SaveList(ctx, identity.System, c.org.ID, year, "年度开放计划")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.opening.AddItem(ctx, identity.System, list.ID, opening.ItemInput{TitleZh: "公交站点", OpenType: catalog.OpenUnconditional,
			PlannedDate: fmt.Sprintf("%d-12-31", year)}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.opening.Publish(ctx, identity.System, list.ID); err != nil {
			t.Fatal(err)
		}

		op := c.browser()
		op.login("operator.wang")
		pg := op.get("/admin")
		mustStatus(t, pg, http.StatusOK)
		mustContain(t, pg, "运营看板", `href="/admin" aria-current="page"`,
			`<th scope="row"><a href="/review">数据目录审核</a></th>`, `<a href="/review" class="cockpit-count cockpit-count--busy">2</a>`,
			`<a href="/share-requests">共享申请</a>`, `<a href="/applications">开放申请</a>`, "0 个工作日",
			`<a href="/admin/open-lists">未发布 `, `<dd>1<span class="stat__of"> / 2</span></dd>`,
			`<a href="/admin/held">被拦截待放行的数据加载</a></dt><dd>1</dd>`,
			`<a href="/admin/outbox">发送失败的邮件通知</a></dt><dd>0</dd>`, `href="/admin/organizations/new"`)
		if strings.Contains(pg.body, `href="/admin/users/new"`) || strings.Contains(pg.body, "/admin/jobs") {
			t.Error("an operator is offered the sysadmin's account forms or the jobs list")
		}
		pg = op.get("/admin/held")
		mustStatus(t, pg, http.StatusOK)
		mustContain(t, pg, "出租车站点", "/data/versions/1")
		pg = op.get("/admin/open-lists")
		mustContain(t, pg, "市卫生健康委员会", "/organizations/"+c.second.ID)
		if strings.Contains(pg.body, "市交通委员会</a>") {
			t.Error("an institution with a published list is listed as missing one")
		}

		root := c.browser()
		root.login(c.sysRoot)
		mustContain(t, root.get("/admin"), `href="/admin/users/new"`, `href="/admin/users"`)

		ed := c.browser()
		ed.login("editor.li")
		if strings.Contains(ed.get("/my").body, `href="/admin"`) {
			t.Error("an editor is offered the cockpit")
		}
		for _, path := range []string{"/admin", "/admin/held", "/admin/open-lists"} {
			mustStatus(t, ed.get(path), http.StatusForbidden)
		}
		if pg := c.browser().get("/admin"); !strings.HasPrefix(pg.url, "/login?next=%2Fadmin") {
			t.Errorf("anonymous: ended at %s", pg.url)
		}
	})
}

// TestReviewQueueFlagsAndBatch: each submitted entry shows its quality,
// personal information and completeness flags; a batch decides the ticked
// entries one by one (each with its own event), reports the one it could
// not decide beside the others, and a bad batch form decides nothing.
func TestReviewQueueFlagsAndBatch(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		c := newCockpitPortal(t, db)
		clean := c.submitted(stationInput("公交站点"), "站点编号,站点名称\nS1,甲\nS2,乙\n")
		bare := stationInput("地铁站点")
		bare.TitleEn, bare.ContactName, bare.ContactPhone = "", "", ""
		held := c.submitted(withPhone(bare), "站点编号,站点名称,联系电话\nT1,乙,13812345678\nT2,丙,13912345678\n")
		empty := c.submitted(stationInput("骑行驿站"), "")

		op := c.browser()
		op.login("operator.wang")
		pg := op.get("/review")
		mustStatus(t, pg, http.StatusOK)
		mustContain(t, pg,
			"已加载 2 条，未发现问题", "目录信息完整", // the clean one
			"发现未声明的个人信息，数据已拦截：“联系电话”含手机号码", "缺少：资源名称（英文）", // the held one
			"尚未加载数据", "未检测（尚无数据）", // the one without data
			`name="ids" value="`+clean.ID+`"`, "0 个工作日")
		token := op.csrf("/review")

		before := eventCount(t, db, "resource.published")
		pg = op.post("/review/batch", url.Values{"csrf_token": {token}, "decision": {"return"}, "comment": {" "},
			"ids": {clean.ID, held.ID}})
		mustStatus(t, pg, http.StatusUnprocessableEntity)
		mustContain(t, pg, `href="#field-comment"`, `value="`+clean.ID+`" id="field-ids" checked`)
		pg = op.post("/review/batch", url.Values{"csrf_token": {token}, "decision": {"approve"}})
		mustStatus(t, pg, http.StatusUnprocessableEntity)
		mustContain(t, pg, "请勾选 1 至 100 条数据资源", `href="#field-ids"`)
		for _, r := range []catalog.Resource{clean, held, empty} {
			if got := c.status(r.ID); got != catalog.StatusSubmitted {
				t.Errorf("%s after refused batches: %s", r.TitleZh, got)
			}
		}

		pg = op.post("/review/batch", url.Values{"csrf_token": {token}, "decision": {"approve"},
			"ids": {clean.ID, c.published.ID, empty.ID}})
		mustStatus(t, pg, http.StatusOK)
		mustContain(t, pg, "已处理 2 条，共 3 条", "未处理", "：数据资源的当前状态不允许此操作") // the published one, with the reason
		if got := eventCount(t, db, "resource.published") - before; got != 2 {
			t.Errorf("%d published events, want one for each decided entry", got)
		}
		for id, want := range map[string]catalog.Status{clean.ID: catalog.StatusPublished, empty.ID: catalog.StatusPublished,
			held.ID: catalog.StatusSubmitted, c.published.ID: catalog.StatusPublished} {
			if got := c.status(id); got != want {
				t.Errorf("%s: %s, want %s", id, got, want)
			}
		}
		pg = op.post("/review/batch", url.Values{"csrf_token": {op.csrf("/review")}, "decision": {"return"}, "comment": {"请补充英文名称和联系人"},
			"ids": {held.ID}})
		mustContain(t, pg, "已处理 1 条，共 1 条", "已退回")
		if got := c.status(held.ID); got != catalog.StatusReturned {
			t.Errorf("returned in a batch: %s", got)
		}

		ed := c.browser()
		ed.login("editor.li")
		mustStatus(t, ed.post("/review/batch", url.Values{"csrf_token": {ed.csrf("/my")}, "decision": {"approve"}, "ids": {empty.ID}}),
			http.StatusForbidden)
	})
}

func (c *cockpitPortal) status(id string) catalog.Status {
	c.t.Helper()
	r, err := c.catalog.Get(context.Background(), identity.System, id)
	if err != nil {
		c.t.Fatal(err)
	}
	return r.Status
}

func eventCount(t *testing.T, db *store.DB, typ string) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), `SELECT count(*) FROM events WHERE type = $1`, typ).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAdminAccountsAndOrganisations: a sysadmin creates an account (the
// form shows every problem at its field and creates nothing until all is
// right), gives it a membership and ends it from the account's page; an
// operator creates an organisation and its admin edits it; others are
// refused.
func TestAdminAccountsAndOrganisations(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		c := newCockpitPortal(t, db)
		root := c.browser()
		root.login(c.sysRoot)
		token := root.csrf("/admin/users/new")
		form := url.Values{"csrf_token": {token}, "username": {"Bad Name"}, "display_name": {""}, "password": {"short"},
			"password_confirm": {"short"}, "organization_id": {c.org.ID}, "role": {"editor"}}
		pg := root.post("/admin/users", form)
		mustStatus(t, pg, http.StatusUnprocessableEntity)
		mustContain(t, pg, `href="#field-username"`, `href="#field-display_name"`, `href="#field-password"`, `value="Bad Name"`)
		if _, err := c.identity.UserByName(context.Background(), "bad name"); err == nil {
			t.Error("a refused form created an account")
		}
		form.Set("username", "zhang.san")
		form.Set("display_name", "张三")
		form.Set("password", password)
		form.Set("password_confirm", password)
		form["platform_roles"] = []string{"auditor"}
		pg = root.post("/admin/users", form)
		mustStatus(t, pg, http.StatusOK)
		id := userID(t, c.portal, "zhang.san")
		if pg.url != "/admin/users/"+id+"?done=user_created" {
			t.Fatalf("created: ended at %s", pg.url)
		}
		mustContain(t, pg, "用户已创建", "市交通委员会", "审计")
		if roleIn(t, c.portal, "zhang.san") != identity.RoleEditor {
			t.Error("the new account did not join the institution as editor")
		}

		userPath := "/admin/users/" + id
		pg = root.post(userPath+"/memberships", url.Values{"csrf_token": {token}, "role": {"member"}})
		mustStatus(t, pg, http.StatusUnprocessableEntity)
		mustContain(t, pg, `href="#field-organization_id"`)
		pg = root.post(userPath+"/memberships", url.Values{"csrf_token": {token}, "organization_id": {c.second.ID}, "role": {"admin"}})
		mustContain(t, pg, "成员已添加", "市卫生健康委员会")
		pg = root.post(userPath+"/memberships/"+c.org.ID+"/remove", url.Values{"csrf_token": {token}})
		mustContain(t, pg, "成员已移除")
		if roleIn(t, c.portal, "zhang.san") != "" {
			t.Error("the membership was not ended")
		}

		op := c.browser()
		op.login("operator.wang")
		mustStatus(t, op.get("/admin/users/new"), http.StatusForbidden)
		opToken := op.csrf("/admin/organizations/new")
		good := usccOf(t, "12110000000000003")
		bad := good[:17] + map[bool]string{true: "1", false: "2"}[good[17] != '1']
		org := url.Values{"csrf_token": {opToken}, "kind": {"institution"}, "name_zh": {"市水务局"}, "uscc": {bad}, "org_code": {"S!"}}
		pg = op.post("/admin/organizations", org)
		mustStatus(t, pg, http.StatusUnprocessableEntity)
		mustContain(t, pg, `href="#field-uscc"`, `href="#field-org_code"`, "机构代码：", `value="市水务局"`)
		org.Set("uscc", good)
		org.Set("org_code", "SWJ")
		pg = op.post("/admin/organizations", org)
		mustContain(t, pg, "机构已创建", "市水务局")
		orgs, err := c.identity.Organizations(context.Background(), identity.OrgFilter{Q: "市水务局"})
		if err != nil || len(orgs) != 1 {
			t.Fatalf("organisations named 市水务局: %v %v", orgs, err)
		}
		orgID := orgs[0].ID
		pg = root.post(userPath+"/memberships", url.Values{"csrf_token": {token}, "organization_id": {orgID}, "role": {"admin"}})
		mustContain(t, pg, "成员已添加")

		admin := c.browser()
		admin.login("zhang.san")
		edit := "/organizations/" + orgID + "/edit"
		mustContain(t, admin.get(edit), `value="SWJ"`, `value="市水务局"`)
		pg = admin.post(edit, url.Values{"csrf_token": {admin.csrf(edit)}, "kind": {"institution"}, "name_zh": {"市水务局（市节约用水办公室）"},
			"uscc": {good}, "org_code": {"SWJ"}})
		mustContain(t, pg, "机构信息已保存", "市水务局（市节约用水办公室）")

		ed := c.browser()
		ed.login("editor.li")
		mustStatus(t, ed.get(edit), http.StatusForbidden)
		mustStatus(t, ed.post("/admin/organizations", url.Values{"csrf_token": {ed.csrf("/my")}, "kind": {"institution"}, "name_zh": {"x"}}),
			http.StatusForbidden)
	})
}

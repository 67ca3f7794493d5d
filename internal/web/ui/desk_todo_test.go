package ui_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/deid"
	"dataport/internal/identity"
	"dataport/internal/notify"
	"dataport/internal/opening"
	"dataport/internal/review"
	"dataport/internal/sharing"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/services"
	"dataport/internal/web/ui"
)

// editorDesk is a portal with everything the editor's to-do list reads:
// review kinds with notices, open lists and the datastore. Its users are
// an editor and an admin of the transport commission, an editor of the
// health commission (which requests data) and a platform operator.
type editorDesk struct {
	*portal
	ds                       *datastore.Service
	profiles                 *deid.Service
	shares                   *sharing.Service
	editor, operator, health identity.Principal
	healthOrg                identity.Organization
}

func newEditorDesk(t *testing.T, db *store.DB) *editorDesk {
	t.Helper()
	p := &portal{t: t, db: db, identity: identity.NewService(db), catalog: catalog.NewService(db)}
	p.org = p.createInstitution("12110000000000001", "市交通委员会", "Municipal Transport Commission")
	d := &editorDesk{portal: p, healthOrg: p.createInstitution("12110000000000002", "市卫生健康委员会", "Municipal Health Commission")}
	p.createUser("editor.li", identity.UserInput{Memberships: []identity.Membership{{OrganizationID: p.org.ID, Role: identity.RoleEditor}}})
	p.createUser("admin.sun", identity.UserInput{Memberships: []identity.Membership{{OrganizationID: p.org.ID, Role: identity.RoleAdmin}}})
	p.createUser("editor.zhao", identity.UserInput{Memberships: []identity.Membership{{OrganizationID: d.healthOrg.ID, Role: identity.RoleEditor}}})
	p.createUser("operator.wang", identity.UserInput{PlatformRoles: []identity.PlatformRole{identity.PlatformOperator}})
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	acc := access.New(db, p.catalog, access.Config{Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(acc.Close)
	rev := review.NewService(db, review.Config{})
	p.opening = opening.NewService(db, p.catalog, p.identity, acc, opening.Config{Review: rev})
	d.shares = sharing.NewService(db, p.catalog, acc, sharing.Config{Review: rev})
	d.ds = datastore.New(datastore.Config{DB: db, Catalog: p.catalog, Access: acc, Log: log})
	d.profiles = deid.NewService(db, p.catalog)
	h, err := ui.New(ui.Config{Services: services.Services{Identity: p.identity, Catalog: p.catalog, Access: acc, Opening: p.opening,
		Sharing: d.shares, Review: rev, Datastore: d.ds, Notify: notify.NewService(db), Profiles: d.profiles, Log: log}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	p.url = srv.URL
	d.editor, d.operator, d.health = d.principal("editor.li"), d.principal("operator.wang"), d.principal("editor.zhao")
	return d
}

func (d *editorDesk) principal(username string) identity.Principal {
	d.t.Helper()
	pr, err := d.identity.Principal(context.Background(), userID(d.t, d.portal, username))
	if err != nil {
		d.t.Fatal(err)
	}
	return pr
}

// TestEditorToDoList: the editor's workspace lists what waits for the
// institution — a resource returned with the reviewer's reason, a share
// request to decide, a late open-list item, a load held for personal
// information — each linking to where it is handled; the navigation counts
// unread notices, and the notices name the dataset.
func TestEditorToDoList(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		d := newEditorDesk(t, db)
		ctx := context.Background()
		b := d.browser()
		b.login("editor.li")
		pg := b.get("/my")
		mustContain(t, pg, "待办事项", "暂无待办事项。")
		if strings.Contains(pg.body, `id="nav-unread"`) {
			t.Error("an unread count with no notices")
		}

		// Returned by review, with the reason.
		r1, err := d.catalog.Create(ctx, d.editor, d.org.ID, sampleInput("出租车营运里程", "Taxi mileage"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.catalog.Submit(ctx, d.editor, r1.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := d.catalog.Review(ctx, d.operator, r1.ID, catalog.Return, "请补充各数据项的计量单位"); err != nil {
			t.Fatal(err)
		}

		// A share request to decide, on a conditionally shared resource.
		in := sampleInput("地铁刷卡记录", "Metro card records")
		in.ShareType, in.ShareBasis, in.OpenType, in.OpenBasis = catalog.ShareConditional, "按需共享", catalog.OpenNone, "含个人出行信息"
		metro := d.publish(in)
		if _, err := d.shares.Create(ctx, d.health, sharing.RequestInput{ResourceID: metro.ID, RequesterOrgID: d.healthOrg.ID,
			Purpose: "传染病密接人员出行轨迹排查", LegalBasis: "《传染病防治法》第十二条", DurationDays: 30}); err != nil {
			t.Fatal(err)
		}

		// A late item of this year's open list.
		year := time.Now().Year()
		list, err := d.opening.SaveList(ctx, d.editor, d.org.ID, year, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.opening.AddItem(ctx, d.editor, list.ID, opening.ItemInput{TitleZh: "公共停车场泊位", OpenType: catalog.OpenUnconditional,
			PlannedDate: fmt.Sprintf("%d-01-02", year)}); err != nil {
			t.Fatal(err)
		}

		// A load held: phone numbers in a resource not declared personal.
		phones := sampleInput("出租车企业联系人", "Taxi company contacts")
		phones.Items = append(phones.Items, catalog.Item{Name: "phone", LabelZh: "联系电话", Type: catalog.TypeText})
		r2, err := d.catalog.Create(ctx, d.editor, d.org.ID, phones)
		if err != nil {
			t.Fatal(err)
		}
		csv := "线路编号,联系电话\nL1,13812345678\nL2,13912345678\nL3,13712345678\n"
		if _, err := d.ds.Load(ctx, d.editor, r2.ID, datastore.LoadInput{File: strings.NewReader(csv), Name: "c.csv", Size: int64(len(csv))}); err != nil {
			t.Fatal(err)
		}

		pg = b.get("/my")
		mustStatus(t, pg, http.StatusOK)
		mustContain(t, pg,
			`<a href="/resources/`+r1.ID+`/edit">出租车营运里程</a>`, "退回理由：请补充各数据项的计量单位",
			`<a href="/open-lists/`+fmt.Sprint(year)+`/`+d.org.ID+`/edit">公共停车场泊位</a>`,
			`<a href="/resources/`+r2.ID+`/data/versions/1">出租车企业联系人`,
			`<span class="nav-count">3</span>`)
		if !strings.Contains(pg.body, `id="nav-unread">2<`) {
			t.Errorf("no unread count of 2 (the return's and the metro records' publication's notices) in the navigation:\n%s", pg.body)
		}
		pg = b.get("/notifications")
		mustContain(t, pg, "您机构的数据资源被审核退回", "数据资源：出租车营运里程", "已通过审核并发布", "数据资源：地铁刷卡记录")

		// The institution's admin decides share requests: theirs waits too,
		// and its notice is counted and names the dataset.
		a := d.browser()
		a.login("admin.sun")
		pg = a.get("/my")
		mustContain(t, pg, `<a href="/share-requests/`, "地铁刷卡记录", "市卫生健康委员会", `<span class="nav-count">4</span>`)
		if !strings.Contains(pg.body, `id="nav-unread">3<`) {
			t.Errorf("no unread count of 3 (the return's, the publication's and the share request's notices) in the navigation:\n%s", pg.body)
		}
		pg = a.get("/notifications")
		mustContain(t, pg, "收到新的共享申请", "数据资源：地铁刷卡记录")

		// Others see none of it.
		o := d.browser()
		o.login("editor.zhao")
		if pg := o.get("/my"); strings.Contains(pg.body, "出租车营运里程") || strings.Contains(pg.body, "公共停车场泊位") {
			t.Error("another institution's editor sees the to-do list")
		}
	})
}

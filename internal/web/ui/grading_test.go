package ui_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"dataport/internal/classify"
	"dataport/internal/deid"
	"dataport/internal/identity"
	"dataport/internal/web/services"
	"dataport/internal/web/ui"
)

// gradingPortal is a portal whose UI has the grading and de-identification
// services, with the published resource graded from a scan of a table of
// names and mobile numbers (general data, level 2, personal information).
type gradingPortal struct {
	*portal
	grades   *classify.Service
	profiles *deid.Service
}

func newGradingPortal(t *testing.T) *gradingPortal {
	t.Helper()
	p := newPortal(t)
	g := &gradingPortal{portal: p, grades: classify.NewService(p.db, p.catalog, nil, classify.DefaultPolicy), profiles: deid.NewService(p.db, p.catalog)}
	g.grades.SetProfiles(g.profiles)
	p.createUser("admin.zhao", identity.UserInput{Memberships: []identity.Membership{{OrganizationID: p.org.ID, Role: identity.RoleAdmin}}})
	h, err := ui.New(ui.Config{Services: services.Services{Identity: p.identity, Catalog: p.catalog, Grades: g.grades, Profiles: g.profiles,
		Log: slog.New(slog.NewTextHandler(t.Output(), nil))}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	p.url = srv.URL
	s := classify.NewScanner([]string{"姓名", "手机号码"})
	for _, row := range [][]string{{"张伟", "13800138000"}, {"王芳", "13900139000"}, {"李娜", "13700137000"}} {
		s.Add(row)
	}
	gr, err := g.grades.Grade(context.Background(), identity.System, p.published.ID, s.Result(), "test upload")
	if err != nil {
		t.Fatal(err)
	}
	if gr.Level != 2 || !gr.PersonalInfo {
		t.Fatalf("fixture grade: %+v", gr)
	}
	return g
}

func (g *gradingPortal) grading() classify.ResourceGrading {
	g.t.Helper()
	gr, err := g.grades.Get(context.Background(), identity.System, g.published.ID)
	if err != nil {
		g.t.Fatal(err)
	}
	return gr
}

func TestGradingSectionForMembersOnly(t *testing.T) {
	g := newGradingPortal(t)
	path := "/resources/" + g.published.ID
	anon := g.browser().get(path)
	mustStatus(t, anon, http.StatusOK)
	if strings.Contains(anon.body, `id="grading-title"`) || strings.Contains(anon.body, "personal-information") {
		t.Error("an anonymous visitor sees the grading section")
	}
	editor := g.browser()
	editor.login("editor.li")
	pg := editor.get(path)
	mustStatus(t, pg, http.StatusOK)
	mustContain(t, pg, `id="grading-title"`, "分类分级", "一般数据 · 2 级", "personal-information", "CN_MOBILE", "test upload", "/resources/"+g.published.ID+"/deid")
	if strings.Contains(pg.body, "/grading/override") {
		t.Error("an editor is offered the override form")
	}
}

func TestGradingOverride(t *testing.T) {
	g := newGradingPortal(t)
	path := "/resources/" + g.published.ID
	operator := g.browser()
	operator.login("operator.wang")
	token := operator.csrf(path)
	mustContain(t, operator.get(path), "/grading/override")

	pg := operator.post(path+"/grading/override", url.Values{"csrf_token": {token}, "grading_class": {"general"}, "grading_level": {"4"}, "grading_reason": {" "}})
	mustStatus(t, pg, http.StatusUnprocessableEntity)
	mustContain(t, pg, "必须填写理由", `href="#field-grading_reason"`, `id="field-grading_reason-error"`)
	if gr := g.grading(); gr.Level != 2 || gr.Override != nil {
		t.Fatalf("a refused override changed the grade: %+v", gr)
	}

	pg = operator.post(path+"/grading/override", url.Values{"csrf_token": {token}, "grading_class": {"general"}, "grading_level": {"4"}, "grading_reason": {"涉及低收入群体的联系方式"}})
	if !strings.HasSuffix(pg.url, "?done=grading_overridden") {
		t.Fatalf("override ended at %s (%d)", pg.url, pg.status)
	}
	mustContain(t, pg, "一般数据 · 4 级", "人工调整", "涉及低收入群体的联系方式", "operator.wang")
	if gr := g.grading(); gr.Level != 4 || gr.Override == nil {
		t.Fatalf("override not stored: %+v", gr)
	}

	// The institution's admin may make it stricter, never weaker.
	admin := g.browser()
	admin.login("admin.zhao")
	token = admin.csrf(path)
	pg = admin.post(path+"/grading/override", url.Values{"csrf_token": {token}, "grading_class": {"general"}, "grading_level": {"1"}, "grading_reason": {"其实只是线路编号"}})
	mustStatus(t, pg, http.StatusUnprocessableEntity)
	mustContain(t, pg, "单位管理员只能调高分级", `href="#field-grading_level"`, "其实只是线路编号")
	if gr := g.grading(); gr.Level != 4 {
		t.Fatalf("an admin weakened the grade: %+v", gr)
	}
	pg = admin.post(path+"/grading/override", url.Values{"csrf_token": {token}, "grading_class": {"important"}, "grading_level": {"4"}, "grading_reason": {"涉及重要公共设施"}})
	if !strings.HasSuffix(pg.url, "?done=grading_overridden") {
		t.Fatalf("admin override ended at %s (%d)", pg.url, pg.status)
	}
	// An editor is refused outright.
	editor := g.browser()
	editor.login("editor.li")
	mustStatus(t, editor.post(path+"/grading/override", url.Values{"csrf_token": {editor.csrf(path)}, "grading_class": {"core"}, "grading_level": {"4"}, "grading_reason": {"理由写得足够长"}}), http.StatusForbidden)
}

func TestDeidProfilePages(t *testing.T) {
	g := newGradingPortal(t)
	path := "/resources/" + g.published.ID + "/deid"
	if pg := g.browser().get(path); !strings.HasPrefix(pg.url, "/login") {
		t.Fatalf("anonymous deid page ended at %s (%d)", pg.url, pg.status)
	}
	editor := g.browser()
	editor.login("editor.li")
	pg := editor.get(path)
	mustStatus(t, pg, http.StatusOK)
	mustContain(t, pg, "去标识化方案", "还没有去标识化方案", `name="cols.0.op"`, "route_id")
	token := editor.csrf(path)
	count := func() int {
		t.Helper()
		list, err := g.profiles.List(context.Background(), identity.System, g.published.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}

	bad := url.Values{"csrf_token": {token}, "deid_name": {" "}, "deid_k": {"2000"}, "deid_l": {"0"}, "deid_max_suppression": {"0.05"},
		"cols.0.role": {"qi"}, "cols.0.op": {"mask"}, "cols.0.keep_first": {"2"}}
	pg = editor.post(path, bad)
	mustStatus(t, pg, http.StatusUnprocessableEntity)
	mustContain(t, pg, `href="#field-deid_name"`, `href="#field-deid_k"`, `href="#field-cols-0-op"`, "准标识符由系统搜索泛化", `value="2000"`)
	if n := count(); n != 0 {
		t.Fatalf("a refused profile was written: %d profiles", n)
	}
	bad.Set("deid_k", "abc")
	pg = editor.post(path, bad)
	mustStatus(t, pg, http.StatusUnprocessableEntity)
	mustContain(t, pg, "必须是整数", `value="abc"`)

	good := url.Values{"csrf_token": {token}, "deid_name": {"开放下载"}, "deid_paths": {"download", "api"}, "deid_k": {"1"}, "deid_l": {"0"},
		"deid_max_suppression": {"5%"}, "cols.0.role": {""}, "cols.0.op": {"mask"}, "cols.0.keep_first": {"2"}, "cols.0.keep_last": {"0"}}
	pg = editor.post(path, good)
	if !strings.HasSuffix(pg.url, "?done=deid_created") {
		t.Fatalf("create ended at %s (%d)\n%s", pg.url, pg.status, pg.body)
	}
	mustContain(t, pg, "开放下载", "route_id: mask", "最多删除 5%")
	list, err := g.profiles.List(context.Background(), identity.System, g.published.ID)
	if err != nil || len(list) != 1 || list[0].Profile.MaxSuppression != 0.05 || len(list[0].Paths) != 2 {
		t.Fatalf("stored profiles: %+v %v", list, err)
	}
	id := list[0].ID

	pg = editor.post(path+"/preview", url.Values{"csrf_token": {token}, "profile": {id}, "sample": {"route_id\nR001\nR002\n"}})
	mustStatus(t, pg, http.StatusOK)
	mustContain(t, pg, "R0**", "输入 2 行")

	pg = editor.get(path + "?edit=" + id)
	mustContain(t, pg, `name="profile_id" value="`+id+`"`, `value="开放下载"`)
	good.Set("profile_id", id)
	good.Set("cols.0.op", "redact")
	if pg = editor.post(path, good); !strings.HasSuffix(pg.url, "?done=deid_updated") {
		t.Fatalf("update ended at %s (%d)", pg.url, pg.status)
	}
	mustContain(t, pg, "route_id: redact")

	if pg = editor.post(path+"/"+id+"/delete", url.Values{"csrf_token": {token}}); !strings.HasSuffix(pg.url, "?done=deid_deleted") {
		t.Fatalf("delete ended at %s (%d)", pg.url, pg.status)
	}
	if n := count(); n != 0 {
		t.Fatalf("delete left %d profiles", n)
	}
}

package ui_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/engage"
	"dataport/internal/identity"
	"dataport/internal/notify"
	portalsvc "dataport/internal/portal"
	"dataport/internal/review"
	"dataport/internal/web/services"
	"dataport/internal/web/ui"
)

// newDiscoveryPortal is newPortal's store and users served with the portal
// service (data requests, apps, news), a citizen, a company user and a
// second institution with no resources.
func newDiscoveryPortal(t *testing.T) (*portal, *portalsvc.Service) {
	p, svc, _ := newEngagedPortal(t)
	return p, svc
}

// newEngagedPortal is newDiscoveryPortal with view counts (engage).
func newEngagedPortal(t *testing.T) (*portal, *portalsvc.Service, *engage.Service) {
	t.Helper()
	p := newPortal(t)
	person, err := p.identity.CreateOrganization(context.Background(), identity.System, identity.OrgInput{Kind: identity.KindIndividual, NameZh: "林若溪"})
	if err != nil {
		t.Fatal(err)
	}
	p.createUser("citizen.lin", identity.UserInput{Memberships: []identity.Membership{{OrganizationID: person.ID, Role: identity.RoleAdmin}}})
	p.createUser("sysadmin.zhao", identity.UserInput{PlatformRoles: []identity.PlatformRole{identity.PlatformSysadmin}})
	p.publish(catalog.Input{TitleZh: "空气质量小时数据", DescriptionZh: "说明", Subject: "09", UpdateFrequency: catalog.FreqDaily,
		ShareType: catalog.ShareUnconditional, OpenType: catalog.OpenConditional, OpenBasis: "依申请开放", Classification: catalog.ClassGeneral, Level: 1,
		Formats: []string{"CSV"}, Items: []catalog.Item{{Name: "station", LabelZh: "站点", Type: catalog.TypeText, Required: true, Key: true}}})
	rev := review.NewService(p.db, review.Config{})
	svc := portalsvc.New(p.db, p.identity, p.catalog, portalsvc.Config{Review: rev, StatsTTL: -1})
	eng := engage.New(p.db, p.catalog, engage.Config{})
	h, err := ui.New(ui.Config{Services: services.Services{Identity: p.identity, Catalog: p.catalog, Opening: p.opening, Review: rev,
		Notify: notify.NewService(p.db), Portal: svc, Engage: eng, Log: slog.New(slog.NewTextHandler(t.Output(), nil))}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p, svc, eng
}

func TestHomeShowsTopicAndInstitutionTilesWithCountsAndCharts(t *testing.T) {
	p, _, eng := newEngagedPortal(t)
	b := p.browser()
	if strings.Contains(b.get("/").body, "热门数据") {
		t.Error("most viewed shown before any view")
	}
	eng.View(p.published.ID)
	if err := eng.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	pg := b.get("/")
	at := strings.Index(pg.body, "热门数据")
	if at < 0 || !strings.Contains(pg.body[at:], "公交线路站点") {
		t.Error("the viewed resource is not among the most viewed")
	}
	mustStatus(t, pg, http.StatusOK)
	// Two public resources: one of transport (04), one of environment (09), both of the institution.
	mustContain(t, pg, `href="/catalog?subject=04"`, `href="/catalog?subject=09"`, "交通服务", "生态环境",
		`href="/catalog?organization_id=`+p.org.ID+`"`, "2 个数据集", "<svg", `class="chart__bar"`, "各主题数据集数量", "开放方式")
	if strings.Contains(pg.body, `href="/catalog?subject=05"`) {
		t.Error("a topic without resources has a tile")
	}
	tile := regexp.MustCompile(`href="/catalog\?subject=04"[^>]*>.*?<span class="tile__count">([^<]+)</span>`).FindStringSubmatch(pg.body)
	if tile == nil || tile[1] != "1 个数据集" {
		t.Errorf("transport tile = %v", tile)
	}
	list := b.get("/catalog?subject=04")
	mustContain(t, list, "公交线路站点")
	if strings.Contains(list.body, "空气质量小时数据") {
		t.Error("the transport tile's list holds an environment resource")
	}
	if strings.Contains(pg.body, " style=") || strings.Contains(pg.body, "<script") {
		t.Error("the home page has inline styles or scripts the CSP forbids")
	}
	en := b.get("/lang?to=en&next=/")
	mustContain(t, en, "Browse by topic", "Transport", "Datasets by topic")
}

func TestDataRequestJourney(t *testing.T) {
	p, _ := newDiscoveryPortal(t)
	anon := p.browser()
	if pg := anon.get("/data-requests/new"); !strings.HasPrefix(pg.url, "/login") {
		t.Fatalf("anonymous request form: %d at %s", pg.status, pg.url)
	}
	citizen := p.browser()
	citizen.login("citizen.lin")
	token := citizen.csrf("/data-requests/new")
	bad := citizen.post("/data-requests", url.Values{"csrf_token": {token}, "title": {""}, "need_description": {"全市公交车辆实时位置"},
		"purpose": {"出行应用"}, "holder_org": {"no-such-org"}})
	mustStatus(t, bad, http.StatusUnprocessableEntity)
	mustContain(t, bad, "标题：", "数据提供单位：", `id="field-holder_org"`, "全市公交车辆实时位置")
	if pg := citizen.post("/data-requests", url.Values{"title": {"x"}, "need_description": {"y"}, "purpose": {"z"}}); pg.status != http.StatusForbidden {
		t.Errorf("a request without its CSRF token: %d", pg.status)
	}
	pg := citizen.post("/data-requests", url.Values{"csrf_token": {token}, "title": {"公交车辆实时位置数据"}, "need_description": {"全市公交车辆实时位置"},
		"purpose": {"开发候车提醒应用"}, "holder_org": {p.org.ID}})
	mustStatus(t, pg, http.StatusOK)
	mustContain(t, pg, "数据需求已提交", "公交车辆实时位置数据", "待答复", "（我提出的）")
	reqPath := strings.SplitN(pg.url, "?", 2)[0]
	if strings.Contains(pg.body, `action="`+reqPath+`/answer"`) {
		t.Error("the requester is offered the answer form")
	}

	editor := p.browser()
	editor.login("editor.li")
	form := editor.get(reqPath)
	mustContain(t, form, `action="`+reqPath+`/answer"`, p.published.Code)
	token = editor.csrf(reqPath)
	bad = editor.post(reqPath+"/answer", url.Values{"csrf_token": {token}, "answer_outcome": {"opened"}, "answer_text": {""}})
	mustStatus(t, bad, http.StatusUnprocessableEntity)
	mustContain(t, bad, "答复内容：", "已开放的数据资源：")
	pg = editor.post(reqPath+"/answer", url.Values{"csrf_token": {token}, "answer_outcome": {"opened"}, "answer_text": {"已在目录中无条件开放"},
		"answer_resource": {p.published.ID}})
	mustStatus(t, pg, http.StatusOK)
	mustContain(t, pg, "答复已公开", "已开放", "已在目录中无条件开放", "/resources/"+p.published.ID)

	public := anon.get("/data-requests?status=answered")
	mustContain(t, public, "公交车辆实时位置数据", "已在目录中无条件开放")
	if strings.Contains(public.body, "citizen.lin") || strings.Contains(anon.get(reqPath).body, "citizen.lin") {
		t.Error("the public pages name the requester")
	}
	if strings.Contains(anon.get("/data-requests?status=pending").body, "公交车辆实时位置数据") {
		t.Error("an answered request is listed as pending")
	}
	mustContain(t, citizen.get("/notifications"), "您提出的数据需求已答复")
}

func TestDataRequestWithoutInstitutionIsRoutedByTheOperator(t *testing.T) {
	p, _ := newDiscoveryPortal(t)
	citizen := p.browser()
	citizen.login("citizen.lin")
	pg := citizen.post("/data-requests", url.Values{"csrf_token": {citizen.csrf("/data-requests/new")}, "title": {"共享单车停放点"},
		"need_description": {"各区共享单车电子围栏"}, "purpose": {"研究"}})
	mustStatus(t, pg, http.StatusOK)
	reqPath := strings.SplitN(pg.url, "?", 2)[0]
	editor := p.browser()
	editor.login("editor.li")
	if strings.Contains(editor.get(reqPath).body, `/answer"`) {
		t.Error("an institution may answer a request not routed to it")
	}
	op := p.browser()
	op.login("operator.wang")
	mustContain(t, op.get("/notifications"), "收到未指定单位的数据需求")
	pg = op.post(reqPath+"/route", url.Values{"csrf_token": {op.csrf(reqPath)}, "route_org": {p.org.ID}})
	mustContain(t, pg, "数据需求已分派", "市交通委员会")
	mustContain(t, editor.get(reqPath), `action="`+reqPath+`/answer"`)
}

func TestAppIsSubmittedReviewedAndShown(t *testing.T) {
	p, _ := newDiscoveryPortal(t)
	citizen := p.browser()
	citizen.login("citizen.lin")
	token := citizen.csrf("/apps/new?resource=" + p.published.ID)
	form := citizen.get("/apps/new?resource=" + p.published.ID)
	mustContain(t, form, p.published.Code)
	bad := citizen.post("/apps", url.Values{"csrf_token": {token}, "app_name": {"京华公交通"}, "app_description": {"公交到站查询"},
		"app_url": {"ftp://x"}, "app_resources": {"NO-SUCH-CODE"}})
	mustStatus(t, bad, http.StatusUnprocessableEntity)
	mustContain(t, bad, "应用地址：", "使用的数据资源：", "京华公交通")
	pg := citizen.post("/apps", url.Values{"csrf_token": {token}, "app_name": {"京华公交通"}, "app_description": {"公交到站查询"},
		"app_url": {"https://bus.example.cn"}, "app_resources": {p.published.Code}})
	mustStatus(t, pg, http.StatusOK)
	mustContain(t, pg, "应用成果已提交", "待平台审核", "公交线路站点")
	appPath := strings.SplitN(pg.url, "?", 2)[0]

	anon := p.browser()
	mustStatus(t, anon.get(appPath), http.StatusNotFound)
	if strings.Contains(anon.get("/apps").body, "京华公交通") {
		t.Error("an app under review is listed")
	}
	op := p.browser()
	op.login("operator.wang")
	mustContain(t, op.get("/waiting"), appPath, "应用成果")
	token = op.csrf(appPath)
	bad = op.post(appPath+"/review", url.Values{"csrf_token": {token}, "decision": {"reject"}})
	mustStatus(t, bad, http.StatusUnprocessableEntity)
	pg = op.post(appPath+"/review", url.Values{"csrf_token": {token}, "decision": {"approve"}, "comment": {"符合要求"}})
	mustContain(t, pg, "审核意见已记录")
	mustContain(t, anon.get("/apps"), "京华公交通", appPath)
	mustContain(t, anon.get(appPath), "京华公交通", "https://bus.example.cn", "公交线路站点")
	mustContain(t, anon.get("/"), "京华公交通")
	mustContain(t, citizen.get("/notifications"), "已通过审核")
}

func TestNewsArePublishedByStaffAndListedForEveryone(t *testing.T) {
	p, _ := newDiscoveryPortal(t)
	editor := p.browser()
	editor.login("editor.li")
	mustStatus(t, editor.get("/news/new"), http.StatusForbidden)
	op := p.browser()
	op.login("operator.wang")
	token := op.csrf("/news/new")
	bad := op.post("/news", url.Values{"csrf_token": {token}, "news_kind": {"notice"}, "news_title": {""}, "news_body": {"正文"}})
	mustStatus(t, bad, http.StatusUnprocessableEntity)
	mustContain(t, bad, "标题：")
	pg := op.post("/news", url.Values{"csrf_token": {token}, "news_kind": {"notice"}, "news_title": {"关于春节期间平台服务安排的通知"},
		"news_body": {"第一段。\r\n\r\n第二段。"}})
	mustStatus(t, pg, http.StatusOK)
	mustContain(t, pg, "已发布", "<p class=\"prose\">第一段。</p>", "<p class=\"prose\">第二段。</p>")
	itemPath := strings.SplitN(pg.url, "?", 2)[0]
	anon := p.browser()
	mustContain(t, anon.get("/news?kind=notice"), "关于春节期间平台服务安排的通知")
	if strings.Contains(anon.get("/news?kind=news").body, "关于春节期间平台服务安排的通知") {
		t.Error("a notice is listed under news")
	}
	mustContain(t, anon.get("/"), "关于春节期间平台服务安排的通知")
	if strings.Contains(anon.get(itemPath).body, "/withdraw") {
		t.Error("a visitor is offered the withdraw button")
	}
	op.post(itemPath+"/withdraw", url.Values{"csrf_token": {op.csrf(itemPath)}})
	mustStatus(t, anon.get(itemPath), http.StatusNotFound)
}

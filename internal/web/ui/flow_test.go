package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"dataport/internal/identity"
)

// bikeForm is a valid resource form with two items and one blank row.
func bikeForm(token, orgID string) url.Values {
	return url.Values{
		"csrf_token": {token}, "organization_id": {orgID},
		"title_zh": {"共享单车停放点"}, "title_en": {"Bike parking spots"},
		"description_zh": {"全市共享单车电子围栏停放点位。"}, "description_en": {""},
		"subject": {"04"}, "industry": {"G"}, "keywords": {"单车、停放，围栏"},
		"formats": {"CSV", "JSON"}, "update_frequency": {"daily"},
		"share_type": {"unconditional"}, "share_basis": {""}, "open_type": {"unconditional"}, "open_basis": {""},
		"classification": {"general"}, "level": {"1"}, "source_system": {"停放管理系统"},
		"contact_name": {"李工"}, "contact_phone": {"010-12345678"}, "contact_email": {"bike@example.gov.cn"},
		"items.0.name": {"spot_id"}, "items.0.label_zh": {"点位编号"}, "items.0.type": {"text"},
		"items.0.length": {"20"}, "items.0.required": {"on"}, "items.0.key": {"on"},
		"items.1.name": {"district"}, "items.1.label_zh": {"所在区"}, "items.1.type": {"code"},
		"items.1.code_list": {"110101=东城区; 110102=西城区"},
		"items.2.name":      {""}, "items.2.label_zh": {""}, "items.2.type": {"text"},
	}
}

var resourcePath = regexp.MustCompile(`^/resources/([0-9a-f-]{36})\?done=(\w+)$`)

func TestLoginWrongPasswordKeepsUsername(t *testing.T) {
	p := newPortal(t)
	b := p.browser()
	pg := b.post("/login", url.Values{"csrf_token": {b.csrf("/login")}, "username": {"editor.li"}, "password": {"wrong password"}})
	mustStatus(t, pg, http.StatusUnauthorized)
	mustContain(t, pg, `value="editor.li"`, "用户名或密码错误", `href="#field-password"`)
	if b.get("/my").url != "/login?next=%2Fmy" {
		t.Error("a failed sign-in left the browser signed in")
	}
}

func TestLoginThrottled(t *testing.T) {
	p := newPortal(t)
	b := p.browser()
	token := b.csrf("/login")
	var pg page
	for range 6 {
		pg = b.post("/login", url.Values{"csrf_token": {token}, "username": {"editor.li"}, "password": {"wrong password"}})
	}
	mustStatus(t, pg, http.StatusTooManyRequests)
	mustContain(t, pg, "登录失败次数过多")
}

func TestAnonymousIsSentToSignIn(t *testing.T) {
	p := newPortal(t)
	b := p.browser()
	for path, want := range map[string]string{
		"/my":               "/login?next=%2Fmy",
		"/review":           "/login?next=%2Freview",
		"/account":          "/login?next=%2Faccount",
		"/my/resources/new": "/login?next=%2Fmy%2Fresources%2Fnew",
	} {
		if pg := b.get(path); pg.url != want || pg.status != http.StatusOK {
			t.Errorf("GET %s ended at %s (%d), want %s", path, pg.url, pg.status, want)
		}
	}
	b.login("editor.li") // the sign-in form returns to the page asked for
	pg := b.post("/login", url.Values{"csrf_token": {b.csrf("/login")}, "username": {"editor.li"}, "password": {password}, "next": {"/review"}})
	mustStatus(t, pg, http.StatusForbidden)
}

func TestReviewQueueOnlyForReviewers(t *testing.T) {
	p := newPortal(t)
	editor := p.browser()
	editor.login("editor.li")
	pg := editor.get("/review")
	mustStatus(t, pg, http.StatusForbidden)
	mustContain(t, pg, "没有权限")
	if strings.Contains(editor.get("/my").body, `href="/review"`) {
		t.Error("editor's navigation links the review queue")
	}
	operator := p.browser()
	operator.login("operator.wang")
	mustStatus(t, operator.get("/review"), http.StatusOK)
}

func TestFormsWithoutCSRFTokenAreRefused(t *testing.T) {
	p := newPortal(t)
	b := p.browser()
	b.login("editor.li")
	before := p.resourceCount()
	for name, token := range map[string]string{"missing": "", "wrong": strings.Repeat("x", 43)} {
		pg := b.post("/my/resources", bikeForm(token, p.org.ID))
		mustStatus(t, pg, http.StatusForbidden)
		mustContain(t, pg, "表单已失效")
		if got := p.resourceCount(); got != before {
			t.Errorf("%s token: %d resources, want %d", name, got, before)
		}
	}
	anon := p.browser()
	anon.get("/login")
	mustStatus(t, anon.post("/login", url.Values{"username": {"editor.li"}, "password": {password}}), http.StatusForbidden)
}

func TestCrossOriginPostIsRefused(t *testing.T) {
	p := newPortal(t)
	b := p.browser()
	b.login("editor.li")
	before := p.resourceCount()
	req, err := http.NewRequest(http.MethodPost, p.url+"/my/resources", strings.NewReader(bikeForm(b.csrf("/my/resources/new"), p.org.ID).Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	pg := b.read(b.client.Do(req))
	mustStatus(t, pg, http.StatusForbidden)
	if p.resourceCount() != before {
		t.Error("a cross-site form created a resource")
	}
}

// TestResourceLifecycleThroughForms walks a resource from an invalid first
// attempt to publication, the way a browser would.
func TestResourceLifecycleThroughForms(t *testing.T) {
	p := newPortal(t)
	editor := p.browser()
	editor.login("editor.li")
	before := p.resourceCount()

	form := editor.get("/my/resources/new?organization_id=" + p.org.ID)
	mustStatus(t, form, http.StatusOK)
	mustContain(t, form, `name="items.2.name"`, `name="title_zh"`, `<label class="field__label" for="field-title_zh">`)
	token := csrfField.FindStringSubmatch(form.body)[1]

	bad := bikeForm(token, p.org.ID)
	bad.Set("title_zh", "")
	bad.Set("items.1.name", "spot_id")
	pg := editor.post("/my/resources", bad)
	mustStatus(t, pg, http.StatusUnprocessableEntity)
	mustContain(t, pg,
		"Bike parking spots", "全市共享单车电子围栏停放点位。", "110101=东城区; 110102=西城区", "李工", `value="单车、停放，围栏"`,
		`value="CSV" id="field-formats" checked`, `value="G" selected`,
		`href="#field-title_zh"`, "资源名称（中文）：不能为空",
		`href="#field-items-1-name"`, "与第 1 行的字段名重复", `id="field-items-1-name-error"`)
	if got := p.resourceCount(); got != before {
		t.Fatalf("invalid form changed the store: %d resources, want %d", got, before)
	}

	pg = editor.post("/my/resources", bikeForm(token, p.org.ID))
	mustStatus(t, pg, http.StatusOK)
	m := resourcePath.FindStringSubmatch(pg.url)
	if m == nil || m[2] != "created" {
		t.Fatalf("create ended at %s", pg.url)
	}
	id := m[1]
	mustContain(t, pg, "数据资源草稿已创建", "草稿", "东城区", "所在区", `action="/resources/`+id+`/submit"`)
	res, err := p.catalog.Get(context.Background(), identity.System, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 2 || len(res.Keywords) != 3 || res.Items[1].CodeList[1].Label != "西城区" || !res.Items[0].Key {
		t.Errorf("stored resource = %+v", res.Input)
	}
	if strings.Contains(p.browser().get("/catalog").body, "共享单车停放点") {
		t.Error("the draft is in the public catalog")
	}

	pg = editor.post("/resources/"+id+"/submit", url.Values{"csrf_token": {token}})
	if !strings.HasSuffix(pg.url, "?done=submitted") {
		t.Fatalf("submit ended at %s (%d)", pg.url, pg.status)
	}

	operator := p.browser()
	operator.login("operator.wang")
	queue := operator.get("/review")
	mustContain(t, queue, "共享单车停放点", "/resources/"+id)
	pg = operator.post("/resources/"+id+"/review", url.Values{"csrf_token": {operator.csrf("/resources/" + id)}, "decision": {"approve"}})
	if !strings.HasSuffix(pg.url, "?done=published") {
		t.Fatalf("approve ended at %s (%d)", pg.url, pg.status)
	}

	catalogPage := p.browser().get("/catalog")
	mustContain(t, catalogPage, "共享单车停放点", "/resources/"+id)
	mustContain(t, editor.get("/resources/"+id), "editor.li", "operator.wang", "初次编目（全部字段）")
	if public := p.browser().get("/resources/" + id); strings.Contains(public.body, "editor.li") {
		t.Error("anonymous visitors see the usernames of the staff in the history")
	}
}

func TestReturnAndEdit(t *testing.T) {
	p := newPortal(t)
	ctx := context.Background()
	res, err := p.catalog.Create(ctx, identity.System, p.org.ID, sampleInput("地铁客流", "Metro ridership"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.catalog.Submit(ctx, identity.System, res.ID); err != nil {
		t.Fatal(err)
	}
	operator := p.browser()
	operator.login("operator.wang")
	token := operator.csrf("/resources/" + res.ID)
	pg := operator.post("/resources/"+res.ID+"/review", url.Values{"csrf_token": {token}, "decision": {"return"}})
	mustStatus(t, pg, http.StatusUnprocessableEntity)
	mustContain(t, pg, "退回时必须填写意见", `href="#field-comment"`, `value="return" id="field-decision-return" checked`)
	pg = operator.post("/resources/"+res.ID+"/review", url.Values{"csrf_token": {token}, "decision": {"return"}, "comment": {"请补充英文摘要"}})
	if !strings.HasSuffix(pg.url, "?done=returned") {
		t.Fatalf("return ended at %s (%d)", pg.url, pg.status)
	}

	editor := p.browser()
	editor.login("editor.li")
	page := editor.get("/resources/" + res.ID)
	mustContain(t, page, "请补充英文摘要", `href="/resources/`+res.ID+`/edit"`)
	form := editor.get("/resources/" + res.ID + "/edit")
	mustStatus(t, form, http.StatusOK)
	mustContain(t, form, `value="地铁客流"`, `value="route_id"`, `name="items.3.name"`)
	if strings.Contains(form.body, `name="items.4.name"`) {
		t.Error("edit form offers more than one filled and three blank rows")
	}

	values := url.Values{"csrf_token": {csrfField.FindStringSubmatch(form.body)[1]}}
	for _, m := range regexp.MustCompile(`name="([^"]+)"(?: type="text")? value="([^"]*)"`).FindAllStringSubmatch(form.body, -1) {
		if m[1] != "csrf_token" {
			values.Set(m[1], m[2])
		}
	}
	for k, v := range map[string]string{"description_zh": "地铁客流的说明", "description_en": "Daily ridership by station.", "update_frequency": "daily",
		"share_type": "unconditional", "open_type": "unconditional", "classification": "general", "level": "1",
		"items.0.type": "text", "action": "add_rows"} {
		values.Set(k, v)
	}
	more := editor.post("/resources/"+res.ID+"/edit", values)
	mustStatus(t, more, http.StatusOK)
	mustContain(t, more, `name="items.6.name"`, "Daily ridership by station.")

	values.Del("action")
	pg = editor.post("/resources/"+res.ID+"/edit", values)
	if !strings.HasSuffix(pg.url, "?done=updated") {
		t.Fatalf("edit ended at %s (%d)\n%s", pg.url, pg.status, pg.body)
	}
	got, err := p.catalog.Get(ctx, identity.System, res.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.DescriptionEn != "Daily ridership by station." || got.Subject != "04" || len(got.Items) != 1 {
		t.Errorf("after edit: %+v", got.Input)
	}
}

func TestRetire(t *testing.T) {
	p := newPortal(t)
	operator := p.browser()
	operator.login("operator.wang")
	path := "/resources/" + p.published.ID
	token := operator.csrf(path)
	pg := operator.post(path+"/retire", url.Values{"csrf_token": {token}, "reason": {" "}})
	mustStatus(t, pg, http.StatusUnprocessableEntity)
	mustContain(t, pg, "必须说明下线原因", `href="#field-reason"`)
	pg = operator.post(path+"/retire", url.Values{"csrf_token": {token}, "reason": {"数据已停止更新"}})
	if !strings.HasSuffix(pg.url, "?done=retired") {
		t.Fatalf("retire ended at %s (%d)", pg.url, pg.status)
	}
	mustContain(t, pg, "已下线", "数据已停止更新")
	editor := p.browser()
	editor.login("editor.li")
	mustStatus(t, editor.post(path+"/retire", url.Values{"csrf_token": {editor.csrf(path)}, "reason": {"x"}}), http.StatusForbidden)
}

func TestAccountTokens(t *testing.T) {
	p := newPortal(t)
	b := p.browser()
	b.login("editor.li")
	token := b.csrf("/account")
	bad := b.post("/account/tokens", url.Values{"csrf_token": {token}, "name": {"harvester"}, "expires_in_days": {"abc"}})
	mustStatus(t, bad, http.StatusUnprocessableEntity)
	mustContain(t, bad, "必须是整数", `value="harvester"`)

	pg := b.post("/account/tokens", url.Values{"csrf_token": {token}, "name": {"harvester"}, "expires_in_days": {"30"}})
	mustStatus(t, pg, http.StatusOK)
	secret := regexp.MustCompile(`dp_[a-z0-9]{20,}`).FindString(pg.body)
	if secret == "" {
		t.Fatal("the new token's secret is not shown")
	}
	if pg.header.Get("Cache-Control") != "no-store" {
		t.Errorf("secret page Cache-Control = %q", pg.header.Get("Cache-Control"))
	}
	if _, err := p.identity.TokenPrincipal(context.Background(), secret); err != nil {
		t.Fatalf("shown secret does not work: %v", err)
	}
	again := b.get("/account")
	if strings.Contains(again.body, secret) {
		t.Error("the secret is shown a second time")
	}
	revoke := regexp.MustCompile(`action="(/account/tokens/[^"]+/revoke)"`).FindStringSubmatch(again.body)
	if revoke == nil {
		t.Fatal("no revoke form")
	}
	pg = b.post(revoke[1], url.Values{"csrf_token": {token}})
	mustContain(t, pg, "令牌已吊销", "已吊销")
	if _, err := p.identity.TokenPrincipal(context.Background(), secret); err == nil {
		t.Error("revoked token still works")
	}
}

func TestLogout(t *testing.T) {
	p := newPortal(t)
	b := p.browser()
	b.login("editor.li")
	pg := b.post("/logout", url.Values{"csrf_token": {b.csrf("/my")}})
	mustContain(t, pg, "您已退出登录")
	if b.get("/my").url != "/login?next=%2Fmy" {
		t.Error("still signed in after signing out")
	}
}

func TestMyWorkListsDrafts(t *testing.T) {
	p := newPortal(t)
	if _, err := p.catalog.Create(context.Background(), identity.System, p.org.ID, sampleInput("内部草稿", "")); err != nil {
		t.Fatal(err)
	}
	b := p.browser()
	b.login("editor.li")
	pg := b.get("/my")
	mustContain(t, pg, "市交通委员会", "内部草稿", "公交线路站点", "草稿", "/my/resources/new?organization_id="+p.org.ID)
	mustContain(t, b.get("/organizations/"+p.org.ID), "内部草稿")
	if strings.Contains(p.browser().get("/organizations/"+p.org.ID).body, "内部草稿") {
		t.Error("anonymous visitor sees the institution's draft")
	}
}

func TestOversizedFormIsRefused(t *testing.T) {
	p := newPortal(t)
	b := p.browser()
	token := b.csrf("/login")
	pg := b.post("/login", url.Values{"csrf_token": {token}, "username": {strings.Repeat("a", 2<<20)}, "password": {"x"}})
	mustStatus(t, pg, http.StatusRequestEntityTooLarge)
	mustContain(t, pg, "1 MiB")
}

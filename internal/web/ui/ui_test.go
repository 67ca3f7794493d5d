package ui_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/opening"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/services"
	"dataport/internal/web/ui"
)

// password is every test user's password.
const password = "correct horse battery"

// portal is a running UI on a fresh store with one institution, an editor
// of it, a platform operator, and one published resource.
type portal struct {
	t         *testing.T
	db        *store.DB
	url       string
	identity  *identity.Service
	catalog   *catalog.Service
	opening   *opening.Service
	org       identity.Organization
	published catalog.Resource
}

func newPortal(t *testing.T) *portal {
	t.Helper()
	db := storetest.Open(t, store.SQLite)
	p := &portal{t: t, db: db, identity: identity.NewService(db), catalog: catalog.NewService(db)}
	p.org = p.createInstitution("12110000000000001", "市交通委员会", "Municipal Transport Commission")
	p.createUser("editor.li", identity.UserInput{Memberships: []identity.Membership{{OrganizationID: p.org.ID, Role: identity.RoleEditor}}})
	p.createUser("operator.wang", identity.UserInput{PlatformRoles: []identity.PlatformRole{identity.PlatformOperator}})
	p.published = p.publish(sampleInput("公交线路站点", "Bus routes and stops"))
	acc := access.New(db, p.catalog, access.Config{Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(acc.Close)
	p.opening = opening.NewService(db, p.catalog, p.identity, acc, opening.Config{})
	h, err := ui.New(ui.Config{Services: services.Services{Identity: p.identity, Catalog: p.catalog, Access: acc, Opening: p.opening,
		Log: slog.New(slog.NewTextHandler(t.Output(), nil))}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

func (p *portal) createInstitution(first17, nameZh, nameEn string) identity.Organization {
	p.t.Helper()
	check, err := identity.USCCCheckChar(first17)
	if err != nil {
		p.t.Fatal(err)
	}
	org, err := p.identity.CreateOrganization(context.Background(), identity.System, identity.OrgInput{
		Kind: identity.KindInstitution, NameZh: nameZh, NameEn: nameEn, USCC: first17 + string(check)})
	if err != nil {
		p.t.Fatal(err)
	}
	return org
}

func (p *portal) createUser(username string, in identity.UserInput) {
	p.t.Helper()
	in.Username, in.DisplayName, in.Password = username, username, password
	if _, err := p.identity.CreateUser(context.Background(), identity.System, in); err != nil {
		p.t.Fatal(err)
	}
}

// publish creates, submits and approves a resource of the portal's institution.
func (p *portal) publish(in catalog.Input) catalog.Resource {
	p.t.Helper()
	ctx := context.Background()
	r, err := p.catalog.Create(ctx, identity.System, p.org.ID, in)
	if err != nil {
		p.t.Fatal(err)
	}
	if _, err := p.catalog.Submit(ctx, identity.System, r.ID); err != nil {
		p.t.Fatal(err)
	}
	if r, err = p.catalog.Review(ctx, identity.System, r.ID, catalog.Approve, ""); err != nil {
		p.t.Fatal(err)
	}
	return r
}

// resourceCount counts every resource in the store.
func (p *portal) resourceCount() int {
	p.t.Helper()
	page, err := p.catalog.List(context.Background(), identity.System, catalog.Filter{Limit: 200})
	if err != nil {
		p.t.Fatal(err)
	}
	return len(page.Items)
}

func sampleInput(titleZh, titleEn string) catalog.Input {
	return catalog.Input{TitleZh: titleZh, TitleEn: titleEn, DescriptionZh: titleZh + "的说明", Subject: "04",
		UpdateFrequency: catalog.FreqDaily, ShareType: catalog.ShareUnconditional, OpenType: catalog.OpenUnconditional,
		Classification: catalog.ClassGeneral, Level: 1, Formats: []string{"CSV"},
		Items: []catalog.Item{{Name: "route_id", LabelZh: "线路编号", Type: catalog.TypeText, Required: true, Key: true}}}
}

// browser is a user agent with its own cookies.
type browser struct {
	t      *testing.T
	base   string
	client *http.Client
}

func (p *portal) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		p.t.Fatal(err)
	}
	return &browser{t: p.t, base: p.url, client: &http.Client{Jar: jar}}
}

// page is a response read in full.
type page struct {
	status int
	url    string // where the browser ended up after redirects
	header http.Header
	body   string
}

func (b *browser) read(resp *http.Response, err error) page {
	b.t.Helper()
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return page{status: resp.StatusCode, url: resp.Request.URL.RequestURI(), header: resp.Header, body: string(body)}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	return b.read(b.client.Get(b.base + path))
}

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	return b.read(b.client.PostForm(b.base+path, form))
}

// noRedirects returns the response itself rather than following a redirect.
func (b *browser) noRedirects() *browser {
	c := *b.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: b.t, base: b.base, client: &c}
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf returns the CSRF token of the forms on the page at path.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	pg := b.get(path)
	m := csrfField.FindStringSubmatch(pg.body)
	if m == nil {
		b.t.Fatalf("GET %s (%d): no csrf_token field", path, pg.status)
	}
	return m[1]
}

// login signs in through the form and fails the test if it does not work.
func (b *browser) login(username string) {
	b.t.Helper()
	pg := b.post("/login", url.Values{"csrf_token": {b.csrf("/login")}, "username": {username}, "password": {password}})
	if pg.status != http.StatusOK || pg.url != "/my" {
		b.t.Fatalf("login %s: status %d at %s", username, pg.status, pg.url)
	}
}

func mustContain(t *testing.T, pg page, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(pg.body, want) {
			t.Errorf("page %s (status %d) lacks %q", pg.url, pg.status, want)
		}
	}
}

func mustStatus(t *testing.T, pg page, want int) {
	t.Helper()
	if pg.status != want {
		t.Fatalf("%s: status %d, want %d\n%s", pg.url, pg.status, want, pg.body)
	}
}

func TestAnonymousPortal(t *testing.T) {
	p := newPortal(t)
	b := p.browser()
	for _, path := range []string{"/", "/catalog", "/catalog?subject=04&open_type=unconditional", "/organizations/" + p.org.ID} {
		pg := b.get(path)
		mustStatus(t, pg, http.StatusOK)
		mustContain(t, pg, `<html lang="zh-CN">`, "公交线路站点", "市交通委员会")
	}
	mustContain(t, b.get("/organizations?kind=institution"), "公共机构", "市交通委员会", "/organizations/"+p.org.ID)
	pg := b.get("/resources/" + p.published.ID)
	mustStatus(t, pg, http.StatusOK)
	mustContain(t, pg, p.published.Code, "route_id", "线路编号", "无条件开放", "交通服务", "审核通过并发布")
	if strings.Contains(pg.body, `action="/resources/`+p.published.ID+`/retire"`) {
		t.Error("anonymous visitor is offered the retire form")
	}
	if strings.Contains(b.get("/catalog?q=不存在的资源").body, "公交线路站点") {
		t.Error("catalog search for another title still lists the resource")
	}
}

func TestHiddenAndUnknownPagesAre404(t *testing.T) {
	p := newPortal(t)
	draft, err := p.catalog.Create(context.Background(), identity.System, p.org.ID, sampleInput("内部草稿", ""))
	if err != nil {
		t.Fatal(err)
	}
	b := p.browser()
	for _, path := range []string{"/resources/" + draft.ID, "/resources/no-such-id", "/organizations/nope", "/nowhere"} {
		pg := b.get(path)
		mustStatus(t, pg, http.StatusNotFound)
		mustContain(t, pg, "页面不存在")
		if strings.Contains(pg.body, "内部草稿") {
			t.Errorf("%s shows the hidden draft", path)
		}
	}
}

func TestSecurityHeadersAndAssets(t *testing.T) {
	p := newPortal(t)
	b := p.browser()
	pg := b.get("/")
	for header, want := range map[string]string{
		"Content-Security-Policy": "default-src 'self'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
	} {
		if got := pg.header.Get(header); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want it to contain %q", header, got, want)
		}
	}
	for _, directive := range []string{"frame-ancestors 'none'", "form-action 'self'", "style-src 'self'"} {
		if !strings.Contains(pg.header.Get("Content-Security-Policy"), directive) {
			t.Errorf("CSP lacks %s", directive)
		}
	}
	css := regexp.MustCompile(`href="(/static/app\.[0-9a-f]+\.css)"`).FindStringSubmatch(pg.body)
	if css == nil {
		t.Fatal("page links no hashed stylesheet")
	}
	asset := b.get(css[1])
	mustStatus(t, asset, http.StatusOK)
	if cc := asset.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("stylesheet Cache-Control = %q", cc)
	}
	if strings.Contains(pg.body, "<script") || strings.Contains(pg.body, "style=") {
		t.Error("page has a script or an inline style")
	}
}

func TestLanguageSwitch(t *testing.T) {
	p := newPortal(t)
	b := p.browser()
	pg := b.get("/lang?to=en&next=" + url.QueryEscape("/catalog?subject=04"))
	mustStatus(t, pg, http.StatusOK)
	if pg.url != "/catalog?subject=04" {
		t.Errorf("switch landed on %s", pg.url)
	}
	mustContain(t, pg, `<html lang="en">`, "Data catalog", "Bus routes and stops", "Municipal Transport Commission", "Open to all", "Transport")
	later := b.get("/resources/" + p.published.ID)
	mustContain(t, later, `<html lang="en">`, "Update frequency", "Daily", "General data", "Approved and published")
	u, _ := url.Parse(p.url)
	var lang string
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == "lang" {
			lang = c.Value
		}
	}
	if lang != "en" {
		t.Errorf("lang cookie = %q, want en", lang)
	}
	back := b.get("/lang?to=zh&next=/")
	mustContain(t, back, `<html lang="zh-CN">`, "数据目录")
}

func TestLanguageSwitchRefusesOpenRedirects(t *testing.T) {
	p := newPortal(t)
	b := p.browser().noRedirects()
	for _, test := range []struct{ next, want string }{
		{"https://evil.example", "/"},
		{"//evil.example/x", "/"},
		{`/\evil.example`, "/"},
		{"javascript:alert(1)", "/"},
		{"", "/"},
		{"/catalog?q=bus", "/catalog?q=bus"},
	} {
		t.Run(test.next, func(t *testing.T) {
			resp, err := b.client.Get(p.url + "/lang?to=en&next=" + url.QueryEscape(test.next))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != test.want {
				t.Errorf("status %d, Location %q; want 303 to %q", resp.StatusCode, resp.Header.Get("Location"), test.want)
			}
		})
	}
}

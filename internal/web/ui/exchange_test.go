package ui_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/datastore"
	"dataport/internal/deid"
	"dataport/internal/exchange"
	registry "dataport/internal/exchange/asset"
	"dataport/internal/exchange/exchangetest"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/services"
	"dataport/internal/web/ui"
)

// exWorld is the UI on the test city of accesstest with the exchange and
// its registry: the exchange's staff, a law firm and an assessor, the
// transport commission's conditionally open resource loaded with rows
// and a masking profile for samples.
type exWorld struct {
	t       *testing.T
	db      *store.DB
	w       *accesstest.World
	ex      *exchange.Service
	assets  *registry.Service
	url     string
	profile deid.StoredProfile

	exchangeOrg, lawOrg, assessorOrg identity.Organization
	staff, lawyer, assessor          identity.Principal
}

// exTables are the tables a refused exchange form must leave alone.
var exTables = []string{"exchange_participants", "exchange_applications", "exchange_products", "exchange_documents", "exchange_listings",
	"exchange_checklists", "exchange_relations", "review_cases", "asset_registrations", "asset_valuations",
	"events WHERE type <> 'access.decisions'"} // a page's sample read is logged in batches, apart

func newExWorld(t *testing.T, db *store.DB) *exWorld {
	t.Helper()
	ctx := context.Background()
	w := accesstest.New(t, db)
	x := &exWorld{t: t, db: db, w: w}
	acc := access.New(db, w.Cat, access.Config{Rules: accesstest.Rules{}})
	t.Cleanup(acc.Close)
	profiles := deid.NewService(db, w.Cat)
	ds := datastore.New(datastore.Config{DB: db, Catalog: w.Cat, Access: acc, Deid: datastore.DeidProfiles(profiles)})
	rev := review.NewService(db, review.Config{})
	x.ex = exchange.New(db, w.IDs, w.Cat, acc, exchange.Config{Review: rev, DataDir: t.TempDir(), Rows: ds, Profiles: profiles})
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	x.url = srv.URL
	x.assets = registry.New(db, x.ex, registry.Config{Review: rev, PublicURL: srv.URL, DataDir: t.TempDir()})
	var err error
	h, err = ui.New(ui.Config{Services: services.Services{Identity: w.IDs, Catalog: w.Cat, Access: acc, Review: rev, Datastore: ds,
		Profiles: profiles, Exchange: x.ex, Assets: x.assets, Log: slog.New(slog.NewTextHandler(t.Output(), nil))}})
	if err != nil {
		t.Fatal(err)
	}
	x.exchangeOrg = x.org(identity.KindExchange, "京华数据交易所", "SJJYS")
	x.lawOrg = x.org(identity.KindEnterprise, "京华明理律师事务所", "MLLS")
	x.assessorOrg = x.org(identity.KindEnterprise, "京华资产评估有限公司", "ZCPG")
	x.staff = x.user("ex.staff", identity.Membership{OrganizationID: x.exchangeOrg.ID, Role: identity.RoleMember})
	x.lawyer = x.user("law.partner", identity.Membership{OrganizationID: x.lawOrg.ID, Role: identity.RoleAdmin})
	x.assessor = x.user("assessor.li", identity.Membership{OrganizationID: x.assessorOrg.ID, Role: identity.RoleAdmin})
	csv := "station,district,riders,phone\n朝阳门,东城区,1200,13812345678\n西单,西城区,3400,13987654321\n"
	if _, err := ds.Load(ctx, w.ProviderEditor, w.Conditional.ID, datastore.LoadInput{File: strings.NewReader(csv), Name: "stations.csv",
		Size: int64(len(csv))}); err != nil {
		t.Fatal(err)
	}
	x.profile, err = profiles.Create(ctx, w.ProviderAdmin, w.Conditional.ID, deid.ProfileInput{Name: "样例脱敏", Profile: deid.Profile{
		Columns: map[string]deid.ColumnOp{"phone": {Op: deid.OpMask, KeepFirst: 3, KeepLast: 2}}}})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func (x *exWorld) org(kind identity.OrgKind, name, code string) identity.Organization {
	x.t.Helper()
	o, err := x.w.IDs.CreateOrganization(context.Background(), identity.System, identity.OrgInput{Kind: kind, NameZh: name, Code: code, USCC: exchangetest.USCC(code)})
	if err != nil {
		x.t.Fatal(err)
	}
	return o
}

func (x *exWorld) user(name string, ms ...identity.Membership) identity.Principal {
	x.t.Helper()
	ctx := context.Background()
	u, err := x.w.IDs.CreateUser(ctx, identity.System, identity.UserInput{Username: name, DisplayName: name, Password: accesstest.Password, Memberships: ms})
	if err != nil {
		x.t.Fatal(err)
	}
	p, err := x.w.IDs.Principal(ctx, u.ID)
	if err != nil {
		x.t.Fatal(err)
	}
	return p
}

// as signs username in on a browser that does not follow redirects.
func (x *exWorld) as(username string) *browser {
	x.t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{t: x.t, base: x.url, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	pg := b.post("/login", url.Values{"csrf_token": {b.csrf("/login")}, "username": {username}, "password": {accesstest.Password}})
	if pg.status != http.StatusSeeOther {
		x.t.Fatalf("login %s: status %d", username, pg.status)
	}
	return b
}

// form posts form (with the CSRF token of the page at from) and returns the response.
func (b *browser) form(from, action string, form url.Values) page {
	b.t.Helper()
	form.Set("csrf_token", b.csrf(from))
	return b.post(action, form)
}

// upload posts a multipart form: the CSRF token first, then fields in
// order, then the file.
func (b *browser) upload(from, action string, fields [][2]string, fileField, fileName string, content []byte) page {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf_token", b.csrf(from))
	for _, f := range fields {
		mw.WriteField(f[0], f[1])
	}
	fw, err := mw.CreateFormFile(fileField, fileName)
	if err != nil {
		b.t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	return b.read(b.client.Post(b.base+action, mw.FormDataContentType(), &body))
}

// location is where a 303 sends the browser.
func location(t *testing.T, pg page) string {
	t.Helper()
	if pg.status != http.StatusSeeOther {
		t.Fatalf("%s: status %d, want 303\n%s", pg.url, pg.status, mainOf(pg.body))
	}
	return pg.header.Get("Location")
}

func mainOf(s string) string {
	if i := strings.Index(s, `<main`); i >= 0 {
		s = s[i:]
	}
	if len(s) > 3000 {
		s = s[:3000]
	}
	return s
}

// refused checks a 422 that names each field beside its input and in the
// summary, and that the exchange's tables did not change.
func (x *exWorld) refused(pg page, before map[string]int, fields ...string) {
	x.t.Helper()
	if pg.status != http.StatusUnprocessableEntity {
		x.t.Fatalf("%s: status %d, want 422\n%s", pg.url, pg.status, mainOf(pg.body))
	}
	for _, f := range fields {
		if !strings.Contains(pg.body, `href="#`+f+`"`) || !strings.Contains(pg.body, `id="`+f+`-error"`) {
			x.t.Errorf("the refusal does not show a problem at %s:\n%s", f, mainOf(pg.body))
		}
	}
	storetest.AssertUnchanged(x.t, x.db, before)
}

// admit applies for org with roles and has the staff admit it.
func (x *exWorld) admit(admin identity.Principal, org identity.Organization, roles ...exchange.Role) exchange.Participant {
	x.t.Helper()
	ctx := context.Background()
	code := org.USCC
	if code == "" {
		code = exchangetest.USCC(org.Code)
	}
	a, err := x.ex.Apply(ctx, admin, exchange.ParticipantInput{OrgID: org.ID, USCC: code, LegalRep: "法定代表人" + org.Code, ContactName: "联系人",
		ContactPhone: "010-12345678", Roles: roles})
	if err != nil {
		x.t.Fatalf("apply: %v", err)
	}
	if _, err := x.ex.ApplicationReviews().Decide(ctx, x.staff, a.ID, review.Approve, "材料齐全"); err != nil {
		x.t.Fatalf("admit: %v", err)
	}
	p, err := x.ex.Participant(ctx, x.staff, a.ParticipantID)
	if err != nil {
		x.t.Fatal(err)
	}
	return p
}

// market admits the provider (the transport commission) and the law firm.
func (x *exWorld) market() (provider, lawFirm exchange.Participant) {
	return x.admit(x.w.ProviderAdmin, x.w.Provider, exchange.RoleProvider), x.admit(x.lawyer, x.lawOrg, exchange.RoleLawFirm)
}

// productForm is a complete product editor on the conditional resource.
func (x *exWorld) productForm(provider exchange.Participant) url.Values {
	return url.Values{"provider_id": {provider.ID}, "product_title": {"地铁站点客流日报"}, "product_description": {"按站点汇总的日客流"},
		"use_scenarios": {"商圈选址分析", "", ""}, "source": {"self_collected"}, "source_note": {"本委闸机采集"},
		"product_legal_basis": {"《京华市公共数据管理办法》"}, "resource_ids": {x.w.Conditional.ID}, "sample_deid_profile": {x.profile.ID},
		"delivery": {"api", "file"}, "price_model": {"subscription"}, "price_yuan": {"5,000.5"}, "price_period_days": {"30"},
		"offer_purposes": {"商圈选址分析", ""}, "offer_fields": {"station", "riders"}, "offer_max_calls": {"1000"}, "offer_max_rows": {""},
		"offer_rows_per_request": {"100"}, "offer_period_days": {"365"}, "offer_transfer": {"forbidden"}, "offer_auto_agree": {"yes"}}
}

// listed creates a product through the service, submits it and has both
// reviewers approve it.
func (x *exWorld) listed(provider, lawFirm exchange.Participant) exchange.Product {
	x.t.Helper()
	ctx := context.Background()
	pr, err := x.ex.CreateProduct(ctx, x.w.ProviderEditor, exchange.ProductInput{ProviderID: provider.ID, Title: "地铁站点客流日报",
		Description: "按站点汇总的日客流", UseScenarios: []string{"商圈选址分析"}, Source: exchange.SourceSelfCollected, LegalBasis: "《京华市公共数据管理办法》",
		ResourceIDs: []string{x.w.Conditional.ID}, SampleDeidProfile: x.profile.ID, Delivery: []exchange.DeliveryMode{exchange.DeliveryAPI},
		Price: exchange.Price{Model: exchange.PriceOneOff, AmountFen: 100000}, Offer: exchange.Offer{PeriodDays: 365,
			Policy: access.Policy{Fields: []string{"station", "riders"}}}})
	if err != nil {
		x.t.Fatalf("create: %v", err)
	}
	l, err := x.ex.Submit(ctx, x.w.ProviderEditor, pr.ID, exchange.SubmitInput{LawFirmID: lawFirm.ID})
	if err != nil {
		x.t.Fatalf("submit: %v", err)
	}
	items := map[string]bool{}
	for _, it := range exchange.CheckItems {
		items[it.Key] = true
	}
	for _, p := range []identity.Principal{x.staff, x.lawyer} {
		if _, err := x.ex.SubmitChecklist(ctx, p, l.ID, exchange.ChecklistInput{Items: items}); err != nil {
			x.t.Fatal(err)
		}
		if _, err := x.ex.ListingReviews().Decide(ctx, p, l.ID, review.Approve, "符合挂牌条件"); err != nil {
			x.t.Fatal(err)
		}
	}
	if pr, err = x.ex.Product(ctx, x.staff, pr.ID); err != nil || pr.Status != exchange.ProductListed {
		x.t.Fatalf("after double vetting: %+v %v", pr, err)
	}
	return pr
}

var idAfter = regexp.MustCompile(`^/exchange/[a-z]+/([0-9a-zA-Z-]+)`)

// idOf is the id in a page's address: "/exchange/products/ID?done=x" → ID.
func idOf(t *testing.T, path string) string {
	t.Helper()
	m := idAfter.FindStringSubmatch(path)
	if m == nil {
		t.Fatalf("no id in %q", path)
	}
	return m[1]
}

// TestExchangeParticipantPages: an organisation's admin applies (a wrong
// USCC and no role are refused at their fields, writing nothing), uploads
// its business licence, a stranger cannot admit it, the exchange's staff
// do from the review desk; a related party is declared; the staff suspend
// (a reason is required) and reinstate it.
func TestExchangeParticipantPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		x := newExWorld(t, db)
		admin := x.as("jtw.admin")
		mustContain(t, admin.get("/exchange/participants"), `href="/exchange/participants/apply"`, "申请成为数商")
		form := admin.get("/exchange/participants/apply")
		mustContain(t, form, x.w.Provider.NameZh, `name="legal_rep"`, `name="roles"`)

		before := storetest.CountRows(t, db, exTables...)
		bad := url.Values{"org_id": {x.w.Provider.ID}, "uscc": {"91110000000000000X"}, "legal_rep": {"王建国"}, "contact_name": {"李"},
			"contact_phone": {"010-1"}}
		pg := admin.form("/exchange/participants/apply", "/exchange/participants/apply", bad)
		x.refused(pg, before, "field-uscc", "field-roles")
		mustContain(t, pg, "统一社会信用代码", `value="王建国"`)

		good := url.Values{"org_id": {x.w.Provider.ID}, "uscc": {exchangetest.USCC("JTW")}, "legal_rep": {"王建国"}, "contact_name": {"李明"},
			"contact_phone": {"010-12345678"}, "roles": {"provider", "buyer"}}
		if x.w.Provider.USCC != "" {
			good.Set("uscc", x.w.Provider.USCC)
		}
		to := location(t, admin.form("/exchange/participants/apply", "/exchange/participants/apply", good))
		participant := idOf(t, to)
		page := admin.get("/exchange/participants/" + participant)
		mustContain(t, page, "申请中", "数据提供方", `action="/exchange/participants/`+participant+`/documents"`, `enctype="multipart/form-data"`)

		licence := []byte("%PDF-1.4 营业执照扫描件")
		before = storetest.CountRows(t, db, exTables...)
		up := admin.upload(to, "/exchange/participants/"+participant+"/documents", [][2]string{{"kind", "passport"}}, "file", "licence.pdf", licence)
		x.refused(up, before, "field-doc_kind")
		location(t, admin.upload(to, "/exchange/participants/"+participant+"/documents", [][2]string{{"kind", "business_licence"}}, "file",
			"licence.pdf", licence))
		sum := sha256.Sum256(licence)
		mustContain(t, admin.get("/exchange/participants/"+participant), "licence.pdf", hex.EncodeToString(sum[:]), "营业执照")

		apps, err := x.ex.ApplicationReviews().List(context.Background(), x.staff, review.Filter{Side: "queue"})
		if err != nil || len(apps) != 1 {
			t.Fatalf("applications waiting: %v %v", apps, err)
		}
		app := "/exchange/applications/" + apps[0].ID
		stranger := x.as("company")
		before = storetest.CountRows(t, db, exTables...)
		if pg := stranger.form("/exchange/participants", app+"/review", url.Values{"decision": {"approve"}}); pg.status != http.StatusNotFound &&
			pg.status != http.StatusForbidden {
			t.Errorf("a stranger admitting: status %d", pg.status)
		}
		storetest.AssertUnchanged(t, db, before)

		staff := x.as("ex.staff")
		mustContain(t, staff.get("/exchange/review"), `href="`+app+`"`, x.w.Provider.NameZh)
		mustContain(t, staff.get(app), "准予入场", "licence.pdf", "王建国")
		location(t, staff.form(app, app+"/review", url.Values{"decision": {"approve"}, "comment": {"材料齐全"}}))
		pt, err := x.ex.Participant(context.Background(), x.staff, participant)
		if err != nil || pt.Status != exchange.ParticipantAdmitted {
			t.Fatalf("after admission: %+v %v", pt, err)
		}

		company := x.admit(x.w.CompanyAdmin, x.w.Company, exchange.RoleBuyer)
		location(t, stranger.form("/exchange/participants/"+company.ID, "/exchange/participants/"+company.ID+"/relations",
			url.Values{"relation_other": {participant}, "relation_kind": {"shareholder"}, "relation_note": {"持股 30%"}}))
		mustContain(t, stranger.get("/exchange/participants/"+company.ID), "本单位持股对方", "持股 30%")

		before = storetest.CountRows(t, db, exTables...)
		x.refused(staff.form("/exchange/participants/"+participant, "/exchange/participants/"+participant+"/suspend", url.Values{"reason": {" "}}),
			before, "field-reason")
		location(t, staff.form("/exchange/participants/"+participant, "/exchange/participants/"+participant+"/suspend",
			url.Values{"reason": {"风险预警：循环交易"}}))
		mustContain(t, admin.get("/exchange/participants/"+participant), "已暂停", "风险预警：循环交易")
		location(t, staff.form("/exchange/participants/"+participant, "/exchange/participants/"+participant+"/reinstate",
			url.Values{"reason": {"核查完毕"}}))
		if pt, _ := x.ex.Participant(context.Background(), x.staff, participant); pt.Status != exchange.ParticipantAdmitted {
			t.Errorf("after reinstating: %s", pt.Status)
		}
	})
}

// TestExchangeProductEditor: the provider's editor builds a product with
// the policy builder — the items of the resource ticked are offered after
// "update the choices" — bad input is refused at each field writing
// nothing, the yuan typed is kept in fen; a buyer cannot see the draft;
// submitting names the law firm.
func TestExchangeProductEditor(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		x := newExWorld(t, db)
		provider, lawFirm := x.market()
		x.admit(x.w.CompanyAdmin, x.w.Company, exchange.RoleBuyer)
		editor := x.as("jtw.editor")
		blank := editor.get("/exchange/products/new")
		mustContain(t, blank, x.w.Conditional.TitleZh, "更新可选项")
		if strings.Contains(blank.body, `name="offer_fields"`) {
			t.Error("the blank editor offers data items before a resource is ticked")
		}

		before := storetest.CountRows(t, db, exTables...)
		form := x.productForm(provider)
		form.Set("refresh", "1")
		refreshed := editor.form("/exchange/products/new", "/exchange/products", form)
		mustStatus(t, refreshed, http.StatusOK)
		mustContain(t, refreshed, `name="offer_fields" value="station"`, `name="offer_fields" value="phone"`, "样例脱敏", `value="5,000.5"`)
		storetest.AssertUnchanged(t, db, before)

		bad := x.productForm(provider)
		bad.Set("product_title", "")
		bad.Set("price_yuan", "12.345")
		bad.Set("offer_max_calls", "many")
		x.refused(editor.form("/exchange/products/new", "/exchange/products", bad), before, "field-price_yuan", "field-offer_max_calls")
		bad = x.productForm(provider)
		bad.Set("product_title", "")
		bad.Set("offer_period_days", "0")
		bad["offer_fields"] = []string{"station", "salary"}
		x.refused(editor.form("/exchange/products/new", "/exchange/products", bad), before, "field-product_title", "field-offer_period_days",
			"field-offer_fields")

		to := location(t, editor.form("/exchange/products/new", "/exchange/products", x.productForm(provider)))
		id := idOf(t, to)
		pr, err := x.ex.Product(context.Background(), x.w.ProviderEditor, id)
		if err != nil {
			t.Fatal(err)
		}
		if pr.Price.AmountFen != 500050 || pr.Price.PeriodDays != 30 || pr.Offer.PeriodDays != 365 || pr.Offer.OnwardTransfer || !pr.Offer.AutoAgree ||
			strings.Join(pr.Offer.Policy.Fields, ",") != "station,riders" || pr.Offer.Policy.MaxCalls != 1000 || pr.Offer.Policy.RowsPerRequest != 100 ||
			strings.Join(pr.UseScenarios, ",") != "商圈选址分析" || fmt.Sprint(pr.Offer.Policy.Actions) != "[read download]" {
			t.Errorf("the product as saved: %+v", pr)
		}
		page := editor.get("/exchange/products/" + id)
		mustContain(t, page, "¥5,000.50", "草稿", "提交审核", lawFirm.Name)

		buyer := x.as("company")
		for _, path := range []string{"/exchange/products/" + id, "/exchange/products/" + id + "/edit"} {
			if pg := buyer.get(path); pg.status != http.StatusNotFound || strings.Contains(pg.body, "地铁站点客流日报") {
				t.Errorf("a buyer sees another provider's draft at %s: %d", path, pg.status)
			}
		}
		if strings.Contains(buyer.get("/exchange/products").body, id) {
			t.Error("the buyer's product list shows the draft")
		}

		incomplete := x.productForm(provider)
		incomplete["use_scenarios"] = []string{""}
		incomplete.Set("source", "purchased")
		draft := idOf(t, location(t, editor.form("/exchange/products/new", "/exchange/products", incomplete)))
		before = storetest.CountRows(t, db, exTables...)
		refusal := editor.form("/exchange/products/"+draft, "/exchange/products/"+draft+"/submit", url.Values{"law_firm_id": {lawFirm.ID}})
		x.refused(refusal, before, "field-use_scenarios", "field-source_evidence")
		mustContain(t, refusal, `action="/exchange/products/`+draft+`/edit"`, "没有使用场景的产品不能挂牌")

		to = location(t, editor.form("/exchange/products/"+id, "/exchange/products/"+id+"/submit", url.Values{"law_firm_id": {lawFirm.ID}}))
		if !strings.HasPrefix(to, "/exchange/listings/") {
			t.Errorf("submitting went to %s", to)
		}
		mustContain(t, editor.get(to), "双重审核中", lawFirm.Name)
	})
}

// TestExchangeDoubleVetting: both reviewers tick their checklists on the
// listing's page and see each other's; a vote without a checklist, or an
// approval with a point unticked, is refused at the checklist and changes
// nothing; with both approvals the product is listed. A stranger cannot
// see the review.
func TestExchangeDoubleVetting(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		x := newExWorld(t, db)
		provider, lawFirm := x.market()
		x.admit(x.w.CompanyAdmin, x.w.Company, exchange.RoleBuyer)
		editor := x.as("jtw.editor")
		id := idOf(t, location(t, editor.form("/exchange/products/new", "/exchange/products", x.productForm(provider))))
		listing := location(t, editor.form("/exchange/products/"+id, "/exchange/products/"+id+"/submit", url.Values{"law_firm_id": {lawFirm.ID}}))
		listing = strings.Split(listing, "?")[0]

		staff := x.as("ex.staff")
		page := staff.get(listing)
		mustContain(t, page, "双重审核清单", "交易所审核", "律所审核", "表明数据合法取得", "我的核查清单", "脱敏样例", "朝阳门")
		if strings.Contains(page.body, "13812345678") {
			t.Error("the sample shows a phone number unmasked")
		}
		before := storetest.CountRows(t, db, exTables...)
		x.refused(staff.form(listing, listing+"/review", url.Values{"decision": {"approve"}}), before, "field-checklist")

		all := url.Values{"note": {"材料齐全"}}
		for _, it := range exchange.CheckItems {
			all.Add("check", it.Key)
		}
		location(t, staff.form(listing, listing+"/checklist", all))
		location(t, staff.form(listing, listing+"/review", url.Values{"decision": {"approve"}, "comment": {"符合挂牌条件"}}))

		lawyer := x.as("law.partner")
		mustContain(t, lawyer.get("/exchange/review"), listing, "地铁站点客流日报")
		page = lawyer.get(listing)
		mustContain(t, page, "✓ 符合", "材料齐全", "同意")
		partial := url.Values{"note": {"样例需复核"}}
		for _, it := range exchange.CheckItems[:len(exchange.CheckItems)-1] {
			partial.Add("check", it.Key)
		}
		location(t, lawyer.form(listing, listing+"/checklist", partial))
		before = storetest.CountRows(t, db, exTables...)
		x.refused(lawyer.form(listing, listing+"/review", url.Values{"decision": {"approve"}}), before, "field-check_sample_deidentified")
		location(t, lawyer.form(listing, listing+"/checklist", all))
		done := location(t, lawyer.form(listing, listing+"/review", url.Values{"decision": {"approve"}, "comment": {"同意"}}))
		if !strings.Contains(done, "exchange_listing_listed") {
			t.Errorf("after both approvals: %s", done)
		}
		mustContain(t, editor.get("/exchange/products/"+id), "已挂牌")
		if pg := x.as("company").get(listing); pg.status != http.StatusNotFound {
			t.Errorf("a stranger reads the listing review: %d", pg.status)
		}
	})
}

// TestExchangeRegistrationAndCertificate: the provider registers the
// listed product's rights (none ticked is refused), the staff approve it,
// and its public certificate shows the number, the holder and hashes and
// serves its QR code; an objection without grounds is refused.
func TestExchangeRegistrationAndCertificate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		x := newExWorld(t, db)
		provider, lawFirm := x.market()
		x.admit(x.w.CompanyAdmin, x.w.Company, exchange.RoleBuyer)
		pr := x.listed(provider, lawFirm)
		admin := x.as("jtw.admin")
		from := "/exchange/registrations/new?product=" + pr.ID
		mustContain(t, admin.get(from), pr.Title, "数据资源持有权")
		before := storetest.CountRows(t, db, exTables...)
		x.refused(admin.form(from, "/exchange/registrations", url.Values{"reg_type": {"initial"}, "product_id": {pr.ID}}), before, "field-rights")
		reg := location(t, admin.form(from, "/exchange/registrations", url.Values{"reg_type": {"initial"}, "product_id": {pr.ID},
			"rights": {"holding", "processing", "operation"}, "statement": {"本委自行采集"}}))
		reg = strings.Split(reg, "?")[0]
		staff := x.as("ex.staff")
		done := location(t, staff.form(reg, reg+"/review", url.Values{"decision": {"approve"}}))
		if !strings.Contains(done, "exchange_registration_published") {
			t.Errorf("after approval: %s", done)
		}
		r, err := x.assets.Registrations.Get(context.Background(), x.staff, idOf(t, reg))
		if err != nil || r.Number == "" {
			t.Fatalf("registration: %+v %v", r, err)
		}
		anon := &browser{t: t, base: x.url, client: &http.Client{}}
		cert := anon.get(registry.CertificatePath(r.Number))
		mustStatus(t, cert, http.StatusOK)
		mustContain(t, cert, r.Number, provider.USCC, r.ProductHash, r.Hash, `src="/exchange/certificates/`+r.Number+`/qr.png"`, "公示中",
			"数据产品经营权", "登录后提出异议")
		mustContain(t, anon.get("/exchange/certificates"), r.Number)
		qr := anon.get(registry.CertificatePath(r.Number) + "/qr.png")
		if qr.status != http.StatusOK || qr.header.Get("Content-Type") != "image/png" || !strings.HasPrefix(qr.body, "\x89PNG") {
			t.Errorf("QR code: %d %s", qr.status, qr.header.Get("Content-Type"))
		}
		company := x.as("company")
		before = storetest.CountRows(t, db, exTables...)
		x.refused(company.form(registry.CertificatePath(r.Number), registry.CertificatePath(r.Number)+"/objections", url.Values{"grounds": {""}}),
			before, "field-grounds")
		obj := location(t, company.form(registry.CertificatePath(r.Number), registry.CertificatePath(r.Number)+"/objections",
			url.Values{"grounds": {"该数据由本公司采集"}}))
		mustContain(t, company.get(strings.Split(obj, "?")[0]), "异议/撤销登记", "该数据由本公司采集")
	})
}

// TestExchangeValuation: an assessor files a cost-method valuation; a
// missing cost and a rate that is not a number are refused at their
// fields writing nothing; the filed report shows the value the registry
// computed and the file's hash.
func TestExchangeValuation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		x := newExWorld(t, db)
		provider, lawFirm := x.market()
		x.admit(x.assessor, x.assessorOrg, exchange.RoleAssessor)
		pr := x.listed(provider, lawFirm)
		assessor := x.as("assessor.li")
		from := "/exchange/valuations/new?product=" + pr.ID
		mustContain(t, assessor.get(from), pr.Title, "成本法", "可比交易 5")
		fields := func(collection, profit string) [][2]string {
			return [][2]string{{"product_id", pr.ID}, {"method", "cost"}, {"base_date", "2026-03-31"}, {"valuation_purpose", "资产入表"},
				{"cost_collection", collection}, {"cost_processing", "20000"}, {"cost_storage", "5000.5"}, {"cost_profit_rate", profit},
				{"assumptions", "持续经营\n数据质量稳定"}}
		}
		report := []byte("评估报告正文")
		before := storetest.CountRows(t, db, exTables...)
		x.refused(assessor.upload(from, "/exchange/valuations", fields("", "10"), "report_file", "report.pdf", report), before, "field-cost_collection")
		x.refused(assessor.upload(from, "/exchange/valuations", fields("100000", "ten"), "report_file", "report.pdf", report), before,
			"field-cost_profit_rate")
		to := location(t, assessor.upload(from, "/exchange/valuations", fields("100000", "10"), "report_file", "report.pdf", report))
		page := assessor.get(strings.Split(to, "?")[0])
		sum := sha256.Sum256(report)
		// (100000 + 20000 + 5000.50) × 1.10 = 137,500.55 yuan
		mustContain(t, page, "¥137,500.55", "成本法", "重置成本", hex.EncodeToString(sum[:]), "数据质量稳定")
		if pg := x.as("company").get(strings.Split(to, "?")[0]); pg.status != http.StatusNotFound {
			t.Errorf("a stranger reads the valuation: %d", pg.status)
		}
	})
}

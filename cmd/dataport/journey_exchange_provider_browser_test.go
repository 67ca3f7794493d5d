package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"dataport/internal/exchange"
	"dataport/internal/identity"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserExchangeProviderJourney walks a provider's way onto the data
// exchange in Chromium against the real demo binary, at a desktop's width
// and at 390 px: a company's administrator applies to trade and uploads its
// business licence, the exchange's staff admit it from the review desk; the
// market regulator's editor (the provider, admitted with an independent law
// firm before the browser starts) builds a product with the policy builder
// and submits it naming the law firm; the staff and the law firm each tick
// their checklist and approve, so it is listed; the regulator applies to
// register its rights, the staff approve, and the public certificate shows
// its QR code and prints alone on one A4 page with the navigation hidden.
// No page scrolls sideways and the console stays free of errors.
func TestBrowserExchangeProviderJourney(t *testing.T) {
	s := start(t, "demo", "--data", t.TempDir())
	accounts := s.accounts(t)
	lawPassword := "明理律所合伙人的长密码2026"
	lawFirm := exchangeMarket(t, s, accounts, lawPassword)
	accounts["law.partner"] = lawPassword

	ctx := newChrome(t)
	console := collectConsole(t, ctx)
	desktop := widths[0].viewport
	text := func(sel string) string { t.Helper(); return run(t, ctx, chromedp.Text(chromedp.CSS(sel))) }
	path := func() string { t.Helper(); return run(t, ctx, chromedp.Evaluate[string](`location.pathname`)) }
	both := func(where string) { // the phone's width first, so that the page is left at the desktop's
		t.Helper()
		for i := len(widths) - 1; i >= 0; i-- {
			do(t, ctx, widths[i].viewport, chromedp.WaitReady(chromedp.CSS("body")))
			fitsWidth(t, ctx, "exchange", widths[i].name+" "+where)
		}
		// Back at the desktop's width the page settles its scroll position
		// after a frame or two; a click meanwhile lands beside its target.
		run(t, ctx, chromedp.Evaluate[bool](`(() => { window.scrollTo(0, 0); return true })()`))
		time.Sleep(150 * time.Millisecond)
	}
	signIn := func(name string) {
		t.Helper()
		signOut(t, ctx)
		do(t, ctx, desktop, navigate(s.url+"/login"), chromedp.Focus(chromedp.CSS("#field-username")), chromedp.KeyEvent(name),
			chromedp.Focus(chromedp.CSS("#field-password")), chromedp.KeyEvent(accounts[name]), chromedp.KeyEvent(kb.Enter),
			chromedp.WaitNotPresent(chromedp.CSS("#field-password")))
	}
	submit := func(form string) { // presses the form's first button and waits for the next page's banner
		t.Helper()
		run(t, ctx, chromedp.Evaluate[bool](`(() => { document.body.dataset.left = 'yes'; return true })()`))
		do(t, ctx, chromedp.Click(chromedp.CSS(form+` button[type="submit"]`)), chromedp.WaitNotPresent(chromedp.CSS(`body[data-left]`)),
			chromedp.WaitVisible(chromedp.CSS(".notice")))
	}
	notice := func(want string) {
		t.Helper()
		if got := text(".notice"); !strings.Contains(got, want) {
			t.Fatalf("at %s the banner says %q, want %q:\n%s", path(), got, want, text("main"))
		}
	}

	// A company's administrator applies to trade and uploads its business
	// licence (the demo's company not on the exchange yet, once the demo
	// seeds the exchange).
	applicant := "company"
	if _, ok := accounts["logistics"]; ok {
		applicant = "logistics"
	}
	signIn(applicant)
	do(t, ctx, chromedp.Click(chromedp.CSS(`.site-nav a[href="/exchange/participants"]`)), chromedp.WaitVisible(chromedp.CSS(".ex-nav")))
	both("participants")
	do(t, ctx, chromedp.Click(chromedp.CSS(`main a[href="/exchange/participants/apply"]`)), chromedp.WaitVisible(chromedp.CSS("#field-legal_rep")),
		chromedp.SendKeys(chromedp.CSS("#field-legal_rep"), "高书航"), chromedp.SendKeys(chromedp.CSS("#field-contact_phone"), "010-62345678"),
		chromedp.Click(chromedp.CSS("#field-roles-buyer")))
	company := run(t, ctx, chromedp.Evaluate[string](`document.querySelector('#field-org_id').selectedOptions[0].textContent.trim()`))
	both("apply")
	submit(`form[action="/exchange/participants/apply"]`)
	notice("申请已提交")
	licence := filepath.Join(t.TempDir(), "营业执照.pdf")
	if err := os.WriteFile(licence, []byte("%PDF-1.4 京华智图导航科技有限公司 营业执照"), 0o644); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.SetUploadFiles(chromedp.CSS("#field-doc_file"), []string{licence}))
	submit(`form[action$="/documents"]`)
	if got := text(".ex-documents"); !strings.Contains(got, "营业执照.pdf") || !strings.Contains(got, "营业执照") {
		t.Errorf("the uploaded licence is not listed: %q", got)
	}
	both("participant")

	// The exchange's staff admit it from the review desk.
	signIn("exchange")
	do(t, ctx, navigate(s.url+"/exchange/participants"), chromedp.Click(chromedp.CSS(`.ex-nav a[href="/exchange/review"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href^="/exchange/applications/"]`)))
	both("review desk")
	application := run(t, ctx, chromedp.Evaluate[string](fmt.Sprintf(`[...document.querySelectorAll('a[href^="/exchange/applications/"]')].find(a => a.textContent.trim() === %q).getAttribute('href')`, company)))
	do(t, ctx, chromedp.Click(chromedp.CSS(`a[href="`+application+`"]`)), chromedp.WaitVisible(chromedp.CSS("#field-decision")))
	if got := text("main"); !strings.Contains(got, "营业执照.pdf") || !strings.Contains(got, "高书航") {
		t.Errorf("the application page lacks the licence or the legal representative:\n%s", got)
	}
	both("application")
	do(t, ctx, chromedp.Click(chromedp.CSS("#field-decision")), chromedp.SendKeys(chromedp.CSS("#field-comment"), "身份和材料核验无误"))
	submit(`form[action$="/review"]`)
	notice("已准予入场")

	// The provider's editor builds a product with the policy builder.
	signIn("scjg.editor")
	do(t, ctx, navigate(s.url+"/exchange/products"), chromedp.Click(chromedp.CSS(`a[href="/exchange/products/new"]`)),
		chromedp.WaitVisible(chromedp.CSS("#field-product_title")))
	run(t, ctx, chromedp.Evaluate[string](`(() => { const l = [...document.querySelectorAll('label')].find(l => l.textContent.includes('行政处罚决定信息（自然人）'));
		document.getElementById(l.htmlFor).click(); return l.htmlFor })()`))
	do(t, ctx, chromedp.Click(chromedp.CSS(`button[name="refresh"]`)), chromedp.WaitVisible(chromedp.CSS(`input[name="offer_fields"][value="violation"]`)))
	profile := run(t, ctx, chromedp.Evaluate[string](`(() => { const s = document.querySelector('#field-sample_deid_profile');
		const o = [...s.options].find(o => o.textContent.includes('公开发布')); s.value = o.value; return o.value })()`))
	if profile == "" {
		t.Fatal("the penalty decisions' de-identification profile is not offered for the sample")
	}
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#field-product_title"), "市场监管行政处罚公示数据（脱敏）"),
		chromedp.SendKeys(chromedp.CSS("#field-product_description"), "本局对自然人的行政处罚决定，当事人信息已去标识化，按日更新。"),
		chromedp.SendKeys(chromedp.CSS("#field-use_scenarios"), "企业信用评估"),
		chromedp.SendKeys(chromedp.CSS("#field-use_scenarios-1"), "供应商准入核查"),
		chromedp.SendKeys(chromedp.CSS("#field-product_legal_basis"), "《市场监督管理行政处罚信息公示规定》"),
		chromedp.Click(chromedp.CSS("#field-delivery")),
		chromedp.SendKeys(chromedp.CSS("#field-price_yuan"), "2000"),
		chromedp.SendKeys(chromedp.CSS("#field-offer_purposes"), "企业信用评估"),
		chromedp.Click(chromedp.CSS(`input[name="offer_fields"][value="decision_no"]`)),
		chromedp.Click(chromedp.CSS(`input[name="offer_fields"][value="violation"]`)),
		chromedp.Click(chromedp.CSS(`input[name="offer_fields"][value="fine"]`)),
		chromedp.SendKeys(chromedp.CSS("#field-offer_max_calls"), "10000"),
		chromedp.SendKeys(chromedp.CSS("#field-offer_rows_per_request"), "500"),
		chromedp.Click(chromedp.CSS("#field-offer_auto_agree")))
	both("product editor")
	submit(`form.ex-form > .button-group`)
	notice("数据产品已保存")
	product := path()
	if got := text("main"); !strings.Contains(got, "¥2,000.00") || !strings.Contains(got, "草稿") || !strings.Contains(got, "violation") {
		t.Errorf("the saved product's page:\n%s", got)
	}
	both("product")
	run(t, ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { document.querySelector('#field-law_firm_id').value = %q; return true })()`, lawFirm)))
	submit(`form[action$="/submit"]`)
	notice("已提交挂牌审核")
	listing := path()
	both("listing (provider)")

	// The exchange's staff and the law firm each tick their checklist and approve.
	for _, reviewer := range []struct{ name, done string }{{"exchange", "等待另一审核方"}, {"law.partner", "产品已挂牌"}} {
		signIn(reviewer.name)
		do(t, ctx, navigate(s.url+"/exchange/review"), chromedp.Click(chromedp.CSS(`a[href="`+listing+`"]`)),
			chromedp.WaitVisible(chromedp.CSS("#field-check_provider_identity")))
		for _, it := range exchange.CheckItems {
			do(t, ctx, chromedp.Click(chromedp.CSS("#field-check_"+it.Key)))
		}
		do(t, ctx, chromedp.SendKeys(chromedp.CSS("#field-note"), "来源声明、脱敏样例和报价策略已核查"))
		submit(`form[action$="/checklist"]`)
		if got := text(".ex-checklists"); strings.Count(got, "✓ 符合") < len(exchange.CheckItems) {
			t.Errorf("%s: the saved checklist shows %d points holding:\n%s", reviewer.name, strings.Count(got, "✓ 符合"), got)
		}
		both("listing (" + reviewer.name + ")")
		do(t, ctx, chromedp.Click(chromedp.CSS("#field-decision")), chromedp.SendKeys(chromedp.CSS("#field-comment"), "符合挂牌条件"))
		submit(`form[action$="/review"]`)
		notice(reviewer.done)
	}
	if got := text(".ex-checklists"); strings.Count(got, "✓ 符合") != 2*len(exchange.CheckItems) || strings.Count(got, "同意") < 2 {
		t.Errorf("both reviewers' checklists and votes are not shown:\n%s", got)
	}

	// The provider applies to register the product's rights; the staff approve.
	signIn("scjg.admin")
	do(t, ctx, navigate(s.url+product), chromedp.Click(chromedp.CSS(`a[href^="/exchange/registrations/new"]`)),
		chromedp.WaitVisible(chromedp.CSS("#field-reg_type")),
		chromedp.SendKeys(chromedp.CSS("#field-statement"), "本局依法履职采集，依法公示。"))
	both("registration form")
	submit(`form[action="/exchange/registrations"]`)
	notice("登记申请已提交")
	registration := path()
	signIn("exchange")
	do(t, ctx, navigate(s.url+registration), chromedp.WaitVisible(chromedp.CSS("#field-decision")), chromedp.Click(chromedp.CSS("#field-decision")))
	submit(`form[action$="/review"]`)
	notice("编号公示")
	both("registration")

	// The public certificate shows its QR code, and prints alone.
	do(t, ctx, chromedp.Click(chromedp.CSS(`main a[href^="/exchange/certificates/"]`)), chromedp.WaitVisible(chromedp.CSS(".certificate")))
	certificate := path()
	signOut(t, ctx) // the certificate is public
	do(t, ctx, navigate(s.url+certificate), chromedp.WaitVisible(chromedp.CSS(".certificate__qr-image")))
	number := text(".certificate__number strong")
	if !regexp.MustCompile(`^JH-DR-\d{4}-\d{6}$`).MatchString(number) || !strings.HasSuffix(certificate, number) {
		t.Errorf("certificate number %q at %s", number, certificate)
	}
	for _, want := range []string{"京华市市场监督管理局", "数据资源持有权", "SHA-256", "公示中"} {
		if got := text(".certificate"); !strings.Contains(got, want) {
			t.Errorf("the certificate lacks %q:\n%s", want, got)
		}
	}
	qrLoaded := false
	for deadline := time.Now().Add(5 * time.Second); !qrLoaded && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		qrLoaded = run(t, ctx, chromedp.Evaluate[bool](`(() => { const i = document.querySelector('.certificate__qr-image'); return i.complete && i.naturalWidth > 20 })()`))
	}
	if !qrLoaded {
		t.Error("the certificate's QR code image did not load")
	}
	both("certificate")
	if shown := run(t, ctx, chromedp.Evaluate[[]string](printedJS)); strings.Contains(strings.Join(shown, " "), "none") {
		t.Errorf("on screen: navigation, local navigation, certificate, rest = %v, want all shown", shown)
	}
	var pdf []byte
	do(t, ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
			return err
		}
		return nil
	}))
	if got := run(t, ctx, chromedp.Evaluate[[]string](printedJS)); strings.Join(got, " ") != "none none block none" ||
		run(t, ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('.certificate')).color`)) != "rgb(0, 0, 0)" {
		t.Errorf("printed: navigation, local navigation, certificate, rest = %v, want only the certificate, in black", got)
	}
	do(t, ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		css := true
		res, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: &css})
		pdf = res.Data
		return err
	}), chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{})
		return err
	}))
	pages := regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(pdf, -1)
	box := regexp.MustCompile(`/MediaBox\s*\[\s*0\s+0\s+(\d+)(?:\.\d+)?\s+(\d+)`).FindSubmatch(pdf)
	if !bytes.HasPrefix(pdf, []byte("%PDF")) || len(pages) != 1 || box == nil || string(box[1]) != "594" && string(box[1]) != "595" || string(box[2]) != "841" && string(box[2]) != "842" {
		t.Errorf("the printed certificate: %d bytes, %d pages, media box %q; want one A4 page", len(pdf), len(pages), box)
	}
	if dir := os.Getenv("DATAPORT_SCREENSHOTS"); dir != "" {
		os.WriteFile(filepath.Join(dir, "exchange-certificate.pdf"), pdf, 0o644)
	}

	time.Sleep(50 * time.Millisecond) // let console events arrive
	for _, m := range console.take() {
		if m.Type == chromedp.ConsoleError || m.IsException() {
			t.Errorf("console %s", m)
		}
	}
}

// printedJS reports how the certificate page shows the site's navigation,
// the exchange's local navigation, the certificate and what follows it.
const printedJS = `['.site-nav', '.ex-nav', '.certificate', '.certificate-extra'].map(s => getComputedStyle(document.querySelector(s)).display)`

// exchangeMarket admits, over HTTP through the UI's own forms, the
// provider of the journey (the demo's market regulator, unless the demo
// admitted it already) and an independent law firm the sysadmin registers
// with its partner (password lawPassword), and returns the law firm's
// participant id.
func exchangeMarket(t *testing.T, s *server, accounts map[string]string, lawPassword string) string {
	t.Helper()
	const lawName, regulatorName = "京华明理律师事务所", "京华市市场监督管理局"
	admin := newBrowser(t, s.url)
	admin.login("admin", accounts["admin"])
	check, err := identity.USCCCheckChar("91110105MA09L7QW0")
	if err != nil {
		t.Fatal(err)
	}
	lawUSCC := "91110105MA09L7QW0" + string(check)
	status, loc, body := admin.post("/admin/organizations", url.Values{"csrf_token": {admin.csrf("/admin/organizations/new")}, "kind": {"enterprise"},
		"name_zh": {lawName}, "uscc": {lawUSCC}, "org_code": {"MLLS"}})
	if status != http.StatusSeeOther {
		t.Fatalf("create the law firm: %d\n%s", status, excerpt(body))
	}
	lawOrg := strings.TrimPrefix(strings.Split(loc, "?")[0], "/organizations/")
	status, _, body = admin.post("/admin/users", url.Values{"csrf_token": {admin.csrf("/admin/users/new")}, "username": {"law.partner"},
		"display_name": {"钱明理"}, "password": {lawPassword}, "password_confirm": {lawPassword}, "organization_id": {lawOrg}, "role": {"admin"}})
	if status != http.StatusSeeOther {
		t.Fatalf("create the law firm's partner: %d\n%s", status, excerpt(body))
	}
	lawyer := newBrowser(t, s.url)
	lawyer.login("law.partner", lawPassword)
	applyAs(t, lawyer, lawOrg, lawUSCC, "钱明理", "law_firm")
	regulator := newBrowser(t, s.url)
	regulator.login("scjg.admin", accounts["scjg.admin"])
	_, form := regulator.get("/exchange/participants/apply")
	if org := regexp.MustCompile(`<option value="([^"]+)" selected>`).FindStringSubmatch(form); org != nil {
		uscc := regexp.MustCompile(`name="uscc" type="text" value="([^"]*)"`).FindStringSubmatch(form)
		if uscc == nil {
			t.Fatalf("the regulator's application form:\n%s", excerpt(form))
		}
		applyAs(t, regulator, org[1], uscc[1], "市场监管局局长", "provider")
	}

	staff := newBrowser(t, s.url)
	staff.login("exchange", accounts["exchange"])
	_, desk := staff.get("/exchange/review")
	for _, a := range regexp.MustCompile(`<a href="(/exchange/applications/[0-9a-zA-Z-]+)">([^<]+)</a>`).FindAllStringSubmatch(desk, -1) {
		if a[2] != lawName && a[2] != regulatorName {
			continue
		}
		status, _, body := staff.post(a[1]+"/review", url.Values{"csrf_token": {staff.csrf(a[1])}, "decision": {"approve"}, "comment": {"材料齐全"}})
		if status != http.StatusSeeOther {
			t.Fatalf("admit %s: %d\n%s", a[2], status, excerpt(body))
		}
	}
	_, list := staff.get("/exchange/participants?status=admitted")
	for _, name := range []string{lawName, regulatorName} {
		if !strings.Contains(list, ">"+name+"<") {
			t.Fatalf("%s is not admitted:\n%s", name, excerpt(list))
		}
	}
	return regexp.MustCompile(`href="/exchange/participants/([0-9a-zA-Z-]+)">` + lawName + `<`).FindStringSubmatch(list)[1]
}

// applyAs files an organisation's application through the form.
func applyAs(t *testing.T, b *browser, org, uscc, legalRep, role string) {
	t.Helper()
	status, loc, body := b.post("/exchange/participants/apply", url.Values{"csrf_token": {b.csrf("/exchange/participants/apply")},
		"org_id": {org}, "uscc": {uscc}, "legal_rep": {legalRep}, "contact_name": {legalRep}, "contact_phone": {"010-63456789"}, "roles": {role}})
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/exchange/participants/") {
		t.Fatalf("apply for %s: %d %s\n%s", org, status, loc, excerpt(body))
	}
}

package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"dataport/internal/identity"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// buyerMarket is what the buyer's journey trades in: a product listed
// after double vetting, its provider's editor, and the buyer.
type buyerMarket struct {
	product, title, word string
	calls                int    // reads the offer allows
	buyer, buyerUser     string // the buying company's participant id and its admin's username
	providerEditor       string // the provider's editor's username
}

// newBuyerMarket builds, through the native API of the running binary,
// the market of the buyer's journey: the demo's first institution admitted
// as a provider (unless the demo admitted it already), a company and a law
// firm the sysadmin registers, admitted as a buyer and a law firm (a
// company of the test's own, so that no grant of the demo's decides its
// reads); a product on one of the provider's resources with rows,
// delivered by API and file, agreeing automatically to orders within its
// offer (two data items, three reads), listed after both vetted it.
func newBuyerMarket(x *exchangeRun) buyerMarket {
	x.t.Helper()
	admin := x.token("admin", x.accounts["admin"])
	staff := x.token("exchange", x.accounts["exchange"])
	editorName, _ := accountWithSuffix(x.t, x.accounts, ".editor")
	adminName := strings.TrimSuffix(editorName, ".editor") + ".admin"
	providerEditor, providerAdmin := x.token(editorName, x.accounts[editorName]), x.token(adminName, x.accounts[adminName])
	var me struct {
		Memberships []struct {
			OrganizationID string `json:"organization_id"`
		}
	}
	x.call("GET", "/users/me", providerEditor, nil, http.StatusOK, &me)
	providerOrg := me.Memberships[0].OrganizationID
	m := buyerMarket{title: "城市通勤客流指数（交易大厅）", word: "通勤客流研判", calls: 3, providerEditor: editorName, buyerUser: "szkj.buyer"}
	buyerOrg, buyer := x.organization(admin, string(identity.KindEnterprise), "京华数智科技有限公司", "SZKJBUY", m.buyerUser, "admin")
	x.accounts[m.buyerUser] = "e2e password for " + m.buyerUser // as organization sets it
	lawOrg, lawyer := x.organization(admin, string(identity.KindEnterprise), "京华明德律师事务所", "MDLSBUY", "mdls.partner", "admin")
	provider := admitted(x, providerAdmin, staff, providerOrg, "王建国", "provider")
	m.buyer = x.admit(buyer, staff, buyerOrg, "李明", "buyer")
	lawFirm := x.admit(lawyer, staff, lawOrg, "赵明德", "law_firm")

	resource, items := x.resourceWithRows(providerEditor, providerOrg)
	var profile struct{ ID string }
	x.call("POST", "/resources/"+resource+"/deid-profiles", providerEditor, map[string]any{"name": "交易样例",
		"profile": map[string]any{"k": 1, "max_suppression": 0, "quasi_identifiers": []string{},
			"columns": map[string]any{items[2]: map[string]any{"op": "redact"}}}}, http.StatusCreated, &profile)
	var product struct{ ID string }
	x.call("POST", "/exchange/products", providerEditor, map[string]any{"provider_id": provider, "title": m.title,
		"description": "按日汇总的通勤客流指数", "use_scenarios": []string{"商圈选址分析", m.word}, "source": "self_collected",
		"source_note": "本单位业务系统采集", "legal_basis": "《京华市公共数据管理办法》", "resource_ids": []string{resource},
		"sample_deid_profile": profile.ID, "delivery": []string{"api", "file"}, "price": map[string]any{"model": "subscription", "amount_fen": 100000, "period_days": 30},
		"offer": map[string]any{"policy": map[string]any{"purposes": []string{"商圈选址分析"}, "fields": items[:2], "max_calls": m.calls},
			"period_days": 90, "auto_agree": true, "onward_transfer": false, "id": ""}}, http.StatusCreated, &product)
	m.product = product.ID
	var listing struct{ ID string }
	x.call("POST", "/exchange/products/"+product.ID+"/submit", providerEditor, map[string]any{"law_firm_id": lawFirm}, http.StatusOK, &listing)
	var checklist struct{ Items []struct{ Key string } }
	x.call("GET", "/exchange/checklist", staff, nil, http.StatusOK, &checklist)
	ticks := map[string]bool{}
	for _, it := range checklist.Items {
		ticks[it.Key] = true
	}
	for _, reviewer := range []string{staff, lawyer} {
		x.call("POST", "/exchange/listings/"+listing.ID+"/checklist", reviewer, map[string]any{"items": ticks}, http.StatusOK, nil)
		x.call("POST", "/exchange/listings/"+listing.ID+"/review", reviewer, map[string]string{"decision": "approve", "comment": "符合挂牌条件"},
			http.StatusOK, nil)
	}
	return m
}

// admitted returns the participant of orgID admitted with role, having its
// admin apply and the exchange's staff admit it unless it is already.
func admitted(x *exchangeRun, applicant, staff, orgID, legalRep, role string) string {
	x.t.Helper()
	var list struct {
		Items []struct {
			ID    string `json:"id"`
			OrgID string `json:"org_id"`
		} `json:"items"`
	}
	x.call("GET", "/exchange/participants?status=admitted&limit=500&role="+role, staff, nil, http.StatusOK, &list)
	for _, p := range list.Items {
		if p.OrgID == orgID {
			return p.ID
		}
	}
	return x.admit(applicant, staff, orgID, legalRep, role)
}

// TestBrowserExchangeBuyerJourney walks a buyer's way through the data
// exchange in Chromium against the real demo binary, at a desktop's width
// and at 390 px: the company searches the trading hall by a use scenario's
// words, opens the product, previews its sample and orders it; the order is
// agreed at once, the company verifies it and sees the delivery grant,
// reads rows through it until its three reads are used up (the fourth is
// refused), the provider settles, the company rates, opens a dispute
// (after a claim left empty is refused) and downloads the evidence bundle,
// whose SHA-256 is the one the page shows. Then the exchange's staff find
// the usage alert the refused reads raised and suspend the product from
// it, and at the phone's width the buyer. No page scrolls sideways, and the
// console shows nothing but the two refused claims.
func TestBrowserExchangeBuyerJourney(t *testing.T) {
	s := start(t, "demo", "--data", t.TempDir())
	x := &exchangeRun{t: t, s: s, accounts: s.accounts(t)}
	m := newBuyerMarket(x)
	ctx := newChrome(t)
	ctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
	defer cancel()
	console := collectConsole(t, ctx)
	downloads := t.TempDir()
	do(t, ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow,
			DownloadPath: downloads})
		return err
	}))
	text := func(sel string) string { t.Helper(); return run(t, ctx, chromedp.Text(chromedp.CSS(sel))) }
	path := func() string { t.Helper(); return run(t, ctx, chromedp.Evaluate[string](`location.pathname`)) }
	signIn := func(name string) {
		t.Helper()
		signOut(t, ctx)
		do(t, ctx, navigate(s.url+"/login"), chromedp.Focus(chromedp.CSS("#field-username")), chromedp.KeyEvent(name),
			chromedp.Focus(chromedp.CSS("#field-password")), chromedp.KeyEvent(x.accounts[name]), chromedp.KeyEvent(kb.Enter),
			chromedp.WaitNotPresent(chromedp.CSS("#field-password")))
	}
	shows := func(sel, want string) {
		t.Helper()
		if got := text(sel); !strings.Contains(got, want) {
			t.Fatalf("at %s %s says %q, want %q", path(), sel, got, want)
		}
	}

	signIn(m.buyerUser)
	for _, w := range widths {
		noSideways := func(where string) { t.Helper(); fitsWidth(t, ctx, "exchange-buyer", w.name+" "+where) }
		// The hall, found from the site's navigation; a search by a use scenario's words.
		do(t, ctx, w.viewport, navigate(s.url+"/"), chromedp.Click(chromedp.CSS(`.site-nav a[href="/exchange"]`)),
			chromedp.WaitVisible(chromedp.CSS("#hall-q")))
		noSideways("hall")
		// The hall lists every product before the search: its list goes first, so the wait is for the results.
		do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('.results').remove()`),
			chromedp.SendKeys(chromedp.CSS("#hall-q"), m.word), chromedp.Submit(chromedp.CSS("#hall-q")),
			chromedp.WaitVisible(chromedp.CSS(`.hall-card a[href="/exchange/hall/`+m.product+`"]`)))
		shows(".hall-cards", "¥1,000.00 / 30 天")
		noSideways("search")
		do(t, ctx, chromedp.Click(chromedp.CSS(`.hall-card a[href="/exchange/hall/`+m.product+`"]`)), chromedp.WaitVisible(chromedp.CSS("#order-button")))
		shows("main", "合同期内最多读取 3 次")
		shows("main", "下单即自动成交")
		noSideways("product")

		// The sample, then the order, agreed at once.
		do(t, ctx, chromedp.Click(chromedp.CSS("#sample-link")), chromedp.WaitVisible(chromedp.CSS("#sample-table")))
		noSideways("sample")
		do(t, ctx, navigate(s.url+"/exchange/hall/"+m.product), chromedp.WaitVisible(chromedp.CSS("#order-button")),
			chromedp.Click(chromedp.CSS("#order-button")), chromedp.WaitVisible(chromedp.CSS("#verify-button")))
		shows("#negotiation-state", "已达成协议")
		noSideways("agreed")

		// Verified: the contract with its delivery grant; rows read through it until its reads are used up.
		do(t, ctx, chromedp.Click(chromedp.CSS("#verify-button")), chromedp.WaitVisible(chromedp.CSS("#delivery-grant")))
		shows("#contract-status", "履行中")
		shows("#usage-calls", fmt.Sprintf("0 / %d", m.calls))
		contract := path()
		noSideways("contract")
		do(t, ctx, chromedp.Click(chromedp.CSS("a.read-rows")), chromedp.WaitVisible(chromedp.CSS("#rows-table")))
		rows := run(t, ctx, chromedp.Evaluate[string](`location.href`))
		noSideways("rows")
		for range m.calls - 1 {
			do(t, ctx, navigate(rows), chromedp.WaitVisible(chromedp.CSS("#rows-table")))
		}
		do(t, ctx, navigate(rows), chromedp.WaitVisible(chromedp.CSS("#rows-denied")))
		shows("#rows-denied", "授权额度已用完")
		noSideways("rows refused")
		do(t, ctx, navigate(s.url+contract), chromedp.WaitVisible(chromedp.CSS("#delivery-grant")))
		shows("#usage-calls", fmt.Sprintf("%d / %d", m.calls, m.calls))

		// The provider settles; the company rates.
		provider := newBrowser(t, s.url)
		provider.login(m.providerEditor, x.accounts[m.providerEditor])
		if status, _, body := provider.post(contract+"/settle", url.Values{"csrf_token": {provider.csrf(contract)}}); status != http.StatusSeeOther {
			t.Fatalf("the provider settles: %d\n%s", status, excerpt(body))
		}
		do(t, ctx, navigate(s.url+contract), chromedp.WaitVisible(chromedp.CSS("#settlement")),
			chromedp.Click(chromedp.CSS(`label[for="field-rating_stars-4"]`)), chromedp.SendKeys(chromedp.CSS("#field-rating_comment"), "数据及时，字段清楚"),
			chromedp.Click(chromedp.CSS("#rate-button")), chromedp.WaitVisible(chromedp.CSS("#rating")))
		shows("#rating", "4 星")
		noSideways("rated")

		// A dispute: an empty claim is refused at its field, then the claim opens the case.
		do(t, ctx, chromedp.Click(chromedp.CSS("#dispute-link")), chromedp.WaitVisible(chromedp.CSS("#field-claim")),
			chromedp.Click(chromedp.CSS("#open-dispute")), chromedp.WaitVisible(chromedp.CSS(".error-summary")))
		shows(".error-summary", "请求和理由")
		noSideways("dispute refused")
		do(t, ctx, chromedp.SendKeys(chromedp.CSS("#field-claim"), "第四次读取被拒绝，但合同约定的读取次数不应包括样例预览。"),
			chromedp.Click(chromedp.CSS("#open-dispute")), chromedp.WaitVisible(chromedp.CSS("#dispute-status")))
		noSideways("dispute")
		hash := text(".trade-hash")
		do(t, ctx, chromedp.Click(chromedp.CSS("#dispute-evidence")))
		if got := evidenceHash(t, downloads); got != strings.TrimSpace(hash) {
			t.Errorf("%s: the downloaded evidence has SHA-256 %s, the page shows %s", w.name, got, hash)
		}
	}
	if _, hall := newBrowser(t, s.url).get("/exchange?q=" + url.QueryEscape(m.word)); !strings.Contains(hall, "4.0 分（2 条评价）") {
		t.Errorf("the hall does not show the two ratings:\n%s", excerpt(hall))
	}

	// The exchange's staff: the usage alert the refused reads raised (the
	// organization's reads are decided over both its grants, so the second
	// refusal repeats the first alert), and a suspension from it at each width.
	signIn("exchange")
	staff := x.token("exchange", x.accounts["exchange"])
	var alert string
	for deadline := time.Now().Add(30 * time.Second); alert == "" && time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		var alerts struct {
			Items []struct{ ID string } `json:"items"`
		}
		x.call("GET", "/exchange/alerts?queue=usage&subject_id="+m.product, staff, nil, http.StatusOK, &alerts)
		if len(alerts.Items) > 0 {
			alert = "/exchange/risk/alerts/" + alerts.Items[0].ID
		}
	}
	if alert == "" {
		t.Fatal("no usage alert about the product after reads past a contract's count")
	}
	targets := []string{"product:" + m.product, "participant:" + m.buyer}
	for i, w := range widths {
		do(t, ctx, w.viewport, navigate(s.url+"/exchange/risk?queue=usage"), chromedp.WaitVisible(chromedp.CSS("h1")))
		fitsWidth(t, ctx, "exchange-buyer", w.name+" risk desk")
		do(t, ctx, chromedp.Click(chromedp.CSS(`a[href="`+alert+`"]`)), chromedp.WaitVisible(chromedp.CSS("#suspend-button")))
		shows("main", "over_quota")
		fitsWidth(t, ctx, "exchange-buyer", w.name+" alert")
		do(t, ctx, chromedp.Click(chromedp.CSS(`input[value="`+targets[i]+`"]`)), chromedp.SendKeys(chromedp.CSS("#field-suspend_reason"), "超出合同约定读取次数，暂停核查"),
			chromedp.Click(chromedp.CSS("#suspend-button")), chromedp.WaitVisible(chromedp.CSS(".notice")))
		shows("main", map[int]string{0: "暂停产品", 1: "暂停数商"}[i])
	}
	if _, hall := newBrowser(t, s.url).get("/exchange?q=" + url.QueryEscape(m.word)); strings.Contains(hall, "/exchange/hall/"+m.product) {
		t.Error("the suspended product is still in the hall")
	}

	if refusals, want := consoleRefusals(t, console), map[string]int{"422": len(widths)}; !maps.Equal(refusals, want) {
		t.Errorf("refusals reported by the browser %v, want %v (the empty claims)", refusals, want)
	}
}

var evidenceFile = regexp.MustCompile(`^dispute-.*-evidence\.zip$`)

// evidenceHash waits for a new evidence bundle in dir, returns its
// SHA-256 and removes it, so the next download is told apart.
func evidenceHash(t *testing.T, dir string) string {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if !evidenceFile.MatchString(e.Name()) {
				continue
			}
			file := filepath.Join(dir, e.Name())
			b, err := os.ReadFile(file)
			if err != nil || len(b) < 4 || string(b[:2]) != "PK" {
				continue // still being written
			}
			os.Remove(file)
			sum := sha256.Sum256(b)
			return hex.EncodeToString(sum[:])
		}
	}
	t.Fatalf("no evidence bundle downloaded to %s", dir)
	return ""
}

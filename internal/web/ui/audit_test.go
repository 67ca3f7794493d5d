package ui_test

import (
	"context"
	"encoding/json"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/ledger"
	"dataport/internal/store"
	"dataport/internal/web/services"
	"dataport/internal/web/ui"
)

// ledgerPortal is a portal whose UI serves the ledger's pages, with an
// auditor besides the editor and the operator. Its ledger starts only when
// the test calls start, so that tests see events before they are sealed.
type ledgerPortal struct {
	*portal
	ledger *ledger.Service
}

func newLedgerPortal(t *testing.T) *ledgerPortal {
	t.Helper()
	p := newPortal(t)
	p.createUser("auditor.zhao", identity.UserInput{PlatformRoles: []identity.PlatformRole{identity.PlatformAuditor}})
	lg := ledger.New(p.db, ledger.Config{DataDir: t.TempDir(), PublicURL: "https://data.example.gov.cn",
		CheckpointInterval: 100 * time.Millisecond, PollInterval: 20 * time.Millisecond})
	h, err := ui.New(ui.Config{Services: services.Services{Identity: p.identity, Catalog: p.catalog, Ledger: lg, Log: slog.New(slog.NewTextHandler(t.Output(), nil))}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return &ledgerPortal{portal: p, ledger: lg}
}

// start runs the sequencer until the test ends.
func (lp *ledgerPortal) start() {
	lp.t.Helper()
	if err := lp.ledger.Start(context.Background()); err != nil {
		lp.t.Fatal(err)
	}
	lp.t.Cleanup(func() { lp.ledger.Stop(context.Background()) })
}

// waitSealed waits, at most 20 seconds, until every committed event is in
// the log and covered by a published checkpoint.
func (lp *ledgerPortal) waitSealed() {
	lp.t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var total uint64
		if err := lp.db.QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&total); err != nil {
			lp.t.Fatal(err)
		}
		st, err := lp.ledger.Status(ctx)
		if err == nil && st.Unsealed == 0 && st.Size >= total {
			return
		}
		if time.Now().After(deadline) {
			lp.t.Fatalf("events not sealed in time: status %+v, err %v, %d events", st, err, total)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// principalOf returns the principal of a test user, to act through the services.
func (lp *ledgerPortal) principalOf(username string) identity.Principal {
	lp.t.Helper()
	ctx := context.Background()
	u, err := lp.identity.UserByName(ctx, username)
	if err != nil {
		lp.t.Fatal(err)
	}
	p, err := lp.identity.Principal(ctx, u.ID)
	if err != nil {
		lp.t.Fatal(err)
	}
	return p
}

// publishByPeople has the editor create and submit a resource and the
// operator approve it, so that its events have people as actors.
func (lp *ledgerPortal) publishByPeople() catalog.Resource {
	lp.t.Helper()
	ctx := context.Background()
	editor, operator := lp.principalOf("editor.li"), lp.principalOf("operator.wang")
	r, err := lp.catalog.Create(ctx, editor, lp.org.ID, sampleInput("共享单车停放点", "Bike parking spots"))
	if err != nil {
		lp.t.Fatal(err)
	}
	if _, err := lp.catalog.Submit(ctx, editor, r.ID); err != nil {
		lp.t.Fatal(err)
	}
	if r, err = lp.catalog.Review(ctx, operator, r.ID, catalog.Approve, ""); err != nil {
		lp.t.Fatal(err)
	}
	return r
}

// events returns the events of a subject, newest first, as the ledger holds them.
func (lp *ledgerPortal) events(kind, id string) []store.Event {
	lp.t.Helper()
	page, err := lp.ledger.Events(context.Background(), identity.System, ledger.Filter{SubjectKind: kind, SubjectID: id})
	if err != nil {
		lp.t.Fatal(err)
	}
	return page.Events
}

// eventSection returns the event history section of a page.
func eventSection(t *testing.T, pg page) string {
	t.Helper()
	start := strings.Index(pg.body, `<section id="event-history"`)
	if start < 0 {
		t.Fatalf("%s has no event history section\n%s", pg.url, pg.body)
	}
	end := strings.Index(pg.body[start:], "</section>")
	return pg.body[start : start+end]
}

func verifyLink(id string) string  { return `href="/audit/events/` + id + `"` }
func receiptLink(id string) string { return `href="/audit/events/` + id + `/receipt.json"` }

func TestResourcePageShowsEventHistoryWithProofs(t *testing.T) {
	lp := newLedgerPortal(t)
	res := lp.publishByPeople()
	evs := lp.events("resource", res.ID)
	if len(evs) != 3 || evs[0].Type != "resource.published" || evs[2].Type != "resource.created" {
		t.Fatalf("resource events = %+v, want published, submitted, created", evs)
	}
	anon := lp.browser()

	before := eventSection(t, anon.get("/resources/"+res.ID))
	if strings.Count(before, "待封存") != 3 || strings.Contains(before, "receipt.json") {
		t.Errorf("before sealing, want three pending events and no receipts:\n%s", before)
	}

	lp.start()
	lp.waitSealed()
	evs = lp.events("resource", res.ID) // now with their log indexes
	pg := anon.get("/resources/" + res.ID)
	mustStatus(t, pg, http.StatusOK)
	section := eventSection(t, pg)
	for _, want := range []string{"事件记录", "审核通过并发布", "提交审核", "创建数据资源", "平台用户", verifyLink(evs[0].ID), receiptLink(evs[0].ID), `download="receipt-` + evs[0].ID + `.json"`} {
		if !strings.Contains(section, want) {
			t.Errorf("sealed event history lacks %q:\n%s", want, section)
		}
	}
	if strings.Contains(section, "待封存") {
		t.Error("sealed events still shown as pending")
	}
	if i := strings.Index(section, "<td>"+strconv.FormatInt(*evs[0].LedgerIndex, 10)+"</td>"); i < 0 {
		t.Errorf("the published event's log index %d is not shown", *evs[0].LedgerIndex)
	}
	if strings.Index(section, verifyLink(evs[0].ID)) > strings.Index(section, verifyLink(evs[2].ID)) {
		t.Error("events are not listed newest first")
	}
	if strings.Contains(section, "editor.li") || strings.Contains(section, "operator.wang") {
		t.Error("an anonymous visitor sees the usernames of the staff involved")
	}
	if strings.Contains(pg.body, `href="/audit"`) {
		t.Error("an anonymous visitor is offered the audit page")
	}

	editor := lp.browser()
	editor.login("editor.li")
	mine := eventSection(t, editor.get("/resources/"+res.ID))
	if !strings.Contains(mine, "editor.li") || !strings.Contains(mine, "operator.wang") {
		t.Errorf("a signed-in viewer does not see who acted:\n%s", mine)
	}

	en := anon.get("/lang?to=en&next=" + url.QueryEscape("/resources/"+res.ID))
	mustContain(t, en, "Event history", "Approved and published", "Verify", "Download receipt")
}

func TestVerifyPageChecksTheInclusionProof(t *testing.T) {
	lp := newLedgerPortal(t)
	res := lp.publishByPeople()
	published := lp.events("resource", res.ID)[0]
	anon := lp.browser()

	pending := anon.get("/audit/events/" + published.ID)
	mustStatus(t, pending, http.StatusOK)
	mustContain(t, pending, "该事件尚未封存", published.ID)

	lp.start()
	lp.waitSealed()
	sealed := lp.events("resource", res.ID)[0]
	pg := anon.get("/audit/events/" + published.ID)
	mustStatus(t, pg, http.StatusOK)
	mustContain(t, pg, "核验通过", "data.example.gov.cn/ledger", "resource.published", published.ID,
		"<dd>"+strconv.FormatInt(*sealed.LedgerIndex, 10)+"</dd>",
		"dataport ledger verify --url "+lp.url, "--receipt receipt-"+published.ID+".json")
	_, vkey, err := lp.ledger.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html.UnescapeString(pg.body), "--key '"+vkey+"'") {
		t.Errorf("the offline command does not pin the verifier key %s", vkey)
	}
	if strings.Count(pg.body, `tag--published">通过`) != 3 {
		t.Errorf("want three passed checks (signature, inclusion, row):\n%s", pg.body)
	}

	// An event row edited after sealing no longer matches its log entry.
	if _, err := lp.db.ExecContext(context.Background(), `UPDATE events SET payload = '{"version":99}' WHERE id = $1`, published.ID); err != nil {
		t.Fatal(err)
	}
	tampered := anon.get("/audit/events/" + published.ID)
	mustContain(t, tampered, "核验未通过", "database was changed after the event was sealed")
	if strings.Contains(tampered.body, "核验通过") {
		t.Error("a tampered event still verifies")
	}

	mustStatus(t, anon.get("/audit/events/no-such-event"), http.StatusNotFound)
}

func TestReceiptDownload(t *testing.T) {
	lp := newLedgerPortal(t)
	res := lp.publishByPeople()
	published := lp.events("resource", res.ID)[0]
	anon := lp.browser()

	early := anon.get("/audit/events/" + published.ID + "/receipt.json")
	mustStatus(t, early, http.StatusConflict)
	mustContain(t, early, "尚未封存")

	lp.start()
	lp.waitSealed()
	pg := anon.get("/audit/events/" + published.ID + "/receipt.json")
	mustStatus(t, pg, http.StatusOK)
	if got, want := pg.header.Get("Content-Disposition"), `attachment; filename="receipt-`+published.ID+`.json"`; got != want {
		t.Errorf("Content-Disposition = %q, want %q", got, want)
	}
	if ct := pg.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var r ledger.Receipt
	if err := json.Unmarshal([]byte(pg.body), &r); err != nil {
		t.Fatalf("receipt is not JSON: %v\n%s", err, pg.body)
	}
	v, _, err := lp.ledger.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	if _, e, err := ledger.CheckReceipt(r, v); err != nil || e.ID != published.ID || e.Type != "resource.published" {
		t.Errorf("downloaded receipt does not check: entry %+v, %v", e, err)
	}
}

var verifyCount = regexp.MustCompile(`>验证<span`)

// rows counts the events an audit page lists.
func rows(pg page) int { return len(verifyCount.FindAllString(pg.body, -1)) }

func TestAuditPageIsForPlatformStaff(t *testing.T) {
	lp := newLedgerPortal(t)
	lp.start()

	anon := lp.browser()
	if pg := anon.get("/audit"); pg.url != "/login?next=%2Faudit" {
		t.Errorf("anonymous GET /audit ended at %s (%d)", pg.url, pg.status)
	}
	editor := lp.browser()
	editor.login("editor.li")
	mustStatus(t, editor.get("/audit"), http.StatusForbidden)
	if strings.Contains(editor.get("/my").body, `href="/audit"`) {
		t.Error("the editor is offered the audit page")
	}

	auditor := lp.browser()
	auditor.login("auditor.zhao")
	lp.waitSealed()
	pg := auditor.get("/audit")
	mustStatus(t, pg, http.StatusOK)
	mustContain(t, pg, `href="/audit" aria-current="page"`, "账本状态", "data.example.gov.cn/ledger", "待封存事件", "检索事件")
}

func TestAuditPageFilters(t *testing.T) {
	lp := newLedgerPortal(t)
	lp.start()
	res := lp.publishByPeople()
	evs := lp.events("resource", res.ID) // published, submitted, created
	auditor := lp.browser()
	auditor.login("auditor.zhao")
	lp.waitSealed()

	today := evs[0].At.In(time.FixedZone("CST", 8*60*60)) // the day of the events, in Beijing
	for _, test := range []struct {
		name       string
		query      url.Values
		want, miss []string // event ids listed and not listed
	}{
		{"subject", url.Values{"subject_kind": {"resource"}, "subject_id": {res.ID}}, []string{evs[0].ID, evs[1].ID, evs[2].ID}, nil},
		{"type", url.Values{"subject_id": {res.ID}, "type": {"resource.published"}}, []string{evs[0].ID}, []string{evs[1].ID, evs[2].ID}},
		{"actor by username", url.Values{"subject_id": {res.ID}, "actor": {"editor.li"}}, []string{evs[1].ID, evs[2].ID}, []string{evs[0].ID}},
		{"that day", url.Values{"subject_id": {res.ID}, "since": {today.Format("2006-01-02")}, "until": {today.Format("2006-01-02")}}, []string{evs[0].ID}, nil},
		{"before that day", url.Values{"subject_id": {res.ID}, "until": {today.AddDate(0, 0, -1).Format("2006-01-02")}}, nil, []string{evs[0].ID, evs[1].ID, evs[2].ID}},
	} {
		t.Run(test.name, func(t *testing.T) {
			pg := auditor.get("/audit?" + test.query.Encode())
			mustStatus(t, pg, http.StatusOK)
			for _, id := range test.want {
				if !strings.Contains(pg.body, verifyLink(id)) {
					t.Errorf("event %s is not listed", id)
				}
			}
			for _, id := range test.miss {
				if strings.Contains(pg.body, verifyLink(id)) {
					t.Errorf("event %s is listed", id)
				}
			}
			if len(test.want) == 0 {
				mustContain(t, pg, "没有符合条件的事件")
			}
		})
	}

	bad := auditor.get("/audit?since=2025-13-01")
	mustStatus(t, bad, http.StatusUnprocessableEntity)
	mustContain(t, bad, "不是有效日期", `href="#field-since"`, `value="2025-13-01"`)
}

func TestAuditPagePages(t *testing.T) {
	lp := newLedgerPortal(t)
	ctx := context.Background()
	for i := range 55 {
		err := lp.db.Transact(ctx, func(tx *store.Tx) error {
			return tx.Emit(ctx, store.Event{Type: "test.happened", SubjectKind: "thing", SubjectID: "t-" + strconv.Itoa(i)}, nil)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	auditor := lp.browser()
	auditor.login("auditor.zhao")

	first := auditor.get("/audit?subject_kind=thing")
	mustStatus(t, first, http.StatusOK)
	if n := rows(first); n != 50 {
		t.Errorf("first page lists %d events, want 50", n)
	}
	next := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(first.body)
	if next == nil {
		t.Fatal("first page has no link to the next")
	}
	second := auditor.get(html.UnescapeString(next[1]))
	mustStatus(t, second, http.StatusOK)
	if n := rows(second); n != 5 {
		t.Errorf("second page lists %d events, want 5", n)
	}
	mustContain(t, second, "回到第一页", "t-0<")
	if strings.Contains(second.body, `rel="next"`) {
		t.Error("the last page links a next one")
	}
	mustStatus(t, auditor.get("/audit?cursor=nonsense"), http.StatusUnprocessableEntity)
}

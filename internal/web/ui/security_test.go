package ui_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/identity"
	"dataport/internal/monitor"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/services"
	"dataport/internal/web/ui"
)

// secWorld is the UI over a real monitor with its default rules, a
// security officer, a regulator, a plain user and one repeated_denials
// alert about the plain user.
type secWorld struct {
	*exWorld // for its t, db, url and signing in (as)
	mon      *monitor.Service
	user     identity.Principal
	alert    monitor.Alert
}

func newSecWorld(t *testing.T, db *store.DB) *secWorld {
	t.Helper()
	ctx := context.Background()
	w := accesstest.New(t, db)
	acc := access.New(db, w.Cat, access.Config{Rules: accesstest.Rules{}})
	t.Cleanup(acc.Close)
	mon := monitor.New(db, monitor.Config{Log: slog.New(slog.DiscardHandler)})
	if err := mon.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if err := mon.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mon.Stop)
	h, err := ui.New(ui.Config{Services: services.Services{Identity: w.IDs, Catalog: w.Cat, Access: acc, Monitor: mon,
		Log: slog.New(slog.NewTextHandler(t.Output(), nil))}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	x := &secWorld{exWorld: &exWorld{t: t, db: db, w: w, url: srv.URL}, mon: mon}
	w.NewUser(t, "sec.officer", identity.PlatformSecurity)
	w.NewUser(t, "sec.regulator", identity.PlatformRegulator)
	x.user = w.NewUser(t, "plain.user", "")
	now := time.Now()
	for i := range 12 { // repeated_denials: 10 refused reads within 10 minutes
		mon.Observe(monitor.Observation{Source: monitor.SourceDecision, At: now.Add(time.Duration(i) * time.Second), Subject: "user:" + x.user.UserID,
			UserID: x.user.UserID, DecisionID: store.NewID(), ResourceID: w.Conditional.ID, Action: "read", Allow: false, Reason: "no_grant"})
	}
	if err := mon.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	alerts, _, err := mon.Alerts(ctx, identity.Principal{UserID: "x", PlatformRoles: []identity.PlatformRole{identity.PlatformSecurity}},
		monitor.AlertFilter{Rule: monitor.RuleRepeatedDenials})
	if err != nil || len(alerts) != 1 {
		t.Fatalf("the repeated denials' alert: %v, %v", alerts, err)
	}
	x.alert = alerts[0]
	return x
}

// TestSecurityPagesWhoSeesWhat: the hub, the alerts and the rules are the
// security officer's, the regulator's and the auditor's; only the officer
// is offered the steps and the editor, and a regulator's step is refused;
// anyone else is refused, and an anonymous visitor sent to sign in.
func TestSecurityPagesWhoSeesWhat(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		x := newSecWorld(t, db)
		anon := (&portal{t: t, url: x.url}).browser().noRedirects()
		if pg := anon.get("/security/alerts"); pg.status != http.StatusSeeOther || !strings.HasPrefix(pg.header.Get("Location"), "/login") {
			t.Errorf("anonymous: %d %s", pg.status, pg.header.Get("Location"))
		}
		plain := x.as("plain.user")
		for _, path := range []string{"/security", "/security/alerts", "/security/alerts/" + x.alert.ID, "/security/rules"} {
			if pg := plain.get(path); pg.status != http.StatusForbidden {
				t.Errorf("a plain user GET %s: %d, want 403", path, pg.status)
			}
		}
		if pg := plain.get("/my"); strings.Contains(pg.body, `href="/security"`) {
			t.Error("a plain user's navigation offers the security pages")
		}

		reg := x.as("sec.regulator")
		hub := reg.get("/security")
		mustContain(t, hub, `href="/security"`, "数据安全监测", "待处理的告警：1 条", "反复被拒绝的访问", "plain.user", `href="/security/incidents"`,
			`href="/security/assessments"`)
		pg := reg.get("/security/alerts/" + x.alert.ID)
		mustContain(t, pg, "反复被拒绝的访问", "新告警", `id="alert-evidence"`, "访问决定", "阈值", "窗口内首次")
		if raw := regexp.MustCompile(`<dd>\d{4}-\d\d-\d\dT`).FindString(pg.body); raw != "" {
			t.Errorf("a figure's time is shown raw: %s", raw)
		}
		if strings.Contains(pg.body, "/acknowledge") || strings.Contains(pg.body, "open-incident") {
			t.Error("the regulator is offered the officer's steps")
		}
		if pg := reg.get("/security/rules/" + monitor.RuleRepeatedDenials); !strings.Contains(pg.body, `id="rule-body"`) || strings.Contains(pg.body, `name="body"`) {
			t.Errorf("the regulator's rule page (%d) is not read-only", pg.status)
		}
		csrf := reg.csrf("/security/alerts/" + x.alert.ID)
		if pg := reg.post("/security/alerts/"+x.alert.ID+"/acknowledge", url.Values{"csrf_token": {csrf}}); pg.status != http.StatusForbidden {
			t.Errorf("the regulator's acknowledge: %d, want 403", pg.status)
		}
		if pg := reg.get("/security/rules/new"); pg.status != http.StatusForbidden {
			t.Errorf("the regulator's new rule form: %d, want 403", pg.status)
		}
	})
}

// TestSecurityAlertSteps: the officer filters the alerts, acknowledges the
// alert, is refused an owner who is not a security officer (beside the
// input, nothing changed), assigns one, is refused a close without a note,
// and closes it as a false positive; the page then offers nothing more.
func TestSecurityAlertSteps(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		x := newSecWorld(t, db)
		b := x.as("sec.officer")
		list := b.get("/security/alerts?rule=" + monitor.RuleRepeatedDenials + "&state=new")
		mustContain(t, list, "/security/alerts/"+x.alert.ID)
		if pg := b.get("/security/alerts?rule=" + monitor.RuleBulkDownload); strings.Contains(pg.body, x.alert.ID) || !strings.Contains(pg.body, `id="no-alerts"`) {
			t.Error("another rule's filter lists the alert")
		}
		if pg := b.get("/security/alerts?state=gone"); pg.status != http.StatusUnprocessableEntity || !strings.Contains(pg.body, `id="field-alert_state-error"`) {
			t.Errorf("a bad state: %d", pg.status)
		}
		path := "/security/alerts/" + x.alert.ID
		mustContain(t, b.get(path), `href="/security/incidents/new?alert=`+x.alert.ID+`"`)
		step := func(action string, form url.Values) page {
			t.Helper()
			return b.form(path, path+"/"+action, form)
		}
		if pg := step("acknowledge", url.Values{"ack_note": {"在查"}}); pg.status != http.StatusSeeOther {
			t.Fatalf("acknowledge: %d", pg.status)
		}
		pg := step("assign", url.Values{"owner": {"plain.user"}})
		if pg.status != http.StatusUnprocessableEntity || !strings.Contains(pg.body, `id="field-owner-error"`) || !strings.Contains(pg.body, "不是在职的安全管理员") {
			t.Errorf("assign to a plain user: %d", pg.status)
		}
		if a := x.reload(); a.OwnerUserID == x.user.UserID || a.State != monitor.StateAcknowledged {
			t.Errorf("after the refused assignment: %+v", a)
		}
		if pg := step("assign", url.Values{"owner": {"sec.officer"}}); pg.status != http.StatusSeeOther {
			t.Errorf("assign to the officer: %d", pg.status)
		}
		if pg := step("close", url.Values{"verdict": {"false"}}); pg.status != http.StatusUnprocessableEntity || !strings.Contains(pg.body, `id="field-close_note-error"`) {
			t.Errorf("close without a note: %d", pg.status)
		}
		if pg := step("close", url.Values{"verdict": {"false"}, "close_note": {"测试账号的探测，已确认"}}); pg.status != http.StatusSeeOther {
			t.Errorf("close: %d", pg.status)
		}
		if a := x.reload(); a.State != monitor.StateFalsePositive {
			t.Errorf("closed alert: %+v", a)
		}
		page := b.get(path)
		mustContain(t, page, "已结案（误报）", "测试账号的探测，已确认", "sec.officer")
		if strings.Contains(page.body, "/close\"") || strings.Contains(page.body, "open-incident") {
			t.Error("a closed alert still offers steps")
		}
	})
}

// TestSecurityRuleEditor: a threshold that is not a number is refused at
// its line — in the summary, beside the editor and marked in the numbered
// copy — with the text kept as sent and the rule unchanged; a good one is
// saved and shown.
func TestSecurityRuleEditor(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		x := newSecWorld(t, db)
		b := x.as("sec.officer")
		before := x.rule(monitor.RuleRepeatedDenials)
		path := "/security/rules/" + before.ID
		bad := strings.Replace(before.Body, "threshold: 10", "threshold: ten", 1)
		line := 1 + strings.Count(bad[:strings.Index(bad, "threshold: ten")], "\n")
		pg := b.form(path, path, url.Values{"body": {bad}})
		if pg.status != http.StatusUnprocessableEntity {
			t.Fatalf("a bad threshold: %d", pg.status)
		}
		mustContain(t, pg, `id="field-body-error"`, "第 "+strconv.Itoa(line)+" 行", `id="rule-line-`+strconv.Itoa(line)+`"`, "threshold: ten")
		if !strings.Contains(pg.body, `sec-line sec-line--error" id="rule-line-`+strconv.Itoa(line)+`"`) {
			t.Errorf("line %d is not marked", line)
		}
		if after := x.rule(monitor.RuleRepeatedDenials); after.Body != before.Body {
			t.Error("the refused body changed the rule")
		}
		good := strings.Replace(before.Body, "threshold: 10", "threshold: 3", 1)
		if pg := b.form(path, path, url.Values{"body": {good}}); pg.status != http.StatusSeeOther {
			t.Fatalf("a good threshold: %d", pg.status)
		}
		if after := x.rule(monitor.RuleRepeatedDenials); !strings.Contains(after.Body, "threshold: 3") {
			t.Errorf("saved body: %s", after.Body)
		}
		en := x.as("sec.officer")
		en.get("/lang?to=en&next=/security/rules")
		mustContain(t, en.get("/security/rules"), "Monitoring rules", "Repeated denied reads", "Shipped")
	})
}

func (x *secWorld) reload() monitor.Alert {
	x.t.Helper()
	a, err := x.mon.Alert(context.Background(), identity.Principal{UserID: "x", PlatformRoles: []identity.PlatformRole{identity.PlatformSecurity}}, x.alert.ID)
	if err != nil {
		x.t.Fatal(err)
	}
	return a
}

func (x *secWorld) rule(code string) monitor.Rule {
	x.t.Helper()
	r, err := x.mon.Rule(context.Background(), identity.Principal{UserID: "x", PlatformRoles: []identity.PlatformRole{identity.PlatformSecurity}}, code)
	if err != nil {
		x.t.Fatal(err)
	}
	return r
}

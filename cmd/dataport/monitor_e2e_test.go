package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"dataport/internal/demo"
)

// TestMonitorEndToEnd drives each default monitoring rule with real
// requests to the real binary (the demo city, on SQLite and on PostgreSQL
// when DATAPORT_TEST_POSTGRES is set) and reads the alerts back through
// GET /api/v1/monitor/alerts as the demo's regulator.
//
// First a clean run: every subject does what it will later overdo, short of
// each rule's threshold — a few denied reads, a few failed sign-ins, small
// reads building baselines, reads of de-identified data that do not filter
// on its quasi-identifiers — and no alert is raised. Then each subject
// crosses its rule, and exactly one alert of each rule appears, about that
// subject, with evidence whose sealed events have receipts.
//
// The rules that compare a subject with its own past are shortened first by
// the security officer through the API (2-second windows, 5 uses of
// history), which also exercises rule editing; off_hours cannot move the
// server's clock, so its use "at night" is made by moving the rule's time
// zone 12 hours, which reads the grant's hours of use shifted.
func TestMonitorEndToEnd(t *testing.T) {
	ledgerStores(t, func(t *testing.T, dataDir, dbURL string) {
		args := []string{"demo", "--data", dataDir}
		if dbURL != "" {
			args = append(args, "--db", dbURL)
		}
		m := newMonitorRun(t, start(t, args...))
		m.shortenRules()
		before := m.settledAlerts()
		// The clean run teaches off_hours the grant's usual hour: it must
		// not straddle an hour of the day (whole hours are the same
		// boundaries in UTC and in the rule's time zones).
		if left := time.Until(time.Now().Truncate(time.Hour).Add(time.Hour)); left < 2*time.Minute {
			time.Sleep(left + time.Second)
		}
		m.cleanRun()
		if fresh := m.newAlerts(before, 3*time.Second); len(fresh) != 0 {
			t.Fatalf("the clean run raised alerts: %s", describe(fresh))
		}
		want := m.crossEachRule(before)
		var fresh []monitorAlert
		if !eventually(30*time.Second, func() bool { fresh = m.newAlerts(before, 0); return len(fresh) >= len(want) }) {
			t.Fatalf("alerts after crossing each rule: %s\nwant %v", describe(fresh), want)
		}
		time.Sleep(2 * time.Second) // anything more would be there by now
		fresh = m.newAlerts(before, 0)
		got := map[string]string{}
		for _, a := range fresh {
			if _, dup := got[a.Rule]; dup {
				t.Errorf("a second %s alert: %s", a.Rule, describe(fresh))
			}
			got[a.Rule] = a.Subject
		}
		for rule, subject := range want {
			if got[rule] != subject {
				t.Errorf("%s: alert about %q, want one about %q", rule, got[rule], subject)
			}
		}
		if len(got) != len(want) {
			t.Errorf("alerts %s, want exactly one of each of %v", describe(fresh), want)
		}
		m.checkEvidence(fresh)
		m.workAlert(fresh[0].ID)
	})
}

// monitorRun is the demo city with the accounts and resources the test uses.
type monitorRun struct {
	t                 *testing.T
	s                 *server
	security, regular string // tokens of the security officer and the regulator
	operator          string
	subjects          map[string]monitorSubject // by role in the test
	open, closed      string                    // the open resource with the most rows; a resource D may not read
	openRows          int
	conditional       string            // a resource granted to G
	penalties         string            // the de-identified penalty decisions
	grant, deidGrant  string            // G's grant; R's grant through the 5-anonymous profile
	qiFilter          []string          // R's filter on the quasi-identifiers
	orgOf             map[string]string // resource → its institution
}

type monitorSubject struct {
	name, token, userID string
}

type monitorAlert struct {
	ID        string    `json:"id"`
	Rule      string    `json:"rule"`
	Severity  string    `json:"severity"`
	State     string    `json:"state"`
	Subject   string    `json:"subject"`
	CreatedAt time.Time `json:"created_at"`
	Evidence  []string  `json:"evidence"`
}

func describe(alerts []monitorAlert) string {
	var b strings.Builder
	for _, a := range alerts {
		fmt.Fprintf(&b, "\n  %s %s %s (%d events)", a.Rule, a.Subject, a.State, len(a.Evidence))
	}
	return b.String()
}

// call sends a JSON request with token and decodes a 2xx answer into out.
func (m *monitorRun) call(method, path, token string, body any, want int, out any) string {
	m.t.Helper()
	var rd *strings.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	var status int
	var text string
	if rd != nil {
		status, _, text = apiCall(m.t, method, m.s.url+"/api/v1"+path, token, rd)
	} else {
		status, _, text = apiCall(m.t, method, m.s.url+"/api/v1"+path, token, nil)
	}
	if status != want {
		m.t.Fatalf("%s %s: %d, want %d\n%.600s", method, path, status, want, text)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(text), out); err != nil {
			m.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return text
}

func newMonitorRun(t *testing.T, s *server) *monitorRun {
	accounts := s.accounts(t)
	m := &monitorRun{t: t, s: s, subjects: map[string]monitorSubject{}, orgOf: map[string]string{}}
	token := func(name string) string {
		b := newBrowser(t, s.url)
		b.login(name, accounts[name])
		return b.apiToken("monitor-e2e")
	}
	m.security, m.regular, m.operator = token("security"), token("regulator"), token("operator")
	m.findResources()
	// One institution admin per rule that watches a person, not of the
	// institution whose resource the rule's reads go to (its own admins
	// read it as its provider, without the grant or the profile).
	var admins []string
	for name := range accounts {
		if strings.HasSuffix(name, ".admin") {
			admins = append(admins, name)
		}
	}
	sort.Strings(admins)
	avoid := map[string]string{"denier": m.orgOf[m.closed], "grantee": m.orgOf[m.conditional], "reid": m.orgOf[m.penalties]}
	used := map[string]bool{}
	for _, role := range []string{"denier", "grantee", "reid", "bulk", "volume"} {
		for _, name := range admins {
			if used[name] {
				continue
			}
			tok := token(name)
			var me struct {
				ID          string `json:"id"`
				Memberships []struct {
					OrganizationID string `json:"organization_id"`
				} `json:"memberships"`
			}
			m.call(http.MethodGet, "/users/me", tok, nil, 200, &me)
			if len(me.Memberships) == 0 || me.Memberships[0].OrganizationID == avoid[role] {
				continue
			}
			used[name] = true
			m.subjects[role] = monitorSubject{name: name, token: tok, userID: me.ID}
			break
		}
		if m.subjects[role].token == "" {
			t.Fatalf("no institution admin for the %s among %v", role, admins)
		}
	}
	m.makeGrants()
	return m
}

// findResources picks the resources the subjects read.
func (m *monitorRun) findResources() {
	var list struct {
		Items []struct {
			ID             string `json:"id"`
			TitleZh        string `json:"title_zh"`
			OrganizationID string `json:"organization_id"`
			OpenType       string `json:"open_type"`
			ShareType      string `json:"share_type"`
			PersonalInfo   bool   `json:"personal_info"`
		} `json:"items"`
	}
	getJSON(m.t, m.s.url+"/api/v1/resources?status=published&limit=200", &list)
	for _, r := range list.Items {
		m.orgOf[r.ID] = r.OrganizationID
		switch {
		case r.TitleZh == demo.PenaltyTitle:
			m.penalties = r.ID
		case r.OpenType == "unconditional" && !r.PersonalInfo:
			var page struct {
				Total int `json:"total"`
			}
			if status, _, body := apiGet(m.t, m.s.url+"/api/v1/resources/"+r.ID+"/rows?limit=1", ""); status == 200 &&
				json.Unmarshal([]byte(body), &page) == nil && page.Total > m.openRows {
				m.open, m.openRows = r.ID, page.Total
			}
		case r.OpenType == "conditional" && m.conditional == "":
			if status, _, _ := apiGet(m.t, m.s.url+"/api/v1/resources/"+r.ID+"/rows?limit=1", m.operator); status == 200 {
				m.conditional = r.ID
			}
		case r.OpenType == "none" && r.ShareType == "none" && m.closed == "":
			m.closed = r.ID
		}
	}
	if m.openRows < 150 || m.conditional == "" || m.closed == "" || m.penalties == "" {
		m.t.Fatalf("demo resources: open %q (%d rows), conditional %q, closed %q, penalties %q", m.open, m.openRows, m.conditional, m.closed, m.penalties)
	}
}

// makeGrants: the operator grants G the conditional resource, and R the
// penalty decisions through a 5-anonymous profile on district and violation.
func (m *monitorRun) makeGrants() {
	var g struct {
		ID string `json:"id"`
	}
	m.call(http.MethodPost, "/grants", m.operator, map[string]any{"grantee_kind": "user", "grantee_id": m.subjects["grantee"].userID,
		"resource_ids": []string{m.conditional}, "purpose": "监测端到端测试"}, 201, &g)
	m.grant = g.ID
	var profiles struct {
		Items []struct {
			Profile map[string]any `json:"profile"`
		} `json:"items"`
	}
	m.call(http.MethodGet, "/resources/"+m.penalties+"/deid-profiles", m.operator, nil, 200, &profiles)
	if len(profiles.Items) == 0 {
		m.t.Fatal("the penalty decisions have no de-identification profile")
	}
	spec := profiles.Items[0].Profile
	spec["quasi_identifiers"], spec["k"], spec["max_suppression"] = []string{"district", "violation"}, 5, 0.2
	var p struct {
		ID string `json:"id"`
	}
	m.call(http.MethodPost, "/resources/"+m.penalties+"/deid-profiles", m.operator, map[string]any{"name": "监测测试 5-匿名",
		"paths": []string{"sandbox"}, "profile": spec}, 201, &p)
	m.call(http.MethodPost, "/grants", m.operator, map[string]any{"grantee_kind": "user", "grantee_id": m.subjects["reid"].userID,
		"resource_ids": []string{m.penalties}, "purpose": "信用监管研究", "policy": map[string]any{"deid_profile": p.ID}}, 201, &g)
	m.deidGrant = g.ID
	// R's later filter: the district and violation of a row, as the
	// operator reads them.
	var page rowsPage
	m.call(http.MethodGet, "/resources/"+m.penalties+"/rows?limit=20", m.operator, nil, 200, &page)
	if len(page.Rows) == 0 {
		m.t.Fatal("the penalty decisions have no rows")
	}
	m.qiFilter = []string{"district:eq:" + page.column(m.t, "district")[0], "violation:eq:" + page.column(m.t, "violation")[0]}
}

// shortenRules: the security officer edits the rules that need a past, so
// that seconds of requests make one (2-second windows, 5 uses of history).
func (m *monitorRun) shortenRules() {
	edit := func(code string, pairs ...string) {
		var r struct {
			Body string `json:"body"`
		}
		m.call(http.MethodGet, "/monitor/rules/"+code, m.security, nil, 200, &r)
		body := r.Body
		for i := 0; i < len(pairs); i += 2 {
			if !strings.Contains(body, pairs[i]) {
				m.t.Fatalf("rule %s has no %q:\n%s", code, pairs[i], body)
			}
			body = strings.Replace(body, pairs[i], pairs[i+1], 1)
		}
		m.call(http.MethodPut, "/monitor/rules/"+code, m.security, map[string]string{"body": body}, 200, nil)
	}
	edit("bulk_download", "window: 10m", "window: 2s", "min: 1000", "min: 100", "min_history: 3", "min_history: 2")
	edit("volume_spike", "window: 5m", "window: 2s", "min: 100", "min: 20", "min_history: 3", "min_history: 2")
	edit("off_hours", "min_history: 20", "min_history: 5")
	// A bad edit is refused at its line and changes nothing.
	status, _, body := apiCall(m.t, http.MethodPut, m.s.url+"/api/v1/monitor/rules/volume_spike", m.security,
		strings.NewReader(`{"body":"code: volume_spike\nname_zh: 甲\nname_en: A\nseverity: urgent\nsource: decision\n"}`))
	if status != 422 || !strings.Contains(body, "line 4") || !strings.Contains(body, `"body.body"`) {
		m.t.Errorf("a rule with a bad severity: %d %s", status, body)
	}
}

// settledAlerts waits until the demo's alerts are all written and returns their ids.
func (m *monitorRun) settledAlerts() map[string]bool {
	var last int
	stable := 0
	ids := map[string]bool{}
	eventually(30*time.Second, func() bool {
		ids = map[string]bool{}
		for _, a := range m.alerts() {
			ids[a.ID] = true
		}
		if len(ids) == last {
			stable++
		} else {
			stable, last = 0, len(ids)
		}
		return stable >= 10
	})
	return ids
}

// alerts lists every alert as the regulator sees them, following the cursor.
func (m *monitorRun) alerts() []monitorAlert {
	var out []monitorAlert
	cursor := ""
	for {
		var page struct {
			Items      []monitorAlert `json:"items"`
			NextCursor string         `json:"next_cursor"`
		}
		m.call(http.MethodGet, "/monitor/alerts?limit=5&cursor="+url.QueryEscape(cursor), m.regular, nil, 200, &page)
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out
		}
		cursor = page.NextCursor
	}
}

// newAlerts lists the alerts not in before, after waiting wait.
func (m *monitorRun) newAlerts(before map[string]bool, wait time.Duration) []monitorAlert {
	time.Sleep(wait)
	var out []monitorAlert
	for _, a := range m.alerts() {
		if !before[a.ID] {
			out = append(out, a)
		}
	}
	return out
}

// read reads rows as subject role; want is the status expected.
func (m *monitorRun) read(role, resource, query string, want int) {
	m.t.Helper()
	status, _, body := apiGet(m.t, m.s.url+"/api/v1/resources/"+resource+"/rows?"+query, m.subjects[role].token)
	if status != want {
		m.t.Fatalf("%s reading %s?%s: %d, want %d\n%.300s", role, resource, query, status, want, body)
	}
}

// deny reads a resource role may not read: 403, or 404 when it may not
// even see it.
func (m *monitorRun) deny(role, resource string) {
	m.t.Helper()
	status, _, body := apiGet(m.t, m.s.url+"/api/v1/resources/"+resource+"/rows?limit=5", m.subjects[role].token)
	if status != 403 && status != 404 {
		m.t.Fatalf("%s reading %s: %d, want a denial\n%.300s", role, resource, status, body)
	}
}

// failSignIn signs in as username with a wrong password, from the test's address.
func (m *monitorRun) failSignIn(username string) {
	b := newBrowser(m.t, m.s.url)
	status, _, _ := b.post("/login", url.Values{"csrf_token": {b.csrf("/login")}, "username": {username}, "password": {"not-the-password"}})
	if status == http.StatusSeeOther {
		m.t.Fatalf("signed in as %s with a wrong password", username)
	}
}

// cleanRun is everything the attacks do, short of every threshold.
func (m *monitorRun) cleanRun() {
	for range 3 {
		m.deny("denier", m.closed) // repeated_denials: 10 in 10 minutes
	}
	for i := range 3 {
		m.failSignIn(fmt.Sprintf("no-such-user-%d", i)) // credential_stuffing: 10 accounts from one address
	}
	// R's grant allows the read, but a k-anonymous profile cannot be applied
	// row by row: the rows API refuses it (403) having served none. Not
	// filtered on the quasi-identifiers, that is no alert.
	m.read("reid", m.penalties, "limit=20", 403)
	// Small reads over 3 seconds: bulk's and volume's baselines (2-second
	// windows), and G's usual hour (5 uses of history).
	for i := range 6 {
		m.read("bulk", m.open, "limit=2", 200)
		m.read("volume", m.open, "limit=1", 200)
		m.read("grantee", m.conditional, "limit=5", 200)
		if i < 5 {
			time.Sleep(700 * time.Millisecond)
		}
	}
}

// crossEachRule makes each subject cross its rule and returns the alert
// expected of each rule: the rule's code → the subject.
func (m *monitorRun) crossEachRule(before map[string]bool) map[string]string {
	for range 7 {
		m.deny("denier", m.closed)
	}
	for i := 3; i < 10; i++ {
		m.failSignIn(fmt.Sprintf("no-such-user-%d", i))
	}
	m.read("bulk", m.open, fmt.Sprintf("limit=%d", m.openRows), 200)
	for range 60 {
		m.read("volume", m.open, "limit=1", 200)
	}
	// Filtered on both quasi-identifiers: served none (fewer than k = 5),
	// the attempt refused — an alert all the same.
	status, _, body := apiGet(m.t, m.s.url+"/api/v1/resources/"+m.penalties+"/rows?limit=20&filter="+url.QueryEscape(m.qiFilter[0])+
		"&filter="+url.QueryEscape(m.qiFilter[1]), m.subjects["reid"].token)
	if status != 200 && status != 403 && status != 422 {
		m.t.Fatalf("the quasi-identifier read: %d %.300s", status, body)
	}
	// G's grant used "twelve hours later": the rule's time zone moved.
	var r struct {
		Body string `json:"body"`
	}
	m.call(http.MethodGet, "/monitor/rules/off_hours", m.security, nil, 200, &r)
	m.call(http.MethodPut, "/monitor/rules/off_hours", m.security,
		map[string]string{"body": strings.Replace(r.Body, "timezone: Asia/Shanghai", "timezone: Etc/GMT+4", 1)}, 200, nil)
	m.read("grantee", m.conditional, "limit=5", 200)
	// The grant revoked, then used.
	m.call(http.MethodPost, "/grants/"+m.grant+"/revoke", m.operator, map[string]string{"reason": "监测端到端测试"}, 200, nil)
	m.read("grantee", m.conditional, "limit=5", 403)
	user := func(role string) string { return "user:" + m.subjects[role].userID }
	return map[string]string{"repeated_denials": user("denier"), "bulk_download": user("bulk"), "volume_spike": user("volume"),
		"reid_qi": user("reid"), "off_hours": "grant:" + m.grant, "lapsed_grant": "grant:" + m.grant,
		"credential_stuffing": m.stuffingSubject(before)}
}

// stuffingSubject is the subject the test's credential stuffing alert
// names (not the demo's, in before): the keyed hash of the test's address.
func (m *monitorRun) stuffingSubject(before map[string]bool) string {
	var out string
	eventually(10*time.Second, func() bool {
		for _, a := range m.newAlerts(before, 0) {
			if a.Rule == "credential_stuffing" && strings.HasPrefix(a.Subject, "address:") {
				out = a.Subject
			}
		}
		return out != ""
	})
	if strings.Contains(out, "127.0.0.1") {
		m.t.Errorf("the subject names the address: %s", out)
	}
	if out == "" {
		return "address:(none raised)"
	}
	return out
}

// checkEvidence: every alert rests on sealed events, each with a receipt
// route, and names the kinds of what it rests on.
func (m *monitorRun) checkEvidence(alerts []monitorAlert) {
	kinds := map[string]string{"repeated_denials": "decision", "credential_stuffing": "signin", "bulk_download": "rows", "volume_spike": "decision",
		"reid_qi": "rows", "off_hours": "decision", "lapsed_grant": "decision"}
	for _, a := range alerts {
		if len(a.Evidence) == 0 || a.Severity == "" || a.State != "new" {
			m.t.Errorf("%s: %+v", a.Rule, a)
			continue
		}
		var full struct {
			Evidence []struct {
				Kind    string `json:"kind"`
				EventID string `json:"event_id"`
				Receipt string `json:"receipt"`
			} `json:"evidence"`
			Figures map[string]any `json:"figures"`
		}
		m.call(http.MethodGet, "/monitor/alerts/"+a.ID, m.regular, nil, 200, &full)
		for _, e := range full.Evidence {
			if e.Kind != kinds[a.Rule] || e.EventID == "" || e.Receipt != "/api/v1/ledger/receipts/"+e.EventID ||
				!slices.Contains(a.Evidence, e.EventID) {
				m.t.Errorf("%s: evidence %+v (listed events %v)", a.Rule, e, a.Evidence)
			}
		}
		m.t.Logf("%s about %s: %d evidence, figures %v", a.Rule, a.Subject, len(full.Evidence), full.Figures)
	}
}

// workAlert: the regulator sees but may not move an alert; the security
// officer acknowledges it and closes it as a true positive.
func (m *monitorRun) workAlert(id string) {
	m.call(http.MethodPost, "/monitor/alerts/"+id+"/acknowledge", m.regular, map[string]string{}, 403, nil)
	m.call(http.MethodGet, "/monitor/alerts", m.subjects["bulk"].token, nil, 403, nil)
	m.call(http.MethodGet, "/monitor/alerts", "", nil, 401, nil)
	var a struct {
		State       string `json:"state"`
		OwnerUserID string `json:"owner_user_id"`
	}
	m.call(http.MethodPost, "/monitor/alerts/"+id+"/acknowledge", m.security, map[string]string{}, 200, &a)
	if a.State != "acknowledged" || a.OwnerUserID == "" {
		m.t.Errorf("after acknowledging: %+v", a)
	}
	m.call(http.MethodPost, "/monitor/alerts/"+id+"/close", m.security, map[string]string{"outcome": "true_positive", "note": "核实为异常访问，已处置"}, 200, &a)
	if a.State != "closed_true" {
		m.t.Errorf("after closing: %s", a.State)
	}
	m.call(http.MethodPost, "/monitor/alerts/"+id+"/acknowledge", m.security, map[string]string{}, 409, nil)
}

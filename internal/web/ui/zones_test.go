package ui_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"dataport/internal/datastore"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/services"
	"dataport/internal/web/ui"
	"dataport/internal/zones"
	"dataport/internal/zones/protect"
	"dataport/internal/zones/zonestest"
)

// zoneWorld is the UI over zonestest's health zone, whose visits hold
// zoneVisits: 120 persons in 东城区, 70 in 西城区 and 6 in 朝阳区; 104 men
// and 92 women; 12 seen for diagnosis group C.
type zoneWorld struct {
	*zonestest.World
	*exWorld // for its t, db and url, signing in (as) and refused forms (refused)
}

// zoneVisits are the health zone's visits for the UI's tests.
func zoneVisits() string {
	var b strings.Builder
	b.WriteString("patient_key,age,sex,district,diagnosis_group,cost,note\n")
	for i := range 196 {
		district := "110101"
		switch {
		case i >= 190:
			district = "110105"
		case i >= 120:
			district = "110102"
		}
		sex := "1"
		if i%2 == 1 && i < 184 {
			sex = "2"
		}
		group := "A"
		if i%16 == 3 && i < 190 {
			group = "C"
		}
		fmt.Fprintf(&b, "K%04d,%d,%s,%s,%s,%d.50,第%d次就诊\n", i, 20+i%60, sex, district, group, 100+i*37%4000, i)
	}
	return b.String()
}

// zoneTables are the tables a refused zone form must leave alone.
var zoneTables = []string{"zones", "zone_resources", "zone_applications", "zone_authorisations", "zone_budgets", "zone_queries",
	"zone_outputs", "review_cases", "grants", "events WHERE type <> 'access.decisions'"}

func newZoneWorld(t *testing.T, db *store.DB) *zoneWorld {
	t.Helper()
	var ds *datastore.Service
	w := zonestest.New(t, db, zonestest.Options{Zones: zones.Config{Noise: protect.SeededSource(11)}, Sandbox: func(w *zonestest.World) zones.Sandbox {
		ds = datastore.New(datastore.Config{DB: db, Catalog: w.Cat, Access: w.Access})
		data := zoneVisits()
		if _, err := ds.Load(context.Background(), w.StewardEditor, w.Visits.ID, datastore.LoadInput{File: strings.NewReader(data),
			Name: "visits.csv", Size: int64(len(data))}); err != nil {
			t.Fatalf("load the visits: %v", err)
		}
		return ds
	}})
	h, err := ui.New(ui.Config{Services: services.Services{Identity: w.IDs, Catalog: w.Cat, Access: w.Access, Review: w.Review, Datastore: ds,
		Zones: w.Zones, Log: slog.New(slog.NewTextHandler(t.Output(), nil))}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &zoneWorld{World: w, exWorld: &exWorld{t: t, db: db, url: srv.URL}}
}

// counts flushes the decision log and counts the zones' tables.
func (x *zoneWorld) counts() map[string]int {
	x.t.Helper()
	if err := x.Access.Flush(context.Background()); err != nil {
		x.t.Fatal(err)
	}
	return storetest.CountRows(x.t, x.db, zoneTables...)
}

// run submits sql from the workspace as b and returns the finished
// query's page address.
func (x *zoneWorld) run(b *browser, sql string, extra url.Values) string {
	x.t.Helper()
	form := url.Values{"sql": {sql}, "mechanism": {"sdc"}}
	for k, v := range extra {
		form[k] = v
	}
	to := location(x.t, b.form("/zones/ZONE-HEALTH/workspace", "/zones/ZONE-HEALTH/queries", form))
	id := to[strings.LastIndex(to, "/")+1:]
	if _, err := x.Zones.Await(context.Background(), x.OperatorUser, id); err != nil {
		x.t.Fatalf("await %s: %v", id, err)
	}
	return to
}

var zoneQueryLink = regexp.MustCompile(`href="(/zones/ZONE-HEALTH/queries/[^"/]+)"`)

// TestZonePublicPages: anyone sees the list of zones and a zone's page
// with its steward, its resource's items with their roles and bounds,
// and its rules in plain words in both languages; only members of a
// company or institution are offered the application, and the steward's
// desk is the steward's and the platform operators'.
func TestZonePublicPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		x := newZoneWorld(t, db)
		anon := (&portal{t: t, url: x.url}).browser()
		list := anon.get("/zones")
		mustStatus(t, list, http.StatusOK)
		mustContain(t, list, `href="/zones/ZONE-HEALTH"`, "医疗健康专区", "医疗健康", "京华市卫生健康委员会", `aria-current="page">数据专区`)
		mustContain(t, anon.get("/zones?domain=health"), `href="/zones/ZONE-HEALTH"`)
		if pg := anon.get("/zones?domain=finance"); strings.Contains(pg.body, `href="/zones/ZONE-HEALTH"`) {
			t.Error("the finance zones list the health zone")
		}
		zone := anon.get("/zones/ZONE-HEALTH")
		mustStatus(t, zone, http.StatusOK)
		mustContain(t, zone, "医疗健康数据的授权运营", "每个发布的统计格至少包含 10 人", "(n,k) 支配规则", "差分攻击检查", "隐私预算 ε 为 3",
			"patient_key", "标识项", "只能出现在 JOIN", "note", "自由文本", "不能在查询中使用", "0 – 50000", "求最小值和最大值", "登录后", "取值（3 个）", "110105</code> 朝阳区")
		if strings.Contains(zone.body, "/zones/ZONE-HEALTH/apply") {
			t.Error("an anonymous visitor is offered the application")
		}
		mustContain(t, anon.get("/lang?to=en&next=/zones/ZONE-HEALTH"), "Every released cell counts at least 10 persons", "Key", "Free text")

		citizen := x.as("citizen")
		if pg := citizen.get("/zones/ZONE-HEALTH"); strings.Contains(pg.body, "/zones/ZONE-HEALTH/apply\"") || strings.Contains(pg.body, "/steward") {
			t.Errorf("a citizen is offered the application or the steward's desk:\n%s", mainOf(pg.body))
		}
		mustContain(t, citizen.get("/zones/ZONE-HEALTH/apply"), "只有企业、机构或授权运营单位的成员才能申请")
		mustStatus(t, citizen.get("/zones/ZONE-HEALTH/steward"), http.StatusForbidden)
		mustContain(t, citizen.get("/zones/ZONE-HEALTH/workspace"), `id="zone-not-authorised"`)
		mustContain(t, x.as("zone.operator").get("/zones/ZONE-HEALTH"), `id="zone-apply"`)
		mustContain(t, x.as("wjw.member").get("/zones/ZONE-HEALTH"), `href="/zones/ZONE-HEALTH/steward"`)
		mustStatus(t, x.as("operator").get("/zones/ZONE-HEALTH/steward"), http.StatusOK)
		mustStatus(t, anon.get("/zones/NO-SUCH-ZONE"), http.StatusNotFound)
	})
}

// TestZoneApplicationWorkflow: the operator's application refused at its
// fields (nothing filed), then filed; the steward's editor approves it on
// its page from the desk, the platform operator authorises it; the
// workspace opens with the budget; the steward revokes the authorisation
// and the workspace closes.
func TestZoneApplicationWorkflow(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		x := newZoneWorld(t, db)
		op := x.as("zone.operator")
		form := op.get("/zones/ZONE-HEALTH/apply")
		mustContain(t, form, `name="scenario"`, `name="document_no"`, `name="zone_resources" value="`+x.Visits.ID+`"`, `name="valid_from"`,
			`name="epsilon_budget"`, "留空即使用专区的 3", x.OperatorOrg.NameZh)

		before := x.counts()
		bad := url.Values{"org_id": {x.OperatorOrg.ID}, "scenario": {""}, "document_no": {"京卫授〔2026〕9号"}, "valid_from": {"2026-13-01"},
			"valid_until": {"2027-01-01"}, "epsilon_budget": {"三"}}
		pg := op.form("/zones/ZONE-HEALTH/apply", "/zones/ZONE-HEALTH/apply", bad)
		x.refused(pg, before, "field-valid_from", "field-epsilon_budget")
		mustContain(t, pg, `value="京卫授〔2026〕9号"`, "开始日期")
		bad.Set("valid_from", "2026-01-01")
		bad.Set("epsilon_budget", "")
		x.refused(op.form("/zones/ZONE-HEALTH/apply", "/zones/ZONE-HEALTH/apply", bad), before, "field-scenario", "field-zone_resources")
		x.refused(op.form("/zones/ZONE-HEALTH/apply", "/zones/ZONE-HEALTH/apply", url.Values{"org_id": {x.Steward.ID}, "scenario": {"统计"},
			"document_no": {"1"}, "zone_resources": {x.Visits.ID}, "valid_from": {"2026-01-01"}, "valid_until": {"2027-01-01"}}), before, "field-org_id")

		from, until := time.Now().AddDate(0, 0, -1).Format(time.DateOnly), time.Now().AddDate(2, 0, 0).Format(time.DateOnly)
		good := url.Values{"org_id": {x.OperatorOrg.ID}, "scenario": {"区域门诊负担统计分析"}, "document_no": {"京卫授〔2026〕9号"},
			"document_title": {"授权运营协议"}, "zone_resources": {x.Visits.ID}, "valid_from": {from}, "valid_until": {until},
			"epsilon_budget": {"2.5"}}
		app := location(t, op.form("/zones/ZONE-HEALTH/apply", "/zones/ZONE-HEALTH/apply", good))
		if !strings.HasPrefix(app, "/zones/ZONE-HEALTH/applications/") || !strings.HasSuffix(app, "?done=zone_applied") {
			t.Fatalf("the application went to %s", app)
		}
		app = strings.TrimSuffix(app, "?done=zone_applied")
		mustContain(t, op.get(app), "待管理单位审核", "区域门诊负担统计分析", from+" – "+until, "2.5")
		if strings.Contains(op.get(app).body, `action="`+app+`/review"`) {
			t.Error("the applicant is offered the decision")
		}
		mustContain(t, op.get("/zones/ZONE-HEALTH"), `href="`+app+`"`)

		steward := x.as("wjw.editor")
		mustContain(t, steward.get("/zones/ZONE-HEALTH/steward"), `href="`+app+`"`, x.OperatorOrg.NameZh, "京卫授〔2026〕9号")
		caseLink := "/zones/applications/" + strings.TrimPrefix(app, "/zones/ZONE-HEALTH/applications/")
		mustContain(t, steward.get("/waiting"), `href="`+caseLink+`"`)
		if to := location(t, steward.get(caseLink)); to != app {
			t.Errorf("the review case's link goes to %s, want %s", to, app)
		}
		mustStatus(t, steward.get("/zones/outputs/"+x.Zone.ID), http.StatusNotFound)
		before = x.counts()
		x.refused(steward.form(app, app+"/review", url.Values{"decision": {"maybe"}}), before, "field-decision")
		to := location(t, steward.form(app, app+"/review", url.Values{"decision": {"approve"}, "comment": {"场景合理"}}))
		if to != app+"?done=zone_application_operator_review" {
			t.Errorf("after the steward's approval: %s", to)
		}
		platform := x.as("operator")
		location(t, platform.form(app, app+"/review", url.Values{"decision": {"approve"}, "comment": {"同意授权"}}))
		mustContain(t, platform.get(app), "已授权", "场景合理", "同意授权")

		ws := op.get("/zones/ZONE-HEALTH/workspace")
		mustStatus(t, ws, http.StatusOK)
		mustContain(t, ws, `name="sql"`, `"`+x.Visits.ID+`"`, "已用 0 / 共 2.5，剩余 2.5", "区域门诊负担统计分析", `id="zone-example-1"`)
		example := op.get("/zones/ZONE-HEALTH/workspace?example=1")
		mustContain(t, example, "GROUP BY sex", "COUNT(*) AS persons")

		if strings.Contains(steward.get("/zones/ZONE-HEALTH/steward").body, "/revoke") {
			t.Error("the steward's editor is offered the revocation (its admins decide it)")
		}
		stewardAdmin := x.as("wjw.admin")
		desk := stewardAdmin.get("/zones/ZONE-HEALTH/steward")
		auth := regexp.MustCompile(`action="(/zones/ZONE-HEALTH/authorisations/[^"]+/revoke)"`).FindStringSubmatch(desk.body)
		if auth == nil {
			t.Fatalf("the desk offers no revocation:\n%s", mainOf(desk.body))
		}
		before = x.counts()
		for _, b := range []*browser{op, steward} {
			if pg := b.form("/zones/ZONE-HEALTH/workspace", auth[1], url.Values{"revoke_reason": {"无权撤销"}}); pg.status != http.StatusForbidden {
				t.Errorf("the operator or the steward's editor revokes the authorisation: %d", pg.status)
			}
		}
		storetest.AssertUnchanged(t, db, before)
		x.refused(stewardAdmin.form("/zones/ZONE-HEALTH/steward", auth[1], url.Values{"revoke_reason": {"  "}}), before, "field-revoke_reason")
		location(t, stewardAdmin.form("/zones/ZONE-HEALTH/steward", auth[1], url.Values{"revoke_reason": {"超出授权用途"}}))
		mustContain(t, steward.get("/zones/ZONE-HEALTH/steward"), "已撤销", "超出授权用途")
		mustContain(t, op.get("/zones/ZONE-HEALTH/workspace"), `id="zone-not-authorised"`)
	})
}

// TestZoneWorkspaceAndResults: an authorised operator's statements. SELECT
// * is refused beside the SQL at its line and column with the statement
// kept; a count by district is released with its small cells withheld and
// the legend, downloaded as CSV and kept as an output (a nameless output
// refused at its field); a differentially private count says the epsilon
// spent and left; a small result waits for the steward, who releases it
// from the desk; strangers get 404.
func TestZoneWorkspaceAndResults(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		x := newZoneWorld(t, db)
		x.Authorise(t, x.Application())
		op := x.as("zone.operator")
		table := `"` + x.Visits.ID + `"`

		refusal := op.form("/zones/ZONE-HEALTH/workspace", "/zones/ZONE-HEALTH/queries", url.Values{"sql": {"SELECT district,\n       *  FROM " + table},
			"mechanism": {"sdc"}})
		mustStatus(t, refusal, http.StatusUnprocessableEntity)
		mustContain(t, refusal, `id="sql-refusal"`, "问题位于第 2 行第 8 列", `<code class="zone-code">*</code>`, "       ^", "SELECT district,\n       *  FROM",
			`aria-invalid="true"`)
		if !zoneQueryLink.MatchString(refusal.body) {
			t.Error("the refused statement is not in the workspace's history")
		}

		page := x.run(op, "SELECT district, COUNT(*) AS persons FROM "+table+" GROUP BY district", nil)
		pg := op.get(page)
		mustStatus(t, pg, http.StatusOK)
		if pg.header.Get("Refresh") != "" {
			t.Error("a finished query's page still refreshes itself")
		}
		mustContain(t, pg, "结果已发布", `<td>110101 东城区</td>`, `<td>120</td>`, `class="zone-suppressed"`, `id="zone-result-legend"`, "该格人数少于 10 人", "下载 CSV")
		if strings.Contains(pg.body, "<td>6</td>") {
			t.Errorf("the cell of 6 persons is shown:\n%s", mainOf(pg.body))
		}
		csv := op.get(page + "/result.csv")
		mustStatus(t, csv, http.StatusOK)
		if !strings.HasPrefix(csv.body, "\ufeffdistrict,persons") || !strings.Contains(csv.header.Get("Content-Disposition"), "attachment") {
			t.Errorf("CSV: %q (%s)", csv.body, csv.header.Get("Content-Disposition"))
		}
		before := x.counts()
		x.refused(op.form(page, page+"/keep", url.Values{"name_zh": {""}}), before, "field-name_zh")
		out := location(t, op.form(page, page+"/keep", url.Values{"name_zh": {"各区门诊人数"}, "description": {"按区统计"}}))
		out = strings.TrimSuffix(out, "?done=zone_output_kept")
		mustContain(t, op.get(out), "各区门诊人数", "按区统计", `class="zone-suppressed"`)
		mustContain(t, op.get("/zones/ZONE-HEALTH"), `href="`+out+`"`)

		dp := op.get(x.run(op, "SELECT sex, COUNT(*) AS persons FROM "+table+" GROUP BY sex", url.Values{"mechanism": {"dp"}, "epsilon": {"0.5"}}))
		mustContain(t, dp, "差分隐私", "本次使用 ε 0.5，所涉资源剩余预算 2.5")
		mustContain(t, op.get("/zones/ZONE-HEALTH/workspace"), "已用 0.5 / 共 3，剩余 2.5")

		small := x.run(op, "SELECT COUNT(*) AS persons FROM "+table+" WHERE diagnosis_group = 'C'", nil)
		mustContain(t, op.get(small), "待人工审核", "须经管理单位审核后才能发布")
		if strings.Contains(op.get(small).body, "<td>12</td>") {
			t.Error("the operator sees a result in review")
		}
		for _, onlooker := range []string{"wjw.member", "operator"} {
			if pg := x.as(onlooker).get("/zones/ZONE-HEALTH/steward"); strings.Contains(pg.body, `action="`+small+`/review"`) {
				t.Errorf("%s, who does not decide releases, is offered the decision", onlooker)
			}
		}
		steward := x.as("wjw.editor")
		if to := location(t, steward.get("/zones/queries/"+small[strings.LastIndex(small, "/")+1:])); to != small {
			t.Errorf("the release case's link goes to %s, want %s", to, small)
		}
		desk := steward.get("/zones/ZONE-HEALTH/steward")
		mustContain(t, desk, `action="`+small+`/review"`)
		mustContain(t, steward.get(small), "<td>12</td>", "发布审核")
		location(t, steward.form("/zones/ZONE-HEALTH/steward", small+"/review", url.Values{"decision": {"approve"}}))
		mustContain(t, op.get(small), "结果已发布", "<td>12</td>")
		mustContain(t, steward.get("/zones/ZONE-HEALTH/steward"), "没有待审核的结果", x.OperatorOrg.NameZh)

		for _, stranger := range []string{"citizen", "company"} {
			b := x.as(stranger)
			for _, path := range []string{page, page + "/result.csv", small} {
				if pg := b.get(path); pg.status != http.StatusNotFound && pg.status != http.StatusForbidden {
					t.Errorf("%s reads %s: %d", stranger, path, pg.status)
				}
			}
		}
	})
}

package ui_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/assess/assesstest"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/services"
	"dataport/internal/web/ui"
)

// TestAssessmentPages takes an assessment of the important resource
// through the pages, without script: the schedule lists it due; the
// provider's editor starts one, posts rows with a vulnerability of no
// asset (refused at that cell, the rows kept), posts them right, is told
// what completing lacks, adds the task and completes; the risk table
// shows the computed value; the owner marks the task done; the
// regulator reads the page without forms; another institution's admin
// is told it does not exist; and the schedule lists the resource current.
func TestAssessmentPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := accesstest.New(t, db)
		grades, svc := assesstest.Rules(db, w.Cat, w.IDs)
		acc := access.New(db, w.Cat, access.Config{Rules: grades})
		t.Cleanup(acc.Close)
		h, err := ui.New(ui.Config{Services: services.Services{Identity: w.IDs, Catalog: w.Cat, Access: acc, Grades: grades, Assess: svc,
			Log: slog.New(slog.NewTextHandler(t.Output(), nil))}})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		x := &exWorld{t: t, db: db, w: w, url: srv.URL}
		w.NewUser(t, "regulator", identity.PlatformRegulator)

		editor := x.as("jtw.editor")
		pg := editor.get("/security/assessments")
		if pg.status != http.StatusOK || !strings.Contains(pg.body, "重点车辆实时定位") || !strings.Contains(pg.body, "需要评估") {
			t.Fatalf("schedule: %d %.400s", pg.status, pg.body)
		}
		pg = editor.form("/security/assessments/new?resource="+w.Important.ID, "/security/assessments", url.Values{"scope": {"resource"},
			"resource_id": {w.Important.ID}, "title": {"重点车辆实时定位年度评估"}})
		if pg.status != http.StatusSeeOther {
			t.Fatalf("create: %d %.400s", pg.status, pg.body)
		}
		page := strings.SplitN(pg.header.Get("Location"), "?", 2)[0]
		rows := url.Values{"title": {"重点车辆实时定位年度评估"}, "conclusion": {"限频后风险可控"},
			"asset_code": {"A1", ""}, "asset_name": {"车辆定位数据", ""}, "asset_kind": {"data", "data"}, "asset_value": {"4", ""},
			"asset_description": {"", ""},
			"threat_code":       {"T1"}, "threat_name": {"接口批量抓取"}, "threat_source": {"external_attack"}, "threat_likelihood": {"4"},
			"vuln_code": {"V1"}, "vuln_name": {"接口未限频"}, "vuln_asset": {"A9"}, "vuln_threat": {"T1"}, "vuln_severity": {"4"},
			"measure_code": {"M1"}, "measure_name": {"访问日志"}, "measure_kind": {"technical"}, "measure_effective": {"no"}, "measure_vulnerabilities": {"V1"},
			"finding_code": {"F1"}, "finding_text": {"接口应限频"}, "finding_risks": {"V1"}, "finding_treatment": {"reduce"}}
		pg = editor.form(page, page, rows)
		if pg.status != http.StatusUnprocessableEntity || !strings.Contains(pg.body, `id="field-vulnerabilities-0-asset" aria-invalid="true"`) ||
			!strings.Contains(pg.body, `value="A9"`) || !strings.Contains(pg.body, "脆弱性第 1 行·资产") {
			t.Fatalf("a vulnerability of no asset: %d %.2000s", pg.status, pg.body)
		}
		rows.Set("vuln_asset", "A1")
		if pg = editor.form(page, page, rows); pg.status != http.StatusSeeOther {
			t.Fatalf("save: %d %.1000s", pg.status, pg.body)
		}
		pg = editor.form(page, page+"/complete", url.Values{})
		if pg.status != http.StatusUnprocessableEntity || !strings.Contains(pg.body, "请先为其添加整改任务") {
			t.Fatalf("complete without the task: %d %.1000s", pg.status, pg.body)
		}
		deadline := time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 1, 0).Format(time.DateOnly)
		pg = editor.form(page, page+"/tasks", url.Values{"task_title": {"接口限频"}, "finding": {"F1"}, "owner_user_id": {w.ProviderAdmin.UserID},
			"deadline": {deadline}})
		if pg.status != http.StatusSeeOther {
			t.Fatalf("add task: %d %.1000s", pg.status, pg.body)
		}
		if pg = editor.form(page, page+"/complete", url.Values{}); pg.status != http.StatusSeeOther {
			t.Fatalf("complete: %d %.1000s", pg.status, pg.body)
		}
		pg = editor.get(page)
		if !strings.Contains(pg.body, `id="assessment-risks"`) || !strings.Contains(pg.body, "<td>25</td>") ||
			!strings.Contains(pg.body, "很高") || strings.Contains(pg.body, `id="assessment-form"`) {
			t.Errorf("the completed assessment's page: %.3000s", pg.body)
		}

		admin := x.as("jtw.admin")
		apg := admin.get(page)
		m := regexp.MustCompile(`action="(/security/assessments/[^"]+/done)"`).FindStringSubmatch(apg.body)
		if m == nil {
			t.Fatalf("the owner is offered no task to mark done: %.2000s", apg.body)
		}
		action := m[1]
		if pg = admin.form(page, action, url.Values{"note": {"已限频"}}); pg.status != http.StatusSeeOther {
			t.Fatalf("task done at %s: %d %.1000s", action, pg.status, pg.body)
		}

		reg := x.as("regulator")
		if pg = reg.get(page); pg.status != http.StatusOK || strings.Contains(pg.body, `id="task-form"`) || !strings.Contains(pg.body, "已限频") {
			t.Errorf("the regulator's page: %d %.2000s", pg.status, pg.body)
		}
		if pg = x.as("sthj.admin").get(page); pg.status != http.StatusNotFound {
			t.Errorf("another institution's admin: %d", pg.status)
		}
		if pg = editor.get("/security/assessments"); !strings.Contains(pg.body, "as-badge--current") {
			t.Errorf("the schedule after: %.2000s", pg.body)
		}
	})
}

package ui_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"dataport/internal/harvest"
	"dataport/internal/identity"
)

// TestHarvestSourcesPage: operators register, run and remove sources
// through the page; an institution's members see its sources without the
// forms; others are refused; a bad address is named and changes nothing.
func TestHarvestSourcesPage(t *testing.T) {
	d := newDeskPortal(t, false)
	ctx := context.Background()

	if pg := d.browser().get("/admin/harvest"); pg.url != "/login?next=%2Fadmin%2Fharvest" {
		t.Errorf("anonymous: ended at %s (%d)", pg.url, pg.status)
	}
	citizen := d.browser()
	citizen.login("citizen.zhou")
	mustStatus(t, citizen.get("/admin/harvest"), http.StatusForbidden)

	operator := d.browser()
	operator.login("operator.wang")
	pg := operator.get("/admin/harvest")
	mustStatus(t, pg, http.StatusOK)
	mustContain(t, pg, "数据采集来源", "还没有采集来源", `action="/admin/harvest"`, `<option value="`+d.org.ID+`"`)
	if !strings.Contains(operator.get("/account").body, `href="/admin/harvest"`) {
		t.Error("the operator's account page does not link the harvest sources")
	}

	// A file:// address is refused with the field's problem; nothing is stored.
	token := operator.csrf("/admin/harvest")
	form := url.Values{"csrf_token": {token}, "organization_id": {d.org.ID}, "source_kind": {"ckan"}, "url": {"file:///etc/passwd"}, "frequency": {"manual"}}
	pg = operator.post("/admin/harvest", form)
	mustStatus(t, pg, http.StatusUnprocessableEntity)
	mustContain(t, pg, "地址：格式不正确", `aria-invalid="true"`, `value="file:///etc/passwd"`, `<option value="manual" selected>`)
	if srcs, _ := d.sources.List(ctx, identity.System); len(srcs) != 0 {
		t.Fatalf("a refused source was stored: %+v", srcs)
	}

	form.Set("url", "https://data.example.gov.cn")
	pg = operator.post("/admin/harvest", form)
	mustStatus(t, pg, http.StatusOK)
	mustContain(t, pg, "采集来源已登记", "https://data.example.gov.cn", "市交通委员会", "仅手动", "尚未采集")
	srcs, err := d.sources.List(ctx, identity.System)
	if err != nil || len(srcs) != 1 {
		t.Fatalf("sources: %+v, %v", srcs, err)
	}
	id := srcs[0].ID

	// Run now queues the harvest (the runner is not started: it stays queued).
	pg = operator.post("/admin/harvest/"+id+"/run", url.Values{"csrf_token": {token}})
	mustStatus(t, pg, http.StatusOK)
	if pg.url != "/admin/harvest/"+id+"?done=harvest_run_queued" {
		t.Errorf("run now ended at %s", pg.url)
	}
	mustContain(t, pg, "采集已排队", "排队中", "还没有采集报告")
	if src, err := d.sources.Get(ctx, identity.System, id); err != nil || src.RunStatus != harvest.RunQueued {
		t.Fatalf("after run now: %+v, %v", src, err)
	}

	// The institution's editor sees the source, without the forms, and may not run it.
	editor := d.browser()
	editor.login("editor.li")
	pg = editor.get("/admin/harvest")
	mustStatus(t, pg, http.StatusOK)
	mustContain(t, pg, "https://data.example.gov.cn", "排队中")
	if strings.Contains(pg.body, `/run"`) || strings.Contains(pg.body, `action="/admin/harvest"`) {
		t.Error("the editor is offered the operators' forms")
	}
	mustStatus(t, editor.get("/admin/harvest/"+id), http.StatusOK)
	mustStatus(t, editor.post("/admin/harvest/"+id+"/delete", url.Values{"csrf_token": {editor.csrf("/admin/harvest")}}), http.StatusForbidden)
	mustStatus(t, citizen.get("/admin/harvest/"+id), http.StatusForbidden)

	pg = operator.post("/admin/harvest/"+id+"/delete", url.Values{"csrf_token": {token}})
	mustStatus(t, pg, http.StatusOK)
	mustContain(t, pg, "采集来源已删除", "还没有采集来源")
}

// TestHarvestSourceReport: the source's page lists its last run's
// outcomes with their reasons, and the list counts them.
func TestHarvestSourceReport(t *testing.T) {
	d := newDeskPortal(t, false)
	ctx := context.Background()
	portal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		results := []map[string]any{}
		if r.URL.Query().Get("start") == "0" {
			results = []map[string]any{
				{"id": "pkg-bus", "name": "bus-stops", "title": "公交站点", "notes": "全市公交站点的位置。", "groups": []any{map[string]any{"name": "transport"}},
					"resources": []any{map[string]any{"format": "CSV"}}, "metadata_modified": "2025-05-01T10:00:00.000000"},
				{"id": "pkg-bad", "name": "bad-level", "title": "等级不明", "notes": "说明", "extras": []any{map[string]any{"key": "level", "value": "high"}}},
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"success": true, "result": map[string]any{"results": results}})
	}))
	t.Cleanup(portal.Close)
	src, err := d.sources.Create(ctx, identity.System, harvest.SourceInput{OrganizationID: d.org.ID, Kind: harvest.CKAN, URL: portal.URL,
		Frequency: harvest.Manual, Subject: "04"})
	if err != nil {
		t.Fatal(err)
	}
	h := &harvest.Harvester{DB: d.db, Catalog: d.catalog, Identity: d.identity, Client: portal.Client()}
	if _, err := d.sources.Run(ctx, h, src.ID, false); err != nil {
		t.Fatal(err)
	}
	operator := d.browser()
	operator.login("operator.wang")
	mustContain(t, operator.get("/admin/harvest"), "1 / 0 / 0 / 1", "部分失败")
	pg := operator.get("/admin/harvest/" + src.ID)
	mustStatus(t, pg, http.StatusOK)
	mustContain(t, pg, "新增 (1)", `">bus-stops</a>`, "pkg-bus", "失败 (1)", "bad-level", "pkg-bad", "level must be a number from 1 to 4")
}

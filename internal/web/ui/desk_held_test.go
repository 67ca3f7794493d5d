package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// TestHeldLoadExplainedAndDeidentified: a load held for personal
// information tells the editor which column holds what and who may
// release it; the de-identification page offers presets in plain words
// with that column preselected, makes a profile from one, and previews it
// on the held rows — values masked, none shown raw.
func TestHeldLoadExplainedAndDeidentified(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		d := newEditorDesk(t, db)
		ctx := context.Background()
		in := sampleInput("出租车企业联系人", "Taxi company contacts")
		in.Items = append(in.Items, catalog.Item{Name: "phone", LabelZh: "联系电话", Type: catalog.TypeText})
		r, err := d.catalog.Create(ctx, d.editor, d.org.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		csv := "线路编号,联系电话\nL1,13812345678\nL2,13912345678\nL3,13712345678\n"
		if v, err := d.ds.Load(ctx, d.editor, r.ID, datastore.LoadInput{File: strings.NewReader(csv), Name: "c.csv", Size: int64(len(csv))}); err != nil || v.Status != datastore.StatusHeld {
			t.Fatalf("load: %v, %+v", err, v)
		}
		b := d.browser()
		b.login("editor.li")

		pg := b.get("/resources/" + r.ID + "/data/versions/1")
		mustStatus(t, pg, http.StatusOK)
		mustContain(t, pg, "“联系电话”列（phone）检出手机号码", "个值，", "本机构管理员：admin.sun", "平台运营人员",
			`href="/resources/`+r.ID+`/deid"`)

		pg = b.get("/resources/" + r.ID + "/deid")
		mustStatus(t, pg, http.StatusOK)
		mustContain(t, pg, "按用途选择脱敏方案", "向社会开放", "姓名只留姓氏", `id="preset-col-phone" checked`, `id="preset-col-route_id">`)

		pg = b.post("/resources/"+r.ID+"/deid/preset", url.Values{"csrf_token": {b.csrf("/resources/" + r.ID + "/deid")},
			"preset": {"open_public"}, "columns": {"phone"}})
		mustStatus(t, pg, http.StatusOK)
		mustContain(t, pg, "去标识化方案已创建", "向社会开放")
		list, err := d.profiles.List(ctx, d.editor, r.ID)
		if err != nil || len(list) != 1 {
			t.Fatalf("profiles: %v, %d", err, len(list))
		}

		pg = b.post("/resources/"+r.ID+"/deid/"+list[0].ID+"/preview", url.Values{"csrf_token": {b.csrf("/resources/" + r.ID + "/deid")}})
		mustStatus(t, pg, http.StatusOK)
		mustContain(t, pg, "暂缓发布的第 1 版", "138********", "139********")
		if strings.Contains(pg.body, "13812345678") {
			t.Error("the preview shows a raw phone number")
		}

		// An unknown preset is refused, in the page's language.
		pg = b.post("/resources/"+r.ID+"/deid/preset", url.Values{"csrf_token": {b.csrf("/resources/" + r.ID + "/deid")}, "preset": {"all_open"}})
		mustStatus(t, pg, http.StatusUnprocessableEntity)
		mustContain(t, pg, "请从给定选项中选择")
	})
}

// TestQualityRuleFromTemplate: the editor adds a rule from a template
// without writing CEL; it lands in the loading settings, and a template
// given no number is refused in the page's language.
func TestQualityRuleFromTemplate(t *testing.T) {
	d := newEditorDesk(t, storetest.Open(t, store.SQLite))
	ctx := context.Background()
	in := sampleInput("公共停车场", "Car parks")
	in.Items = append(in.Items, catalog.Item{Name: "spaces", LabelZh: "泊位数", Type: catalog.TypeInteger})
	r, err := d.catalog.Create(ctx, d.editor, d.org.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	b := d.browser()
	b.login("editor.li")
	token := b.csrf("/my")
	pg := b.post("/resources/"+r.ID+"/data/rules", url.Values{"csrf_token": {token}, "rule_item": {"spaces"}, "rule_template": {"range"},
		"rule_min": {"0"}, "rule_max": {"5000"}})
	mustStatus(t, pg, http.StatusOK)
	mustContain(t, pg, "质量规则已添加")
	st, err := d.ds.Settings(ctx, d.editor, r.ID)
	if err != nil || len(st.Rules) != 1 || st.Rules[0].Expr != "double(value) >= 0.0 && double(value) <= 5000.0" || st.Rules[0].Message != "数值在最小值和最大值之间" {
		t.Fatalf("settings after the template: %v, %+v", err, st.Rules)
	}
	pg = b.post("/resources/"+r.ID+"/data/rules", url.Values{"csrf_token": {token}, "rule_item": {"spaces"}, "rule_template": {"range"}, "rule_min": {"少"}})
	mustStatus(t, pg, http.StatusUnprocessableEntity)
	mustContain(t, pg, "最小值：必须是数字")
}

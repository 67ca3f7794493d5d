package ui

import (
	"strings"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/datastore"
)

// TestQualityFlag: the quality flag names each problem of the newest
// load's report — refused records, empty required items, repeated keys, a
// late load — and is "ok" only without any.
func TestQualityFlag(t *testing.T) {
	res := catalog.Resource{ID: "r1"}
	items := []catalog.Item{{Name: "station_id", LabelZh: "站点编号", Required: true}, {Name: "name", LabelZh: "站点名称"}}
	version := func(q datastore.QualityReport) *datastore.DataVersion {
		return &datastore.DataVersion{Version: 3, Items: items, Report: &q}
	}
	for _, test := range []struct {
		name  string
		v     *datastore.DataVersion
		level string
		want  []string
	}{
		{"no data", nil, flagNone, []string{"尚未加载数据"}},
		{"clean", version(datastore.QualityReport{RowsRead: 5, RowsLoaded: 5}), flagOK, []string{"已加载 5 条，未发现问题"}},
		{"problems", version(datastore.QualityReport{RowsRead: 10, RowsLoaded: 8, RowsRejected: 2,
			Items:      []datastore.ItemQuality{{Name: "station_id", Label: "站点编号", Nulls: 3}, {Name: "name", Label: "站点名称", Nulls: 9}},
			Duplicates: datastore.KeyDuplicates{Rows: 4}, Timeliness: datastore.TimelinessCheck{Late: true}}), flagWarn,
			[]string{"拒收 2 条（共读取 10 条）", "必填项“站点编号”有 3 个空值", "主键重复 4 条", "数据未按更新频率及时更新"}},
	} {
		t.Run(test.name, func(t *testing.T) {
			f := qualityFlag(langZh, res, test.v)
			if f.Level != test.level {
				t.Errorf("level %s, want %s (%s)", f.Level, test.level, f.Text)
			}
			for _, w := range test.want {
				if !strings.Contains(f.Text, w) {
					t.Errorf("%q lacks %q", f.Text, w)
				}
			}
			if strings.Contains(f.Text, "站点名称") {
				t.Errorf("%q flags empty values of an optional item", f.Text)
			}
			if test.v != nil && f.Link != "/resources/r1/data/versions/3" {
				t.Errorf("link %q", f.Link)
			}
		})
	}
}

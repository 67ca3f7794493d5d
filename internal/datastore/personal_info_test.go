package datastore_test

import (
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/datastore"
)

// TestClassifyCheck: a column of mobile numbers blocks publication; one of
// stop names does not.
func TestClassifyCheck(t *testing.T) {
	phones := []string{"13812345678", "13912345678", "13712345679"}
	if got := (datastore.ClassifyCheck{}).CheckColumn(catalog.Item{Name: "contact", LabelZh: "联系电话"}, phones); len(got) != 1 || got[0].Kind != "CN_MOBILE" || got[0].Matches != 3 {
		t.Errorf("phones: %+v", got)
	}
	stops := []string{"朝阳门", "西单", "东四", "灵境胡同"}
	if got := (datastore.ClassifyCheck{}).CheckColumn(catalog.Item{Name: "stop_name", LabelZh: "站点名称"}, stops); len(got) != 0 {
		t.Errorf("stop names taken for personal information: %+v", got)
	}
}

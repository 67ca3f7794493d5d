package demo

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"testing"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

var update = flag.Bool("update", false, "rewrite the demo row files in testdata")

// busRoutesCSV is the bus routes file as 市交通委 exports it: GBK, Chinese headers.
func busRoutesCSV() []byte {
	var b bytes.Buffer
	b.WriteString("线路编号,线路名称,运营企业,起点站,终点站,首班时间,末班时间,站点数,线路长度（公里）,票制,是否空调车\r\n")
	stops := []string{"紫宸门", "西华广场", "东湖公园", "南苑路口", "西山脚下", "文澜书院", "运河码头", "空港北站", "北岭村", "青原大桥"}
	for k := 1; k <= 30; k++ {
		fare := []string{"单一票制", "分段计价"}[k%2]
		fmt.Fprintf(&b, "%d,%d路,京华公交集团第%d分公司,%s,%s,05:%02d,22:%02d,%d,%.1f,%s,%s\r\n",
			k, k, k%5+1, stops[k%10], stops[(k*3+1)%10], 30+k%30, k%60, 12+k%25, 8.5+float64(k%40)*0.7, fare, []string{"是", "否"}[k%3/2])
	}
	out, err := simplifiedchinese.GBK.NewEncoder().Bytes(b.Bytes())
	if err != nil {
		panic(err)
	}
	return out
}

// taxiCompaniesXLSX is the taxi company register as a workbook on a named
// sheet, with district names instead of codes and real date cells.
func taxiCompaniesXLSX() []byte {
	f := excelize.NewFile()
	f.SetSheetName("Sheet1", "企业名录")
	f.SetSheetRow("企业名录", "A1", &[]any{"统一社会信用代码", "企业名称", "所在区", "经营地址", "道路运输经营许可证号", "经营类型", "核定车辆数", "许可有效期至"})
	for k := 1; k <= 40; k++ {
		first := fmt.Sprintf("91110000%09d", 500+k)
		c, _ := identity.USCCCheckChar(first)
		d := districts[k%len(districts)]
		row := []any{first + string(c), fmt.Sprintf("京华%s出租汽车有限公司", []string{"顺达", "安行", "惠民", "快捷", "祥和"}[k%5]) + fmt.Sprint(k),
			d.name, fmt.Sprintf("%s幸福路%d号", d.name, k*3), fmt.Sprintf("京交运管许可出字%06d号", 1000+k),
			[]string{"巡游出租汽车", "网络预约出租汽车"}[k%2], 20 + k*7%300, demoEpoch.AddDate(2, k%12, k%28)}
		cell, _ := excelize.CoordinatesToCellName(1, k+1)
		f.SetSheetRow("企业名录", cell, &row)
	}
	style, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	f.SetColStyle("企业名录", "H", style)
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// TestDemoRowFiles checks the committed files are what the generators
// make (go test -run TestDemoRowFiles -update rewrites the CSV; the XLSX is
// only checked to open, as zip timestamps differ between writes).
func TestDemoRowFiles(t *testing.T) {
	if *update {
		os.WriteFile("testdata/bus_routes_gbk.csv", busRoutesCSV(), 0o644)
		os.WriteFile("testdata/taxi_companies.xlsx", taxiCompaniesXLSX(), 0o644)
	}
	got, err := rowFiles.ReadFile("testdata/bus_routes_gbk.csv")
	if err != nil || !bytes.Equal(got, busRoutesCSV()) {
		t.Errorf("testdata/bus_routes_gbk.csv is stale (%v): run go test -run TestDemoRowFiles -update", err)
	}
}

func TestSeedRows(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the whole demo city")
	}
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	ids, cat := identity.NewService(db), catalog.NewService(db)
	if _, err := Seed(ctx, ids, cat); err != nil {
		t.Fatal(err)
	}
	ds := datastore.New(datastore.Config{DB: db, Catalog: cat, Access: access.NewService(db, cat)})
	if err := SeedRows(ctx, cat, ds); err != nil {
		t.Fatal(err)
	}
	for title, want := range map[string][]any{
		"公交线路基本信息": {int64(2), "1", "1路", "京华公交集团第2分公司"},
		"出租汽车企业名录": {int64(2), "91110000000000501X", "京华安行出租汽车有限公司1", "110102"},
	} {
		page, err := cat.List(ctx, identity.System, catalog.Filter{Q: title})
		if err != nil || len(page.Items) == 0 {
			t.Fatalf("%s: %v", title, err)
		}
		res, err := ds.Search(ctx, identity.Anonymous, page.Items[0].ID, "test", datastore.Query{Limit: 1, Total: true})
		if err != nil {
			t.Fatalf("%s: %v", title, err)
		}
		if len(res.Rows) != 1 || fmt.Sprint(res.Rows[0][:len(want)]) != fmt.Sprint(want) {
			t.Errorf("%s: first row %v, want it to start %v", title, res.Rows, want)
		}
	}
	// Every open published resource got data: a second run loads nothing new.
	if err := SeedRows(ctx, cat, ds); err != nil {
		t.Fatal(err)
	}
}

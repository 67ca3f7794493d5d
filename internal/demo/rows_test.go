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
	// Lines run between stops on the districts' main roads; a line's length
	// follows its number of stops (600–900 m between stops).
	for k := 1; k <= 30; k++ {
		from, to := places[k%len(places)], places[(k*3+1)%len(places)]
		if from.code == to.code {
			to = places[(k+5)%len(places)]
		}
		stops := 12 + k*7%25
		fare := []string{"单一票制", "分段计价"}[k%2]
		fmt.Fprintf(&b, "%d,%d路,京华公交集团第%s客运分公司,%s%s,%s%s,%02d:%02d,%02d:%02d,%d,%.1f,%s,%s\r\n",
			k, k, chineseNumber(k%8+1), from.roads[k%len(from.roads)], []string{"北站", "南站", "东口", "西口"}[k%4],
			to.roads[(k+2)%len(to.roads)], []string{"公交场站", "路口", "南口", "北口"}[k%4],
			5+k%2, k*7%6*10, 22+k%2, k*11%6*10, stops, float64(stops)*(0.6+float64(k%4)*0.1), fare, []string{"是", "否"}[k%3/2])
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
		d := places[k%len(places)]
		row := []any{companyUSCC(d, 500+k), fmt.Sprintf("京华%s%s出租汽车%s", d.short(), tradeNames[k%len(tradeNames)], []string{"有限公司", "有限责任公司"}[k%2]),
			d.name, fmt.Sprintf("%s%s%d号", d.name, d.roads[k%len(d.roads)], k*3), fmt.Sprintf("京华交运管许可出字%06d号", 1000+k),
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
		"公交线路基本信息": {int64(2), "1", "1路", "京华公交集团第二客运分公司"},
		"出租汽车企业名录": {int64(2), "91110102539674199L", "京华西华恒信出租汽车有限责任公司", "110102"},
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

package datastore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/ingest"
	"dataport/internal/store"
	"dataport/internal/store/storetest"

	"github.com/google/go-cmp/cmp"
)

// firstImport does what `dataport import --infer` does: it infers the
// items from the file's first sample records, creates a draft resource
// with them (and the given on_error policy), and loads the whole file.
func (f *fixture) firstImport(t *testing.T, data string, sample int64, policy datastore.OnError, file func([]byte) io.Reader) (catalog.Resource, datastore.DataVersion, error) {
	t.Helper()
	ctx := context.Background()
	rd, err := ingest.Open(strings.NewReader(data), "first.csv", ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	items, rows, _, err := ingest.InferSample(rd, sample)
	rd.Close()
	if err != nil {
		t.Fatal(err)
	}
	r := f.resource(t, items, false)
	if policy != "" {
		if _, err := f.ds.SetSettings(ctx, f.editor, r.ID, datastore.LoadSettings{OnError: policy, KeepVersions: 2}); err != nil {
			t.Fatal(err)
		}
	}
	v, loadErr := f.ds.Load(ctx, f.editor, r.ID, datastore.LoadInput{File: file([]byte(data)), Name: "first.csv", Size: int64(len(data)), SampleRows: rows})
	if r, err = f.cat.Get(ctx, f.editor, r.ID); err != nil {
		t.Fatal(err)
	}
	return r, v, loadErr
}

func seekable(b []byte) io.Reader { return bytes.NewReader(b) }

// streamed hides the Seek of the file, as an upload's body does.
func streamed(b []byte) io.Reader { return io.MultiReader(bytes.NewReader(b)) }

// fullPass is the items inferred from every record of data.
func fullPass(t *testing.T, data string) []catalog.Item {
	t.Helper()
	rd, err := ingest.Open(strings.NewReader(data), "first.csv", ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	items, _, err := ingest.InferItems(rd)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

// laterRowsDisagree is a file whose first 100 records fit integer, date,
// boolean and required items, and whose later records hold a decimal, a
// datetime, a code with a leading zero, a "1" among 是/否, and an empty value.
func laterRowsDisagree() string {
	var b strings.Builder
	b.WriteString("编号,金额,日期,区号,认证,名称\n")
	for i := 1; i <= 300; i++ {
		amount, day, code, yes, name := fmt.Sprint(i*10), fmt.Sprintf("2024-01-%02d", i%28+1), fmt.Sprint(i), "是", fmt.Sprintf("单位%d", i)
		switch i {
		case 150:
			amount = "12.5"
		case 180:
			day = "2024-03-01 08:30:00"
		case 200:
			code = "007"
		case 220:
			yes = "1"
		case 250:
			name = ""
		}
		fmt.Fprintf(&b, "%d,%s,%s,%s,%s,%s\n", i, amount, day, code, yes, name)
	}
	return b.String()
}

func itemsByName(items []catalog.Item) map[string]catalog.Item {
	out := map[string]catalog.Item{}
	for _, it := range items {
		out[it.Name] = it
	}
	return out
}

func TestFirstImportWidensWhatLaterRowsBreak(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		data := laterRowsDisagree()
		r, v, err := f.firstImport(t, data, 100, "", seekable)
		if err != nil {
			t.Fatal(err)
		}
		want := fullPass(t, data)
		if diff := cmp.Diff(want, r.Items); diff != "" {
			t.Errorf("the resource's items are not those of a full pass (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(want, v.Items); diff != "" {
			t.Errorf("the version's items (-want +got):\n%s", diff)
		}
		if v.Rows != 300 || v.Rejected != 0 {
			t.Errorf("version = %d rows, %d rejected; want 300, 0", v.Rows, v.Rejected)
		}
		inf := v.Report.Inference
		wantChanges := []datastore.ItemChange{
			{Item: "col_2", Column: "金额", Change: datastore.ChangeWidened, From: catalog.TypeInteger, To: catalog.TypeDecimal, Row: 151, Value: "12.5"},
			{Item: "col_3", Column: "日期", Change: datastore.ChangeWidened, From: catalog.TypeDate, To: catalog.TypeDatetime},
			{Item: "col_4", Column: "区号", Change: datastore.ChangeWidened, From: catalog.TypeInteger, To: catalog.TypeText},
			{Item: "col_5", Column: "认证", Change: datastore.ChangeWidened, From: catalog.TypeBoolean, To: catalog.TypeText},
			{Item: "col_6", Column: "名称", Change: datastore.ChangeOptional, From: catalog.TypeText, To: catalog.TypeText},
		}
		if inf == nil || !inf.Reread || inf.SampleRows != 100 {
			t.Fatalf("inference report = %+v, want a reread after a sample of 100", inf)
		}
		if diff := cmp.Diff(wantChanges, inf.Changes); diff != "" {
			t.Errorf("changes (-want +got):\n%s", diff)
		}
		// The values are those of the widened types: nothing was lost.
		res, err := f.ds.Search(ctx, f.editor, r.ID, "test", datastore.Query{Filters: []datastore.Filter{{Item: "col_1", Op: "in",
			Values: []string{"2", "150", "180", "200", "220", "250"}}}, Sort: []datastore.SortKey{{Item: "col_1"}}})
		if err != nil {
			t.Fatal(err)
		}
		wantRows := [][]any{
			{int64(3), int64(2), 20.0, "2024-01-03T00:00:00", "2", "是", "单位2"},
			{int64(151), int64(150), 12.5, "2024-01-11T00:00:00", "150", "是", "单位150"},
			{int64(181), int64(180), 1800.0, "2024-03-01T08:30:00", "180", "是", "单位180"},
			{int64(201), int64(200), 2000.0, "2024-01-05T00:00:00", "007", "是", "单位200"},
			{int64(221), int64(220), 2200.0, "2024-01-25T00:00:00", "220", "1", "单位220"},
			{int64(251), int64(250), 2500.0, "2024-01-27T00:00:00", "250", "是", nil},
		}
		if diff := cmp.Diff(wantRows, res.Rows); diff != "" {
			t.Errorf("rows (-want +got):\n%s", diff)
		}
		if got := tableNames(t, db); len(got) != 2 {
			t.Errorf("tables after the reread: %v, want the version's table and its quarantine", got)
		}
	})
}

func TestFirstImportQuarantinesUnderThatPolicy(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		var b strings.Builder
		b.WriteString("编号,人数\n")
		for i := 1; i <= 200; i++ {
			n := fmt.Sprint(i)
			if i > 150 && i%10 == 0 {
				n = fmt.Sprintf("%d.5", i)
			}
			fmt.Fprintf(&b, "%d,%s\n", i, n)
		}
		r, v, err := f.firstImport(t, b.String(), 100, datastore.Quarantine, streamed)
		if err != nil {
			t.Fatal(err)
		}
		if r.Items[1].Type != catalog.TypeInteger || v.Rows != 195 || v.Rejected != 5 {
			t.Errorf("item %s, %d rows, %d rejected; want integer, 195, 5", r.Items[1].Type, v.Rows, v.Rejected)
		}
		want := []datastore.ItemChange{{Item: "col_2", Column: "人数", Change: datastore.ChangeQuarantined, From: catalog.TypeInteger,
			To: catalog.TypeInteger, Row: 161, Value: "160.5", Count: 5}}
		if inf := v.Report.Inference; inf == nil || inf.Reread || !cmp.Equal(want, inf.Changes) {
			t.Errorf("inference report = %+v, want %+v", inf, want)
		}
		if v.Report.ErrorCounts[0] != (datastore.RefusalCount{Column: "人数", Reason: "is not an integer", Count: 5}) {
			t.Errorf("error counts = %+v", v.Report.ErrorCounts)
		}
	})
}

func TestFirstImportMakesItemsOptionalInOnePass(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		data := "编号,名称\n1,甲\n2,乙\n3,\n4,丁\n"
		// A stream cannot be read again: this load must need no reread.
		r, v, err := f.firstImport(t, data, 2, "", streamed)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(fullPass(t, data), r.Items); diff != "" || r.Items[1].Required {
			t.Errorf("items (-full pass +got):\n%s", diff)
		}
		want := []datastore.ItemChange{{Item: "col_2", Column: "名称", Change: datastore.ChangeOptional, From: catalog.TypeText, To: catalog.TypeText, Row: 4}}
		if inf := v.Report.Inference; inf == nil || inf.Reread || !cmp.Equal(want, inf.Changes) || v.Rows != 4 {
			t.Errorf("%d rows, inference report = %+v, want %+v", v.Rows, inf, want)
		}
	})
}

func TestFirstImportOfAStreamRefusesATypeItCannotWiden(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		_, _, err := f.firstImport(t, "编号,金额\n1,10\n2,20\n3,2.5\n", 2, "", streamed)
		var le *datastore.LoadError
		if !errors.As(err, &le) || !strings.Contains(le.Reason, "cannot be read again") || len(le.Errors) != 1 || le.Errors[0].Row != 4 {
			t.Fatalf("err = %v, want a refusal naming row 4", err)
		}
		if got := tableNames(t, db); len(got) != 0 {
			t.Errorf("tables left: %v", got)
		}
	})
}

// typicalFiles are files of the kinds institutions export, longer than
// the sample a first import infers from.
func typicalFiles() map[string]string {
	files := map[string]string{}
	var b strings.Builder
	b.WriteString("记录编号,单位名称,所在区,从业人数,服务人次,评分,营业收入（万元）,面积（平方米）,开业日期,检查时间,是否认证,备注\n")
	for k := 1; k <= 2*ingest.SampleRows+500; k++ {
		day := fmt.Sprintf("2021-%02d-%02d", k%12+1, k%28+1)
		fmt.Fprintf(&b, "R%010d,京华市第%d服务中心,1101%02d,%d,%d,%d,%d.%02d,%d.%d,%s,%s %02d:%02d:00,%s,\"备注，第%d条\"\n",
			k, k%9973, k%16+1, k%500, k*7%100000, k%101, k%1000000, k%100, k%5000, k%10, day, day, k%24, k%60, []string{"是", "否"}[k%2], k%1000)
	}
	files["bench"] = b.String()
	b.Reset()
	b.WriteString("编号,名称,人数,金额,日期,区划,联系电话,备注\n")
	for i := 1; i <= ingest.SampleRows+3000; i++ {
		note := ""
		if i%7 == 0 {
			note = "已核实"
		}
		fmt.Fprintf(&b, "R%08d,单位%d,%d,%d.%02d,2024-%02d-%02d,1101%02d,010-%08d,%s\n", i, i%997, i%5000, i%100000, i%100, i%12+1, i%28+1, i%16+1, 60000000+i, note)
	}
	files["import"] = b.String()
	files["stations"] = stationsCSV
	return files
}

func TestFirstImportInfersWhatAFullPassInfers(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		for name, data := range typicalFiles() {
			t.Run(name, func(t *testing.T) {
				r, v, err := f.firstImport(t, data, ingest.SampleRows, "", seekable)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(fullPass(t, data), r.Items); diff != "" {
					t.Errorf("items (-full pass +sample):\n%s", diff)
				}
				if inf := v.Report.Inference; inf == nil || inf.Reread || len(inf.Changes) != 0 {
					t.Errorf("inference report = %+v, want the sample's items unchanged", inf)
				}
			})
		}
	})
}

// TestFirstImportWidensWhatOnlyInferenceRefuses: "007" converts to an
// integer, but a full pass would have made its item text, and so must the
// first import (the value stays "007", not 7).
func TestFirstImportWidensWhatOnlyInferenceRefuses(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		r, v, err := f.firstImport(t, "编号,区号,认证\n1,1,是\n2,2,否\n3,007,1\n", 2, "", seekable)
		if err != nil {
			t.Fatal(err)
		}
		if r.Items[1].Type != catalog.TypeText || r.Items[2].Type != catalog.TypeText || !v.Report.Inference.Reread {
			t.Fatalf("items %+v, report %+v: want 区号 and 认证 widened to text", r.Items, v.Report.Inference)
		}
		res, err := f.ds.Search(context.Background(), f.editor, r.ID, "test", datastore.Query{Filters: []datastore.Filter{{Item: "col_1", Op: "eq", Values: []string{"3"}}}})
		if err != nil || len(res.Rows) != 1 || res.Rows[0][2] != "007" || res.Rows[0][3] != "1" {
			t.Errorf("row 4 = %v (%v), want 007 and 1 as written", res.Rows, err)
		}
	})
}

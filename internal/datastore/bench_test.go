package datastore_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// BenchmarkLoad loads a generated 100,000-row CSV of the station items
// into the embedded store (one load per iteration).
func BenchmarkLoad(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("站点编号,站点名称,所属区县,线路数,启用日期,无障碍\n")
	for k := 0; k < 100000; k++ {
		fmt.Fprintf(&buf, "S%07d,站点%d,%s,%d,2020-%02d-%02d,%s\n", k, k%997, []string{"东城区", "110102"}[k%2], k%40, k%12+1, k%28+1, []string{"是", "否"}[k%2])
	}
	data := buf.Bytes()
	f := newFixture(b, storetest.Open(b, store.SQLite))
	r := f.resource(b, stationItems(), false)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.ds.Load(context.Background(), f.editor, r.ID, datastore.LoadInput{File: bytes.NewReader(data), Name: "s.csv"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(100000*b.N)/b.Elapsed().Seconds(), "rows/s")
}

var _ = catalog.TypeText

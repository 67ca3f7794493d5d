package datastore_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"dataport/internal/ingest/ingesttest"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// TestRefusedFileLeavesTheSchema: a file refused in its first rows (here
// a record over the 1 MiB limit) creates no table, so the store's schema
// version stays as it was; bad uploads used to create and drop a table
// each, making every connection re-read the whole schema.
func TestRefusedFileLeavesTheSchema(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	fx := newFixture(t, db)
	r := fx.resource(t, stationItems(), true)
	if _, err := fx.load(t, r, "s.csv", stationsCSV); err != nil {
		t.Fatal(err)
	}
	schema := func() int {
		var v int
		if err := db.QueryRow(`PRAGMA schema_version`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	before := schema()
	long := "站点编号,站点名称,所属区县,线路数,启用日期,无障碍\nS001," + strings.Repeat("长", 400_000) + ",东城区,5,2020-01-02,是\n"
	if _, err := fx.load(t, r, "long.csv", long); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("load of a 1.2 MB record: err = %v, want the limit", err)
	}
	if after := schema(); after != before {
		t.Errorf("schema version %d after the refused load, was %d", after, before)
	}
}

// TestFileHashIsTheUploadsHash: a version records the SHA-256 of the file
// as uploaded, whether it was hashed while read (CSV) or by the XLSX
// reader once the workbook passed its checks.
func TestFileHashIsTheUploadsHash(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	fx := newFixture(t, db)
	r := fx.resource(t, stationItems(), true)
	rows := ingesttest.Row(1, "站点编号", "站点名称", "所属区县", "线路数", "启用日期", "无障碍") +
		ingesttest.Row(2, "S001", "朝阳门", "东城区", "5", "2020-01-02", "是")
	xlsx := string(ingesttest.Zip(ingesttest.Workbook(ingesttest.SheetXML(rows))))
	for name, data := range map[string]string{"s.csv": stationsCSV, "s.xlsx": xlsx} {
		v, err := fx.load(t, r, name, data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if sum := sha256.Sum256([]byte(data)); v.FileSHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: file_sha256 = %q, want %x", name, v.FileSHA256, sum)
		}
	}
}

package datastore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"

	"github.com/parquet-go/parquet-go"
	"github.com/xuri/excelize/v2"
)

// quotaWorld is a published, conditionally open resource of 200 stations,
// the datastore on the real decision point, and a way to grant a reader
// rows of it under a policy.
type quotaWorld struct {
	*fixture
	acc *access.Service
	ds  *datastore.Service
	res catalog.Resource
}

const quotaTableRows = 200

func newQuotaWorld(t *testing.T, db *store.DB) *quotaWorld {
	t.Helper()
	ctx := context.Background()
	f := newFixture(t, db)
	w := &quotaWorld{fixture: f, acc: access.New(db, f.cat, access.Config{})}
	t.Cleanup(w.acc.Close)
	w.ds = datastore.New(datastore.Config{DB: db, Catalog: f.cat, Access: w.acc, SQL: datastore.SQLConfig{Enabled: true}})
	in := catalog.Input{TitleZh: "公交站点（有条件开放）", DescriptionZh: "公交站点基础信息", Subject: "04", Items: stationItems(),
		UpdateFrequency: catalog.FreqMonthly, ShareType: catalog.ShareConditional, OpenType: catalog.OpenConditional,
		ShareBasis: "《京华市公共数据管理办法》第十条", OpenBasis: "《京华市公共数据管理办法》第十二条",
		Classification: catalog.ClassGeneral, Level: 1}
	r, err := f.cat.Create(ctx, f.editor, f.org.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.cat.Submit(ctx, f.editor, r.ID); err != nil {
		t.Fatal(err)
	}
	if w.res, err = f.cat.Review(ctx, f.operator, r.ID, catalog.Approve, ""); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("站点编号,站点名称,所属区县,线路数,启用日期,无障碍\n")
	for i := range quotaTableRows {
		fmt.Fprintf(&b, "S%03d,站点%d,东城区,%d,2020-01-02,是\n", i, i, i%9)
	}
	if _, err := f.load(t, w.res, "s.csv", b.String()); err != nil {
		t.Fatal(err)
	}
	return w
}

// reader returns a new person holding a grant of the resource under p
// (every action), and the grant.
func (w *quotaWorld) reader(t *testing.T, name string, p access.Policy) (identity.Principal, access.Grant) {
	t.Helper()
	u := w.user(t, name, "")
	p.Actions = []access.Action{access.ActionRead, access.ActionDownload, access.ActionQuery}
	g, err := w.acc.GrantDirectly(context.Background(), w.operator, access.NewGrant{GranteeKind: access.GranteeUser,
		GranteeID: u.UserID, ResourceIDs: []string{w.res.ID}, Purpose: "客流研究", Policy: p})
	if err != nil {
		t.Fatal(err)
	}
	return u, g
}

// rowsServed is the grant's row count as stored, once the log is written.
func (w *quotaWorld) rowsServed(t *testing.T, g access.Grant) int64 {
	t.Helper()
	ctx := context.Background()
	if err := w.acc.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := w.acc.Grant(ctx, w.operator, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got.Usage.Rows
}

func isOverQuota(err error) bool {
	var de *access.DeniedError
	return errors.As(err, &de) && de.Decision.Reason == access.ReasonOverQuota
}

// read is one data path: it reads as much as it may and returns the rows
// served and whether the response said the quota cut it.
type read func(ctx context.Context, w *quotaWorld, u identity.Principal) (rows int, truncated bool, err error)

func exportRead(format string) read {
	return func(ctx context.Context, w *quotaWorld, u identity.Principal) (int, bool, error) {
		exp, err := w.ds.PrepareExport(ctx, u, w.res.ID, "", datastore.Query{})
		if err != nil {
			return 0, false, err
		}
		var buf bytes.Buffer
		if err := exp.WriteTo(ctx, &buf, format, false); err != nil {
			return 0, false, err
		}
		n, err := exportedRows(format, buf.Bytes())
		return n, exp.Truncated, err
	}
}

// exportedRows counts the data rows of an export.
func exportedRows(format string, b []byte) (int, error) {
	switch format {
	case "csv":
		return strings.Count(string(b), "\n") - 1, nil
	case "json":
		var rows []map[string]any
		err := json.Unmarshal(b, &rows)
		return len(rows), err
	case "xlsx":
		x, err := excelize.OpenReader(bytes.NewReader(b))
		if err != nil {
			return 0, err
		}
		rows, err := x.GetRows("Sheet1")
		return len(rows) - 1, err
	case "parquet":
		pf, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return 0, err
		}
		return int(pf.NumRows()), nil
	}
	return 0, fmt.Errorf("format %s", format)
}

// paths are every way rows are served: the rows API and the UI preview
// (Search), CKAN datastore_search and datastore_search_sql, and exports in
// every format (the UI's download links are the API's export).
var paths = []struct {
	name string
	read read
}{
	{"rows", func(ctx context.Context, w *quotaWorld, u identity.Principal) (int, bool, error) {
		page, err := w.ds.Search(ctx, u, w.res.ID, access.ChannelAPIRows, datastore.Query{Limit: 1000})
		return len(page.Rows), page.QuotaTruncated, err
	}},
	{"ui.preview", func(ctx context.Context, w *quotaWorld, u identity.Principal) (int, bool, error) {
		page, err := w.ds.Search(ctx, u, w.res.ID, access.ChannelUIPreview, datastore.Query{Limit: 20, Total: true})
		return len(page.Rows), page.QuotaTruncated, err
	}},
	{"datastore_search", func(ctx context.Context, w *quotaWorld, u identity.Principal) (int, bool, error) {
		page, err := w.ds.Search(ctx, u, w.res.ID, access.ChannelCKANDatastore, datastore.Query{Limit: 1000, Total: true})
		return len(page.Rows), page.QuotaTruncated, err
	}},
	{"datastore_search_sql", func(ctx context.Context, w *quotaWorld, u identity.Principal) (int, bool, error) {
		out, err := w.ds.SearchSQL(ctx, u, `SELECT station_id, lines FROM "`+w.res.ID+`"`)
		return len(out.Records), out.Truncated, err
	}},
	{"export.csv", exportRead("csv")},
	{"export.json", exportRead("json")},
	{"export.xlsx", exportRead("xlsx")},
	{"export.parquet", exportRead("parquet")},
}

// TestRowQuotaCapsEveryPath: under a grant with max_rows 5, the first read
// on every path serves 5 of the 200 rows and says the quota cut it, the
// next is refused with over_quota, and 5 rows are counted. On b162710 the
// rows API, CKAN and exports served all 200 at once, and
// datastore_search_sql served 200 twice and counted none.
func TestRowQuotaCapsEveryPath(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newQuotaWorld(t, db)
		for _, path := range paths {
			t.Run(path.name, func(t *testing.T) {
				u, g := w.reader(t, "reader-"+strings.ReplaceAll(path.name, ".", "-"), access.Policy{MaxRows: 5})
				n, truncated, err := path.read(ctx, w, u)
				if err != nil || n != 5 || !truncated {
					t.Fatalf("first read: %d rows, truncated %v, %v; want 5 rows cut by the quota", n, truncated, err)
				}
				if n, _, err := path.read(ctx, w, u); !isOverQuota(err) {
					t.Fatalf("second read: %d rows, %v; want over_quota", n, err)
				}
				if got := w.rowsServed(t, g); got != 5 {
					t.Errorf("counted %d rows served, want 5", got)
				}
			})
		}
	})
}

// TestRowsPerRequestCapsEveryPath: a grant's rows per request (without a
// total quota) cuts every response and every one is still served.
func TestRowsPerRequestCapsEveryPath(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newQuotaWorld(t, db)
		for _, path := range paths {
			t.Run(path.name, func(t *testing.T) {
				u, g := w.reader(t, "reader-"+strings.ReplaceAll(path.name, ".", "-"), access.Policy{RowsPerRequest: 7})
				for range 2 {
					if n, truncated, err := path.read(ctx, w, u); err != nil || n != 7 || !truncated {
						t.Fatalf("read: %d rows, truncated %v, %v; want 7", n, truncated, err)
					}
				}
				if got := w.rowsServed(t, g); got != 14 {
					t.Errorf("counted %d rows served, want 14", got)
				}
			})
		}
	})
}

// TestRowQuotaPartialPages: a quota larger than a page leaves the page
// whole; the last page is cut to what is left; a page the quota does not
// cut says so; reads without a grant are not counted or cut.
func TestRowQuotaPartialPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newQuotaWorld(t, db)
		u, g := w.reader(t, "pager", access.Policy{MaxRows: 25})
		var cursor string
		for i, want := range []int{10, 10, 5} {
			page, err := w.ds.Search(ctx, u, w.res.ID, access.ChannelAPIRows, datastore.Query{Limit: 10, Cursor: cursor})
			if err != nil || len(page.Rows) != want || page.QuotaTruncated != (i == 2) {
				t.Fatalf("page %d: %d rows, truncated %v, %v; want %d", i, len(page.Rows), page.QuotaTruncated, err, want)
			}
			cursor = page.NextCursor
		}
		if got := w.rowsServed(t, g); got != 25 {
			t.Errorf("counted %d rows, want 25", got)
		}
		// CKAN's limit 0 (fields and total only) serves and counts no row.
		u2, g2 := w.reader(t, "counter", access.Policy{MaxRows: 5})
		out, err := w.ds.Search(ctx, u2, w.res.ID, access.ChannelCKANDatastore, datastore.Query{FieldsOnly: true, Total: true})
		if err != nil || out.Total != int64(quotaTableRows) || len(out.Rows) != 0 {
			t.Fatalf("limit 0: %+v %v", out, err)
		}
		if got := w.rowsServed(t, g2); got != 0 {
			t.Errorf("limit 0 counted %d rows", got)
		}
		// The provider reads without a quota.
		page, err := w.ds.Search(ctx, w.editor, w.res.ID, access.ChannelAPIRows, datastore.Query{Limit: 1000})
		if err != nil || len(page.Rows) != quotaTableRows || page.QuotaTruncated {
			t.Errorf("provider: %d rows, truncated %v, %v", len(page.Rows), page.QuotaTruncated, err)
		}
	})
}

// TestRowQuotaUnderConcurrentReads: twenty readers at once, on every path,
// never serve more rows together than the quota, and what they served is
// what is counted.
func TestRowQuotaUnderConcurrentReads(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newQuotaWorld(t, db)
		const quota = 60
		u, g := w.reader(t, "crowd", access.Policy{MaxRows: quota})
		var mu sync.Mutex
		served, denied := 0, 0
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				path := paths[i%len(paths)]
				for range 3 {
					n, _, err := path.read(ctx, w, u)
					mu.Lock()
					served += n
					if isOverQuota(err) {
						denied++
					} else if err != nil {
						t.Errorf("%s: %v", path.name, err)
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if served > quota || denied == 0 {
			t.Fatalf("served %d rows under a quota of %d (%d reads denied)", served, quota, denied)
		}
		if got := w.rowsServed(t, g); got != int64(served) {
			t.Errorf("counted %d rows, served %d", got, served)
		}
	})
}

// TestDiffUnderRowLimits: a version diff shows sample keys of rows, which a
// grant that counts rows (a total quota or rows per request) cannot count,
// so it is refused under such a grant; on b162710 it answered.
func TestDiffUnderRowLimits(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newQuotaWorld(t, db)
		for _, p := range []access.Policy{{MaxRows: 5}, {RowsPerRequest: 7}} {
			u, _ := w.reader(t, fmt.Sprintf("differ-%d-%d", p.MaxRows, p.RowsPerRequest), p)
			_, err := w.ds.Diff(ctx, u, w.res.ID, 1, 1)
			var de *access.DeniedError
			if !errors.As(err, &de) || de.Decision.Reason != "constrained" {
				t.Errorf("diff under %+v: %v, want refused", p, err)
			}
		}
		if _, err := w.ds.Diff(ctx, w.editor, w.res.ID, 1, 1); err != nil {
			t.Errorf("the provider's diff: %v", err)
		}
	})
}

// cancelingWriter ends the request's context once the export has written
// to it, as a client hanging up at the end of a download does.
type cancelingWriter struct {
	bytes.Buffer
	cancel context.CancelFunc
}

func (w *cancelingWriter) Write(p []byte) (int, error) {
	defer w.cancel()
	return w.Buffer.Write(p)
}

// TestRowsCountedWhenClientGoes: rows written before the client went away
// are counted against the grant (without a total quota, where the count
// is queued for the decision log). Before, the count raced the ended
// context and was often dropped.
func TestRowsCountedWhenClientGoes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newQuotaWorld(t, db)
		u, g := w.reader(t, "leaver", access.Policy{})
		const exports = 10
		for range exports {
			ctx, cancel := context.WithCancel(context.Background())
			exp, err := w.ds.PrepareExport(ctx, u, w.res.ID, "", datastore.Query{})
			if err != nil {
				t.Fatal(err)
			}
			out := &cancelingWriter{cancel: cancel}
			if err := exp.WriteTo(ctx, out, "csv", false); err != nil {
				t.Fatal(err)
			}
			if ctx.Err() == nil || strings.Count(out.String(), "\n") != quotaTableRows+1 {
				t.Fatalf("the export did not end its context after writing every row")
			}
		}
		w.rowsServed(t, g) // flushes the log
		var stored int64
		if err := db.QueryRow(`SELECT rows_served FROM grant_usage WHERE grant_id = $1`, g.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored != exports*quotaTableRows {
			t.Errorf("stored %d rows served, served %d", stored, exports*quotaTableRows)
		}
	})
}

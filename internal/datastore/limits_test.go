package datastore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/ingest"
	"dataport/internal/ingest/ingesttest"
	"dataport/internal/store"
	"dataport/internal/store/storetest"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// heapBound is the most heap a refused hostile upload may take; hardStop
// ends the test binary before a regression takes the machine's memory.
const (
	heapBound = 200 << 20
	hardStop  = 3 << 30
)

// peakHeap runs fn while sampling the heap's live and unswept objects every
// millisecond, and returns the largest size seen.
func peakHeap(t *testing.T, fn func()) uint64 {
	t.Helper()
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			v := sample[0].Value.Uint64()
			peak = max(peak, v)
			if v > hardStop {
				panic(fmt.Sprintf("%s: the heap reached %d MB", t.Name(), v>>20))
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	return peak
}

// nothingVisible fails the test when the resource has a version or the
// store a datastore table, or tmp holds files.
func nothingVisible(t *testing.T, f *fixture, db *store.DB, r catalog.Resource, tmp string) {
	t.Helper()
	if vs, err := f.ds.Versions(context.Background(), f.editor, r.ID, false); err != nil || len(vs) != 0 {
		t.Errorf("versions after the refusal: %v %v", vs, err)
	}
	if got := tableNames(t, db); len(got) != 0 {
		t.Errorf("tables left behind: %v", got)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// TestLoadRefusesZipBombWithFlatMemory: a 12 MB workbook whose four sheets
// decompress to 1 GiB each is refused, located, before it is unzipped.
func TestLoadRefusesZipBombWithFlatMemory(t *testing.T) {
	var bomb bytes.Buffer
	if err := ingesttest.Bomb(&bomb, 4, 1<<30); err != nil {
		t.Fatal(err)
	}
	t.Logf("bomb: %d bytes, 4 sheets of 1 GiB", bomb.Len())
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp)
		f := newFixture(t, db)
		r := f.resource(t, []catalog.Item{{Name: "name", LabelZh: "炸弹", Type: catalog.TypeText}}, true)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var err error
		peak := peakHeap(t, func() {
			_, err = f.ds.Load(ctx, f.editor, r.ID, datastore.LoadInput{File: bytes.NewReader(bomb.Bytes()), Name: "bomb.xlsx", Size: int64(bomb.Len())})
		})
		t.Logf("peak heap %.1f MB", float64(peak)/(1<<20))
		var le *datastore.LoadError
		if !errors.As(err, &le) || !strings.Contains(le.Reason, "part xl/worksheets/sheet1.xml: it decompresses to") ||
			!strings.Contains(le.Reason, "over the limit of 200 times (a zip bomb?)") {
			t.Errorf("Load = %v, want the ratio refusal", err)
		}
		if peak > heapBound {
			t.Errorf("peak heap %d MB, over %d MB", peak>>20, heapBound>>20)
		}
		nothingVisible(t, f, db, r, tmp)
	})
}

// longLine streams a CSV whose second line is size bytes long.
type longLine struct {
	head, tail string
	size, done int64
}

func (l *longLine) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		switch {
		case l.head != "":
			k := copy(p[n:], l.head)
			l.head, n = l.head[k:], n+k
		case l.done < l.size:
			k := int(min(int64(len(p)-n), l.size-l.done))
			for i := range k {
				p[n+i] = 'x'
			}
			l.done, n = l.done+int64(k), n+k
		case l.tail != "":
			k := copy(p[n:], l.tail)
			l.tail, n = l.tail[k:], n+k
		default:
			if n == 0 {
				return 0, io.EOF
			}
			return n, nil
		}
	}
	return n, nil
}

// TestLoadRefusesLongLineWithFlatMemory: a 100 MB line, under the
// quarantine setting that keeps bad records, is a located refusal, not a
// buffer of gigabytes.
func TestLoadRefusesLongLineWithFlatMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp)
		f := newFixture(t, db)
		ctx := context.Background()
		r := f.resource(t, []catalog.Item{{Name: "station_id", LabelZh: "站点编号", Type: catalog.TypeText},
			{Name: "name", LabelZh: "站点名称", Type: catalog.TypeText}}, true)
		if _, err := f.ds.SetSettings(ctx, f.editor, r.ID, datastore.LoadSettings{OnError: datastore.Quarantine, KeepVersions: 2}); err != nil {
			t.Fatal(err)
		}
		file := &longLine{head: "站点编号,站点名称\nS001,", size: 100 << 20, tail: "\nS002,西单\n"}
		var err error
		peak := peakHeap(t, func() {
			_, err = f.ds.Load(ctx, f.editor, r.ID, datastore.LoadInput{File: file, Name: "long.csv"})
		})
		t.Logf("peak heap %.1f MB", float64(peak)/(1<<20))
		var le *datastore.LoadError
		want := []ingest.RowError{{Row: 2, Reason: "the record is more than 1048576 bytes long, over the limit of 1048576 bytes"}}
		if !errors.As(err, &le) || !cmp.Equal(le.Errors, want) {
			t.Errorf("Load = %v, want %v", err, want)
		}
		if peak > heapBound {
			t.Errorf("peak heap %d MB, over %d MB", peak>>20, heapBound>>20)
		}
		if file.done >= file.size {
			t.Errorf("the whole line was read (%d bytes)", file.done)
		}
		nothingVisible(t, f, db, r, tmp)
	})
}

// TestLoadReportsMixedEncodings: a record in another encoding than the
// file's is refused (or quarantined), located, instead of loading garbled.
func TestLoadReportsMixedEncodings(t *testing.T) {
	gbk := func(s string) string {
		b, err := simplifiedchinese.GBK.NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		r := f.resource(t, stationItems(), true)
		// A UTF-8 file with a stray byte in its first lines, refused.
		stray := strings.Replace(stationsCSV, "西单", "西\xff单", 1)
		_, err := f.load(t, r, "stations.csv", stray)
		var le *datastore.LoadError
		if !errors.As(err, &le) || len(le.Errors) != 1 || le.Errors[0].Row != 3 || le.Errors[0].Column != "站点名称" ||
			!strings.Contains(le.Errors[0].Reason, "is not valid UTF-8 text") {
			t.Errorf("stray byte: Load = %v", err)
		}
		// A GBK file with a UTF-8 line, quarantined.
		if _, err := f.ds.SetSettings(ctx, f.editor, r.ID, datastore.LoadSettings{OnError: datastore.Quarantine, KeepVersions: 2}); err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(stationsCSV, "\n")
		mixed := gbk(lines[0]+lines[1]) + lines[2] + gbk(lines[3]+lines[4])
		v, err := f.load(t, r, "stations.csv", mixed)
		if err != nil {
			t.Fatal(err)
		}
		wantErrs := []ingest.RowError{{Row: 3, Column: "站点名称", Value: "西单", Reason: "is UTF-8 text in a file read as GB18030 (GBK): save the whole file in one encoding"}}
		if v.Rows != 3 || v.Rejected != 1 || !cmp.Equal(v.Report.Errors, wantErrs) {
			t.Errorf("mixed: rows %d rejected %d errors %v, want 3, 1, %v", v.Rows, v.Rejected, v.Report.Errors, wantErrs)
		}
		res, err := f.ds.Search(ctx, f.outsider, r.ID, "test", datastore.Query{Fields: []string{"name"}})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([][]any{{int64(2), "朝阳门"}, {int64(4), "东四"}, {int64(5), "灵境胡同"}}, res.Rows); diff != "" {
			t.Errorf("loaded rows (-want +got):\n%s", diff)
		}
	})
}

// TestQuarantineAllRejectedIsRefused: under quarantine, a file whose every
// record is rejected does not replace the current version.
func TestQuarantineAllRejectedIsRefused(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		r := f.resource(t, stationItems(), true)
		if _, err := f.ds.SetSettings(ctx, f.editor, r.ID, datastore.LoadSettings{OnError: datastore.Quarantine, KeepVersions: 2}); err != nil {
			t.Fatal(err)
		}
		v1, err := f.load(t, r, "stations.csv", stationsCSV)
		if err != nil {
			t.Fatal(err)
		}
		bad := "站点编号,站点名称,所属区县,线路数\nS001,朝阳门,海淀区,5\nS002,西单,110102,many\n"
		_, err = f.load(t, r, "stations.csv", bad)
		var le *datastore.LoadError
		want := []ingest.RowError{
			{Row: 2, Column: "所属区县", Value: "海淀区", Reason: "is not in the item's code list"},
			{Row: 3, Column: "线路数", Value: "many", Reason: "is not an integer"},
		}
		if !errors.As(err, &le) || !cmp.Equal(le.Errors, want) || !strings.Contains(le.Reason, "all 2 record(s) failed the checks") {
			t.Errorf("Load = %v, want the refusal of %v", err, want)
		}
		cur, err := f.ds.Current(ctx, f.editor, r.ID)
		if err != nil || cur.Version != v1.Version {
			t.Errorf("current = %+v %v, want version %d", cur, err, v1.Version)
		}
		if vs, _ := f.ds.Versions(ctx, f.editor, r.ID, false); len(vs) != 1 {
			t.Errorf("%d versions, want 1", len(vs))
		}
		if n := len(tableNames(t, db)); n != 2 {
			t.Errorf("%d tables, want 2 (version 1 and its quarantine table)", n)
		}
	})
}

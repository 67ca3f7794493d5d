package catalog_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// benchDialects runs fn on SQLite, and on PostgreSQL when DATAPORT_TEST_POSTGRES is set.
func benchDialects(b *testing.B, fn func(b *testing.B, db *store.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, storetest.Open(b, store.SQLite)) })
	b.Run("postgres", func(b *testing.B) { fn(b, storetest.Open(b, store.Postgres)) })
}

func BenchmarkCreate(b *testing.B) {
	benchDialects(b, func(b *testing.B, db *store.DB) {
		f := newFixture(b, db)
		ctx := context.Background()
		in := validInput()
		for b.Loop() {
			if _, err := f.cat.Create(ctx, f.editorA, f.orgA.ID, in); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkGet(b *testing.B) {
	benchDialects(b, func(b *testing.B, db *store.DB) {
		f := newFixture(b, db)
		ctx := context.Background()
		r := f.resource(b, f.orgA.ID, validInput(), catalog.StatusPublished)
		for b.Loop() {
			if _, err := f.cat.Get(ctx, identity.Anonymous, r.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// benchTitles are the titles seeded resources take in turn; "空气质量" is in
// one of ten, "第7777号" in one resource only.
var benchTitles = []string{"公交线路基础信息", "空气质量监测", "医疗机构名录", "学校基本信息", "文化场馆开放时间",
	"旅游景区客流", "住房公积金缴存", "就业岗位信息", "养老机构名录", "企业登记信息"}

// seedPublished writes n published resources of org straight into the
// resources table, in one transaction, oldest first.
func seedPublished(b *testing.B, db *store.DB, org identity.Organization, n int) {
	b.Helper()
	ctx := context.Background()
	in := validInput()
	in.Normalize()
	keywords, formats, items := jsonOf(b, in.Keywords), jsonOf(b, in.Formats), jsonOf(b, in.Items)
	err := db.Transact(ctx, func(tx *store.Tx) error {
		now := store.TS(tx.Now())
		for i := range n {
			title := fmt.Sprintf("%s 第%d号", benchTitles[i%len(benchTitles)], i)
			_, err := tx.ExecContext(ctx, `INSERT INTO resources (id, code, organization_id, title_zh, title_en, description_zh,
				subject, keywords, formats, items, item_count, update_frequency, share_type, open_type, classification, level,
				status, version, created_by, created_at, updated_at, published_at)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,'published',3,'bench',$17,$17,$17)`,
				store.NewID(), fmt.Sprintf("%s-04-%05d", org.Code, i+1), org.ID, title, fmt.Sprintf("Resource %d", i),
				"数据说明："+title, in.Subject, keywords, formats, items, len(in.Items), in.UpdateFrequency,
				in.ShareType, in.OpenType, in.Classification, in.Level, now)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if db.Dialect == store.Postgres {
		// A running server's autovacuum analyzes a table this changed within
		// a minute; without statistics the planner sorts every row for page one.
		if _, err := db.ExecContext(ctx, `ANALYZE resources`); err != nil {
			b.Fatal(err)
		}
	}
}

func jsonOf(b *testing.B, v any) string {
	b.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	return string(raw)
}

// BenchmarkList lists a catalog of 10,000 published resources as an
// anonymous visitor: the first page, a page 5,000 resources deep, and
// searches. Besides ns/op it reports the 99th percentile of one page, in ms.
func BenchmarkList(b *testing.B) {
	benchDialects(b, func(b *testing.B, db *store.DB) {
		const total = 10_000
		f := newFixture(b, db)
		ctx := context.Background()
		start := time.Now()
		seedPublished(b, db, f.orgA, total)
		b.Logf("seeded %d resources in %v", total, time.Since(start).Round(time.Millisecond))

		deep := catalog.Filter{Limit: 20}
		for seen := 0; seen < total/2; {
			page, err := f.cat.List(ctx, identity.Anonymous, catalog.Filter{Limit: 200, Cursor: deep.Cursor})
			if err != nil {
				b.Fatal(err)
			}
			seen += len(page.Items)
			deep.Cursor = page.NextCursor
		}
		tests := []struct {
			name   string
			filter catalog.Filter
			want   int // items on the page
		}{
			{"first-page", catalog.Filter{Limit: 20}, 20},
			{"deep-page", deep, 20},
			{"search-common", catalog.Filter{Q: "空气质量", Limit: 20}, 20},
			{"search-english", catalog.Filter{Q: "resource 99", Limit: 20}, 20},
			{"search-rare", catalog.Filter{Q: "第7777号", Limit: 20}, 1},
			{"organization", catalog.Filter{OrganizationID: f.orgA.ID, Limit: 20}, 20},
		}
		for _, test := range tests {
			b.Run(test.name, func(b *testing.B) {
				var durations []time.Duration
				for b.Loop() {
					t0 := time.Now()
					page, err := f.cat.List(ctx, identity.Anonymous, test.filter)
					durations = append(durations, time.Since(t0))
					if err != nil {
						b.Fatal(err)
					}
					if len(page.Items) != test.want {
						b.Fatalf("page has %d items, want %d", len(page.Items), test.want)
					}
				}
				b.ReportMetric(p99(durations).Seconds()*1000, "p99-ms")
			})
		}
	})
}

// p99 returns the 99th percentile (nearest rank) of ds.
func p99(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	return sorted[int(math.Ceil(0.99*float64(len(sorted))))-1]
}

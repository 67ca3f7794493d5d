package engage_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"dataport/internal/access/accesstest"
	"dataport/internal/engage"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// BenchmarkDatasetPageSection reads what the dataset page's feedback
// section shows (a view counted, counts, rating, 20 comments, 10 error
// reports, follow state) for a signed-in reader, and reports the p50 and
// p99 of one read: the section's share of the page's 50 ms p99 budget.
//
//	go test ./internal/engage -run '^$' -bench DatasetPageSection -benchtime 2000x
func BenchmarkDatasetPageSection(b *testing.B) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			db := storetest.Open(b, d)
			ctx := context.Background()
			w := accesstest.New(b, db)
			s := engage.New(db, w.Cat, engage.Config{})
			for i := range 20 {
				if _, err := s.AddComment(ctx, w.Citizen, w.Open.ID, fmt.Sprintf("评论 %d：数据很有用。", i)); err != nil {
					b.Fatal(err)
				}
			}
			for i := range 10 {
				if _, err := s.Report(ctx, w.Citizen, w.Open.ID, engage.ReportInput{Row: fmt.Sprint(i), Problem: "数值有误"}); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := s.Rate(ctx, w.Citizen, w.Open.ID, 4); err != nil {
				b.Fatal(err)
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for b.Loop() {
				t0 := time.Now()
				s.View(w.Open.ID)
				if _, err := s.Counts(ctx, w.Open.ID); err != nil {
					b.Fatal(err)
				}
				if _, err := s.Rating(ctx, w.Citizen, w.Open.ID); err != nil {
					b.Fatal(err)
				}
				if _, err := s.Comments(ctx, w.Citizen, w.Open.ID); err != nil {
					b.Fatal(err)
				}
				if _, err := s.Reports(ctx, w.Citizen, w.Open.ID); err != nil {
					b.Fatal(err)
				}
				if _, _, err := s.Following(ctx, w.Citizen, w.Open.ID); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}

package access_test

import (
	"context"
	"os"
	"testing"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// BenchmarkDecideRowQuota measures a read's decision and its RecordRows
// under a grant without a row quota (the count is batched with the log),
// with one whose reservation is all served (one conditional UPDATE), and
// with one that serves half of it (a second UPDATE gives the rest back),
// on SQLite and, with DATAPORT_TEST_POSTGRES, PostgreSQL.
func BenchmarkDecideRowQuota(b *testing.B) {
	dialects := []store.Dialect{store.SQLite}
	if os.Getenv(storetest.EnvPostgres) != "" {
		dialects = append(dialects, store.Postgres)
	}
	for _, d := range dialects {
		for _, c := range []struct {
			name    string
			maxRows int64
			served  int64
		}{{"no-quota", 0, 100}, {"quota-all-served", 1 << 50, 100}, {"quota-half-served", 1 << 50, 50}} {
			b.Run(string(d)+"/"+c.name, func(b *testing.B) {
				ctx := context.Background()
				db := storetest.Open(b, d)
				w := accesstest.New(b, db)
				s := access.New(db, w.Cat, access.Config{UserRate: 1 << 30})
				defer s.Close()
				if _, err := s.GrantDirectly(ctx, w.Operator, access.NewGrant{GranteeKind: access.GranteeOrganization, GranteeID: w.Requester.ID,
					ResourceIDs: []string{w.Conditional.ID}, Purpose: "基准测试", Policy: access.Policy{MaxRows: c.maxRows}}); err != nil {
					b.Fatal(err)
				}
				req := access.Request{Subject: w.RequesterMember, ResourceID: w.Conditional.ID, Action: access.ActionRead, Rows: 100}
				b.ResetTimer()
				for b.Loop() {
					dec, err := s.Decide(ctx, req)
					if err != nil || !dec.Allow {
						b.Fatal(dec, err)
					}
					if err := s.RecordRows(ctx, dec, c.served); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

package access_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// benchWorld is the accesstest city plus extra published resources and
// 10,000 active grants to fictitious users, written straight through
// CreateGrant in one transaction.
type benchWorld struct {
	*accesstest.World
	db        *store.DB
	resources []string
	grantees  []string // user ids holding grants
}

const benchGrants = 10000

func newBenchWorld(b *testing.B, d store.Dialect) *benchWorld {
	b.Helper()
	ctx := context.Background()
	db := storetest.Open(b, d)
	w := &benchWorld{World: accesstest.New(b, db), db: db}
	for i := range 100 {
		in := catalog.Input{TitleZh: fmt.Sprintf("基准资源 %d", i), DescriptionZh: "基准测试", Subject: "04", Items: accesstest.Items,
			UpdateFrequency: catalog.FreqDaily, ShareType: catalog.ShareConditional, ShareBasis: "依申请", OpenType: catalog.OpenConditional,
			OpenBasis: "依申请", Classification: catalog.ClassGeneral, Level: 1}
		r, err := w.Cat.Create(ctx, w.ProviderEditor, w.Provider.ID, in)
		if err == nil {
			_, err = w.Cat.Submit(ctx, w.ProviderEditor, r.ID)
		}
		if err == nil {
			_, err = w.Cat.Review(ctx, w.Operator, r.ID, catalog.Approve, "")
		}
		if err != nil {
			b.Fatal(err)
		}
		w.resources = append(w.resources, r.ID)
	}
	s := access.New(db, w.Cat, access.Config{})
	defer s.Close()
	err := db.Transact(ctx, func(tx *store.Tx) error {
		for i := range benchGrants {
			user := store.NewID()
			w.grantees = append(w.grantees, user)
			_, err := s.CreateGrant(ctx, tx, w.Operator, access.NewGrant{GranteeKind: access.GranteeUser, GranteeID: user,
				ResourceIDs: []string{w.resources[i%len(w.resources)]}, Purpose: "基准测试", OriginKind: access.OriginManual,
				Policy: access.Policy{Fields: []string{"station", "riders"}, RowFilter: `riders > 10`}})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return w
}

// BenchmarkDecide measures the decision's latency with 10,000 active grants
// cached, for an anonymous open-data read and for a read under a grant, with
// the decision log asynchronous (the default) and synchronous (one
// transaction per decision). It reports p50 and p99 besides the mean.
func BenchmarkDecide(b *testing.B) {
	w := newBenchWorld(b, store.SQLite)
	ctx := context.Background()
	for _, mode := range []struct {
		name string
		log  access.LogConfig
	}{{"async-log", access.LogConfig{}}, {"sync-log", access.LogConfig{Sync: true}}} {
		s := access.New(w.db, w.Cat, access.Config{AnonymousRate: 1 << 30, UserRate: 1 << 30, Log: mode.log})
		for _, kind := range []string{"open-anonymous", "grant"} {
			b.Run(mode.name+"/"+kind, func(b *testing.B) {
				reqs := benchRequests(w, kind)
				if d, err := s.Decide(ctx, reqs[0]); err != nil || !d.Allow {
					b.Fatalf("warm-up decision: %+v %v", d, err)
				}
				lat := make([]time.Duration, 0, b.N)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					start := time.Now()
					if _, err := s.Decide(ctx, reqs[i%len(reqs)]); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(start))
				}
				b.StopTimer()
				reportPercentiles(b, lat)
			})
		}
		s.Close()
	}
}

// BenchmarkDecideParallel measures decisions per second from all cores
// with the asynchronous log.
func BenchmarkDecideParallel(b *testing.B) {
	w := newBenchWorld(b, store.SQLite)
	s := access.New(w.db, w.Cat, access.Config{AnonymousRate: 1 << 30, UserRate: 1 << 30})
	defer s.Close()
	reqs := benchRequests(w, "grant")
	ctx := context.Background()
	s.Decide(ctx, reqs[0])
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := s.Decide(ctx, reqs[i%len(reqs)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

func benchRequests(w *benchWorld, kind string) []access.Request {
	var reqs []access.Request
	for i := range 1000 {
		if kind == "open-anonymous" {
			reqs = append(reqs, access.Request{Subject: identity.Anonymous, ResourceID: w.Open.ID, Action: access.ActionRead,
				Channel: access.ChannelAPIRows, ClientIP: fmt.Sprintf("10.0.%d.%d", i/250, i%250)})
			continue
		}
		k := (i * 7919) % benchGrants
		p := identity.Principal{UserID: w.grantees[k], Memberships: []identity.Membership{{OrganizationID: w.Company.ID, Role: identity.RoleMember}}}
		reqs = append(reqs, access.Request{Subject: p, ResourceID: w.resources[k%len(w.resources)], Action: access.ActionRead, Channel: access.ChannelAPIRows})
	}
	return reqs
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Nanoseconds()) }
	b.ReportMetric(at(0.50), "p50-ns")
	b.ReportMetric(at(0.99), "p99-ns")
}

package zones

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// insertBudgetZone writes a bare zone with an operator's budgets on two
// resources, as an approved application leaves them.
func insertBudgetZone(t *testing.T, db *store.DB, totalMicro int64) {
	t.Helper()
	ctx := context.Background()
	err := db.Transact(ctx, func(tx *store.Tx) error {
		now := store.TS(tx.Now())
		if _, err := tx.ExecContext(ctx, `INSERT INTO zones (id, code, name_zh, domain, steward_org_id, rules, status,
			created_by, created_at, updated_at) VALUES ('z1', 'ZONE-T', '测试专区', 'health', 'steward', $1, 'active', 'u', $2, $2)`,
			jsonText(DefaultRules), now); err != nil {
			return err
		}
		for _, r := range []string{"r1", "r2"} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO zone_budgets (zone_id, operator_org_id, resource_id, total_micro,
				spent_micro, updated_at) VALUES ('z1', 'op', $1, $2, 0, $3)`, r, totalMicro, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func charge(db *store.DB, s *Service, resources []string, m int64) (int64, error) {
	var left int64
	err := db.Transact(context.Background(), func(tx *store.Tx) (err error) {
		left, err = s.chargeBudgets(context.Background(), tx, "z1", "op", resources, m)
		return err
	})
	return left, err
}

// Twenty concurrent charges of 0.5 on budgets of 3.0: exactly six succeed,
// on both resources together, and the budget is never overspent.
func TestChargeBudgetsRace(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		insertBudgetZone(t, db, 3_000_000)
		s := New(db, nil, nil, nil, nil, Config{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, refused := 0, 0
		for range 20 {
			wg.Go(func() {
				_, err := charge(db, s, []string{"r2", "r1"}, 500_000)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, ErrBudget):
					refused++
				default:
					t.Errorf("charge: %v", err)
				}
			})
		}
		wg.Wait()
		if ok != 6 || refused != 14 {
			t.Errorf("%d charges succeeded and %d were refused, want 6 and 14", ok, refused)
		}
		left, err := s.budgetLeft(context.Background(), db, "z1", "op", []string{"r1", "r2"})
		if err != nil || left != 0 {
			t.Errorf("budget left = %d, %v; want 0", left, err)
		}
	})
}

// A charge that one resource cannot take changes no resource, even when
// the transaction goes on (to record the refusal) and commits.
func TestChargeBudgetsAllOrNothing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		insertBudgetZone(t, db, 3_000_000)
		s := New(db, nil, nil, nil, nil, Config{})
		if left, err := charge(db, s, []string{"r2"}, 2_500_000); err != nil || left != 500_000 {
			t.Fatalf("charge r2 = %d, %v; want 500000 left", left, err)
		}
		ctx := context.Background()
		err := db.Transact(ctx, func(tx *store.Tx) error {
			_, err := s.chargeBudgets(ctx, tx, "z1", "op", []string{"r1", "r2"}, 1_000_000)
			if !errors.Is(err, ErrBudget) {
				t.Errorf("charge over the budget of r2: %v, want ErrBudget", err)
			}
			return nil // commit whatever the transaction holds
		})
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.budgets(ctx, db, "z1", "op", []string{"r1", "r2"})
		if err != nil {
			t.Fatal(err)
		}
		if b[0].Spent != 0 || b[1].Spent != 2.5 {
			t.Errorf("spent after a refused charge = %v, %v; want 0 and 2.5", b[0].Spent, b[1].Spent)
		}
		if _, err := charge(db, s, []string{"r1", "r3"}, 1); !errors.Is(err, ErrBudget) {
			t.Errorf("charge on a resource without a budget: %v, want ErrBudget", err)
		}
		if left, _ := s.budgetLeft(ctx, db, "z1", "op", []string{"r1", "r3"}); left != 0 {
			t.Errorf("left on a resource without a budget = %d, want 0", left)
		}
	})
}

// The budget spent survives closing and opening the store again.
func TestBudgetSurvivesReopen(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			cfg := storetest.Config(t, d)
			ctx := context.Background()
			db, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			insertBudgetZone(t, db, 3_000_000)
			if _, err := charge(db, New(db, nil, nil, nil, nil, Config{}), []string{"r1"}, 1_250_000); err != nil {
				t.Fatal(err)
			}
			db.Close()
			db, err = store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			left, err := New(db, nil, nil, nil, nil, Config{}).budgetLeft(ctx, db, "z1", "op", []string{"r1"})
			if err != nil || left != 1_750_000 {
				t.Errorf("after reopening, left = %d, %v; want 1750000", left, err)
			}
		})
	}
}

// activeAuthorisation finds the one in force and says why there is none.
func TestActiveAuthorisation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		insertBudgetZone(t, db, 3_000_000)
		ctx := context.Background()
		now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		s := New(db, nil, nil, nil, nil, Config{Now: func() time.Time { return now }})
		err := db.Transact(ctx, func(tx *store.Tx) error {
			for _, a := range []struct {
				id, org, from, until string
				revoked              any
			}{
				{"a-old", "op", "2025-01-01", "2026-01-01", nil},
				{"a-now", "op", "2026-01-01", "2027-01-01", nil},
				{"a-rev", "op2", "2026-01-01", "2027-01-01", store.TS(now.Add(-time.Hour))},
			} {
				from, _ := time.Parse(time.DateOnly, a.from)
				until, _ := time.Parse(time.DateOnly, a.until)
				if _, err := tx.ExecContext(ctx, `INSERT INTO zone_authorisations (id, zone_id, application_id,
					operator_org_id, scenario, resource_ids, grant_ids, valid_from, valid_until, revoked_at, created_at)
					VALUES ($1, 'z1', 'app', $2, 's', '["r1","r2"]', '[]', $3, $4, $5, $6)`,
					a.id, a.org, store.TS(from), store.TS(until), a.revoked, store.TS(from)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.activeAuthorisation(ctx, db, "z1", []string{"other", "op"}, now)
		if err != nil || a.ID != "a-now" || a.Status != AuthActive || len(a.Budgets) != 2 {
			t.Errorf("active = %+v, %v; want a-now with two budgets", a, err)
		}
		_, err = s.activeAuthorisation(ctx, db, "z1", []string{"op2"}, now)
		if !errors.Is(err, store.ErrNotFound) || !errors.Is(err, ErrNoAuthorisation) {
			t.Errorf("revoked: %v, want ErrNoAuthorisation", err)
		}
		if _, err := s.activeAuthorisation(ctx, db, "z1", []string{"op"}, now.AddDate(2, 0, 0)); !errors.Is(err, ErrNoAuthorisation) {
			t.Errorf("after expiry: %v, want ErrNoAuthorisation", err)
		}
		if _, err := s.activeAuthorisation(ctx, db, "z1", nil, now); !errors.Is(err, ErrNoAuthorisation) {
			t.Errorf("no organization: %v", err)
		}
		z, err := s.zone(ctx, db, "ZONE-T")
		if err != nil || z.ID != "z1" || z.Rules.MinCellSize != 10 {
			t.Errorf("zone by code = %+v, %v", z, err)
		}
		if !s.isSteward(identity.Principal{UserID: "u", Memberships: []identity.Membership{{OrganizationID: "steward", Role: identity.RoleMember}}}, z) {
			t.Error("a member of the steward institution is not its steward")
		}
		if _, err := s.zone(ctx, db, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown zone: %v", err)
		}
	})
}

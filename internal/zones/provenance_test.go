package zones_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"dataport/internal/exchange"
	"dataport/internal/exchange/exchangetest"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"
	"dataport/internal/zones"
	"dataport/internal/zones/zsql"
)

// A product on the exchange lists only zone outputs its provider's own
// organization kept from released queries: the exchange asks the zones
// service who kept each one.
func TestExchangeProductListsOwnZoneOutputs(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newQWorld(t, db, zones.Config{})
		op := w.authorise(t, "PRV", time.Now().Add(24*time.Hour))
		other := w.authorise(t, "OTR", time.Now().Add(24*time.Hour))
		v := table(w.Visits)
		keep := func(o qOperator) zones.Output {
			q := w.run(t, o, `SELECT sex, COUNT(*) AS n FROM `+v+` GROUP BY sex`, zsql.SDC, 0)
			out, err := w.Zones.Keep(ctx, o.User, q.ID, zones.OutputInput{NameZh: "分性别就诊人数"})
			if err != nil {
				t.Fatalf("keep: %v", err)
			}
			return out
		}
		mine, theirs := keep(op), keep(other)
		if org, err := w.Zones.OutputOwner(ctx, mine.ID); err != nil || org != op.Org.ID {
			t.Errorf("owner of %s: %q %v, want %s", mine.ID, org, err, op.Org.ID)
		}
		if _, err := w.Zones.OutputOwner(ctx, "no-such-output"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown output: %v", err)
		}

		ex := exchange.New(db, w.IDs, w.Cat, w.Acc, exchange.Config{Review: review.NewService(db, review.Config{}),
			DataDir: t.TempDir(), ZoneOutputs: w.Zones})
		exOrg := w.NewOrg(t, identity.KindExchange, "京华数据交易所", "SJJYS")
		staff := w.NewUser(t, "ex.staff", "", identity.Membership{OrganizationID: exOrg.ID, Role: identity.RoleMember})
		admin := w.NewUser(t, "prv.boss", "", identity.Membership{OrganizationID: op.Org.ID, Role: identity.RoleAdmin})
		a, err := ex.Apply(ctx, admin, exchange.ParticipantInput{OrgID: op.Org.ID, USCC: exchangetest.USCC("PRV"), LegalRep: "法定代表人",
			ContactName: "联系人", ContactPhone: "010-12345678", ContactEmail: "contact@example.cn", Roles: []exchange.Role{exchange.RoleProvider}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ex.ApplicationReviews().Decide(ctx, staff, a.ID, review.Approve, "材料齐全"); err != nil {
			t.Fatal(err)
		}
		product := func(ids ...string) (exchange.Product, error) {
			return ex.CreateProduct(ctx, admin, exchange.ProductInput{ProviderID: a.ParticipantID, Title: "门诊就诊统计",
				Description: "医疗健康专区的统计结果", Source: exchange.SourceAuthorised, ZoneOutputIDs: ids,
				Delivery: []exchange.DeliveryMode{exchange.DeliveryZone}, Price: exchange.Price{Model: exchange.PriceOneOff, AmountFen: 100000},
				Offer: exchange.Offer{PeriodDays: 365}})
		}
		for _, c := range []struct {
			ids   []string
			field string
		}{{[]string{theirs.ID}, "zone_output_ids[0]"}, {[]string{mine.ID, "no-such-output"}, "zone_output_ids[1]"}} {
			if _, err := product(c.ids...); !hasField(err, c.field) {
				t.Errorf("product with zone outputs %v: %v, want an error on %s", c.ids, err, c.field)
			}
		}
		p, err := product(mine.ID)
		if err != nil || len(p.ZoneOutputIDs) != 1 || p.ZoneOutputIDs[0] != mine.ID {
			t.Fatalf("product with its own zone output: %+v %v", p, err)
		}
	})
}

func hasField(err error, field string) bool {
	fields, _ := validate.Fields(err)
	for _, f := range fields {
		if f == field {
			return true
		}
	}
	return false
}

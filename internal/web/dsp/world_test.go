package dsp_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/datastore"
	"dataport/internal/exchange"
	"dataport/internal/exchange/exchangetest"
	"dataport/internal/exchange/trade"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/web"
	"dataport/internal/web/dsp"
	"dataport/internal/web/services"
)

// world is the accesstest city with an exchange, served over real HTTP by
// the whole web surface (the native API with its rows API, and the
// protocol under /dsp) on the real services: the transport commission
// is an admitted provider whose product on its closed resource agrees
// automatically to matching requests; the company (user "company") is an
// admitted buyer.
type world struct {
	x        *exchangetest.World
	w        *accesstest.World
	db       *store.DB
	ex       *exchange.Service
	tr       *trade.Service
	dsp      *dsp.Handler
	srv      *httptest.Server
	product  exchange.Product
	provider exchange.Participant
	sample   string // the de-identification profile of the products' samples
}

// stations are the rows of the product's resource.
const stations = "station,district,riders,phone\n朝阳门,东城区,1200,\n西单,西城区,3400,\n国贸,朝阳区,5100,\n"

// newWorld builds the world on db; cfg tunes the provider (its PublicURL
// is the test server's).
func newWorld(t testing.TB, db *store.DB, cfg dsp.Config) *world {
	t.Helper()
	ctx := context.Background()
	x := exchangetest.New(t, db, t.TempDir())
	w := &world{x: x, w: x.World, db: db, ex: x.Exchange}
	w.srv = httptest.NewUnstartedServer(nil)
	t.Cleanup(w.srv.Close)
	public := "http://" + w.srv.Listener.Addr().String()
	log := slog.New(slog.DiscardHandler)
	ds := datastore.New(datastore.Config{DB: db, Catalog: x.Cat, Access: x.Access})
	w.tr = trade.New(db, w.ex, x.Access, trade.Config{PublicURL: public, Logger: log})
	cfg.PublicURL, cfg.Log = public, log
	w.dsp = dsp.New(w.tr, w.ex, x.IDs, db, cfg)
	h, err := web.New(web.Config{DB: db, PublicURL: public, Version: "test", DSP: w.dsp,
		Services: services.Services{Identity: x.IDs, Catalog: x.Cat, Access: x.Access, Datastore: ds, Log: log}})
	if err != nil {
		t.Fatal(err)
	}
	w.srv.Config.Handler = h
	w.srv.Start()
	runCtx, stop := context.WithCancel(ctx)
	w.dsp.Start(runCtx)
	t.Cleanup(func() { stop(); w.dsp.Wait() })

	if _, err := ds.Load(ctx, x.ProviderEditor, x.Closed.ID, datastore.LoadInput{File: strings.NewReader(stations), Name: "stations.csv",
		Size: int64(len(stations))}); err != nil {
		t.Fatal(err)
	}
	w.provider = x.Admit(t, x.ProviderAdmin, x.Provider, exchange.RoleProvider)
	w.sample = x.SampleProfile(t, x.Closed.ID)
	x.Admit(t, x.CompanyAdmin, x.Company, exchange.RoleBuyer)
	w.product = w.list(t, "道路养护计划数据", true)
	return w
}

// list lists a product of the provider on its closed resource whose offer
// (purpose 交通规划, fields station and riders, 50 calls, 365 days) agrees
// automatically or not.
func (w *world) list(t testing.TB, title string, auto bool) exchange.Product {
	t.Helper()
	x := w.x
	return x.List(t, x.ProviderEditor, exchange.ProductInput{ProviderID: w.provider.ID, Title: title, Description: "按路段的养护计划",
		UseScenarios: []string{"交通规划"}, Source: exchange.SourceSelfCollected, SourceNote: "本委编制", LegalBasis: "《京华市公共数据管理办法》",
		ResourceIDs: []string{x.Closed.ID}, SampleDeidProfile: w.sample, Delivery: []exchange.DeliveryMode{exchange.DeliveryAPI},
		Price: exchange.Price{Model: exchange.PriceOneOff, AmountFen: 100000},
		Offer: exchange.Offer{Policy: access.Policy{Purposes: []string{"交通规划"}, Fields: []string{"station", "riders"}, MaxCalls: 50},
			PeriodDays: 365, AutoAgree: auto}})
}

// token is an API token of p.
func (w *world) token(t testing.TB, p identity.Principal) string {
	t.Helper()
	secret, _, err := w.w.IDs.CreateToken(context.Background(), p, p.UserID, "dsp", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

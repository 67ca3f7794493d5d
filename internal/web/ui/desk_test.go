package ui_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/harvest"
	"dataport/internal/identity"
	"dataport/internal/jobs"
	"dataport/internal/notify"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/services"
	"dataport/internal/web/ui"
)

// deskPortal is a portal with the operators' desk: harvest sources whose
// runs a job runner queues (not started, so a queued run stays queued),
// and the notices' outbox. Its users are an editor of the institution, a
// platform operator and a citizen of no organization.
type deskPortal struct {
	*portal
	sources *harvest.Sources
	notify  *notify.Service
	citizen string // citizen.zhou's id
}

func newDeskPortal(t *testing.T, mailConfigured bool) *deskPortal {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, store.SQLite)
	p := &portal{t: t, db: db, identity: identity.NewService(db), catalog: catalog.NewService(db)}
	p.org = p.createInstitution("12110000000000001", "市交通委员会", "Municipal Transport Commission")
	p.createUser("editor.li", identity.UserInput{Memberships: []identity.Membership{{OrganizationID: p.org.ID, Role: identity.RoleEditor}}})
	p.createUser("operator.wang", identity.UserInput{PlatformRoles: []identity.PlatformRole{identity.PlatformOperator}})
	citizen, err := p.identity.CreateUser(ctx, identity.System, identity.UserInput{Username: "citizen.zhou", DisplayName: "周市民",
		Email: "zhou.citizen@example.cn", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	acc := access.New(db, p.catalog, access.Config{Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(acc.Close)
	runner, err := jobs.Open(ctx, db, jobs.Config{Node: "desk-test", Harvest: &jobs.Harvests{}, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(runner.Close)
	d := &deskPortal{portal: p, sources: harvest.NewSources(db, p.identity, runner.QueueHarvest), notify: notify.NewService(db), citizen: citizen.ID}
	h, err := ui.New(ui.Config{Services: services.Services{Identity: p.identity, Catalog: p.catalog, Access: acc, Notify: d.notify,
		Harvest: d.sources, Jobs: runner, Log: log}, MailConfigured: mailConfigured})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return d
}

package ui_test

import (
	"bytes"
	"context"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/jobs"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/services"
	"dataport/internal/web/ui"
)

// newLoadingPortal is a portal on SQLite whose data pages are on and whose
// uploads are loaded by a job runner, started when start is set.
func newLoadingPortal(t *testing.T, start bool) (*portal, *jobs.Runner) {
	t.Helper()
	return newLoadingPortalOn(t, storetest.Config(t, store.SQLite), t.TempDir(), start)
}

// newLoadingPortalOn is newLoadingPortal on the store of cfg, spooling
// uploads in spool.
func newLoadingPortalOn(t *testing.T, cfg store.Config, spool string, start bool) (*portal, *jobs.Runner) {
	t.Helper()
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p := &portal{t: t, db: db, identity: identity.NewService(db), catalog: catalog.NewService(db)}
	p.org = p.createInstitution("12110000000000001", "市交通委员会", "Municipal Transport Commission")
	other := p.createInstitution("12110000000000002", "市生态环境局", "Municipal Ecology Bureau")
	p.createUser("editor.li", identity.UserInput{Memberships: []identity.Membership{{OrganizationID: p.org.ID, Role: identity.RoleEditor}}})
	p.createUser("outsider.zhao", identity.UserInput{Memberships: []identity.Membership{{OrganizationID: other.ID, Role: identity.RoleEditor}}})
	p.published = p.publish(sampleInput("公交线路站点", "Bus routes and stops"))
	acc := access.New(db, p.catalog, access.Config{Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(acc.Close)
	ds := datastore.New(datastore.Config{DB: db, Catalog: p.catalog, Access: acc, Log: slog.New(slog.DiscardHandler)})
	runner, err := jobs.Open(context.Background(), db, jobs.Config{Node: "ui-test", DatabaseURL: cfg.URL, SpoolDir: spool,
		Datastore: ds, Identity: p.identity, PollInterval: 200 * time.Millisecond, Log: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(runner.Close)
	if start {
		startRunner(t, runner)
	}
	h, err := ui.New(ui.Config{Services: services.Services{Identity: p.identity, Catalog: p.catalog, Access: acc, Datastore: ds,
		Log: slog.New(slog.NewTextHandler(t.Output(), nil)), Jobs: runner}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p, runner
}

func startRunner(t *testing.T, r *jobs.Runner) {
	t.Helper()
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Stop(10*time.Second, time.Second) })
}

// postFile posts the upload form with a file and returns where it
// redirects (the load's page).
func postFile(t *testing.T, b *browser, resourceID, name, content string) string {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf_token", b.csrf("/resources/"+resourceID+"/data"))
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write([]byte(content))
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, b.base+"/resources/"+resourceID+"/upload", &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := b.noRedirects().client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/loads/") {
		t.Fatalf("upload: status %d, location %q", resp.StatusCode, loc)
	}
	return loc
}

// TestUploadLoadsThroughTheJobRunner: a file uploaded through the browser
// is loaded by a background job. Until the job has run the load's page says
// it is queued and keeps refreshing, and the data page shows no new
// version; once it has, the version is there, the page stops refreshing
// and the spooled file is gone. On both stores.
func TestUploadLoadsThroughTheJobRunner(t *testing.T) {
	dialects := []store.Dialect{store.SQLite}
	if os.Getenv(storetest.EnvPostgres) != "" {
		dialects = append(dialects, store.Postgres)
	}
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			spool := t.TempDir()
			p, runner := newLoadingPortalOn(t, storetest.Config(t, d), spool, false)
			b := p.browser()
			b.login("editor.li")
			loc := postFile(t, b, p.published.ID, "routes.csv", "线路编号\nL0001\nL0002\nL0003\n")
			pg := b.get(loc)
			mustContain(t, pg, "排队中", "文件已接收，正在排队等待载入。")
			if pg.header.Get("Refresh") == "" {
				t.Errorf("the page of a queued load does not refresh itself")
			}
			if data := b.get("/resources/" + p.published.ID + "/data"); strings.Contains(data.body, "/data/versions/1") {
				t.Errorf("the data page shows a version before its load has run")
			}
			if spooled, _ := os.ReadDir(spool); len(spooled) != 1 {
				t.Errorf("%d files spooled for the queued load, want 1", len(spooled))
			}

			startRunner(t, runner)
			deadline := time.Now().Add(20 * time.Second)
			for pg = b.get(loc); pg.header.Get("Refresh") != "" && time.Now().Before(deadline); pg = b.get(loc) {
				time.Sleep(100 * time.Millisecond)
			}
			mustContain(t, pg, "载入完成：3 条记录。", "/data/versions/1")
			mustContain(t, b.get("/resources/"+p.published.ID+"/data"), "/data/versions/1", "L0003")
			if leftover, _ := os.ReadDir(spool); len(leftover) > 0 {
				t.Errorf("spooled files left after the load: %v", leftover)
			}
		})
	}
}

// TestLoadThatCannotRunIsShownAsFailed: a load whose spooled file is gone
// by the time its job runs fails with the reason on its page (which stops
// refreshing), and its job is listed with that reason on the sysadmins'
// jobs page, which nobody else may see.
func TestLoadThatCannotRunIsShownAsFailed(t *testing.T) {
	spool := t.TempDir()
	p, runner := newLoadingPortalOn(t, storetest.Config(t, store.SQLite), spool, false)
	p.createUser("root", identity.UserInput{PlatformRoles: []identity.PlatformRole{identity.PlatformSysadmin}})
	editor := p.browser()
	editor.login("editor.li")
	loc := postFile(t, editor, p.published.ID, "routes.csv", "线路编号\nL0001\n")
	spooled, _ := os.ReadDir(spool)
	for _, f := range spooled {
		os.Remove(spool + "/" + f.Name())
	}
	startRunner(t, runner)
	deadline := time.Now().Add(20 * time.Second)
	pg := editor.get(loc)
	for ; pg.header.Get("Refresh") != "" && time.Now().Before(deadline); pg = editor.get(loc) {
		time.Sleep(100 * time.Millisecond)
	}
	mustContain(t, pg, "文件未被接收", "the uploaded file is no longer on the server", "已取消")

	if pg := editor.get("/admin/jobs"); pg.status != http.StatusForbidden {
		t.Errorf("an editor's /admin/jobs: %d, want 403", pg.status)
	}
	root := p.browser()
	root.login("root")
	pg = root.get("/admin/jobs")
	mustStatus(t, pg, http.StatusOK)
	mustContain(t, pg, "数据载入", "routes.csv", "已取消", "no longer on the server")
	mustContain(t, root.get("/account"), `href="/admin/jobs"`)
}

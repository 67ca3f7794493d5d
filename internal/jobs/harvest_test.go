package jobs_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"dataport/internal/access/accesstest"
	"dataport/internal/catalog"
	"dataport/internal/harvest"
	"dataport/internal/identity"
	"dataport/internal/jobs"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// dcatCatalog is a one-dataset DCAT-AP catalog in JSON-LD, as ckanext-dcat
// (rdflib) serves it: expanded, full IRIs.
const dcatCatalog = `[
  {"@id": "SOURCE/dataset/bus-stops", "@type": ["http://www.w3.org/ns/dcat#Dataset"],
   "http://purl.org/dc/terms/title": [{"@value": "公交站点", "@language": "zh"}],
   "http://purl.org/dc/terms/description": [{"@value": "全市公交站点位置。"}],
   "http://purl.org/dc/terms/identifier": [{"@value": "BUS-STOPS"}],
   "http://purl.org/dc/terms/modified": [{"@value": "2026-11-01T08:00:00Z", "@type": "http://www.w3.org/2001/XMLSchema#dateTime"}],
   "http://www.w3.org/ns/dcat#theme": [{"@id": "http://publications.europa.eu/resource/authority/data-theme/TRAN"}],
   "http://purl.org/dc/terms/accessRights": [{"@id": "http://publications.europa.eu/resource/authority/access-right/PUBLIC"}]}
]`

// waitRun waits until source id has finished a run and returns it.
func waitRun(t *testing.T, src *harvest.Sources, id string) harvest.Source {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s, err := src.Get(context.Background(), identity.System, id)
		if err != nil {
			t.Fatal(err)
		}
		if s.RunStatus != harvest.RunQueued && s.RunStatus != harvest.RunRunning {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("source %s is still %s", id, s.RunStatus)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestHarvestSourcesRunAsJobs(t *testing.T) {
	eachStore(t, func(t *testing.T, db *store.DB, scfg store.Config) {
		ctx := context.Background()
		portal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/catalog.jsonld" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/ld+json")
			w.Write([]byte(strings.ReplaceAll(dcatCatalog, "SOURCE", "http://"+r.Host)))
		}))
		defer portal.Close()
		w := accesstest.New(t, db)
		h := &jobs.Harvests{Harvester: &harvest.Harvester{DB: db, Catalog: w.Cat, Identity: w.IDs}}
		cfg := testConfig("harvest-node", scfg.URL)
		cfg.Harvest = h
		r, err := jobs.Open(ctx, db, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		h.Sources = harvest.NewSources(db, w.IDs, r.QueueHarvest)
		src := h.Sources

		in := harvest.SourceInput{OrganizationID: w.Provider.ID, Kind: harvest.DCAT, URL: portal.URL + "/catalog.jsonld", Subject: "11", Frequency: harvest.Daily}
		if _, err := src.Create(ctx, w.ProviderAdmin, in); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("an institution's admin registered a source: %v", err)
		}
		var verrs validate.Errors
		bad := in
		bad.URL, bad.OrganizationID, bad.Frequency = "file:///etc/passwd", w.Company.ID, "hourly"
		if _, err := src.Create(ctx, w.Operator, bad); !errors.As(err, &verrs) || !verrs.Has("url") || !verrs.Has("organization_id") || !verrs.Has("frequency") {
			t.Errorf("bad source: %v", err)
		}
		s, err := src.Create(ctx, w.Operator, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := src.Create(ctx, w.Operator, in); !errors.As(err, &verrs) || !verrs.Has("url") {
			t.Errorf("the same source twice: %v", err)
		}
		// Scheduled: due at once; queued once however often the scheduler runs.
		for i, want := range []int{1, 0} {
			if n, err := src.QueueDue(ctx, time.Now()); err != nil || n != want {
				t.Fatalf("scheduler run %d queued %d, %v; want %d", i, n, err, want)
			}
		}
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer r.Stop(5*time.Second, time.Second)
		s = waitRun(t, src, s.ID)
		if s.RunStatus != harvest.RunSucceeded || s.LastReport == nil || len(s.LastReport.Created) != 1 || s.NextRunAt == nil ||
			s.NextRunAt.Before(time.Now().Add(23*time.Hour)) {
			t.Fatalf("after the first run: %+v", s)
		}
		res, err := w.Cat.Get(ctx, identity.System, s.LastReport.Created[0].LocalID)
		if err != nil || res.Status != catalog.StatusPublished || res.OrganizationID != w.Provider.ID || res.TitleZh != "公交站点" {
			t.Fatalf("harvested resource: %+v, %v", res, err)
		}
		// Run now, in full: the unchanged dataset is skipped. The provider's members see
		// the source and its report but may not run it.
		if _, err := src.RunNow(ctx, w.ProviderEditor, s.ID, true); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("a member ran the source: %v", err)
		}
		if _, err := src.Get(ctx, w.RequesterAdmin, s.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another institution sees the source: %v", err)
		}
		if _, err := src.RunNow(ctx, w.Operator, s.ID, true); err != nil {
			t.Fatal(err)
		}
		s = waitRun(t, src, s.ID)
		if s.RunStatus != harvest.RunSucceeded || len(s.LastReport.Skipped) != 1 || len(s.LastReport.Created) != 0 {
			t.Fatalf("after run now: %+v", s.LastReport)
		}
		mine, err := src.List(ctx, w.ProviderEditor)
		if err != nil || len(mine) != 1 || mine[0].ID != s.ID {
			t.Errorf("the provider's sources: %+v, %v", mine, err)
		}

		// A source that cannot be read fails with the reason, and is retried.
		gone, err := src.Create(ctx, w.Operator, harvest.SourceInput{OrganizationID: w.Provider.ID, Kind: harvest.DCAT, URL: portal.URL + "/gone.jsonld",
			Frequency: harvest.Manual})
		if err != nil || gone.NextRunAt != nil {
			t.Fatalf("manual source: %+v, %v", gone, err)
		}
		if _, err := src.RunNow(ctx, w.Operator, gone.ID, false); err != nil {
			t.Fatal(err)
		}
		gone = waitRun(t, src, gone.ID)
		if gone.RunStatus != harvest.RunFailed || !strings.Contains(gone.RunError, "404") {
			t.Errorf("unreadable source: %s %q", gone.RunStatus, gone.RunError)
		}
		if err := src.Delete(ctx, w.Operator, gone.ID); err != nil {
			t.Fatal(err)
		}
		evs, err := db.Events(ctx, store.EventFilter{SubjectKind: "harvest_source", SubjectID: s.ID})
		if err != nil || len(evs) < 4 {
			t.Errorf("events of the source: %d, %v", len(evs), err)
		}
	})
}

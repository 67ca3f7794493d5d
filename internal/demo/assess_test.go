package demo

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"dataport/internal/app"
	"dataport/internal/assess"
	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/sharing"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// TestSeedAssessments seeds the demo city's risk assessments through the
// application's services and checks what issue 17 asks of them: every
// important resource but the census records has a completed assessment
// at its grade, so that an institution may request sharing of it; the
// census records' assessment is due, a draft in progress, and the
// schedule lists it overdue first; each completed assessment computed its
// risks and holds an open remediation task; seeding again changes nothing.
func TestSeedAssessments(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the demo city")
	}
	ctx := context.Background()
	a, err := app.Open(ctx, app.Config{DataDir: t.TempDir(), DatabaseURL: storetest.Config(t, store.SQLite).URL,
		PublicURL: "http://127.0.0.1:8080", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, err := Seed(ctx, a.Identity, a.Catalog); err != nil {
		t.Fatal(err)
	}
	s := AssessServices{Identity: a.Identity, Catalog: a.Catalog, Assess: a.Assess}
	if err := SeedAssessments(ctx, s); err != nil {
		t.Fatal(err)
	}
	security := principal(t, a.Identity, "security")
	schedule, err := a.Assess.Schedule(ctx, security)
	if err != nil {
		t.Fatal(err)
	}
	if len(schedule) < 15 || schedule[0].TitleZh != DueAssessmentTitle || schedule[0].Due != assess.DueNow || schedule[0].Draft == "" {
		t.Fatalf("schedule starts %+v of %d, want the census records overdue with a draft", schedule[0], len(schedule))
	}
	for _, e := range schedule[1:] {
		if e.Due != assess.DueCurrent || e.Current == "" || e.DueAt == nil {
			t.Errorf("%s: %s, want a current assessment", e.TitleZh, e.Due)
			continue
		}
		got, err := a.Assess.Get(ctx, security, e.Current)
		if err != nil || got.Class != e.Class || got.Level != e.Level || len(got.Risks) != 3 || got.RiskLevel == 0 ||
			len(got.Tasks) != 1 || got.Tasks[0].DoneAt != nil {
			t.Errorf("%s: assessment %+v %v", e.TitleZh, got, err)
		}
	}

	// An institution requests sharing of an assessed important resource.
	env := principal(t, a.Identity, "sthj.editor")
	page, err := a.Catalog.List(ctx, identity.System, catalog.Filter{Classification: catalog.ClassImportant,
		ShareType: catalog.ShareConditional, Status: catalog.StatusPublished, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var target catalog.Resource
	for _, r := range page.Items {
		if r.OrganizationID != env.Memberships[0].OrganizationID {
			target = r
			break
		}
	}
	req, err := a.Sharing.Create(ctx, env, sharing.RequestInput{ResourceID: target.ID, RequesterOrgID: env.Memberships[0].OrganizationID,
		Purpose: "环境执法线索核查", LegalBasis: "《中华人民共和国环境保护法》第二十四条", DurationDays: 90})
	if err != nil || !req.NeedsOperator {
		t.Fatalf("share request for assessed important data %s: %+v %v", target.TitleZh, req, err)
	}
	census := schedule[0]
	r, _ := a.Catalog.Get(ctx, identity.System, census.ResourceID)
	rq, err := a.Grades.Requirement(ctx, r, "share", "api")
	if err != nil || rq.Allowed || !strings.Contains(strings.Join(rq.Reasons, ";"), "risk assessment") {
		t.Errorf("the census records without a completed assessment: %+v %v", rq, err)
	}

	events := storetest.CountRows(t, a.DB, "events", "risk_assessments", "risk_assessment_tasks")
	if err := SeedAssessments(ctx, s); err != nil {
		t.Fatalf("seeding again: %v", err)
	}
	storetest.AssertUnchanged(t, a.DB, events)
}

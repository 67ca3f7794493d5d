package demo

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

func TestSeed(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids, cat := identity.NewService(db), catalog.NewService(db)
		if seeded, err := IsSeeded(ctx, db); seeded || err != nil {
			t.Fatalf("IsSeeded on an empty store = %v, %v", seeded, err)
		}
		accounts, err := Seed(ctx, ids, cat)
		if err != nil {
			t.Fatal(err)
		}
		if seeded, err := IsSeeded(ctx, db); !seeded || err != nil {
			t.Errorf("IsSeeded after Seed = %v, %v", seeded, err)
		}
		if !slices.Equal(accounts, Accounts()) {
			t.Errorf("Seed returned accounts %v, Accounts lists %v", accounts, Accounts())
		}
		checkOrganizations(t, ids)
		checkAccounts(t, ids, accounts)
		checkResources(t, cat)
		checkEvents(t, db)
		if _, err := Seed(ctx, ids, cat); !errors.Is(err, ErrNotEmpty) {
			t.Errorf("seeding twice: got %v, want ErrNotEmpty", err)
		}
	})
}

func checkOrganizations(t *testing.T, ids *identity.Service) {
	t.Helper()
	orgs, err := ids.Organizations(context.Background(), identity.OrgFilter{})
	if err != nil {
		t.Fatal(err)
	}
	byKind := map[identity.OrgKind]int{}
	for _, o := range orgs {
		byKind[o.Kind]++
		if o.Kind.NeedsUSCC() && o.USCC == "" {
			t.Errorf("%s (%s) has no USCC", o.NameZh, o.Kind)
		}
		if o.USCC != "" {
			if err := identity.CheckUSCC(o.USCC); err != nil {
				t.Errorf("%s: USCC %s: %v", o.NameZh, o.USCC, err)
			}
		}
	}
	if byKind[identity.KindInstitution] < 12 {
		t.Errorf("%d institutions, want at least 12", byKind[identity.KindInstitution])
	}
	for _, k := range identity.OrgKinds {
		if byKind[k] == 0 {
			t.Errorf("no organization of kind %s", k)
		}
	}
}

func checkAccounts(t *testing.T, ids *identity.Service, accounts []Account) {
	t.Helper()
	ctx := context.Background()
	admin, err := ids.UserByName(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(admin.PlatformRoles, identity.PlatformSysadmin) {
		t.Errorf("admin has platform roles %v, want sysadmin", admin.PlatformRoles)
	}
	seen := map[string]bool{}
	for _, a := range accounts {
		if seen[a.Username] {
			t.Errorf("account %s listed twice", a.Username)
		}
		seen[a.Username] = true
		if len([]rune(a.Password)) < identity.MinPasswordLen || a.Role == "" {
			t.Errorf("account %+v: short password or no role", a)
		}
	}
	for _, want := range []string{"admin", "operator", "regulator", "auditor", "company", "citizen", "jtw.admin", "jtw.editor", "gaj.editor"} {
		if !seen[want] {
			t.Errorf("no account %s", want)
		}
	}
	// The printed passwords work; a few suffice (each check costs a hash).
	for _, a := range accounts {
		if a.Username != "admin" && a.Username != "operator" && a.Username != "jtw.editor" {
			continue
		}
		if _, err := ids.Authenticate(ctx, a.Username, a.Password, "192.0.2.1"); err != nil {
			t.Errorf("sign in as %s: %v", a.Username, err)
		}
	}
}

func checkResources(t *testing.T, cat *catalog.Service) {
	t.Helper()
	ctx := context.Background()
	page, err := cat.List(ctx, identity.System, catalog.Filter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) < 60 {
		t.Errorf("%d resources, want at least 60", len(page.Items))
	}
	byStatus := map[catalog.Status]int{}
	var revised catalog.Resource
	for _, r := range page.Items {
		byStatus[r.Status]++
		if r.TitleZh == "最低工资标准" {
			revised = r
		}
		if !strings.HasPrefix(r.Code, orgCodeOf(t, r)+"-"+r.Subject+"-") {
			t.Errorf("resource %s has code %s", r.TitleZh, r.Code)
		}
	}
	t.Logf("resources by status: %v", byStatus)
	if byStatus[catalog.StatusPublished] <= 40 || byStatus[catalog.StatusSubmitted] < 4 ||
		byStatus[catalog.StatusDraft] == 0 || byStatus[catalog.StatusReturned] == 0 || byStatus[catalog.StatusRetired] == 0 {
		t.Errorf("resources by status %v: want > 40 published, ≥ 4 submitted, and some drafts, returned and retired", byStatus)
	}
	queue, err := cat.ReviewQueue(ctx, identity.System)
	if err != nil {
		t.Fatal(err)
	}
	if len(queue) != byStatus[catalog.StatusSubmitted] || len(queue) == 0 {
		t.Errorf("review queue holds %d, want the %d submitted", len(queue), byStatus[catalog.StatusSubmitted])
	}
	if revised.Status != catalog.StatusPublished {
		t.Fatalf("最低工资标准 is %q, want published", revised.Status)
	}
	history, err := cat.History(ctx, identity.System, revised.ID)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, v := range history {
		actions = append([]string{v.Action}, actions...)
	}
	want := []string{"created", "submitted", "returned", "updated", "submitted", "published"}
	if !slices.Equal(actions, want) {
		t.Errorf("history of the revised resource: %v, want %v", actions, want)
	}
}

// orgCodeOf returns the code of the organization whose resource r is, from the tables.
func orgCodeOf(t *testing.T, r catalog.Resource) string {
	t.Helper()
	for _, s := range allResources() {
		if s.TitleZh == r.TitleZh {
			return s.org
		}
	}
	t.Errorf("resource %s is not in the tables", r.TitleZh)
	return ""
}

func checkEvents(t *testing.T, db *store.DB) {
	t.Helper()
	events, err := db.Events(context.Background(), store.EventFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	for _, ev := range events {
		types[ev.Type]++
	}
	for _, want := range []string{"organization.created", "user.created", "resource.created", "resource.submitted",
		"resource.published", "resource.returned", "resource.updated", "resource.retired"} {
		if types[want] == 0 {
			t.Errorf("no %s event (have %v)", want, types)
		}
	}
}

// TestTables checks the seed tables without a store: every resource passes
// catalog validation, has 4–12 items, a unique title and a known institution,
// and the open types are a realistic mix.
func TestTables(t *testing.T) {
	known := map[string]bool{}
	for _, o := range institutions {
		known[o.code] = true
	}
	titles := map[string]bool{}
	open := map[catalog.OpenType]int{}
	share := map[catalog.ShareType]int{}
	specs := allResources()
	for _, s := range specs {
		in := prepare(s.Input, orgSpec{})
		in.Normalize()
		if err := in.Validate(); err != nil {
			t.Errorf("%s: %v", s.TitleZh, err)
		}
		if n := len(s.Items); n < 4 || n > 14 {
			t.Errorf("%s has %d items, want 4 to 14", s.TitleZh, n)
		}
		if titles[s.TitleZh] || !known[s.org] || s.TitleEn == "" || len(s.Keywords) == 0 {
			t.Errorf("%s: duplicate title, unknown institution %q, or no English title or keywords", s.TitleZh, s.org)
		}
		titles[s.TitleZh] = true
		if (s.state == returned || s.state == revised || s.state == retired) != (s.note != "") {
			t.Errorf("%s: a note goes with returned, revised and retired resources only", s.TitleZh)
		}
		if s.PersonalInfo && (s.OpenType != openNone || s.Classification == general) {
			t.Errorf("%s holds personal information but is open or general", s.TitleZh)
		}
		open[s.OpenType]++
		share[s.ShareType]++
	}
	t.Logf("%d resources; open types %v; share types %v", len(specs), open, share)
	n := float64(len(specs))
	if f := float64(open[openAll]) / n; f < 0.35 || f > 0.5 {
		t.Errorf("%.0f%% open unconditionally, want about 40%%", f*100)
	}
	if f := float64(open[openCond]) / n; f < 0.18 || f > 0.32 {
		t.Errorf("%.0f%% open conditionally, want about 25%%", f*100)
	}
	if share[shareNone] == 0 || share[shareNone] > share[shareCond] {
		t.Errorf("share types %v: want a few none", share)
	}
}

func TestUSCC(t *testing.T) {
	for _, o := range allOrgs() {
		if o.class == "" {
			continue
		}
		code, err := uscc(o.class, o.region, o.body)
		if err != nil {
			t.Fatalf("%s: %v", o.code, err)
		}
		if err := identity.CheckUSCC(code); err != nil {
			t.Errorf("%s: %s: %v", o.code, code, err)
		}
		if c := code[16]; c < '0' || c > '9' {
			t.Errorf("%s: organization code %s should end with a digit", o.code, code[8:17])
		}
	}
	// The example of GB 11714: D2143569-X.
	if c, err := orgCodeCheck("D2143569"); c != 'X' || err != nil {
		t.Errorf("orgCodeCheck(D2143569) = %c, %v; want X", c, err)
	}
}

package access_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/assess/assesstest"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"
)

func newService(t testing.TB, db *store.DB, w *accesstest.World, cfg access.Config) *access.Service {
	t.Helper()
	s := access.New(db, w.Cat, cfg)
	t.Cleanup(s.Close)
	return s
}

func grant(t testing.TB, s *access.Service, w *accesstest.World, ng access.NewGrant) access.Grant {
	t.Helper()
	if ng.Purpose == "" {
		ng.Purpose = "交通规划研究"
	}
	g, err := s.GrantDirectly(context.Background(), w.Operator, ng)
	if err != nil {
		t.Fatalf("grant: %v", err)
	}
	return g
}

// TestDecideMatrix asks the decision point every kind of question a data
// path asks, as every kind of subject, and checks the answer and its reason.
func TestDecideMatrix(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := accesstest.New(t, db)
		grades, assessments := assesstest.Rules(db, w.Cat, w.IDs) // the important resource is assessed, as its use requires
		assesstest.Complete(t, assessments, w.ProviderEditor, w.Important.ID)
		s := newService(t, db, w, access.Config{Rules: grades})
		org := func(id string) access.NewGrant {
			return access.NewGrant{GranteeKind: access.GranteeOrganization, GranteeID: id}
		}
		withGrant := org(w.Requester.ID)
		withGrant.ResourceIDs = []string{w.Conditional.ID}
		withGrant.Policy = access.Policy{Fields: []string{"station", "riders"}, RowFilter: `district == "东城区"`}
		active := grant(t, s, w, withGrant)

		expired := org(w.Company.ID)
		expired.ResourceIDs = []string{w.Conditional.ID}
		expired.ValidFrom, expired.ValidUntil = time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour)
		grant(t, s, w, expired)

		revoked := access.NewGrant{GranteeKind: access.GranteeUser, GranteeID: w.Citizen.UserID, ResourceIDs: []string{w.Conditional.ID}}
		rg := grant(t, s, w, revoked)
		if _, err := s.Revoke(ctx, w.ProviderAdmin, rg.ID, "用途已结束"); err != nil {
			t.Fatal(err)
		}

		quota := org(w.Requester.ID)
		quota.ResourceIDs = []string{w.Closed.ID}
		quota.Policy.MaxCalls = 1
		grant(t, s, w, quota)

		readOnly := org(w.Requester.ID)
		readOnly.ResourceIDs = []string{w.Important.ID}
		readOnly.Policy.Actions = []access.Action{access.ActionRead}
		grant(t, s, w, readOnly)

		anon := identity.Anonymous
		for _, test := range []struct {
			name    string
			subject identity.Principal
			res     string
			action  access.Action
			purpose string
			allow   bool
			reason  string
		}{
			{"anonymous reads open data", anon, w.Open.ID, access.ActionRead, "", true, access.ReasonOpen},
			{"anonymous downloads open data", anon, w.Open.ID, access.ActionDownload, "", true, access.ReasonOpen},
			{"anonymous cannot compute on open data", anon, w.Open.ID, access.ActionCompute, "", false, access.ReasonNotOpen},
			{"anonymous, conditionally open", anon, w.Conditional.ID, access.ActionRead, "", false, access.ReasonNoGrant},
			{"anonymous, not open", anon, w.Closed.ID, access.ActionRead, "", false, access.ReasonNotOpen},
			{"anonymous, draft is hidden", anon, w.Draft.ID, access.ActionRead, "", false, access.ReasonNotFound},
			{"anonymous, retired serves nothing", anon, w.Retired.ID, access.ActionRead, "", false, access.ReasonNotPublished},
			{"anonymous, unknown resource", anon, store.NewID(), access.ActionRead, "", false, access.ReasonNotFound},
			{"public user, conditionally open", w.Citizen, w.Conditional.ID, access.ActionRead, "", false, access.ReasonRevoked},
			{"public user, open", w.Citizen, w.Open.ID, access.ActionRead, "", true, access.ReasonOpen},
			{"other institution without grant", w.RequesterAdmin, w.Unshared.ID, access.ActionRead, "", false, access.ReasonNotOpen},
			{"other institution with grant", w.RequesterMember, w.Conditional.ID, access.ActionRead, "", true, access.ReasonGrant},
			{"grant, its own purpose", w.RequesterMember, w.Conditional.ID, access.ActionRead, "交通规划研究", true, access.ReasonGrant},
			{"grant, another purpose", w.RequesterMember, w.Conditional.ID, access.ActionRead, "商业营销", false, access.ReasonPurpose},
			{"grant, action not permitted", w.RequesterMember, w.Important.ID, access.ActionDownload, "", false, access.ReasonAction},
			{"grant, action permitted", w.RequesterMember, w.Important.ID, access.ActionRead, "", true, access.ReasonGrant},
			{"grant, first call within quota", w.RequesterMember, w.Closed.ID, access.ActionRead, "", true, access.ReasonGrant},
			{"grant, over quota", w.RequesterMember, w.Closed.ID, access.ActionRead, "", false, access.ReasonOverQuota},
			{"expired grant", w.CompanyAdmin, w.Conditional.ID, access.ActionRead, "", false, access.ReasonExpired},
			{"provider reads its draft", w.ProviderEditor, w.Draft.ID, access.ActionRead, "", true, access.ReasonProvider},
			{"provider reads unshared data", w.ProviderEditor, w.Unshared.ID, access.ActionQuery, "", true, access.ReasonProvider},
			{"operator reads published data", w.Operator, w.Unshared.ID, access.ActionRead, "", true, access.ReasonOperator},
			{"operator does not see drafts", w.Operator, w.Draft.ID, access.ActionRead, "", false, access.ReasonNotFound},
			{"auditor needs a grant", w.Auditor, w.Conditional.ID, access.ActionRead, "", false, access.ReasonNoGrant},
		} {
			t.Run(test.name, func(t *testing.T) {
				d, err := s.Decide(ctx, access.Request{Subject: test.subject, ResourceID: test.res, Action: test.action,
					Purpose: test.purpose, Channel: access.ChannelAPIRows, ClientIP: "192.0.2.1"})
				if err != nil {
					t.Fatal(err)
				}
				if d.Allow != test.allow || d.Reason != test.reason {
					t.Fatalf("decision = %v %q (%s), want %v %q", d.Allow, d.Reason, d.Message, test.allow, test.reason)
				}
				if d.ID == "" || d.ResourceID != test.res {
					t.Errorf("decision id %q, resource %q", d.ID, d.ResourceID)
				}
				if err := d.Err(); (err == nil) != test.allow || (!test.allow && !errors.Is(err, access.ErrDenied)) {
					t.Errorf("Err() = %v", err)
				}
			})
		}

		d, _ := s.Decide(ctx, access.Request{Subject: w.RequesterMember, ResourceID: w.Conditional.ID, Action: access.ActionRead})
		if d.GrantID != active.ID || len(d.Constraints.Fields) != 2 || d.Constraints.RowFilter == "" {
			t.Fatalf("grant decision constraints = %+v", d)
		}
		row := map[string]any{"station": "东直门", "district": "东城区", "riders": int64(120), "phone": "13800000000"}
		if !d.Permits(row) || d.Permits(map[string]any{"station": "西单", "district": "西城区"}) {
			t.Error("row filter does not select the grant's rows")
		}
		if got := d.Project(row); len(got) != 2 || got["phone"] != nil {
			t.Errorf("Project = %v, want station and riders only", got)
		}
		personal, _ := s.Decide(ctx, access.Request{Subject: anon, ResourceID: w.OpenPersonal.ID, Action: access.ActionRead})
		if personal.Allow || personal.Reason != access.ReasonDeidRequired {
			t.Errorf("open personal data without a de-identification profile: %+v, want deid_required", personal)
		}
		withProfile := newService(t, db, w, access.Config{Rules: accesstest.Rules{}})
		for _, channel := range []access.Channel{access.ChannelAPIRows, access.ChannelCKANDatastore, access.ChannelAPIExport} {
			d, _ := withProfile.Decide(ctx, access.Request{Subject: anon, ResourceID: w.OpenPersonal.ID, Action: access.ActionRead, Channel: channel})
			if !d.Allow || d.Constraints.DeidProfile != "mask-"+w.OpenPersonal.Code {
				t.Errorf("%s: open personal data with a profile: %+v, want it applied", channel, d)
			}
		}
	})
}

func TestEveryDecisionIsLoggedAndSealedInABatchEvent(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := accesstest.New(t, db)
		s := newService(t, db, w, access.Config{})
		g := grant(t, s, w, access.NewGrant{GranteeKind: access.GranteeOrganization, GranteeID: w.Requester.ID,
			ResourceIDs: []string{w.Conditional.ID}})
		for range 3 {
			s.Decide(ctx, access.Request{Subject: w.RequesterMember, ResourceID: w.Conditional.ID, Action: access.ActionRead})
		}
		s.Decide(ctx, access.Request{Subject: identity.Anonymous, ResourceID: w.Conditional.ID, Action: access.ActionRead})
		d, _ := s.Decide(ctx, access.Request{Subject: w.RequesterMember, ResourceID: w.Conditional.ID, Action: access.ActionCompute})
		if err := s.RecordRows(ctx, access.Decision{GrantID: g.ID}, 42); err != nil {
			t.Fatal(err)
		}
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		var total, denied int
		db.QueryRowContext(ctx, `SELECT count(*), COALESCE(SUM(CASE WHEN allow THEN 0 ELSE 1 END), 0) FROM access_decisions`).Scan(&total, &denied)
		if total != 5 || denied != 2 {
			t.Fatalf("logged %d decisions (%d denied), want 5 (2 denied)", total, denied)
		}
		var batches int
		db.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE type = 'access.decisions'`).Scan(&batches)
		if batches < 1 {
			t.Fatal("no access.decisions event seals the batch")
		}
		stored, err := s.Grant(ctx, w.RequesterAdmin, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Usage.Calls != 3 || stored.Usage.Denied != 1 || stored.Usage.Rows != 42 || stored.Usage.LastUsedAt == nil {
			t.Errorf("usage = %+v, want 3 calls, 1 denied, 42 rows", stored.Usage)
		}
		var logged string
		db.QueryRowContext(ctx, `SELECT reason FROM access_decisions WHERE id = $1`, d.ID).Scan(&logged)
		if logged != access.ReasonAction {
			t.Errorf("logged reason of %s = %q", d.ID, logged)
		}
		// A fresh process reads the usage back from the store.
		s2 := newService(t, db, w, access.Config{})
		again, _ := s2.Grant(ctx, w.ProviderAdmin, g.ID)
		if again.Usage.Calls != 3 || again.Usage.Rows != 42 || again.Usage.Denied != 1 || !again.Usage.LastUsedAt.Equal(*stored.Usage.LastUsedAt) {
			t.Errorf("stored usage %+v, live usage %+v", again.Usage, stored.Usage)
		}
	})
}

func TestRevocationTakesEffectOnTheNextRequest(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := accesstest.New(t, db)
		s := newService(t, db, w, access.Config{WatchInterval: 10 * time.Millisecond})
		other := newService(t, db, w, access.Config{WatchInterval: 10 * time.Millisecond}) // another replica
		runCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		if err := other.Start(runCtx); err != nil {
			t.Fatal(err)
		}
		g := grant(t, s, w, access.NewGrant{GranteeKind: access.GranteeOrganization, GranteeID: w.Requester.ID,
			ResourceIDs: []string{w.Conditional.ID}})
		req := access.Request{Subject: w.RequesterMember, ResourceID: w.Conditional.ID, Action: access.ActionRead}
		waitFor(t, func() bool { d, _ := other.Decide(ctx, req); return d.Allow }, "the other replica to see the grant")
		if d, _ := s.Decide(ctx, req); !d.Allow {
			t.Fatalf("before revocation: %+v", d)
		}
		if _, err := s.Revoke(ctx, w.ProviderAdmin, g.ID, "合作结束"); err != nil {
			t.Fatal(err)
		}
		if d, _ := s.Decide(ctx, req); d.Allow || d.Reason != access.ReasonRevoked {
			t.Fatalf("next request after revocation: %+v", d)
		}
		waitFor(t, func() bool { d, _ := other.Decide(ctx, req); return d.Reason == access.ReasonRevoked }, "the other replica to see the revocation")
		if _, err := s.Revoke(ctx, w.ProviderAdmin, g.ID, "again"); !errors.Is(err, access.ErrRevoked) {
			t.Errorf("second revocation: %v", err)
		}
		if _, err := s.Revoke(ctx, w.RequesterMember, g.ID, "x"); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("revocation by a grantee member: %v", err)
		}
	})
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAnonymousRateLimitByAddress(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := access.WithClient(context.Background(), access.Client{IP: "198.51.100.7"})
		w := accesstest.New(t, db)
		s := newService(t, db, w, access.Config{AnonymousRate: 3})
		req := access.Request{Subject: identity.Anonymous, ResourceID: w.Open.ID, Action: access.ActionRead}
		for i := range 3 {
			d, _ := s.Decide(ctx, req)
			if !d.Allow {
				t.Fatalf("read %d: %+v", i+1, d)
			}
			if r := d.Rates; len(r) != 1 || r[0].Policy != "address" || r[0].Limit != 3 || r[0].Remaining != 2-i || r[0].Reset < time.Duration(i+1)*19*time.Second {
				t.Errorf("read %d: rates %+v", i+1, r)
			}
		}
		d, _ := s.Decide(ctx, req)
		if d.Allow || d.Reason != access.ReasonRateLimited || d.RetryAfter < time.Second || len(d.Rates) != 1 || d.Rates[0].Remaining != 0 {
			t.Fatalf("fourth read: %+v", d)
		}
		err := d.Err()
		if wait, ok := access.RetryAfter(err); !ok || wait != d.RetryAfter || !errors.Is(err, access.ErrRateLimited) || !errors.Is(err, access.ErrDenied) {
			t.Errorf("rate-limited error %v: retry %v %v", err, wait, ok)
		}
		otherClient := access.WithClient(context.Background(), access.Client{IP: "198.51.100.8"})
		if d, _ := s.Decide(otherClient, req); !d.Allow {
			t.Errorf("another address is limited too: %+v", d)
		}
		if d, _ := s.Decide(ctx, access.Request{Subject: w.Citizen, ResourceID: w.Open.ID, Action: access.ActionRead}); !d.Allow {
			t.Errorf("a signed-in user shares the anonymous limit of the address: %+v", d)
		}
	})
}

func TestPerGrantAPIKey(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := accesstest.New(t, db)
		s := newService(t, db, w, access.Config{})
		g := grant(t, s, w, access.NewGrant{GranteeKind: access.GranteeOrganization, GranteeID: w.Requester.ID,
			ResourceIDs: []string{w.Conditional.ID}, Policy: access.Policy{Fields: []string{"station"}}})
		if _, _, err := s.CreateKey(ctx, w.RequesterMember, g.ID, "etl"); !errors.Is(err, identity.ErrForbidden) {
			t.Fatalf("a member created a key: %v", err)
		}
		secret, key, err := s.CreateKey(ctx, w.RequesterAdmin, g.ID, "etl")
		if err != nil {
			t.Fatal(err)
		}
		machine := access.WithClient(ctx, access.Client{IP: "203.0.113.5", Key: secret})
		req := access.Request{Subject: identity.Anonymous, ResourceID: w.Conditional.ID, Action: access.ActionRead}
		d, _ := s.Decide(machine, req)
		if !d.Allow || d.GrantID != g.ID || d.Constraints.Fields[0] != "station" {
			t.Fatalf("keyed read: %+v", d)
		}
		if d, _ := s.Decide(machine, access.Request{ResourceID: w.Closed.ID, Action: access.ActionRead}); d.Allow {
			t.Errorf("the key opened a resource outside its grant: %+v", d)
		}
		if err := s.RevokeKey(ctx, w.RequesterAdmin, g.ID, key.ID); err != nil {
			t.Fatal(err)
		}
		if d, _ := s.Decide(machine, req); d.Allow || d.Reason != access.ReasonBadKey {
			t.Errorf("revoked key: %+v", d)
		}
		keys, _ := s.Keys(ctx, w.ProviderAdmin, g.ID)
		if len(keys) != 1 || keys[0].RevokedAt == nil || keys[0].Prefix != secret[:10] {
			t.Errorf("keys = %+v", keys)
		}
	})
}

// TestDisabledUsersGrantKeysStop: the API keys a user made for a grant
// stop working once a sysadmin disables the user (or ends their access),
// as their own tokens do — on a second decision point following the store's
// changes, as another replica would.
func TestDisabledUsersGrantKeysStop(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := accesstest.New(t, db)
		s := newService(t, db, w, access.Config{WatchInterval: 10 * time.Millisecond})
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		g := grant(t, s, w, access.NewGrant{GranteeKind: access.GranteeOrganization, GranteeID: w.Requester.ID,
			ResourceIDs: []string{w.Conditional.ID}})
		secret, _, err := s.CreateKey(ctx, w.RequesterAdmin, g.ID, "etl")
		if err != nil {
			t.Fatal(err)
		}
		machine := access.WithClient(ctx, access.Client{IP: "203.0.113.5", Key: secret})
		req := access.Request{Subject: identity.Anonymous, ResourceID: w.Conditional.ID, Action: access.ActionRead}
		if d, _ := s.Decide(machine, req); !d.Allow {
			t.Fatalf("keyed read before: %+v", d)
		}
		ended, err := w.IDs.DisableUser(ctx, w.Sysadmin, w.RequesterAdmin.UserID)
		if err != nil || ended.GrantKeys != 1 {
			t.Fatalf("DisableUser = %+v, %v; want one grant key revoked", ended, err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			d, _ := s.Decide(machine, req)
			if !d.Allow && d.Reason == access.ReasonBadKey {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the disabled user's grant key still decides: %+v", d)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func TestGroupGrantsReachMemberOrganizations(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := accesstest.New(t, db)
		s := newService(t, db, w, access.Config{})
		group, err := s.CreateGroup(ctx, w.Operator, "生态环境数据协作组", []string{w.Requester.ID, w.Company.ID})
		if err != nil {
			t.Fatal(err)
		}
		grant(t, s, w, access.NewGrant{GranteeKind: access.GranteeGroup, GranteeID: group.ID, ResourceIDs: []string{w.Closed.ID}})
		for _, p := range []identity.Principal{w.RequesterMember, w.CompanyAdmin} {
			if d, _ := s.Decide(ctx, access.Request{Subject: p, ResourceID: w.Closed.ID, Action: access.ActionRead}); !d.Allow {
				t.Errorf("%s: %+v", p.Username, d)
			}
		}
		if d, _ := s.Decide(ctx, access.Request{Subject: w.Citizen, ResourceID: w.Closed.ID, Action: access.ActionRead}); d.Allow {
			t.Errorf("a person outside the group was allowed: %+v", d)
		}
		list, err := s.Grants(ctx, w.CompanyAdmin, access.GrantFilter{Side: "received"})
		if err != nil || len(list) != 1 {
			t.Errorf("company's received grants = %v, %v", list, err)
		}
	})
}

func TestGrantValidation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := accesstest.New(t, db)
		s := newService(t, db, w, access.Config{})
		_, err := s.GrantDirectly(context.Background(), w.Operator, access.NewGrant{GranteeKind: "team", GranteeID: w.Requester.ID,
			ResourceIDs: []string{w.Conditional.ID}, Purpose: "研究",
			Policy: access.Policy{Fields: []string{"nope"}, RowFilter: `riders > "x"`, MaxCalls: -1, Actions: []access.Action{"print"}}})
		for _, f := range []string{"grantee_kind", "policy.fields[0]", "policy.row_filter", "policy.max_calls", "policy.actions[0]"} {
			if !containsField(err, f) {
				t.Errorf("no error for %s in %v", f, err)
			}
		}
		if _, err := s.GrantDirectly(context.Background(), w.ProviderAdmin, access.NewGrant{}); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("provider admin granted directly: %v", err)
		}
	})
}

func containsField(err error, field string) bool {
	var verrs validate.Errors
	return errors.As(err, &verrs) && verrs.Has(field)
}

func TestCatalogChangesReachDecisions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		w := accesstest.New(t, db)
		s := newService(t, db, w, access.Config{WatchInterval: 10 * time.Millisecond})
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		req := access.Request{Subject: identity.Anonymous, ResourceID: w.Open.ID, Action: access.ActionRead, ClientIP: "192.0.2.9"}
		if d, _ := s.Decide(ctx, req); !d.Allow {
			t.Fatalf("before retirement: %+v", d)
		}
		if _, err := w.Cat.Retire(ctx, w.ProviderAdmin, w.Open.ID, "数据停止更新"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool { d, _ := s.Decide(ctx, req); return d.Reason == access.ReasonNotPublished }, "the retirement to reach decisions")
	})
}

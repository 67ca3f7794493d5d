package review_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/opening"
	"dataport/internal/review"
	"dataport/internal/sharing"
	"dataport/internal/store"
	"dataport/internal/store/storetest"

	"github.com/pressly/goose/v3"
)

// b162710 is the last migration of the schema at commit b162710, where
// share requests and open applications kept their workflow state in their
// own tables and their histories in workflow_steps.
const b162710 = 5

// oldStore is a store at the b162710 schema with share requests and open
// applications in it, as that version wrote them.
type oldStore struct {
	cfg                                         store.Config
	provider, requester, company                string
	providerAdmin, requesterUser, operator, cmp string
	conditional, important                      string
	now, due, pastDue                           time.Time
}

func newOldStore(t *testing.T, d store.Dialect) *oldStore {
	t.Helper()
	ctx := context.Background()
	o := &oldStore{cfg: storetest.Config(t, d), now: time.Now().UTC().Truncate(time.Microsecond)}
	o.due, o.pastDue = o.now.AddDate(0, 0, 7), o.now.AddDate(0, 0, -3)
	driver, dsn, dialect := "pgx", o.cfg.URL, goose.DialectPostgres
	if d == store.SQLite {
		if err := os.MkdirAll(o.cfg.DataDir, 0o750); err != nil {
			t.Fatal(err)
		}
		driver, dsn, dialect = "sqlite", "file:"+filepath.Join(o.cfg.DataDir, "dataport.db")+"?_pragma=foreign_keys(1)", goose.DialectSQLite3
	}
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	p, err := goose.NewProvider(dialect, raw, os.DirFS(filepath.Join("..", "store", "migrations", string(d))))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, b162710); err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := raw.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	ts := store.TS(o.now)
	org := func(kind, code string, uscc any) string {
		id := store.NewID()
		exec(`INSERT INTO organizations (id, kind, name_zh, uscc, code, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)`,
			id, kind, code+"机构", uscc, code, ts)
		return id
	}
	o.provider, o.requester = org("institution", "JTW", "11110000000000001X"), org("institution", "STHJ", "11110000000000002X")
	o.company = org("enterprise", "ZTSJ", "91110000000000003X")
	opOrg := org("operator", "DSJZX", nil)
	user := func(name, orgID, role, platform string) string {
		id := store.NewID()
		hash, err := identity.HashPassword(accesstest.Password)
		if err != nil {
			t.Fatal(err)
		}
		exec(`INSERT INTO users (id, username, display_name, password_hash, created_at, updated_at) VALUES ($1, $2, $2, $3, $4, $4)`, id, name, hash, ts)
		exec(`INSERT INTO memberships (user_id, organization_id, role, created_at) VALUES ($1, $2, $3, $4)`, id, orgID, role, ts)
		if platform != "" {
			exec(`INSERT INTO user_platform_roles (user_id, role) VALUES ($1, $2)`, id, platform)
		}
		return id
	}
	o.providerAdmin, o.requesterUser = user("jtw.admin", o.provider, "admin", ""), user("sthj.member", o.requester, "member", "")
	o.operator, o.cmp = user("operator", opOrg, "admin", "operator"), user("company", o.company, "admin", "")
	resource := func(code, class string, level int) string {
		id := store.NewID()
		exec(`INSERT INTO resources (id, code, organization_id, title_zh, subject, items, item_count, update_frequency, share_type, share_basis,
			open_type, open_basis, classification, level, status, version, created_by, created_at, updated_at, published_at)
			VALUES ($1, $2, $3, $4, '04', $5, 2, 'daily', 'conditional', '依据', 'conditional', '依据', $6, $7, 'published', 1, $8, $9, $9, $9)`,
			id, code, o.provider, code+"数据", `[{"name":"station","label_zh":"站点","type":"text"},{"name":"riders","label_zh":"客流","type":"integer"}]`,
			class, level, o.providerAdmin, ts)
		return id
	}
	o.conditional, o.important = resource("JTW-04-00001", "general", 1), resource("JTW-04-00002", "important", 3)
	for _, r := range o.shareRows() {
		exec(`INSERT INTO share_requests (id, resource_id, provider_org_id, requester_org_id, requester_user_id, purpose, legal_basis, fields,
			duration_days, status, needs_operator, due_at, escalated_at, grant_id, reason, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, '依据', '["station"]', 90, $7, $8, $9, NULL, $10, $11, $12, $12)`,
			r.id, r.resource, o.provider, o.requester, o.requesterUser, r.purpose, r.status, r.needsOperator, nullTS(r.due), r.grant, r.reason, ts)
		o.addSteps(exec, "share_request", r.id, r.steps)
	}
	for _, a := range o.applicationRows() {
		exec(`INSERT INTO open_applications (id, resource_id, provider_org_id, applicant_kind, applicant_org_id, applicant_user_id, purpose, scenario,
			security_measures, fields, duration_days, status, due_at, escalated_at, grant_id, agreement, agreement_hash, reason, created_at, updated_at)
			VALUES ($1, $2, $3, 'company', $4, $5, '模型训练', '内部分析', '专网隔离', '[]', 180, $6, $7, NULL, $8, $9, $10, '', $11, $11)`,
			a.id, o.conditional, o.provider, o.company, o.cmp, a.status, nullTS(a.due), a.grant, a.agreement, a.hash, ts)
		o.addSteps(exec, "open_application", a.id, a.steps)
	}
	return o
}

type oldStep struct{ action, status, actor, org, comment string }

type oldShare struct {
	id, resource, purpose, status, grant, reason string
	needsOperator                                bool
	due                                          *time.Time
	steps                                        []oldStep
}

// The same ids every call, so that a test can name the rows.
var (
	pendingShare, operatorShare, grantedShare, overdueShare = store.NewID(), store.NewID(), store.NewID(), store.NewID()
	pendingApp, grantedApp                                  = store.NewID(), store.NewID()
)

func (o *oldStore) shareRows() []oldShare {
	submitted := oldStep{"submitted", "provider_review", o.requesterUser, o.requester, ""}
	return []oldShare{
		{id: pendingShare, resource: o.conditional, purpose: "待审", status: "provider_review", due: &o.due, steps: []oldStep{submitted}},
		{id: operatorShare, resource: o.important, purpose: "重要", status: "operator_review", needsOperator: true, due: &o.due, reason: "提供方同意",
			steps: []oldStep{submitted, {"approved", "operator_review", o.providerAdmin, o.provider, "提供方同意"}}},
		{id: grantedShare, resource: o.conditional, purpose: "已授权", status: "granted", grant: "grant-of-b162710",
			steps: []oldStep{submitted, {"granted", "granted", o.providerAdmin, o.provider, "同意"}}},
		{id: overdueShare, resource: o.conditional, purpose: "逾期", status: "provider_review", due: &o.pastDue, steps: []oldStep{submitted}},
	}
}

type oldApplication struct {
	id, status, grant, agreement, hash string
	due                                *time.Time
	steps                              []oldStep
}

func (o *oldStore) applicationRows() []oldApplication {
	submitted := oldStep{"submitted", "provider_review", o.cmp, o.company, ""}
	return []oldApplication{
		{id: pendingApp, status: "provider_review", due: &o.due, steps: []oldStep{submitted}},
		{id: grantedApp, status: "granted", grant: "grant-2", agreement: "公共数据有条件开放使用协议……", hash: store.SHA256Hex("公共数据有条件开放使用协议……"),
			steps: []oldStep{submitted, {"approved", "operator_review", o.providerAdmin, o.provider, "用途明确"}, {"granted", "granted", o.operator, "", "同意"}}},
	}
}

func (o *oldStore) addSteps(exec func(string, ...any), kind, id string, steps []oldStep) {
	for i, st := range steps {
		exec(`INSERT INTO workflow_steps (kind, request_id, seq, action, status, actor_id, actor_org_id, at, comment) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			kind, id, i+1, st.action, st.status, st.actor, st.org, store.TS(o.now), st.comment)
	}
}

func nullTS(t *time.Time) any { return store.NullTSPtr(t) }

// TestUpgradeFromB162710 opens a store written at the b162710 schema: its
// share requests and open applications read as before (status, deadline,
// reason, grant, agreement, history), wait in the same queues, and go on
// through the review workflow; the migration also goes down and up again.
func TestUpgradeFromB162710(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			o := newOldStore(t, d)
			db, err := store.Open(ctx, o.cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			ids, cat := identity.NewService(db), catalog.NewService(db)
			acc := access.New(db, cat, access.Config{Rules: accesstest.Rules{}})
			t.Cleanup(acc.Close)
			rev := review.NewService(db, review.Config{})
			sh := sharing.NewService(db, cat, acc, sharing.Config{Review: rev})
			op := opening.NewService(db, cat, ids, acc, opening.Config{Review: rev})
			who := func(id string) identity.Principal {
				p, err := ids.Principal(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				return p
			}
			requester, provider, operator, company := who(o.requesterUser), who(o.providerAdmin), who(o.operator), who(o.cmp)

			for _, old := range o.shareRows() {
				r, err := sh.Get(ctx, requester, old.id)
				if err != nil {
					t.Fatalf("share request %s after the upgrade: %v", old.purpose, err)
				}
				if string(r.Status) != old.status || r.GrantID != old.grant || r.Reason != old.reason || r.Purpose != old.purpose ||
					r.RequesterUserID != o.requesterUser || r.NeedsOperator != old.needsOperator || !r.CreatedAt.Equal(o.now) ||
					(old.due == nil) != (r.DueAt == nil) || (old.due != nil && !r.DueAt.Equal(*old.due)) || !slices.Equal(r.Fields, []string{"station"}) {
					t.Errorf("share request %s = %+v", old.purpose, r)
				}
				checkHistory(t, r.Steps, old.steps, o.now)
			}
			for _, old := range o.applicationRows() {
				a, err := op.Get(ctx, company, old.id)
				if err != nil {
					t.Fatal(err)
				}
				if string(a.Status) != old.status || a.Agreement != old.agreement || a.AgreementHash != old.hash || a.ApplicantUserID != o.cmp ||
					a.ApplicantKind != opening.ApplicantCompany {
					t.Errorf("application %s = %+v", old.id, a)
				}
				checkHistory(t, a.Steps, old.steps, o.now)
			}
			queue, _ := sh.List(ctx, provider, sharing.Filter{Side: "queue"})
			opQueue, _ := sh.List(ctx, operator, sharing.Filter{Side: "queue"})
			apps, _ := op.List(ctx, provider, opening.Filter{Side: "queue"})
			if got := requestIDs(queue); !slices.Equal(got, []string{overdueShare, pendingShare}) {
				t.Errorf("provider's queue = %v", got)
			}
			if got := requestIDs(opQueue); !slices.Equal(got, []string{operatorShare}) {
				t.Errorf("operator's queue = %v", got)
			}
			if len(apps) != 1 || apps[0].ID != pendingApp {
				t.Errorf("provider's application queue = %+v", apps)
			}

			// The old cases go on through the workflow.
			if tl, err := sh.Tick(ctx, time.Now()); err != nil || tl.Escalated != 1 {
				t.Errorf("escalated %+v, %v; want the overdue request", tl, err)
			}
			if r, err := sh.Decide(ctx, provider, pendingShare, review.Approve, "同意"); err != nil || r.Status != sharing.StatusGranted || r.GrantID == "" {
				t.Errorf("approving an old pending request: %+v %v", r, err)
			}
			if r, err := sh.Decide(ctx, operator, operatorShare, review.Approve, "同意"); err != nil || r.Status != sharing.StatusGranted {
				t.Errorf("the operator's approval of an old request: %+v %v", r, err)
			}
			if r, err := sh.Decide(ctx, operator, overdueShare, review.Reject, "逾期退回"); err != nil || r.Status != sharing.StatusRejected {
				t.Errorf("the operator's decision on an escalated old request: %+v %v", r, err)
			}
			if a, err := op.Decide(ctx, provider, pendingApp, review.Approve, "用途明确"); err != nil || a.Status != opening.StatusOperatorReview {
				t.Errorf("approving an old application: %+v %v", a, err)
			}
			r, _ := sh.Get(ctx, requester, pendingShare)
			if actions := entryActions(r.Steps); !slices.Equal(actions, []string{"submitted", "granted"}) {
				t.Errorf("history after the upgrade = %v", actions)
			}

			// Down to the b162710 layout (of these tables) and up again keeps every request.
			p, err := goose.NewProvider(map[store.Dialect]goose.Dialect{store.SQLite: goose.DialectSQLite3, store.Postgres: goose.DialectPostgres}[d],
				db.DB, os.DirFS(filepath.Join("..", "store", "migrations", string(d))))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.DownTo(ctx, 8); err != nil { // before 0009, which moved them onto review cases
				t.Fatal(err)
			}
			var status string
			var steps int
			if err := db.QueryRowContext(ctx, `SELECT status FROM share_requests WHERE id = $1`, pendingShare).Scan(&status); err != nil || status != "granted" {
				t.Errorf("down: status %q, %v", status, err)
			}
			if err := db.QueryRowContext(ctx, `SELECT count(*) FROM workflow_steps`).Scan(&steps); err != nil || steps != 15 { // 10 of b162710, 5 since
				t.Errorf("down: %d history steps, %v", steps, err)
			}
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if r, err := sh.Get(ctx, requester, pendingShare); err != nil || r.Status != sharing.StatusGranted || len(r.Steps) != 2 {
				t.Errorf("up again: %+v %v", r, err)
			}
		})
	}
}

func checkHistory(t *testing.T, got []review.Entry, want []oldStep, at time.Time) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("history = %+v, want %+v", got, want)
		return
	}
	for i, st := range want {
		e := got[i]
		if e.Seq != i+1 || e.Action != st.action || string(e.Status) != st.status || e.ActorID != st.actor || e.ActorOrgID != st.org ||
			e.Comment != st.comment || !e.At.Equal(at) {
			t.Errorf("history[%d] = %+v, want %+v", i, e, st)
		}
	}
}

func requestIDs(rs []sharing.Request) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func entryActions(es []review.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Action)
	}
	return out
}

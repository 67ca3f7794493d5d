package incident_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"dataport/internal/identity"
	"dataport/internal/monitor/incident"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"

	"github.com/google/go-cmp/cmp"
)

func TestDeadlinesPerLevel(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		// Critical incidents' reports are due in one hour here (a critical
		// information infrastructure operator's rule), the rest default.
		w := newWorld(t, db, incident.Config{ReportHours: map[incident.Level]float64{incident.LevelCritical: 1}})
		ctx := context.Background()
		discovered := time.Now().UTC().Add(-30 * time.Minute).Truncate(time.Second)
		for _, test := range []struct {
			level          incident.Level
			persons        int64
			notify, report time.Duration // 0 notify: none due
		}{
			{incident.LevelGeneral, 10, 72 * time.Hour, 72 * time.Hour},
			{incident.LevelMajor, 10, 48 * time.Hour, 4 * time.Hour},
			{incident.LevelSerious, 10, 24 * time.Hour, 4 * time.Hour},
			{incident.LevelCritical, 10, 24 * time.Hour, time.Hour},
			{incident.LevelMajor, 0, 0, 4 * time.Hour},
		} {
			t.Run(fmt.Sprint(test.level, test.persons), func(t *testing.T) {
				in := w.leak(discovered)
				in.Level, in.PersonsAffected = test.level, test.persons
				inc, err := w.svc.Open(ctx, w.ProviderEditor, in)
				if err != nil {
					t.Fatal(err)
				}
				if want := discovered.Add(test.report); !inc.ReportDue.Equal(want) {
					t.Errorf("report due %v, want %v", inc.ReportDue, want)
				}
				if test.notify == 0 && inc.NotifyDue != nil {
					t.Errorf("a notice is due with no person affected: %v", inc.NotifyDue)
				}
				if test.notify != 0 && (inc.NotifyDue == nil || !inc.NotifyDue.Equal(discovered.Add(test.notify))) {
					t.Errorf("notify due %v, want %v", inc.NotifyDue, discovered.Add(test.notify))
				}
				got, err := w.svc.Incident(ctx, w.security, inc.ID)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(inc, got); diff != "" {
					t.Errorf("stored incident differs (-opened +read):\n%s", diff)
				}
				types, payloads := events(t, db, inc.ID)
				if !slices.Equal(types, []string{"incident.opened"}) {
					t.Fatalf("events %v", types)
				}
				p := payloads[0]
				if p["report_due"] != store.TS(inc.ReportDue) || p["persons_affected"] != float64(test.persons) ||
					p["records_affected"] != float64(12345) || p["level"] != string(test.level) {
					t.Errorf("opening event %v", p)
				}
				for _, text := range []string{in.Title, in.Cause, in.Advice} {
					if strings.Contains(fmt.Sprint(p), text) {
						t.Errorf("the event carries the text %q", text)
					}
				}
			})
		}
	})
}

func TestOpenRefused(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, incident.Config{})
		ctx := context.Background()
		now := time.Now().UTC()
		good := w.leak(now.Add(-time.Hour))
		for _, test := range []struct {
			name   string
			actor  identity.Principal
			edit   func(in *incident.Details)
			fields []string // field errors expected; nil: want
			want   error
		}{
			{"bad fields", w.ProviderEditor, func(in *incident.Details) {
				in.Title, in.Kind, in.Level, in.RecordsAffected = "", "fire", "huge", -1
				in.ResourceIDs = []string{w.Open.ID, "no-such-resource", w.Open.ID}
				in.DiscoveredAt = now.Add(time.Hour)
			}, []string{"title", "kind", "level", "records_affected", "resource_ids[1]", "resource_ids[2]", "discovered_at"}, nil},
			{"unknown unit", w.security, func(in *incident.Details) { in.OrgID = "nope" }, []string{"org_id"}, nil},
			{"another unit's editor", w.RequesterAdmin, func(*incident.Details) {}, nil, identity.ErrForbidden},
			{"a plain member", w.member, func(*incident.Details) {}, nil, identity.ErrForbidden},
			{"the regulator (sees, does not record)", w.regulator, func(*incident.Details) {}, nil, identity.ErrForbidden},
			{"anonymous", identity.Anonymous, func(*incident.Details) {}, nil, identity.ErrUnauthenticated},
		} {
			t.Run(test.name, func(t *testing.T) {
				in := good
				in.ResourceIDs = slices.Clone(good.ResourceIDs)
				test.edit(&in)
				_, err := w.svc.Open(ctx, test.actor, in)
				if test.fields != nil {
					fields, ok := validate.Fields(err)
					slices.Sort(fields)
					want := slices.Sorted(slices.Values(test.fields))
					if !ok || !slices.Equal(fields, want) {
						t.Fatalf("got %v (%v), want field errors %v", fields, err, want)
					}
				} else if !errors.Is(err, test.want) {
					t.Fatalf("got %v, want %v", err, test.want)
				}
				if n := count(t, db, `SELECT count(*) FROM incidents`); n != 0 {
					t.Errorf("%d incidents written", n)
				}
				if n := count(t, db, `SELECT count(*) FROM events WHERE subject_kind = 'incident'`); n != 0 {
					t.Errorf("%d events written", n)
				}
			})
		}
		// The security officer records any unit's incident.
		if _, err := w.svc.Open(ctx, w.security, good); err != nil {
			t.Fatal(err)
		}
	})
}

func TestLifecycleToClose(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, incident.Config{})
		ctx := context.Background()
		discovered := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
		inc, err := w.svc.Open(ctx, w.ProviderEditor, w.leak(discovered))
		if err != nil {
			t.Fatal(err)
		}
		// Reviewing or closing an open incident is refused.
		if _, err := w.svc.Review(ctx, w.ProviderEditor, inc.ID, incident.ReviewInput{Summary: "s", Lessons: "l"}); !errors.Is(err, incident.ErrState) {
			t.Fatalf("review of an open incident: %v", err)
		}
		inc, err = w.svc.AddTask(ctx, w.ProviderEditor, inc.ID, incident.ResponseTaskInput{Title: "排查全部导出接口的鉴权配置",
			OwnerUserID: w.member.UserID, DueAt: discovered.Add(24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		task := inc.Tasks[0]
		if _, err := w.svc.AddTask(ctx, w.ProviderEditor, inc.ID, incident.ResponseTaskInput{Title: "x", OwnerUserID: w.RequesterAdmin.UserID,
			DueAt: discovered.Add(-time.Hour)}); !hasFields(err, "owner_user_id", "due_at") {
			t.Fatalf("a task owned by another unit's admin, due before the discovery: %v", err)
		}
		if inc, err = w.svc.Contain(ctx, w.ProviderEditor, inc.ID, discovered.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Contain(ctx, w.ProviderEditor, inc.ID, time.Time{}); !errors.Is(err, incident.ErrState) {
			t.Fatalf("contained twice: %v", err)
		}

		inc, report, err := w.svc.Issue(ctx, w.ProviderEditor, inc.ID, incident.DocReport)
		if err != nil {
			t.Fatal(err)
		}
		inc, notice, err := w.svc.Issue(ctx, w.security, inc.ID, incident.DocNotice)
		if err != nil {
			t.Fatal(err)
		}
		if inc.ReportedAt == nil || !inc.ReportedAt.Equal(report.IssuedAt) || inc.NotifiedAt == nil || !inc.NotifiedAt.Equal(notice.IssuedAt) {
			t.Fatalf("issuing did not meet the deadlines: %+v", inc)
		}
		for _, doc := range []incident.Filing{report, notice} {
			checkDocument(t, w, inc, doc)
		}

		_, err = w.svc.Close(ctx, w.ProviderEditor, inc.ID)
		var refusal *validate.Refusal
		if !errors.As(err, &refusal) || refusal.Code != "close_missing" || !strings.Contains(refusal.Message, "review") ||
			!strings.Contains(refusal.Message, "task "+task.ID) {
			t.Fatalf("closing without review and with a task open: %v", err)
		}
		if _, err := w.svc.CompleteTask(ctx, w.RequesterAdmin, inc.ID, task.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another unit completes the task: %v", err)
		}
		if _, err := w.svc.CompleteTask(ctx, w.member, inc.ID, task.ID); err != nil { // its owner, a plain member
			t.Fatal(err)
		}
		if _, err := w.svc.Review(ctx, w.ProviderEditor, inc.ID, incident.ReviewInput{Summary: "接口上线未经安全评审。",
			Lessons: "导出接口纳入上线前安全检查清单。"}); err != nil {
			t.Fatal(err)
		}
		if inc, err = w.svc.Close(ctx, w.ProviderEditor, inc.ID); err != nil || inc.State != incident.StateClosed || inc.ClosedAt == nil {
			t.Fatalf("close: %+v %v", inc, err)
		}
		if _, _, err := w.svc.Issue(ctx, w.ProviderEditor, inc.ID, incident.DocReport); !errors.Is(err, incident.ErrState) {
			t.Fatalf("a closed incident issues a report: %v", err)
		}

		types, payloads := events(t, db, inc.ID)
		want := []string{"incident.opened", "incident.task_added", "incident.contained", "incident.document_issued",
			"incident.document_issued", "incident.task_done", "incident.reviewed", "incident.closed"}
		if !slices.Equal(types, want) {
			t.Fatalf("events:\n got %v\nwant %v", types, want)
		}
		for i, doc := range []incident.Filing{report, notice} {
			p := payloads[3+i]
			if p["html_sha256"] != doc.HTMLSHA256 || p["text_sha256"] != doc.TextSHA256 || p["document_kind"] != doc.Kind ||
				p["persons_affected"] != float64(3210) || p["records_affected"] != float64(12345) || p["on_time"] != true {
				t.Errorf("%s event: %v", doc.Kind, p)
			}
		}
	})
}

// checkDocument reads doc back and checks it names the affected counts,
// the resources, the cause and the responsible person, and that its
// hashes are those of the bodies kept.
func checkDocument(t *testing.T, w *world, inc incident.Incident, doc incident.Filing) {
	t.Helper()
	got, body, err := w.svc.IssuedDocument(context.Background(), w.regulator, inc.ID, doc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got != doc {
		t.Errorf("issued %+v, read %+v", doc, got)
	}
	if store.SHA256Hex(body.HTML) != doc.HTMLSHA256 || store.SHA256Hex(body.Text) != doc.TextSHA256 {
		t.Errorf("%s: the bodies kept are not those sealed", doc.Kind)
	}
	for _, form := range []string{body.HTML, body.Text} {
		for _, want := range []string{incident.DocTitle(doc.Kind), "12,345", "3,210", "京华市交通委员会", "地铁刷卡记录", "出租车司机联系方式",
			"接口鉴权配置错误", "jtw.admin", "较大", "数据泄露"} {
			if !strings.Contains(form, want) {
				t.Errorf("%s does not name %q:\n%s", doc.Kind, want, form)
			}
		}
	}
	if doc.Kind == incident.DocNotice && !strings.Contains(body.Text, "可疑来电") {
		t.Errorf("the notice does not say what persons can do:\n%s", body.Text)
	}
	if doc.Kind == incident.DocReport && !strings.Contains(body.Text, "排查全部导出接口的鉴权配置") {
		t.Errorf("the report does not list the tasks:\n%s", body.Text)
	}
	if !strings.Contains(body.HTML, "@media print") || strings.Contains(body.HTML, "http") {
		t.Errorf("%s's HTML has no print stylesheet or loads something remote", doc.Kind)
	}
}

func hasFields(err error, want ...string) bool {
	fields, ok := validate.Fields(err)
	slices.Sort(fields)
	slices.Sort(want)
	return ok && slices.Equal(fields, want)
}

func TestNoticeNeedsPersons(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, incident.Config{})
		ctx := context.Background()
		in := w.leak(time.Now().UTC().Add(-time.Hour).Truncate(time.Second))
		in.PersonsAffected = 0
		inc, err := w.svc.Open(ctx, w.ProviderEditor, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.svc.Issue(ctx, w.ProviderEditor, inc.ID, incident.DocNotice); !errors.Is(err, incident.ErrState) {
			t.Fatalf("a notice with no person affected: %v", err)
		}
		if _, _, err := w.svc.Issue(ctx, w.ProviderEditor, inc.ID, "memo"); !hasFields(err, "kind") {
			t.Fatalf("an unknown kind: %v", err)
		}
		// Finding persons affected later makes a notice due, from the discovery.
		in.PersonsAffected, in.Level = 5, incident.LevelSerious
		if inc, err = w.svc.Update(ctx, w.ProviderEditor, inc.ID, in); err != nil {
			t.Fatal(err)
		}
		if inc.NotifyDue == nil || !inc.NotifyDue.Equal(in.DiscoveredAt.Add(24*time.Hour)) {
			t.Fatalf("notify due %v", inc.NotifyDue)
		}
		types, payloads := events(t, db, inc.ID)
		if types[len(types)-1] != "incident.updated" || payloads[len(types)-1]["previous_level"] != "major" {
			t.Errorf("update event %v %v", types, payloads[len(types)-1])
		}
	})
}

func TestWhoSees(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, incident.Config{})
		ctx := context.Background()
		mine, err := w.svc.Open(ctx, w.ProviderEditor, w.leak(time.Now().Add(-time.Hour)))
		if err != nil {
			t.Fatal(err)
		}
		theirs := w.leak(time.Now().Add(-time.Hour))
		theirs.OrgID, theirs.ResourceIDs = w.Requester.ID, nil
		other, err := w.svc.Open(ctx, w.RequesterAdmin, theirs)
		if err != nil {
			t.Fatal(err)
		}
		for _, test := range []struct {
			name  string
			actor identity.Principal
			want  []string
		}{
			{"security officer", w.security, []string{other.ID, mine.ID}},
			{"regulator", w.regulator, []string{other.ID, mine.ID}},
			{"auditor", w.Auditor, []string{other.ID, mine.ID}},
			{"unit editor", w.ProviderEditor, []string{mine.ID}},
			{"other unit admin", w.RequesterAdmin, []string{other.ID}},
			{"plain member", w.member, nil},
			{"platform operator", w.Operator, nil},
		} {
			t.Run(test.name, func(t *testing.T) {
				list, _, err := w.svc.Incidents(ctx, test.actor, incident.Filter{})
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, inc := range list {
					ids = append(ids, inc.ID)
				}
				if !slices.Equal(ids, test.want) {
					t.Errorf("sees %v, want %v", ids, test.want)
				}
				_, err = w.svc.Incident(ctx, test.actor, mine.ID)
				if sees := slices.Contains(test.want, mine.ID); sees != (err == nil) || (!sees && !errors.Is(err, store.ErrNotFound)) {
					t.Errorf("reading the transport commission's incident: %v", err)
				}
			})
		}
		if _, err := w.svc.Contain(ctx, w.regulator, mine.ID, time.Time{}); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("the regulator contains an incident: %v", err)
		}
		page, next, err := w.svc.Incidents(ctx, w.security, incident.Filter{Limit: 1})
		if err != nil || len(page) != 1 || page[0].ID != other.ID || next == "" {
			t.Fatalf("first page %v %q %v", page, next, err)
		}
		if page, next, err = w.svc.Incidents(ctx, w.security, incident.Filter{Limit: 1, Cursor: next}); err != nil || len(page) != 1 ||
			page[0].ID != mine.ID || next != "" {
			t.Fatalf("second page %v %q %v", page, next, err)
		}
	})
}

func TestReminders(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, incident.Config{})
		ctx := context.Background()
		// Discovered 3.5 hours ago, a major incident: the report (4 h) is
		// due within the hour, the notice (48 h) is not.
		now := time.Now().UTC()
		inc, err := w.svc.Open(ctx, w.ProviderEditor, w.leak(now.Add(-210*time.Minute)))
		if err != nil {
			t.Fatal(err)
		}
		sent, err := w.svc.Tick(ctx, now)
		if err != nil || sent != 1 {
			t.Fatalf("first tick sent %d: %v", sent, err)
		}
		if sent, err = w.svc.Tick(ctx, now); err != nil || sent != 0 {
			t.Fatalf("a repeated tick sent %d: %v", sent, err)
		}
		// Past the report's deadline: one reminder that it is overdue.
		if sent, err = w.svc.Tick(ctx, now.Add(time.Hour)); err != nil || sent != 1 {
			t.Fatalf("overdue tick sent %d: %v", sent, err)
		}
		// The responsible person (the admin), the chief data officer (the
		// editor) and the security officer were told; a plain member not.
		for _, test := range []struct {
			p    identity.Principal
			want int
		}{{w.ProviderAdmin, 2}, {w.ProviderEditor, 2}, {w.security, 2}, {w.member, 0}, {w.RequesterAdmin, 0}} {
			n := count(t, db, `SELECT count(*) FROM notifications WHERE user_id = $1 AND subject_id = $2`, test.p.UserID, inc.ID)
			if n != test.want {
				t.Errorf("%s got %d notices, want %d", test.p.Username, n, test.want)
			}
		}
		// Once reported, only the notice's deadline is left; its reminder
		// comes an hour before it.
		if _, _, err := w.svc.Issue(ctx, w.ProviderEditor, inc.ID, incident.DocReport); err != nil {
			t.Fatal(err)
		}
		if sent, err = w.svc.Tick(ctx, now.Add(40*time.Hour)); err != nil || sent != 0 {
			t.Fatalf("tick after the report sent %d: %v", sent, err)
		}
		if sent, err = w.svc.Tick(ctx, now.Add(44*time.Hour)); err != nil || sent != 1 {
			t.Fatalf("tick before the notice's deadline sent %d: %v", sent, err)
		}
		types, payloads := events(t, db, inc.ID)
		var reminded []string
		for i, typ := range types {
			if typ == "incident.reminded" {
				reminded = append(reminded, fmt.Sprint(payloads[i]["deadline"], ":", payloads[i]["stage"]))
			}
		}
		if want := []string{"report:due_soon", "report:overdue", "notify:due_soon"}; !slices.Equal(reminded, want) {
			t.Errorf("reminders %v, want %v", reminded, want)
		}
	})
}

func TestDeadlineStatus(t *testing.T) {
	due := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	early, late := due.Add(-time.Minute), due.Add(time.Minute)
	for _, test := range []struct {
		now  time.Time
		met  *time.Time
		want incident.DeadlineStatus
	}{
		{due.Add(-2 * time.Hour), nil, incident.Pending},
		{due.Add(-time.Hour), nil, incident.DueSoon},
		{due, nil, incident.Overdue},
		{late, &early, incident.Met},
		{late, &due, incident.Met},
		{late.Add(time.Hour), &late, incident.MetLate},
	} {
		d := incident.Deadline{Name: incident.DeadlineReport, Due: due, MetAt: test.met}
		if got := d.Status(test.now, time.Hour); got != test.want {
			t.Errorf("at %v met %v: %s, want %s", test.now, test.met, got, test.want)
		}
	}
}

package engage_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/datastore/datastoretest"
	"dataport/internal/engage"
	"dataport/internal/identity"
	"dataport/internal/notify"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"

	"github.com/google/go-cmp/cmp"
)

func newWorld(t *testing.T, db *store.DB) (*accesstest.World, *engage.Service) {
	t.Helper()
	w := accesstest.New(t, db)
	return w, engage.New(db, w.Cat, engage.Config{})
}

// fieldCode returns the code of err's problem with field, or "".
func fieldCode(err error, field string) string {
	var errs validate.Errors
	if errors.As(err, &errs) {
		for _, fe := range errs {
			if fe.Field == field {
				return fe.Code
			}
		}
	}
	return ""
}

// events counts the events of type typ.
func events(t *testing.T, db *store.DB, typ string) int {
	t.Helper()
	evs, err := db.Events(context.Background(), store.EventFilter{Type: typ, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// notices returns the kinds of p's notices about engagement (engage.*),
// newest first; other parts of the platform tell people of other things.
func notices(t *testing.T, db *store.DB, p identity.Principal) []string {
	t.Helper()
	list, err := notify.NewService(db).List(context.Background(), p, false, 100)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, n := range list {
		if strings.HasPrefix(n.Kind, "engage.") {
			kinds = append(kinds, n.Kind+" "+n.SubjectID)
		}
	}
	return kinds
}

func TestRatingsOnePerUserAndValidated(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w, s := newWorld(t, db)
		tables := storetest.CountRows(t, db, "ratings", "events")
		for _, stars := range []int{0, 6, -1} {
			if _, err := s.Rate(ctx, w.Citizen, w.Open.ID, stars); fieldCode(err, "stars") != validate.CodeRange {
				t.Errorf("stars %d: got %v, want a range problem on stars", stars, err)
			}
		}
		if _, err := s.Rate(ctx, identity.Principal{}, w.Open.ID, 4); !errors.Is(err, identity.ErrUnauthenticated) {
			t.Errorf("anonymous rating: got %v, want ErrUnauthenticated", err)
		}
		if _, err := s.Rate(ctx, w.ProviderEditor, w.Draft.ID, 4); !errors.Is(err, catalog.ErrState) {
			t.Errorf("rating a draft: got %v, want a state conflict", err)
		}
		storetest.AssertUnchanged(t, db, tables)

		if _, err := s.Rate(ctx, w.Citizen, w.Open.ID, 2); err != nil {
			t.Fatal(err)
		}
		got, err := s.Rate(ctx, w.Citizen, w.Open.ID, 5) // changes the citizen's rating, adds none
		if err != nil {
			t.Fatal(err)
		}
		if want := (engage.Rating{Average: 5, Count: 1, Mine: 5}); got != want {
			t.Errorf("after changing the rating: %+v, want %+v", got, want)
		}
		if _, err := s.Rate(ctx, w.CompanyAdmin, w.Open.ID, 4); err != nil {
			t.Fatal(err)
		}
		got, err = s.Rating(ctx, identity.Principal{}, w.Open.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := (engage.Rating{Average: 4.5, Count: 2}); got != want {
			t.Errorf("rating seen anonymously: %+v, want %+v", got, want)
		}
		if n := events(t, db, "engage.rated"); n != 3 {
			t.Errorf("%d engage.rated events, want 3 (one per write)", n)
		}
	})
}

func TestCommentsValidatedAndHiddenByModeratorsOnly(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w, s := newWorld(t, db)
		tables := storetest.CountRows(t, db, "comments", "events")
		for _, tc := range []struct{ body, code string }{
			{"   ", validate.CodeRequired},
			{strings.Repeat("长", engage.MaxComment+1), validate.CodeMaxLen},
			{"bell\x07", validate.CodeFormat},
		} {
			if _, err := s.AddComment(ctx, w.Citizen, w.Open.ID, tc.body); fieldCode(err, "body") != tc.code {
				t.Errorf("comment %.20q: got %v, want %s on body", tc.body, err, tc.code)
			}
		}
		storetest.AssertUnchanged(t, db, tables)

		c, err := s.AddComment(ctx, w.Citizen, w.Open.ID, "  数据很有用 <script>alert(1)</script>\r\n第二行 ")
		if err != nil {
			t.Fatal(err)
		}
		if c.Body != "数据很有用 <script>alert(1)</script>\n第二行" {
			t.Errorf("body kept as %q: want it trimmed, as written (the page escapes it)", c.Body)
		}
		for _, who := range []identity.Principal{w.Citizen, w.CompanyAdmin, w.RequesterAdmin} {
			if _, err := s.HideComment(ctx, who, c.ID, "广告"); !errors.Is(err, identity.ErrForbidden) {
				t.Errorf("%s hides a comment: got %v, want ErrForbidden", who.Username, err)
			}
		}
		if _, err := s.HideComment(ctx, w.ProviderEditor, c.ID, " "); fieldCode(err, "reason") != validate.CodeRequired {
			t.Errorf("hide without a reason: got %v", err)
		}
		hidden, err := s.HideComment(ctx, w.ProviderEditor, c.ID, "含有不实信息")
		if err != nil {
			t.Fatal(err)
		}
		if hidden.HiddenAt == nil || hidden.HideReason != "含有不实信息" {
			t.Errorf("hidden comment: %+v", hidden)
		}
		if _, err := s.HideComment(ctx, w.Operator, c.ID, "again"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("hiding twice: got %v, want a conflict", err)
		}
		c2, err := s.AddComment(ctx, w.CompanyAdmin, w.Open.ID, "请增加历史数据")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.HideComment(ctx, w.Operator, c2.ID, "重复"); err != nil {
			t.Errorf("the platform operator hides a comment: %v", err)
		}

		seen := func(p identity.Principal) []string {
			list, err := s.Comments(ctx, p, w.Open.ID)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, c := range list {
				out = append(out, c.Author+"|"+c.Body+"|"+c.HideReason)
			}
			return out
		}
		if diff := cmp.Diff([]string{"c**||含有不实信息", "c**||重复"}, seen(identity.Principal{})); diff != "" {
			t.Errorf("anonymous readers see (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"citizen|" + c.Body + "|含有不实信息", "c**||重复"}, seen(w.Citizen)); diff != "" {
			t.Errorf("the author sees (-want +got):\n%s", diff)
		}
		if n := events(t, db, "engage.comment_hidden"); n != 2 {
			t.Errorf("%d comment_hidden events, want 2", n)
		}
		evs, _ := db.Events(ctx, store.EventFilter{Type: "engage.commented"})
		for _, ev := range evs {
			if strings.Contains(string(ev.Payload), "数据") || strings.Contains(string(ev.Payload), "历史") {
				t.Errorf("an event carries the comment's text: %s", ev.Payload)
			}
		}
	})
}

func TestErrorReportReachesProviderAndReplyReachesReporter(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w, s := newWorld(t, db)
		tables := storetest.CountRows(t, db, "error_reports", "notifications", "events")
		if _, err := s.Report(ctx, w.Citizen, w.Open.ID, engage.ReportInput{Column: "station", Problem: " "}); fieldCode(err, "problem") != validate.CodeRequired {
			t.Errorf("report without a problem: got %v", err)
		}
		if _, err := s.Report(ctx, w.Citizen, w.Open.ID, engage.ReportInput{Column: "no_such", Problem: "错"}); fieldCode(err, "column") != validate.CodeUnknown {
			t.Errorf("report on an unknown column: got %v", err)
		}
		storetest.AssertUnchanged(t, db, tables)

		rep, err := s.Report(ctx, w.Citizen, w.Open.ID, engage.ReportInput{Column: "客流", Row: "S002", Value: "-3", Problem: "客流不能为负数"})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Column != "riders" || rep.Status != engage.ReportOpen {
			t.Errorf("report: column %q status %q, want the item's name riders and open", rep.Column, rep.Status)
		}
		for _, p := range []identity.Principal{w.ProviderEditor, w.ProviderAdmin} {
			if diff := cmp.Diff([]string{"engage.error_reported " + w.Open.ID}, notices(t, db, p)); diff != "" {
				t.Errorf("%s's notices (-want +got):\n%s", p.Username, diff)
			}
		}
		if got := notices(t, db, w.RequesterAdmin); len(got) != 0 {
			t.Errorf("another institution was told: %v", got)
		}
		if _, err := s.Reply(ctx, w.CompanyAdmin, rep.ID, "已核实"); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("a company answers: got %v, want ErrForbidden", err)
		}
		if _, err := s.Reply(ctx, w.ProviderEditor, rep.ID, ""); fieldCode(err, "reply") != validate.CodeRequired {
			t.Errorf("empty reply: got %v", err)
		}
		if diff := cmp.Diff([]string(nil), notices(t, db, w.Citizen)); diff != "" {
			t.Errorf("the reporter was told before the reply: %s", diff)
		}
		answered, err := s.Reply(ctx, w.ProviderEditor, rep.ID, "已核实并更正，下一版本生效")
		if err != nil {
			t.Fatal(err)
		}
		if answered.Status != engage.ReportAnswered || answered.Reply != "已核实并更正，下一版本生效" || answered.RepliedAt == nil {
			t.Errorf("answered report: %+v", answered)
		}
		if diff := cmp.Diff([]string{"engage.error_answered " + w.Open.ID}, notices(t, db, w.Citizen)); diff != "" {
			t.Errorf("reporter's notices (-want +got):\n%s", diff)
		}
		list, err := s.Reports(ctx, identity.Principal{}, w.Open.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Mine || list[0].Reply == "" {
			t.Errorf("anonymous readers see %+v", list)
		}
		mine, _ := s.Reports(ctx, w.Citizen, w.Open.ID)
		if len(mine) != 1 || !mine[0].Mine {
			t.Errorf("the reporter sees %+v, want their report marked theirs", mine)
		}
		evs, _ := db.Events(ctx, store.EventFilter{SubjectID: w.Open.ID})
		for _, ev := range evs {
			if strings.Contains(string(ev.Payload), "负数") || strings.Contains(string(ev.Payload), "S002") {
				t.Errorf("event %s carries the report's text: %s", ev.Type, ev.Payload)
			}
		}
	})
}

func TestFollowersToldOfNewVersionOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w, s := newWorld(t, db)
		ds := datastore.New(datastore.Config{DB: db, Catalog: w.Cat, Access: access.NewService(db, w.Cat)})
		r, err := w.Cat.Create(ctx, w.ProviderEditor, w.Provider.ID, catalog.Input{TitleZh: "公交站点", DescriptionZh: "公交站点基础信息",
			Subject: "04", Items: datastoretest.StationItems(), UpdateFrequency: catalog.FreqMonthly, ShareType: catalog.ShareUnconditional,
			OpenType: catalog.OpenUnconditional, Classification: catalog.ClassGeneral, Level: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Follow(ctx, w.ProviderEditor, r.ID); !errors.Is(err, catalog.ErrState) {
			t.Errorf("following a draft: got %v, want a state conflict", err)
		}
		if _, err := w.Cat.Submit(ctx, w.ProviderEditor, r.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Cat.Review(ctx, w.Operator, r.ID, catalog.Approve, ""); err != nil {
			t.Fatal(err)
		}
		for _, p := range []identity.Principal{w.Citizen, w.Citizen, w.CompanyAdmin} {
			if err := s.Follow(ctx, p, r.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.NotifyFollowers(ctx, time.Now()); err != nil { // the publication before the follows: nobody told
			t.Fatal(err)
		}
		if err := s.Unfollow(ctx, w.CompanyAdmin, r.ID); err != nil {
			t.Fatal(err)
		}
		mine, followers, err := s.Following(ctx, w.Citizen, r.ID)
		if err != nil || !mine || followers != 1 {
			t.Errorf("Following: %v %d %v, want the citizen alone", mine, followers, err)
		}
		if _, err := ds.Load(ctx, w.ProviderEditor, r.ID, datastore.LoadInput{File: strings.NewReader(datastoretest.StationsCSV),
			Name: "stations.csv", Size: int64(len(datastoretest.StationsCSV))}); err != nil {
			t.Fatal(err)
		}
		if got := notices(t, db, w.Citizen); len(got) != 0 {
			t.Errorf("told before the followers' run: %v", got)
		}
		n, err := s.NotifyFollowers(ctx, time.Now())
		if err != nil || n != 1 {
			t.Errorf("NotifyFollowers sent %d (%v), want 1", n, err)
		}
		if n, _ := s.NotifyFollowers(ctx, time.Now()); n != 0 {
			t.Errorf("a second run sent %d notices again", n)
		}
		if diff := cmp.Diff([]string{"engage.new_version " + r.ID}, notices(t, db, w.Citizen)); diff != "" {
			t.Errorf("follower's notices (-want +got):\n%s", diff)
		}
		if got := notices(t, db, w.CompanyAdmin); len(got) != 0 {
			t.Errorf("a former follower was told: %v", got)
		}
		var outbox int
		db.QueryRowContext(ctx, `SELECT count(*) FROM notification_outbox o JOIN notifications n ON n.id = o.notification_id
			WHERE n.kind = 'engage.new_version'`).Scan(&outbox)
		if outbox != 1 {
			t.Errorf("%d e-mails queued for the new version, want 1", outbox)
		}
	})
}

func TestCountsBatchedWithOneSummaryEvent(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w, s := newWorld(t, db)
		for range 5 {
			s.View(w.Open.ID)
		}
		s.View(w.Conditional.ID)
		s.Download(w.Open.ID)
		s.View(w.Draft.ID)
		s.View(w.Draft.ID)
		got, err := s.Counts(ctx, w.Open.ID, w.Closed.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]engage.Count{w.Open.ID: {w.Open.ID, 5, 1}, w.Closed.ID: {ResourceID: w.Closed.ID}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("counts before the flush (-want +got):\n%s", diff)
		}
		if n := events(t, db, "engage.counts_flushed"); n != 0 {
			t.Errorf("%d events before any flush", n)
		}
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		s.View(w.Conditional.ID)
		s.View(w.Conditional.ID)
		if err := s.Close(); err != nil { // flushes the rest
			t.Fatal(err)
		}
		if n := events(t, db, "engage.counts_flushed"); n != 2 {
			t.Errorf("%d engage.counts_flushed events, want 2 (one per flush, not one per view)", n)
		}
		top, err := s.MostViewed(ctx, 5)
		if err != nil {
			t.Fatal(err)
		}
		wantTop := []engage.Count{{w.Open.ID, 5, 1}, {w.Conditional.ID, 3, 0}} // the draft is not listed
		if diff := cmp.Diff(wantTop, top); diff != "" {
			t.Errorf("most viewed (-want +got):\n%s", diff)
		}
		tot, err := s.Totals(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if tot.Views != 10 || tot.Downloads != 1 {
			t.Errorf("totals %+v, want 10 views and 1 download", tot)
		}
		days, err := s.Daily(ctx, time.Now(), 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(days) != 7 || days[6].Views != 10 || days[0].Views != 0 {
			t.Errorf("daily: %+v, want 7 days ending with today's 10 views", days)
		}
	})
}

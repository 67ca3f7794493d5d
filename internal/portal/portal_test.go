package portal_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"dataport/internal/access/accesstest"
	"dataport/internal/identity"
	"dataport/internal/notify"
	"dataport/internal/portal"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"
)

func newService(t *testing.T, db *store.DB) (*accesstest.World, *portal.Service) {
	w := accesstest.New(t, db)
	return w, portal.New(db, w.IDs, w.Cat, portal.Config{StatsTTL: -1})
}

// fields returns the fields err names, sorted as given.
func fields(err error) string {
	var errs validate.Errors
	if !errors.As(err, &errs) {
		return "not a field error: " + errString(err)
	}
	var out []string
	for _, e := range errs {
		out = append(out, e.Field+":"+e.Code)
	}
	return strings.Join(out, " ")
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// notices returns the kinds of p's notices, newest first.
func notices(t *testing.T, db *store.DB, p identity.Principal) []string {
	t.Helper()
	ns, err := notify.NewService(db).List(context.Background(), p, false, 50)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range ns {
		out = append(out, n.Kind)
	}
	return out
}

// events returns the events of one subject, oldest first, as "type" strings,
// and fails when a payload holds text it should only hash.
func events(t *testing.T, db *store.DB, kind, id string, secrets ...string) []string {
	t.Helper()
	evs, err := db.Events(context.Background(), store.EventFilter{SubjectKind: kind, SubjectID: id})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(evs) - 1; i >= 0; i-- {
		out = append(out, evs[i].Type)
		for _, s := range secrets {
			if strings.Contains(string(evs[i].Payload), s) {
				t.Errorf("event %s carries %q: %s", evs[i].Type, s, evs[i].Payload)
			}
		}
	}
	return out
}

func TestDataRequestIsRoutedAnsweredAndTold(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w, svc := newService(t, db)
		in := portal.DataRequestInput{Title: "公交线路实时到站数据", Description: "全市公交线路、站点和车辆实时到站时间", Purpose: "开发出行提醒小程序"}
		if _, err := svc.SubmitRequest(ctx, identity.Anonymous, in); !errors.Is(err, identity.ErrUnauthenticated) {
			t.Fatalf("anonymous request: %v", err)
		}
		before := storetest.CountRows(t, db, "portal_data_requests", "events", "notifications")
		bad := portal.DataRequestInput{Title: " ", Description: strings.Repeat("长", 4001), OrganizationID: w.Company.ID}
		if _, err := svc.SubmitRequest(ctx, w.Citizen, bad); fields(err) != "title:required description:max_len purpose:required organization_id:unknown" {
			t.Fatalf("bad request refused with %s", fields(err))
		}
		storetest.AssertUnchanged(t, db, before)

		r, err := svc.SubmitRequest(ctx, w.Citizen, in)
		if err != nil || r.Status != portal.RequestPending || r.OrganizationID != "" {
			t.Fatalf("submitted %+v %v", r, err)
		}
		if got := notices(t, db, w.Operator); len(got) == 0 || got[0] != "portal.request_to_route" {
			t.Errorf("operator notices = %v", got)
		}
		if _, err := svc.AnswerRequest(ctx, w.ProviderEditor, r.ID, portal.DataRequestAnswer{Outcome: portal.OutcomePlanned, Answer: "计划开放"}); !errors.Is(err, identity.ErrForbidden) {
			t.Fatalf("an institution answered a request not routed to it: %v", err)
		}
		if _, err := svc.RouteRequest(ctx, w.ProviderEditor, r.ID, w.Provider.ID); !errors.Is(err, identity.ErrForbidden) {
			t.Fatalf("an editor routed a request: %v", err)
		}
		if _, err := svc.RouteRequest(ctx, w.Operator, r.ID, w.Company.ID); fields(err) != "organization_id:unknown" {
			t.Fatalf("routed to a company: %v", err)
		}
		if r, err = svc.RouteRequest(ctx, w.Operator, r.ID, w.Provider.ID); err != nil || r.OrganizationID != w.Provider.ID {
			t.Fatalf("routed %+v %v", r, err)
		}
		if got := notices(t, db, w.ProviderEditor); len(got) == 0 || got[0] != "portal.request_received" {
			t.Errorf("provider editor notices = %v", got)
		}
		if _, err := svc.AnswerRequest(ctx, w.ProviderEditor, r.ID, portal.DataRequestAnswer{Outcome: portal.OutcomeOpened, Answer: "已开放", ResourceID: w.Draft.ID}); fields(err) != "resource_id:not_published" {
			t.Fatalf("opened with a draft: %v", err)
		}
		if _, err := svc.AnswerRequest(ctx, w.ProviderEditor, r.ID, portal.DataRequestAnswer{Outcome: "maybe", Answer: ""}); fields(err) != "outcome:one_of answer:required" {
			t.Fatalf("bad answer: %v", err)
		}
		r, err = svc.AnswerRequest(ctx, w.ProviderEditor, r.ID, portal.DataRequestAnswer{Outcome: portal.OutcomeOpened, Answer: "已在目录中无条件开放", ResourceID: w.Open.ID})
		if err != nil || r.Status != portal.RequestAnswered || r.ResourceID != w.Open.ID || r.AnsweredByOrgID != w.Provider.ID || r.AnsweredAt == nil {
			t.Fatalf("answered %+v %v", r, err)
		}
		if got := notices(t, db, w.Citizen); len(got) == 0 || got[0] != "portal.request_answered" {
			t.Errorf("requester notices = %v", got)
		}
		if _, err := svc.RouteRequest(ctx, w.Operator, r.ID, w.Requester.ID); !errors.Is(err, review.ErrState) {
			t.Errorf("an answered request was routed again: %v", err)
		}
		got := strings.Join(events(t, db, "data_request", r.ID, in.Title, in.Purpose, "已在目录"), " ")
		if got != "data_request.created data_request.routed data_request.answered" {
			t.Errorf("events = %s", got)
		}

		public, err := svc.Request(ctx, r.ID)
		if err != nil || public.Answer != "已在目录中无条件开放" || !public.Mine(w.Citizen) || public.Mine(w.CompanyAdmin) {
			t.Fatalf("public request %+v %v", public, err)
		}
		raw, _ := json.Marshal(public)
		if strings.Contains(string(raw), w.Citizen.UserID) {
			t.Errorf("the public request names its requester: %s", raw)
		}
		page, err := svc.Requests(ctx, portal.RequestFilter{Status: portal.RequestAnswered})
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != r.ID {
			t.Fatalf("answered list %+v %v", page, err)
		}
		page, err = svc.Requests(ctx, portal.RequestFilter{Status: portal.RequestPending})
		if err != nil || len(page.Items) != 0 {
			t.Fatalf("pending list %+v %v", page, err)
		}
	})
}

func TestDataRequestsPage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w, svc := newService(t, db)
		var ids []string
		for i := range 5 {
			r, err := svc.SubmitRequest(ctx, w.Citizen, portal.DataRequestInput{Title: "需求" + string(rune('A'+i)), Description: "说明", Purpose: "用途",
				OrganizationID: w.Provider.ID})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, r.ID)
		}
		var seen []string
		cur := ""
		for {
			page, err := svc.Requests(ctx, portal.RequestFilter{Limit: 2, Cursor: cur, OrganizationID: w.Provider.ID})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Items {
				seen = append(seen, r.ID)
			}
			if cur = page.NextCursor; cur == "" {
				break
			}
		}
		if len(seen) != 5 || seen[0] != ids[4] || seen[4] != ids[0] {
			t.Errorf("pages gave %v, want %v newest first", seen, ids)
		}
		if _, err := svc.Requests(ctx, portal.RequestFilter{Cursor: "nonsense"}); fields(err) != "cursor:cursor" {
			t.Errorf("bad cursor: %v", err)
		}
	})
}

func TestAppIsReviewedByTheOperatorsAndShownOnceApproved(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w, svc := newService(t, db)
		in := portal.AppInput{Name: "京华出行", Description: "实时公交与地铁客流查询", URL: "https://app.example.cn/chuxing", ResourceIDs: []string{w.Open.ID, w.Open.ID}}
		before := storetest.CountRows(t, db, "portal_apps", "review_cases", "events")
		bad := portal.AppInput{Name: "x", Description: "y", URL: "javascript:alert(1)", ResourceIDs: []string{w.Draft.ID}}
		if _, err := svc.SubmitApp(ctx, w.Citizen, bad); fields(err) != "url:invalid_format resource_ids[0]:not_published" {
			t.Fatalf("bad app refused with %s", fields(err))
		}
		if _, err := svc.SubmitApp(ctx, w.Citizen, portal.AppInput{Name: "x", Description: "y", URL: "https://a.example"}); fields(err) != "resource_ids:required" {
			t.Fatalf("app without data: %s", fields(err))
		}
		if _, err := svc.SubmitApp(ctx, w.Unaffiliated, in); fields(err) != "organization_id:required" {
			t.Fatalf("app of an account without organization: %s", fields(err))
		}
		storetest.AssertUnchanged(t, db, before)

		a, err := svc.SubmitApp(ctx, w.Citizen, in)
		if err != nil || a.Status != portal.AppReview || len(a.ResourceIDs) != 1 || a.SubmitterOrgID != w.Person.ID {
			t.Fatalf("submitted %+v %v", a, err)
		}
		if got := notices(t, db, w.Operator); len(got) == 0 || got[0] != "app.submitted" {
			t.Errorf("operator notices = %v", got)
		}
		queue, err := svc.Apps.List(ctx, w.Operator, review.Filter{Side: "queue"})
		if err != nil || len(queue) != 1 || queue[0].ID != a.ID {
			t.Fatalf("operator queue %+v %v", queue, err)
		}
		if _, err := svc.App(ctx, identity.Anonymous, a.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an app under review is public: %v", err)
		}
		if list, _, _ := svc.PublishedApps(ctx, 10, ""); len(list) != 0 {
			t.Errorf("published before review: %+v", list)
		}
		if _, err := svc.Apps.Decide(ctx, w.CompanyAdmin, a.ID, review.Approve, ""); !errors.Is(err, store.ErrNotFound) && !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("a company approved an app: %v", err)
		}
		if a, err = svc.Apps.Decide(ctx, w.Operator, a.ID, review.Approve, "符合展示要求"); err != nil || a.Status != portal.AppApproved || a.PublishedAt == nil {
			t.Fatalf("approved %+v %v", a, err)
		}
		if got := notices(t, db, w.Citizen); len(got) == 0 || got[0] != "app.approved" {
			t.Errorf("submitter notices = %v", got)
		}
		pub, err := svc.App(ctx, identity.Anonymous, a.ID)
		if err != nil || pub.Name != in.Name || pub.Status != portal.AppApproved {
			t.Fatalf("public app %+v %v", pub, err)
		}
		if list, _, err := svc.PublishedApps(ctx, 10, ""); err != nil || len(list) != 1 || list[0].ID != a.ID {
			t.Errorf("published apps %+v %v", list, err)
		}
		got := strings.Join(events(t, db, "app", a.ID, in.Name, in.URL), " ")
		if got != "app.created app.approved" {
			t.Errorf("events = %s", got)
		}

		rejected, err := svc.SubmitApp(ctx, w.CompanyAdmin, portal.AppInput{Name: "广告墙", Description: "与数据无关", URL: "http://ads.example", ResourceIDs: []string{w.Open.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Apps.Decide(ctx, w.Operator, rejected.ID, review.Reject, ""); fields(err) != "comment:reject_comment" {
			t.Errorf("rejected without a reason: %v", err)
		}
		if rejected, err = svc.Apps.Decide(ctx, w.Operator, rejected.ID, review.Reject, "未使用平台数据"); err != nil || rejected.PublishedAt != nil {
			t.Fatalf("rejected %+v %v", rejected, err)
		}
		if list, _, _ := svc.PublishedApps(ctx, 10, ""); len(list) != 1 {
			t.Errorf("a rejected app is shown: %+v", list)
		}
	})
}

func TestNewsIsPublishedByStaffOnly(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w, svc := newService(t, db)
		in := portal.NewsInput{Kind: portal.KindNotice, Title: "关于平台系统升级的通知", Body: "第一段。\n\n第二段。"}
		for _, p := range []identity.Principal{w.ProviderAdmin, w.Citizen, w.Auditor} {
			if _, err := svc.PublishNews(ctx, p, in); !errors.Is(err, identity.ErrForbidden) {
				t.Errorf("%s published news: %v", p.Username, err)
			}
		}
		if _, err := svc.PublishNews(ctx, w.Operator, portal.NewsInput{Kind: "blog"}); fields(err) != "kind:one_of title:required body:required" {
			t.Fatalf("bad news: %s", fields(err))
		}
		n, err := svc.PublishNews(ctx, w.Operator, in)
		if err != nil || len(n.Paragraphs()) != 2 {
			t.Fatalf("published %+v %v", n, err)
		}
		other, err := svc.PublishNews(ctx, w.Sysadmin, portal.NewsInput{Kind: portal.KindNews, Title: "平台上线", Body: "正文"})
		if err != nil {
			t.Fatal(err)
		}
		if list, _, err := svc.NewsList(ctx, portal.KindNotice, 10, ""); err != nil || len(list) != 1 || list[0].ID != n.ID {
			t.Errorf("notices %+v %v", list, err)
		}
		if n, err = svc.UpdateNews(ctx, w.Operator, n.ID, portal.NewsInput{Kind: portal.KindNotice, Title: "关于平台系统升级的通知（更新）", Body: "正文"}); err != nil || !strings.Contains(n.Title, "更新") {
			t.Fatalf("updated %+v %v", n, err)
		}
		if err := svc.WithdrawNews(ctx, w.Operator, other.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.NewsItem(ctx, other.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("withdrawn item still shown: %v", err)
		}
		if list, _, _ := svc.NewsList(ctx, "", 10, ""); len(list) != 1 {
			t.Errorf("list after withdrawal %+v", list)
		}
		if got := strings.Join(events(t, db, "news", n.ID), " "); got != "news.published news.updated" {
			t.Errorf("events = %s", got)
		}
	})
}

func TestStatsCountPublicResourcesBySubjectAndInstitution(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w, svc := newService(t, db)
		st, err := svc.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		counts, err := w.Cat.PublishedCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sum := func(ts []portal.GroupCount) int {
			n := 0
			for _, t := range ts {
				n += t.Count
			}
			return n
		}
		if st.Published != counts.Published || sum(st.BySubject) != counts.Published || sum(st.ByOrg) != counts.Published {
			t.Errorf("stats %+v, catalog %+v", st, counts)
		}
		if len(st.ByOrg) != 1 || st.ByOrg[0].Key != w.Provider.ID {
			t.Errorf("by institution %+v", st.ByOrg)
		}
		if _, err := svc.SubmitRequest(ctx, w.Citizen, portal.DataRequestInput{Title: "t", Description: "d", Purpose: "p"}); err != nil {
			t.Fatal(err)
		}
		if st, _ = svc.Stats(ctx); st.Requests != 1 || st.Answered != 0 {
			t.Errorf("requests counted %d/%d", st.Requests, st.Answered)
		}
	})
}

package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"dataport/internal/access/accesstest"
	"dataport/internal/engage"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/api"
	"dataport/internal/web/services"
)

// TestEngageEndpoints rates, comments, reports errors and follows through
// the API: each refusal with its problem (status and located field), each
// write with its event, and no reporter named in the reports' list.
func TestEngageEndpoints(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := accesstest.New(t, db)
		f := &fixture{t: t, db: db}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		f.srv = httptest.NewServer(mount(api.New(api.Config{Version: "test", Services: services.Services{Identity: w.IDs, Catalog: w.Cat,
			Engage: engage.New(db, w.Cat, engage.Config{}), Log: log}})))
		t.Cleanup(f.srv.Close)
		token := func(p identity.Principal) string {
			secret, _, err := w.IDs.CreateToken(ctx, identity.System, p.UserID, "test", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return secret
		}
		citizen, editor, company := token(w.Citizen), token(w.ProviderEditor), token(w.CompanyAdmin)
		open := "/resources/" + w.Open.ID

		refusals := []struct {
			name, method, path, token string
			body                      any
			status                    int
			location                  string
		}{
			{"rating out of range", "PUT", open + "/rating", citizen, map[string]any{"stars": 7}, 422, "body.stars"},
			{"rating anonymously", "PUT", open + "/rating", "", map[string]any{"stars": 4}, 401, ""},
			{"rating a draft", "PUT", "/resources/" + w.Draft.ID + "/rating", editor, map[string]any{"stars": 4}, 409, ""},
			{"rating a dataset that does not exist", "PUT", "/resources/nope/rating", citizen, map[string]any{"stars": 4}, 404, ""},
			{"empty comment", "POST", open + "/comments", citizen, map[string]any{"body": "  "}, 422, "body.body"},
			{"report on an unknown column", "POST", open + "/error-reports", citizen, map[string]any{"column": "nope", "problem": "错"}, 422, "body.column"},
			{"report without a problem", "POST", open + "/error-reports", citizen, map[string]any{"column": "riders"}, 422, "body.problem"},
			{"follow anonymously", "PUT", open + "/follow", "", nil, 401, ""},
		}
		before := f.state()
		for _, tc := range refusals {
			var p problemBody
			if got := f.do(tc.method, tc.path, tc.token, tc.body, &p); got != tc.status {
				t.Errorf("%s: status %d, want %d (%+v)", tc.name, got, tc.status, p)
			}
			if tc.location != "" && !slices.Contains(p.locations(), tc.location) {
				t.Errorf("%s: field errors %v lack %s", tc.name, p.locations(), tc.location)
			}
		}
		if after := f.state(); after != before {
			t.Errorf("refused writes changed the store:\n%s\n%s", before, after)
		}

		var rating engage.Rating
		if got := f.do("PUT", open+"/rating", citizen, map[string]any{"stars": 4}, &rating); got != 200 || rating.Count != 1 || rating.Mine != 4 {
			t.Errorf("rating: %d %+v", got, rating)
		}
		var c engage.Comment
		if got := f.do("POST", open+"/comments", citizen, map[string]any{"body": "很有用"}, &c); got != 201 || c.ID == "" {
			t.Fatalf("comment: %d %+v", got, c)
		}
		if got := f.do("POST", "/comments/"+c.ID+"/hide", company, map[string]any{"reason": "广告"}, nil); got != 403 {
			t.Errorf("a company hides a comment: %d, want 403", got)
		}
		if got := f.do("POST", "/comments/"+c.ID+"/hide", editor, map[string]any{"reason": "广告"}, &c); got != 200 || c.HiddenAt == nil {
			t.Errorf("the provider's editor hides a comment: %d %+v", got, c)
		}
		if got := f.do("POST", "/comments/"+c.ID+"/hide", editor, map[string]any{"reason": "again"}, nil); got != 409 {
			t.Errorf("hiding twice: %d, want 409", got)
		}
		var rep engage.ErrorReport
		if got := f.do("POST", open+"/error-reports", citizen, map[string]any{"column": "客流", "row": "S002", "value": "-3", "problem": "客流不能为负数"}, &rep); got != 201 || rep.Column != "riders" {
			t.Fatalf("report: %d %+v", got, rep)
		}
		if got := f.do("POST", "/error-reports/"+rep.ID+"/reply", company, map[string]any{"reply": "x"}, nil); got != 403 {
			t.Errorf("a company answers: %d, want 403", got)
		}
		if got := f.do("POST", "/error-reports/"+rep.ID+"/reply", editor, map[string]any{"reply": "已更正"}, &rep); got != 200 || rep.Status != engage.ReportAnswered {
			t.Errorf("answer: %d %+v", got, rep)
		}
		var reports api.List[engage.ErrorReport]
		f.do("GET", open+"/error-reports", "", nil, &reports.Body)
		if len(reports.Body.Items) != 1 || reports.Body.Items[0].Reply != "已更正" || reports.Body.Items[0].Mine {
			t.Errorf("reports seen anonymously: %+v", reports.Body.Items)
		}
		if got := f.do("PUT", open+"/follow", citizen, nil, nil); got != 204 {
			t.Errorf("follow: %d, want 204", got)
		}
		var figures struct {
			Views     int64         `json:"views"`
			Rating    engage.Rating `json:"rating"`
			Followers int           `json:"followers"`
			Following bool          `json:"following"`
		}
		if got := f.do("GET", open+"/engagement", citizen, nil, &figures); got != 200 || !figures.Following || figures.Followers != 1 || figures.Rating.Average != 4 {
			t.Errorf("engagement: %d %+v", got, figures)
		}
		if got := f.do("DELETE", open+"/follow", citizen, nil, nil); got != 204 {
			t.Errorf("unfollow: %d, want 204", got)
		}
		evs, err := db.Events(ctx, store.EventFilter{SubjectID: w.Open.ID, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var types []string
		for _, ev := range evs {
			if strings.HasPrefix(ev.Type, "engage.") {
				types = append(types, ev.Type)
			}
		}
		slices.Sort(types)
		want := []string{"engage.comment_hidden", "engage.commented", "engage.error_answered", "engage.error_reported", "engage.followed", "engage.rated", "engage.unfollowed"}
		if !slices.Equal(types, want) {
			t.Errorf("events %v, want one per write: %v", types, want)
		}
	})
}

package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/api"
	"dataport/internal/web/services"
)

// TestRowQuotaOverHTTP: a reader whose grant allows 5 rows in all asks the
// rows API for 1,000 and gets 5 with quota_truncated, then 403 over_quota;
// another reader's CSV export holds 5 rows and says
// Dataport-Quota-Truncated, then 403. On b162710 both got all 200 rows.
func TestRowQuotaOverHTTP(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newQuotaWorld(t, db, func(h http.Handler) http.Handler { return h })
		base, user, org := w.base, w.user, w.org
		reader := func(name string) string { return w.reader(name, access.Policy{MaxRows: 5}) }

		token := reader("reader")
		code, body := call(t, "GET", base+"/rows?limit=1000", token, "", "")
		var page datastore.RowsPage
		if err := json.Unmarshal([]byte(body), &page); err != nil || code != http.StatusOK || len(page.Rows) != 5 || !page.QuotaTruncated || page.Limit != 5 {
			t.Fatalf("first rows: %d, %d rows, quota_truncated %v: %.300s", code, len(page.Rows), page.QuotaTruncated, body)
		}
		if code, body := call(t, "GET", base+"/rows?limit=1000", token, "", ""); code != http.StatusForbidden || !strings.Contains(body, "quota") {
			t.Errorf("second rows: %d %.300s, want 403 over the quota", code, body)
		}

		token = reader("downloader")
		req, _ := http.NewRequest("GET", base+"/export?format=csv", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get(api.QuotaTruncatedHeader) != "true" ||
			string(raw) != "line_no\nL000\nL001\nL002\nL003\nL004\n" {
			t.Fatalf("first export: %d, %s: %q, body %q", resp.StatusCode, api.QuotaTruncatedHeader, resp.Header.Get(api.QuotaTruncatedHeader), raw)
		}
		if code, body := call(t, "GET", base+"/export?format=csv", token, "", ""); code != http.StatusForbidden {
			t.Errorf("second export: %d %.300s, want 403", code, body)
		}
		// The provider's own export is whole and says nothing of quotas.
		etoken, _ := user("editor2", "", identity.Membership{OrganizationID: org.ID, Role: identity.RoleEditor})
		req, _ = http.NewRequest("GET", base+"/export?format=csv", nil)
		req.Header.Set("Authorization", "Bearer "+etoken)
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.Header.Get(api.QuotaTruncatedHeader) != "" || strings.Count(string(raw), "\n") != 201 {
			t.Errorf("provider export: %s %q, %d lines", api.QuotaTruncatedHeader, resp.Header.Get(api.QuotaTruncatedHeader), strings.Count(string(raw), "\n"))
		}
	})
}

// quotaWorld is the API over a published, conditionally open resource of
// 200 rows, with an operator who grants it to new readers.
type quotaWorld struct {
	base     string // the resource's API URL
	org      identity.Organization
	acc      *access.Service
	operator identity.Principal
	resID    string
	user     func(name string, role identity.PlatformRole, ms ...identity.Membership) (string, identity.Principal)
	t        *testing.T
}

// reader creates a user with a grant of policy on the resource and returns
// their API token.
func (w *quotaWorld) reader(name string, policy access.Policy) string {
	token, _, _ := w.readerGrant(name, policy)
	return token
}

// readerGrant is reader that returns the reader and the grant too.
func (w *quotaWorld) readerGrant(name string, policy access.Policy) (string, identity.Principal, access.Grant) {
	token, p := w.user(name, "")
	g, err := w.acc.GrantDirectly(context.Background(), w.operator, access.NewGrant{GranteeKind: access.GranteeUser, GranteeID: p.UserID,
		ResourceIDs: []string{w.resID}, Purpose: "线网研究", Policy: policy})
	if err != nil {
		w.t.Fatal(err)
	}
	return token, p, g
}

// newQuotaWorld builds the quota world, serving the API through wrap.
func newQuotaWorld(t *testing.T, db *store.DB, wrap func(http.Handler) http.Handler) *quotaWorld {
	t.Helper()
	ctx := context.Background()
	ids, cat := identity.NewService(db), catalog.NewService(db)
	acc := access.New(db, cat, access.Config{})
	t.Cleanup(acc.Close)
	ds := datastore.New(datastore.Config{DB: db, Catalog: cat, Access: acc})
	org := must(ids.CreateOrganization(ctx, identity.System, identity.OrgInput{Kind: identity.KindOperator, NameZh: "市交通委员会", Code: "JTW"}))
	user := func(name string, role identity.PlatformRole, ms ...identity.Membership) (string, identity.Principal) {
		in := identity.UserInput{Username: name, DisplayName: name, Password: "correct horse battery", Memberships: ms}
		if role != "" {
			in.PlatformRoles = []identity.PlatformRole{role}
		}
		u := must(ids.CreateUser(ctx, identity.System, in))
		secret, _, err := ids.CreateToken(ctx, identity.System, u.ID, "test", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return secret, must(ids.Principal(ctx, u.ID))
	}
	_, editor := user("editor", "", identity.Membership{OrganizationID: org.ID, Role: identity.RoleEditor})
	_, operator := user("operator", identity.PlatformOperator)
	in := validInput()
	in.ShareType, in.OpenType = catalog.ShareConditional, catalog.OpenConditional
	in.ShareBasis, in.OpenBasis = "《京华市公共数据管理办法》第十条", "《京华市公共数据管理办法》第十二条"
	res := must(cat.Create(ctx, editor, org.ID, in))
	must(cat.Submit(ctx, editor, res.ID))
	must(cat.Review(ctx, operator, res.ID, catalog.Approve, ""))
	var csv strings.Builder
	csv.WriteString("线路编号\n")
	for i := range 200 {
		fmt.Fprintf(&csv, "L%03d\n", i)
	}
	if _, err := ds.Load(ctx, editor, res.ID, datastore.LoadInput{File: strings.NewReader(csv.String()), Name: "l.csv", Size: int64(csv.Len())}); err != nil {
		t.Fatal(err)
	}
	cfg := api.Config{Version: "test", Services: services.Services{Identity: ids, Catalog: cat, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Datastore: ds}}
	srv := httptest.NewServer(wrap(api.New(cfg)))
	t.Cleanup(srv.Close)
	return &quotaWorld{base: srv.URL + api.Prefix + "/resources/" + res.ID, org: org, acc: acc, operator: operator, resID: res.ID, user: user, t: t}
}

// TestRateLimitHeaders: keyed responses carry their rate limits (the
// IETF draft's RateLimit-Policy and RateLimit, and the single-value fields
// of its earlier versions for the tightest limit) and the rows left of the
// grant's quota; a machine client with a per-grant key sees the grant's 3
// calls a minute run out, then 429. Anonymous responses carry none.
func TestRateLimitHeaders(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newQuotaWorld(t, db, func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { // as internal/web's clientContext
				h.ServeHTTP(rw, r.WithContext(access.WithClient(r.Context(), access.Client{IP: "203.0.113.5", Key: r.Header.Get(access.KeyHeader)})))
			})
		})
		_, holder, g := w.readerGrant("machine", access.Policy{MaxRows: 50, RatePerMinute: 3})
		secret, _, err := w.acc.CreateKey(context.Background(), holder, g.ID, "etl")
		if err != nil {
			t.Fatal(err)
		}
		keyed := func(limit int) (int, http.Header) {
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s/rows?limit=%d", w.base, limit), nil)
			req.Header.Set(access.KeyHeader, secret)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode, resp.Header
		}
		for i, want := range []struct{ remaining, quota string }{{"2", "40"}, {"1", "35"}, {"0", "30"}} {
			code, h := keyed(10 - 5*min(i, 1))
			if code != http.StatusOK || h.Get(api.RateLimitRemainingHeader) != want.remaining || h.Get(api.QuotaRemainingHeader) != want.quota ||
				h.Get(api.RateLimitLimitHeader) != "3" || h.Get(api.RateLimitPolicyHeader) != `"key";q=1200;w=60, "grant";q=3;w=60` ||
				!strings.HasPrefix(h.Get(api.RateLimitHeader), `"key";r=`) || !strings.Contains(h.Get(api.RateLimitHeader), `"grant";r=`+want.remaining+";t=") {
				t.Errorf("keyed read %d: %d, %v", i+1, code, h)
			}
		}
		code, h := keyed(10)
		if reset, _ := strconv.Atoi(h.Get(api.RateLimitResetHeader)); code != http.StatusTooManyRequests || h.Get("Retry-After") == "" ||
			h.Get(api.RateLimitRemainingHeader) != "0" || reset < 20 || reset > 60 {
			t.Errorf("fourth keyed read: %d, %v", code, h)
		}

		token := w.reader("reader", access.Policy{MaxRows: 5})
		code, h, _ = callHeader(t, "GET", w.base+"/rows?limit=1000", token, "", "")
		if code != http.StatusOK || h.Get(api.RateLimitPolicyHeader) != `"user";q=1200;w=60` || h.Get(api.RateLimitRemainingHeader) != "1199" ||
			h.Get(api.RateLimitResetHeader) != "1" || h.Get(api.QuotaRemainingHeader) != "0" {
			t.Errorf("bearer read: %d, %v", code, h)
		}
		if !strings.Contains(h.Get("Access-Control-Expose-Headers"), api.RateLimitHeader+",") {
			t.Errorf("browsers may not read the rate fields: %q", h.Get("Access-Control-Expose-Headers"))
		}
		code, h, _ = callHeader(t, "GET", w.base+"/rows", "", "", "")
		if h.Get(api.RateLimitHeader) != "" || h.Get(api.QuotaRemainingHeader) != "" {
			t.Errorf("anonymous read: %d, %v", code, h)
		}

		_, spec := call(t, "GET", w.base[:strings.Index(w.base, api.Prefix)+len(api.Prefix)]+"/openapi.json", "", "", "")
		var doc struct {
			Paths map[string]map[string]struct {
				Responses map[string]struct{ Headers map[string]any }
			}
		}
		json.Unmarshal([]byte(spec), &doc)
		for _, code := range []string{"200", "429"} {
			if hs := doc.Paths["/resources/{id}/rows"]["get"].Responses[code].Headers; hs[api.RateLimitHeader] == nil || hs[api.QuotaRemainingHeader] == nil {
				t.Errorf("the OpenAPI document does not describe the rate fields of list-rows' %s: %v", code, hs)
			}
		}
	})
}

package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
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
		reader := func(name string) string {
			token, p := user(name, "")
			if _, err := acc.GrantDirectly(ctx, operator, access.NewGrant{GranteeKind: access.GranteeUser, GranteeID: p.UserID,
				ResourceIDs: []string{res.ID}, Purpose: "线网研究", Policy: access.Policy{MaxRows: 5}}); err != nil {
				t.Fatal(err)
			}
			return token
		}
		cfg := api.Config{Version: "test", Services: services.Services{Identity: ids, Catalog: cat, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Datastore: ds}}
		srv := httptest.NewServer(api.New(cfg))
		t.Cleanup(srv.Close)
		base := srv.URL + api.Prefix + "/resources/" + res.ID

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

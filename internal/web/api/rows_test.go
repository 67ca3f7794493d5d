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

// rowsServer is the API with the datastore and the upload route, on a
// store with one draft resource, its editor's token and an outsider's.
func rowsServer(t *testing.T, db *store.DB) (srv *httptest.Server, resourceID, editor, outsider string) {
	t.Helper()
	ctx := context.Background()
	ids, cat := identity.NewService(db), catalog.NewService(db)
	org := must(ids.CreateOrganization(ctx, identity.System, identity.OrgInput{Kind: identity.KindOperator, NameZh: "市交通委员会", Code: "JTW"}))
	token := func(name string, ms ...identity.Membership) (string, identity.Principal) {
		u := must(ids.CreateUser(ctx, identity.System, identity.UserInput{Username: name, DisplayName: name, Password: "correct horse battery", Memberships: ms}))
		secret, _, err := ids.CreateToken(ctx, identity.System, u.ID, "test", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return secret, must(ids.Principal(ctx, u.ID))
	}
	editor, p := token("editor", identity.Membership{OrganizationID: org.ID, Role: identity.RoleEditor})
	outsider, _ = token("citizen")
	in := validInput()
	in.Items = append(in.Items, catalog.Item{Name: "stops", LabelZh: "站点数", Type: catalog.TypeInteger})
	resourceID = must(cat.Create(ctx, p, org.ID, in)).ID
	acc := access.New(db, cat, access.Config{})
	t.Cleanup(acc.Close)
	cfg := api.Config{Version: "test", Services: services.Services{Identity: ids, Catalog: cat, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Datastore: datastore.New(datastore.Config{DB: db, Catalog: cat, Access: acc})}}
	mux := http.NewServeMux()
	mux.Handle(api.Prefix+"/", api.New(cfg))
	mux.Handle("POST "+api.Prefix+"/resources/{id}/data", api.UploadHandler(cfg))
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, resourceID, editor, outsider
}

func call(t *testing.T, method, url, token, contentType, body string) (int, string) {
	t.Helper()
	code, _, answer := callHeader(t, method, url, token, contentType, body)
	return code, answer
}

// callHeader is call with the answer's headers.
func callHeader(t *testing.T, method, url, token, contentType, body string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(raw)
}

func TestRowsAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		srv, id, editor, outsider := rowsServer(t, db)
		base := srv.URL + api.Prefix + "/resources/" + id
		if code, _ := call(t, "POST", base+"/data?name=lines.csv", "", "text/csv", "线路编号\n1\n"); code != http.StatusUnauthorized {
			t.Errorf("anonymous upload: %d", code)
		}
		code, body := call(t, "POST", base+"/data?name=lines.csv", editor, "text/csv", "线路编号,站点数\n1,12\n2,\n3,x\n")
		var problem struct {
			Detail string `json:"detail"`
			Errors []struct{ Location, Message string }
		}
		json.Unmarshal([]byte(body), &problem)
		if code != http.StatusUnprocessableEntity || len(problem.Errors) != 1 || problem.Errors[0].Location != "file.row[4].站点数" ||
			problem.Errors[0].Message != "is not an integer" {
			t.Fatalf("bad file: %d %s", code, body)
		}
		code, body = call(t, "POST", base+"/data?name=lines.csv", editor, "text/csv", "线路编号,站点数\n1,12\n2,\n")
		var v datastore.DataVersion
		if json.Unmarshal([]byte(body), &v); code != http.StatusCreated || v.Version != 1 || v.Rows != 2 {
			t.Fatalf("upload: %d %s", code, body)
		}
		if code, _ := call(t, "GET", base+"/rows", outsider, "", ""); code != http.StatusForbidden && code != http.StatusNotFound {
			t.Errorf("an outsider read a draft's rows: %d", code)
		}
		code, body = call(t, "GET", base+"/rows?filter=stops:null&fields=line_no", editor, "", "")
		var page datastore.RowsPage
		if json.Unmarshal([]byte(body), &page); code != http.StatusOK || page.Total != 1 || len(page.Rows) != 1 || page.Rows[0][1] != "2" {
			t.Errorf("rows: %d %s", code, body)
		}
		if code, body = call(t, "GET", base+"/rows?filter=stops", editor, "", ""); code != http.StatusUnprocessableEntity {
			t.Errorf("bad filter: %d %s", code, body)
		}
		code, body = call(t, "GET", base+"/export?format=csv", editor, "", "")
		if code != http.StatusOK || body != "line_no,stops\n1,12\n2,\n" {
			t.Errorf("export: %d %q", code, body)
		}
		code, body = call(t, "GET", base+"/versions/1", editor, "", "")
		if json.Unmarshal([]byte(body), &v); code != http.StatusOK || v.Report == nil || v.Report.Items[1].Nulls != 1 {
			t.Errorf("version: %d %s", code, body)
		}
		code, body = call(t, "PUT", base+"/datastore/settings", editor, "application/json",
			`{"on_error":"quarantine","keep_versions":3,"rules":[{"item":"stops","expr":"value >"}]}`)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "rules[0].expr") {
			t.Errorf("bad rule: %d %s", code, body)
		}
	})
}

// TestRowsOffset pages the rows API with offset: the second page of 20
// starts at the 21st row and says so, after a cursor offset is refused,
// and a negative one too.
func TestRowsOffset(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		srv, id, editor, _ := rowsServer(t, db)
		base := srv.URL + api.Prefix + "/resources/" + id
		var csv strings.Builder
		csv.WriteString("线路编号,站点数\n")
		for i := 1; i <= 50; i++ {
			fmt.Fprintf(&csv, "%d,%d\n", i, i)
		}
		if code, body := call(t, "POST", base+"/data?name=lines.csv", editor, "text/csv", csv.String()); code != http.StatusCreated {
			t.Fatalf("upload: %d %s", code, body)
		}
		code, body := call(t, "GET", base+"/rows?offset=20&limit=20&sort=stops", editor, "", "")
		var page datastore.RowsPage
		if err := json.Unmarshal([]byte(body), &page); err != nil || code != http.StatusOK {
			t.Fatalf("rows: %d %s", code, body)
		}
		if page.Offset != 20 || page.Limit != 20 || len(page.Rows) != 20 || page.Total != 50 {
			t.Fatalf("offset 20: offset %d, limit %d, %d rows, total %d", page.Offset, page.Limit, len(page.Rows), page.Total)
		}
		if first, last := page.Rows[0][2], page.Rows[19][2]; first != float64(21) || last != float64(40) {
			t.Errorf("offset 20 served stops %v to %v, want 21 to 40", first, last)
		}
		next := page.NextCursor
		code, body = call(t, "GET", base+"/rows?limit=20&sort=stops&cursor="+next, editor, "", "")
		if json.Unmarshal([]byte(body), &page); code != http.StatusOK || len(page.Rows) != 10 || page.Rows[0][2] != float64(41) {
			t.Errorf("next_cursor after offset: %d %s", code, body)
		}
		for _, bad := range []string{"offset=-1", "offset=20&cursor=" + next} {
			if code, body := call(t, "GET", base+"/rows?sort=stops&"+bad, editor, "", ""); code != http.StatusUnprocessableEntity {
				t.Errorf("%s: %d %s", bad, code, body)
			}
		}
	})
}

package web_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/datastore"
	"dataport/internal/search"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web"
	"dataport/internal/web/api"
	"dataport/internal/web/services"
)

// limitedSite is the whole HTTP surface with an anonymous rate of one read
// a minute per address, and open rows to read.
func limitedSite(t *testing.T) (http.Handler, *accesstest.World) {
	t.Helper()
	db := storetest.Open(t, store.SQLite)
	w := accesstest.New(t, db)
	acc := access.New(db, w.Cat, access.Config{AnonymousRate: 1, UserRate: 1 << 20})
	t.Cleanup(acc.Close)
	ds := datastore.New(datastore.Config{DB: db, Catalog: w.Cat, Access: acc})
	csv := "station,district\nA,东城区\n"
	if _, err := ds.Load(context.Background(), w.ProviderEditor, w.Open.ID, datastore.LoadInput{File: strings.NewReader(csv), Name: "rows.csv", Size: int64(len(csv))}); err != nil {
		t.Fatal(err)
	}
	ix, err := search.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	h, err := web.New(web.Config{DB: db, PublicURL: "http://portal.test", Version: "test", Services: services.Services{
		Identity: w.IDs, Catalog: w.Cat, Access: acc, Datastore: ds, Search: ix, Log: slog.New(slog.DiscardHandler)}})
	if err != nil {
		t.Fatal(err)
	}
	return h, w
}

// fetch requests path from the address ip and returns the response.
func fetch(h http.Handler, ip, path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.RemoteAddr = ip + ":1234"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestRateLimitIsNotARefusal: a client over its rate gets 429 with
// Retry-After on the CKAN API and the native API alike; CKAN's error object
// says so rather than raising an Authorization Error (which CKAN clients
// take for "you may not read this").
func TestRateLimitIsNotARefusal(t *testing.T) {
	h, w := limitedSite(t)
	for _, test := range []struct{ name, ip, path string }{
		{"ckan", "192.0.2.1", "/api/3/action/datastore_search?resource_id=" + w.Open.ID},
		{"api", "192.0.2.2", api.Prefix + "/resources/" + w.Open.ID + "/rows"},
	} {
		t.Run(test.name, func(t *testing.T) {
			if rec := fetch(h, test.ip, test.path); rec.Code != http.StatusOK {
				t.Fatalf("first read: %d %s", rec.Code, rec.Body)
			}
			rec := fetch(h, test.ip, test.path)
			if rec.Code != http.StatusTooManyRequests {
				t.Fatalf("second read: %d %s, want 429", rec.Code, rec.Body)
			}
			if secs, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || secs < 1 || secs > 60 {
				t.Errorf("Retry-After = %q, want 1–60 seconds", rec.Header().Get("Retry-After"))
			}
			if test.name != "ckan" {
				return
			}
			var env struct {
				Success bool
				Error   map[string]any
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Success || env.Error == nil {
				t.Fatalf("CKAN envelope %s: %v", rec.Body, err)
			}
			if typ := env.Error["__type"]; typ == "Authorization Error" || typ == nil {
				t.Errorf("__type = %v, want an error type other than Authorization Error", typ)
			}
			if msg, _ := env.Error["message"].(string); !strings.Contains(msg, "too many requests") {
				t.Errorf("message = %q, want the decision's reason", msg)
			}
		})
	}
}

// TestSurfacesAgreeOnNotFound: a resource that does not exist is 404 on
// the UI, the native API and the CKAN API (with CKAN's Not Found Error).
func TestSurfacesAgreeOnNotFound(t *testing.T) {
	h, _ := limitedSite(t)
	for _, path := range []string{"/resources/no-such-id", api.Prefix + "/resources/no-such-id", "/api/3/action/package_show?id=no-such-id"} {
		rec := fetch(h, "192.0.2.3", path)
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, rec.Code)
		}
		if strings.HasPrefix(path, "/api/3/") && !strings.Contains(rec.Body.String(), `"Not Found Error"`) {
			t.Errorf("%s: %s, want a Not Found Error", path, rec.Body)
		}
	}
}

// TestFieldProblemsCarryCodes: a refused write names each problem's stable
// code and arguments beside its English message, on the native API (422)
// and on the CKAN API (409 Validation Error, "__codes").
func TestFieldProblemsCarryCodes(t *testing.T) {
	h, w := limitedSite(t)
	token, _, err := w.IDs.CreateToken(context.Background(), w.ProviderEditor, w.ProviderEditor.UserID, "errors", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"organization_id": "` + w.Provider.ID + `", "title_zh": "", "level": 9}`
	req := httptest.NewRequest(http.MethodPost, api.Prefix+"/resources", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("create: %d %s, want 422", rec.Code, rec.Body)
	}
	var problem struct {
		Errors []struct {
			Location, Message, Code string
			Args                    []any
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &problem); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range problem.Errors {
		got[e.Location] = e.Code + " " + e.Message
		if e.Location == "body.level" && (len(e.Args) != 2 || e.Args[0] != 1.0 || e.Args[1] != 4.0) {
			t.Errorf("level args = %v, want [1 4]", e.Args)
		}
	}
	for loc, want := range map[string]string{"body.title_zh": "required is required", "body.level": "range must be between 1 and 4"} {
		if got[loc] != want {
			t.Errorf("%s = %q, want %q (all: %v)", loc, got[loc], want, got)
		}
	}

	req = httptest.NewRequest(http.MethodPost, "/api/3/action/package_create", strings.NewReader(`{"name": "x", "owner_org": "`+w.Provider.ID+`"}`))
	req.Header.Set("Authorization", token)
	req.Header.Set("Content-Type", "application/json")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), `"__codes"`) || !strings.Contains(rec.Body.String(), `"code":"required"`) {
		t.Errorf("CKAN package_create: %d %s, want 409 with __codes", rec.Code, rec.Body)
	}
}

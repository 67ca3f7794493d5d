package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/classify"
	"dataport/internal/datastore"
	"dataport/internal/deid"
	"dataport/internal/exchange"
	"dataport/internal/exchange/asset"
	"dataport/internal/exchange/dispute"
	"dataport/internal/exchange/trade"
	"dataport/internal/ledger"
	"dataport/internal/notify"
	"dataport/internal/opening"
	"dataport/internal/review"
	"dataport/internal/sharing"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/api"
	"dataport/internal/web/services"
	"dataport/internal/zones"
)

// fullDocument returns the OpenAPI document of the API with every service
// configured, as a server built by internal/app serves it.
func fullDocument(t *testing.T) []byte {
	t.Helper()
	db := storetest.Open(t, store.SQLite)
	w := accesstest.New(t, db)
	acc := access.New(db, w.Cat, access.Config{})
	t.Cleanup(acc.Close)
	log := slog.New(slog.DiscardHandler)
	rev := review.NewService(db, review.Config{})
	ds := datastore.New(datastore.Config{DB: db, Catalog: w.Cat, Access: acc})
	h := api.New(api.Config{Version: "test", Services: services.Services{Identity: w.IDs, Catalog: w.Cat, Log: log,
		Ledger: ledger.New(db, ledger.Config{DataDir: t.TempDir(), PublicURL: "http://portal.test", Log: log}),
		Access: acc, Sharing: sharing.NewService(db, w.Cat, acc, sharing.Config{Review: rev}), Review: rev,
		Opening: opening.NewService(db, w.Cat, w.IDs, acc, opening.Config{Review: rev}), Notify: notify.NewService(db),
		Datastore: ds,
		Grades:    classify.NewService(db, w.Cat, nil, classify.DefaultPolicy), Profiles: deid.NewService(db, w.Cat),
		Exchange: exchange.New(db, w.IDs, w.Cat, acc, exchange.Config{Review: rev, DataDir: t.TempDir()}),
		Assets:   asset.New(db, exchange.New(db, w.IDs, w.Cat, acc, exchange.Config{DataDir: t.TempDir()}), asset.Config{}),
		Disputes: dispute.New(db, trade.New(db, exchange.New(db, w.IDs, w.Cat, acc, exchange.Config{DataDir: t.TempDir()}), acc, trade.Config{}),
			ledger.New(db, ledger.Config{DataDir: t.TempDir(), PublicURL: "http://portal.test", Log: log}), dispute.Config{Access: acc}),
		Zones: zones.New(db, w.IDs, w.Cat, acc, ds, zones.Config{Review: rev, Log: log})}})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, api.Prefix+"/openapi.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("openapi.json: %d", rec.Code)
	}
	body, _ := io.ReadAll(rec.Body)
	return body
}

type docParam struct {
	Name string `json:"name"`
	In   string `json:"in"`
}

type docOperation struct {
	OperationID string     `json:"operationId"`
	Tags        []string   `json:"tags"`
	Summary     string     `json:"summary"`
	Description string     `json:"description"`
	Parameters  []docParam `json:"parameters"`
	RequestBody *struct {
		Content map[string]struct {
			Schema map[string]any `json:"schema"`
		} `json:"content"`
	} `json:"requestBody"`
	Responses map[string]any     `json:"responses"`
	Security  []map[string][]any `json:"security"`
}

var pathParams = regexp.MustCompile(`\{([a-z_]+)\}`)

// TestOpenAPIOperationsAreDocumented checks the whole generated document:
// every operation has a tag declared in the document's tags, a summary and
// a description, declares each of its path's parameters, and no path
// repeats the server's /api/v1; every write declares bearer security and
// its 401; the streamed upload is described with its id, its media types
// and a binary body.
func TestOpenAPIOperationsAreDocumented(t *testing.T) {
	var doc struct {
		Info struct {
			Contact map[string]any `json:"contact"`
		} `json:"info"`
		Servers []struct {
			URL string `json:"url"`
		} `json:"servers"`
		Tags []struct {
			Name        string `json:"name"`
			Description string `json:"description"`
		} `json:"tags"`
		Paths map[string]map[string]docOperation `json:"paths"`
	}
	if err := json.Unmarshal(fullDocument(t), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != api.Prefix {
		t.Errorf("servers = %+v, want %s", doc.Servers, api.Prefix)
	}
	if doc.Info.Contact == nil {
		t.Error("info has no contact")
	}
	var declared []string
	for _, tag := range doc.Tags {
		if tag.Description == "" {
			t.Errorf("tag %s has no description", tag.Name)
		}
		declared = append(declared, tag.Name)
	}
	var ops int
	for path, methods := range doc.Paths {
		if strings.HasPrefix(path, api.Prefix) {
			t.Errorf("path %s repeats the server URL %s", path, api.Prefix)
		}
		for method, op := range methods {
			ops++
			name := strings.ToUpper(method) + " " + path
			if len(op.Tags) == 0 {
				t.Errorf("%s has no tag", name)
			}
			for _, tag := range op.Tags {
				if !slices.Contains(declared, tag) {
					t.Errorf("%s has tag %q, which the document's tags do not declare", name, tag)
				}
			}
			if strings.TrimSpace(op.Summary) == "" || strings.TrimSpace(op.Description) == "" {
				t.Errorf("%s lacks a summary or a description", name)
			}
			for _, m := range pathParams.FindAllStringSubmatch(path, -1) {
				if !slices.ContainsFunc(op.Parameters, func(p docParam) bool { return p.Name == m[1] && p.In == "path" }) {
					t.Errorf("%s does not declare its path parameter %s", name, m[1])
				}
			}
			if method != "get" && (len(op.Security) == 0 || op.Responses["401"] == nil) {
				t.Errorf("%s is a write without bearer security and a 401 response", name)
			}
		}
	}
	if ops < 70 {
		t.Fatalf("the document has %d operations: not the full API", ops)
	}
	upload, ok := doc.Paths["/resources/{id}/data"]["post"]
	if !ok {
		t.Fatal("the document lacks POST /resources/{id}/data")
	}
	if upload.RequestBody == nil {
		t.Fatal("the upload has no request body")
	}
	for _, mt := range []string{"text/csv", "application/json", "application/x-ndjson",
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "multipart/form-data"} {
		c, ok := upload.RequestBody.Content[mt]
		if !ok {
			t.Errorf("the upload does not accept %s", mt)
			continue
		}
		schema := c.Schema
		if mt == "multipart/form-data" {
			props, _ := schema["properties"].(map[string]any)
			schema, _ = props["file"].(map[string]any)
		}
		if schema["format"] != "binary" {
			t.Errorf("the upload's %s body is not binary: %v", mt, c.Schema)
		}
	}
	for _, status := range []string{"201", "401", "422"} {
		if upload.Responses[status] == nil {
			t.Errorf("the upload does not document %s", status)
		}
	}
}

// TestWriteOpenAPIDocument writes the full document to the file named by
// DATAPORT_OPENAPI_OUT, for scripts/lint-openapi; without it, it is skipped.
func TestWriteOpenAPIDocument(t *testing.T) {
	out := os.Getenv("DATAPORT_OPENAPI_OUT")
	if out == "" {
		t.Skip("DATAPORT_OPENAPI_OUT is not set")
	}
	doc := fullDocument(t)
	if !json.Valid(doc) {
		t.Fatal("the document is not JSON")
	}
	if err := os.WriteFile(out, doc, 0o644); err != nil {
		t.Fatal(err)
	}
}

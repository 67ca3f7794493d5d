package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/ledger"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/api"
	"dataport/internal/web/services"
)

func TestLedgerEndpoints(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := identity.NewService(db)
		token := func(name string, roles ...identity.PlatformRole) string {
			u, err := ids.CreateUser(ctx, identity.System, identity.UserInput{Username: name, DisplayName: name,
				Password: "correct horse battery", PlatformRoles: roles})
			if err != nil {
				t.Fatal(err)
			}
			secret, _, err := ids.CreateToken(ctx, identity.System, u.ID, "test", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return secret
		}
		auditor, citizen := token("auditor", identity.PlatformAuditor), token("citizen")
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		led := ledger.New(db, ledger.Config{DataDir: t.TempDir(), PublicURL: "https://data.example.gov.cn", Log: log,
			CheckpointInterval: 100 * time.Millisecond, PollInterval: 20 * time.Millisecond})
		mux := http.NewServeMux()
		mux.Handle(api.Prefix+"/", api.New(api.Config{Version: "test", Services: services.Services{Identity: ids, Catalog: catalog.NewService(db), Ledger: led, Log: log}}))
		srv := httptest.NewServer(mux)
		defer srv.Close()
		get := func(path, token string) (int, map[string]any) {
			t.Helper()
			req, _ := http.NewRequest(http.MethodGet, srv.URL+api.Prefix+path, nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			json.NewDecoder(resp.Body).Decode(&body)
			return resp.StatusCode, body
		}

		status, page := get("/ledger/events?limit=10", auditor)
		if status != http.StatusOK {
			t.Fatalf("events: %d %v", status, page)
		}
		items := page["items"].([]any)
		if len(items) != 4 { // user.created and token.created, twice, before the ledger started
			t.Fatalf("auditor sees %d events", len(items))
		}
		first := items[0].(map[string]any)
		if keys := sortedKeys(first); !slices.Equal(keys, []string{"at", "id", "index", "subject", "type"}) || first["index"] != nil {
			t.Errorf("event item %v", first)
		}
		if status, _ := get("/ledger/events", ""); status != http.StatusUnauthorized {
			t.Errorf("anonymous events: %d", status)
		}
		if _, page := get("/ledger/events", citizen); len(page["items"].([]any)) != 0 {
			t.Errorf("a citizen sees others' events: %v", page)
		}
		if status, body := get("/ledger/events?cursor=nope", auditor); status != http.StatusUnprocessableEntity {
			t.Errorf("bad cursor: %d %v", status, body)
		}
		eventID := first["id"].(string)
		if status, _ := get("/ledger/receipts/"+eventID, ""); status != http.StatusConflict {
			t.Errorf("receipt of an unsealed event: %d, want 409", status)
		}
		if status, _ := get("/ledger/status", ""); status != http.StatusServiceUnavailable {
			t.Errorf("status before start: %d, want 503", status)
		}

		if err := led.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer led.Stop(ctx)
		var receipt map[string]any
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if status, receipt = get("/ledger/receipts/"+eventID, ""); status == http.StatusOK || time.Now().After(deadline) {
				break
			}
		}
		if status != http.StatusOK || !slices.Equal(sortedKeys(receipt), []string{"checkpoint", "entry", "event_id", "inclusion_proof", "index"}) {
			t.Fatalf("receipt: %d %v", status, receipt)
		}
		if status, _ := get("/ledger/receipts/no-such-event", ""); status != http.StatusNotFound {
			t.Errorf("unknown event: %d", status)
		}
		status, st := get("/ledger/status", "")
		if status != http.StatusOK || st["size"].(float64) < 2 || st["origin"] != "data.example.gov.cn/ledger" {
			t.Errorf("status: %d %v", status, st)
		}
	})
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

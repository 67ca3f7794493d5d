package dsp_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/dsp"
)

// FuzzHandlerMessages posts outside input to every message endpoint of
// the binding as an admitted buyer, through the whole web surface on a
// real store. Whatever the body, the answer is never a 5xx, and every
// refusal carries the protocol's error object of its part, valid against
// its schema.
func FuzzHandlerMessages(f *testing.F) {
	w := newWorld(f, storetest.Open(f, store.SQLite), dsp.Config{InsecureCallbacks: true})
	token := w.token(f, w.w.CompanyAdmin)
	var posts []dsp.Route
	for _, r := range dsp.Routes() {
		if r.Method == http.MethodPost {
			posts = append(posts, r)
		}
	}
	examples, _ := filepath.Glob("schemas/*/example/*.json")
	for i, ex := range examples {
		raw, err := os.ReadFile(ex)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), raw)
	}
	f.Add(uint8(0), []byte(`{"@context": [`))
	handler := w.srv.Config.Handler
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		r := posts[int(which)%len(posts)]
		path := strings.ReplaceAll(r.Path, "{pid}", "urn:uuid:00000000-0000-7000-8000-000000000001")
		req := httptest.NewRequest(r.Method, path, strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: %d %s", r.Method, r.Path, rec.Code, rec.Body)
		}
		if rec.Code < 400 {
			return
		}
		errSchema := dsp.SchemaCatalogError
		switch {
		case strings.HasPrefix(r.Path, dsp.Prefix+"/negotiations"):
			errSchema = dsp.SchemaNegotiationError
		case strings.HasPrefix(r.Path, dsp.Prefix+"/transfers"):
			errSchema = dsp.SchemaTransferError
		}
		if err := dsp.Validate(errSchema, rec.Body.Bytes()); err != nil {
			t.Fatalf("%s %s: %d, the error breaks its schema: %v\n%s", r.Method, r.Path, rec.Code, err, rec.Body)
		}
	})
}

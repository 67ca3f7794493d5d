package api_test

import (
	"context"
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

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/geojson"
)

// TestGeoJSONExportAPI: /export?format=geojson serves rows with longitude
// and latitude as a GeoJSON FeatureCollection (parsed here by a GeoJSON
// reader) with its media type; rows without a place answer 422 naming the
// format, before any body is written.
func TestGeoJSONExportAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids, cat := identity.NewService(db), catalog.NewService(db)
		org := must(ids.CreateOrganization(ctx, identity.System, identity.OrgInput{Kind: identity.KindOperator, NameZh: "市交通委员会", Code: "JTW"}))
		u := must(ids.CreateUser(ctx, identity.System, identity.UserInput{Username: "editor", DisplayName: "editor", Password: "correct horse battery",
			Memberships: []identity.Membership{{OrganizationID: org.ID, Role: identity.RoleEditor}}}))
		token, _, err := ids.CreateToken(ctx, identity.System, u.ID, "test", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		p := must(ids.Principal(ctx, u.ID))
		in := validInput()
		in.Items = append(in.Items, catalog.Item{Name: "longitude", LabelZh: "经度", Type: catalog.TypeDecimal},
			catalog.Item{Name: "latitude", LabelZh: "纬度", Type: catalog.TypeDecimal})
		spatial := must(cat.Create(ctx, p, org.ID, in)).ID
		plain := must(cat.Create(ctx, p, org.ID, validInput())).ID
		acc := access.New(db, cat, access.Config{})
		t.Cleanup(acc.Close)
		cfg := api.Config{Version: "test", Services: services.Services{Identity: ids, Catalog: cat, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Datastore: datastore.New(datastore.Config{DB: db, Catalog: cat, Access: acc})}}
		mux := http.NewServeMux()
		mux.Handle(api.Prefix+"/", api.New(cfg))
		mux.Handle("POST "+api.Prefix+"/resources/{id}/data", api.UploadHandler(cfg))
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		base := srv.URL + api.Prefix + "/resources/"

		if code, body := call(t, "POST", base+spatial+"/data?name=l.csv", token, "text/csv", "线路编号,经度,纬度\n1,116.45,39.92\n2,116.30,39.81\n"); code != http.StatusCreated {
			t.Fatalf("upload: %d %s", code, body)
		}
		code, header, body := callHeader(t, "GET", base+spatial+"/export?format=geojson", token, "", "")
		if code != http.StatusOK || header.Get("Content-Type") != "application/geo+json" {
			t.Fatalf("geojson export: %d %s %s", code, header.Get("Content-Type"), body)
		}
		var fc geojson.FeatureCollection
		if err := fc.UnmarshalJSON([]byte(body)); err != nil {
			t.Fatalf("not GeoJSON: %v\n%s", err, body)
		}
		if len(fc.Features) != 2 {
			t.Fatalf("%d features, want 2", len(fc.Features))
		}
		if pt, ok := fc.Features[1].Geometry.(*geom.Point); !ok || pt.X() != 116.30 || pt.Y() != 39.81 || fc.Features[1].Properties["line_no"] != "2" {
			t.Errorf("second feature: %#v %v", fc.Features[1].Geometry, fc.Features[1].Properties)
		}

		if code, body := call(t, "POST", base+plain+"/data?name=l.csv", token, "text/csv", "线路编号\n1\n"); code != http.StatusCreated {
			t.Fatalf("upload: %d %s", code, body)
		}
		code, body = call(t, "GET", base+plain+"/export?format=geojson", token, "", "")
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "not_spatial") && !strings.Contains(body, "GeoJSON") {
			t.Errorf("geojson of rows without a place: %d %s", code, body)
		}
	})
}

package datastore_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"

	"github.com/google/go-cmp/cmp"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/geojson"
)

// TestGeoJSONExport: rows with a longitude and a latitude, or with a
// GeoJSON geometry item, export as a FeatureCollection that a GeoJSON
// reader parses, one feature a row with the other items as properties;
// rows without a place are refused before anything is written.
func TestGeoJSONExport(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		export := func(r catalog.Resource) (*datastore.Export, error) {
			exp, err := f.ds.PrepareExport(ctx, f.outsider, r.ID, "", datastore.Query{})
			if err != nil {
				t.Fatal(err)
			}
			return exp, exp.CanWrite("geojson")
		}
		parse := func(exp *datastore.Export) geojson.FeatureCollection {
			t.Helper()
			var buf bytes.Buffer
			if err := exp.WriteTo(ctx, &buf, "geojson", false); err != nil {
				t.Fatal(err)
			}
			var fc geojson.FeatureCollection
			if err := fc.UnmarshalJSON(buf.Bytes()); err != nil {
				t.Fatalf("not GeoJSON: %v\n%s", err, buf.String())
			}
			return fc
		}

		points := f.resource(t, []catalog.Item{
			{Name: "stop_id", LabelZh: "站点编号", Type: catalog.TypeText, Required: true, Key: true},
			{Name: "name", LabelZh: "站点名称", Type: catalog.TypeText},
			{Name: "longitude", LabelZh: "经度", Type: catalog.TypeDecimal},
			{Name: "latitude", LabelZh: "纬度", Type: catalog.TypeDecimal},
		}, true)
		if _, err := f.load(t, points, "stops.csv", "站点编号,站点名称,经度,纬度\nS1,东湖公园,116.4521,39.9213\nS2,南苑路口,116.3902,39.8051\nS3,待定,,\n"); err != nil {
			t.Fatal(err)
		}
		exp, err := export(points)
		if err != nil {
			t.Fatal(err)
		}
		fc := parse(exp)
		if len(fc.Features) != 3 {
			t.Fatalf("%d features, want 3", len(fc.Features))
		}
		p, ok := fc.Features[0].Geometry.(*geom.Point)
		if !ok || p.X() != 116.4521 || p.Y() != 39.9213 {
			t.Errorf("first feature's geometry = %#v, want the point (116.4521, 39.9213)", fc.Features[0].Geometry)
		}
		if diff := cmp.Diff(map[string]any{"stop_id": "S1", "name": "东湖公园", "longitude": 116.4521, "latitude": 39.9213}, fc.Features[0].Properties); diff != "" {
			t.Errorf("properties (-want +got):\n%s", diff)
		}
		if fc.Features[2].Geometry != nil {
			t.Errorf("a row without coordinates has geometry %v, want null", fc.Features[2].Geometry)
		}

		areas := f.resource(t, []catalog.Item{
			{Name: "zone", LabelZh: "区域", Type: catalog.TypeText, Required: true, Key: true},
			{Name: "geometry", LabelZh: "几何", Type: catalog.TypeText},
		}, true)
		csv := "区域,几何\nA,\"{\"\"type\"\":\"\"Polygon\"\",\"\"coordinates\"\":[[[116.1,39.1],[116.2,39.1],[116.2,39.2],[116.1,39.1]]]}\"\n"
		if _, err := f.load(t, areas, "zones.csv", csv); err != nil {
			t.Fatal(err)
		}
		if exp, err = export(areas); err != nil {
			t.Fatal(err)
		}
		fc = parse(exp)
		if poly, ok := fc.Features[0].Geometry.(*geom.Polygon); !ok || poly.NumCoords() != 4 {
			t.Errorf("geometry item exported as %#v, want its polygon", fc.Features[0].Geometry)
		}
		if _, ok := fc.Features[0].Properties["geometry"]; ok || fc.Features[0].Properties["zone"] != "A" {
			t.Errorf("properties %v: want zone and not the geometry text again", fc.Features[0].Properties)
		}

		stations := f.resource(t, stationItems(), true)
		if _, err := f.load(t, stations, "s.csv", stationsCSV); err != nil {
			t.Fatal(err)
		}
		exp, err = export(stations)
		var ve validate.Errors
		if !errors.As(err, &ve) || ve[0].Field != "format" || ve[0].Code != "not_spatial" {
			t.Errorf("GeoJSON of rows without a place: %v, want a format error", err)
		}
		if err := exp.WriteTo(ctx, &bytes.Buffer{}, "geojson", false); err == nil {
			t.Error("WriteTo wrote GeoJSON of rows without a place")
		}
	})
}

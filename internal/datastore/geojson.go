package datastore

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"

	"dataport/internal/catalog"
	"dataport/internal/validate"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/geojson"
)

// Spatial names the items that place a row on a map: a longitude and a
// latitude item (numbers, WGS 84 / CGCS2000 degrees), or a geometry item
// holding a GeoJSON geometry as text. Empty names: the rows have no place.
type Spatial struct {
	Lon, Lat string
	Geometry string
}

// HasPlace reports whether the items place rows on a map.
func (s Spatial) HasPlace() bool { return s.Geometry != "" || s.Lon != "" && s.Lat != "" }

// Names of the items read as coordinates or geometries, by name (lower
// case) or by Chinese label.
var (
	lonNames      = []string{"longitude", "lon", "lng", "long", "x_coord", "经度"}
	latNames      = []string{"latitude", "lat", "y_coord", "纬度"}
	geometryNames = []string{"geometry", "geom", "geojson", "shape", "几何", "空间范围"}
)

// SpatialItems finds the items of a place among items: the first numeric
// item named (or labelled) as a longitude and one as a latitude, and the
// first text item named as a geometry.
func SpatialItems(items []catalog.Item) Spatial {
	var s Spatial
	named := func(it catalog.Item, names []string) bool {
		for _, n := range names {
			if strings.EqualFold(it.Name, n) || it.LabelZh == n {
				return true
			}
		}
		return false
	}
	for _, it := range items {
		numeric := it.Type == catalog.TypeDecimal || it.Type == catalog.TypeInteger
		switch {
		case numeric && s.Lon == "" && named(it, lonNames):
			s.Lon = it.Name
		case numeric && s.Lat == "" && named(it, latNames):
			s.Lat = it.Name
		case it.Type == catalog.TypeText && s.Geometry == "" && named(it, geometryNames):
			s.Geometry = it.Name
		}
	}
	if s.Lon == "" || s.Lat == "" {
		s.Lon, s.Lat = "", ""
	}
	return s
}

// Place returns the geometry of a row as served: a point from its
// longitude and latitude (nil without both, or out of range), or its
// geometry item parsed as GeoJSON (nil when it is empty or not GeoJSON).
// vals are the values of items, in order.
func (s Spatial) Place(items []catalog.Item, vals []any) geom.T {
	var lon, lat float64
	var haveLon, haveLat bool
	for i, it := range items {
		switch it.Name {
		case s.Geometry:
			if text, ok := vals[i].(string); ok && text != "" {
				var g geom.T
				if geojson.Unmarshal([]byte(text), &g) == nil {
					return g
				}
			}
		case s.Lon:
			lon, haveLon = number(vals[i])
		case s.Lat:
			lat, haveLat = number(vals[i])
		}
	}
	if s.Geometry != "" || !haveLon || !haveLat || lon < -180 || lon > 180 || lat < -90 || lat > 90 {
		return nil
	}
	return geom.NewPointFlat(geom.XY, []float64{lon, lat})
}

// number reads a served numeric value.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	}
	return 0, false
}

// errNotSpatial refuses a GeoJSON export of rows without a place.
var errNotSpatial = validate.Errors{{Field: "format", Value: "geojson", Code: "not_spatial",
	Message: "the rows have no longitude and latitude items and no GeoJSON geometry item, so they cannot be exported as GeoJSON"}}

// CanWrite reports whether the export can be written in format: every
// format of ExportFormats, GeoJSON only when the exported items place the
// rows (SpatialItems). Call it before writing headers.
func (e *Export) CanWrite(format string) error {
	if format == "geojson" && !SpatialItems(e.items()).HasPlace() {
		return errNotSpatial
	}
	return nil
}

// writeGeoJSON writes an RFC 7946 FeatureCollection: one Feature a row,
// with the row's geometry (null when it has none) and its other items as
// properties. The geometry item itself is not repeated in the properties.
func writeGeoJSON(w io.Writer, items []catalog.Item, each eachFunc) error {
	sp := SpatialItems(items)
	if !sp.HasPlace() {
		return errNotSpatial
	}
	keys := make([][]byte, len(items))
	for i, it := range items {
		keys[i], _ = json.Marshal(it.Name)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(`{"type":"FeatureCollection","features":[`)
	first := true
	err := each(func(vals []any) error {
		if !first {
			bw.WriteString(",")
		}
		first = false
		bw.WriteString("\n{\"type\":\"Feature\",\"geometry\":")
		if g := sp.Place(items, vals); g != nil {
			b, err := geojson.Marshal(g)
			if err != nil {
				return err
			}
			bw.Write(b)
		} else {
			bw.WriteString("null")
		}
		bw.WriteString(`,"properties":{`)
		n := 0
		for i, it := range items {
			if it.Name == sp.Geometry {
				continue
			}
			v, err := json.Marshal(vals[i])
			if err != nil {
				return err
			}
			if n > 0 {
				bw.WriteString(",")
			}
			n++
			bw.Write(keys[i])
			bw.WriteString(":")
			bw.Write(v)
		}
		bw.WriteString("}}")
		return nil
	})
	if err != nil {
		return err
	}
	bw.WriteString("\n]}\n")
	return bw.Flush()
}

package api

import (
	"maps"
	"net/http"
	"slices"

	"github.com/danielgtaylor/huma/v2"
)

// fileResponses documents the 200 answer of an operation that streams a
// file (huma.StreamResponse, which huma describes without content): desc,
// and each of the media types it may be sent as with its schema.
func fileResponses(desc string, types map[string]*huma.Schema) map[string]*huma.Response {
	content := map[string]*huma.MediaType{}
	for _, ct := range slices.Sorted(maps.Keys(types)) {
		content[ct] = &huma.MediaType{Schema: types[ct]}
	}
	return map[string]*huma.Response{"200": {Description: desc, Content: content}}
}

// exportTypes are the media types of an export, by format.
func exportTypes() map[string]*huma.Schema {
	text := &huma.Schema{Type: huma.TypeString}
	binary := &huma.Schema{Type: huma.TypeString, ContentEncoding: "binary"}
	return map[string]*huma.Schema{
		"text/csv":         text,
		"application/json": {Type: huma.TypeArray, Items: &huma.Schema{Type: huma.TypeObject, AdditionalProperties: true}},
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": binary,
		"application/vnd.apache.parquet":                                    binary,
		"application/geo+json": {Type: huma.TypeObject, AdditionalProperties: true,
			Description: "An RFC 7946 FeatureCollection, one Feature a row (format geojson)"},
	}
}

// unprocessable is the 422 answer of an operation whose parameters or body
// are validated: a problem with one entry per bad field.
func unprocessable(schema *huma.Schema) *huma.Response {
	return &huma.Response{Description: http.StatusText(http.StatusUnprocessableEntity) + ": a parameter or field is invalid; " +
		"one entry per field, with its location, stable code and arguments",
		Content: map[string]*huma.MediaType{"application/problem+json": {Schema: schema}}}
}

package ckan

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"dataport/internal/access"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/validate"
)

// CKAN's DataStore API over the datastore: datastoreSearch and
// datastoreSearchSQL read an action's parameters as CKAN clients send them
// (a JSON body, or query strings whose values are all text) into the
// datastore's typed queries, and write the action's "result" object.

// datastoreSearch answers CKAN's datastore_search: resource_id (id,
// catalog code, or a CKAN resource's "{id}-{format}"), filters, q (text or
// per-field object), fields, sort, limit (≤ 32,000, default 100), offset,
// include_total, records_format (objects, lists, csv, tsv). The datastore asks the access decision point
// through access.ChannelCKANDatastore; when a grant's row quota cuts the
// records short of limit, the result says records_truncated: true.
func datastoreSearch(ctx context.Context, ds *datastore.Service, actor identity.Principal, params map[string]any) (map[string]any, error) {
	var errs validate.Errors
	rid := paramText(params["resource_id"])
	if pkgID, _, ok := splitResourceID(rid); ok {
		rid = pkgID // a CKAN resource's id: every format has the same rows
	}
	rid = ds.ResolveResource(ctx, actor, rid)
	if rid == "" {
		errs.Add("resource_id", params["resource_id"], validate.CodeRequired, "is required")
	}
	q := datastore.Query{Limit: 100, Total: true}
	q.Fields = paramList(params["fields"])
	q.Sort = parseSort(paramText(params["sort"]), &errs)
	q.Filters = parseFilters(params["filters"], &errs)
	switch v := decodeJSONText(params["q"]).(type) {
	case map[string]any:
		for k, w := range v {
			q.Filters = append(q.Filters, datastore.Filter{Item: k, Op: datastore.OpContains, Values: []string{paramText(w)}})
		}
	case nil:
	default:
		q.Q = paramText(v)
	}
	if n, ok := paramInt(params["limit"], "limit", &errs); ok {
		if n < 0 || n > datastore.MaxLimit {
			errs.Add("limit", n, validate.CodeRange, "must be between %d and %d", 0, datastore.MaxLimit)
		}
		q.Limit = n
	}
	if n, ok := paramInt(params["offset"], "offset", &errs); ok {
		if n < 0 {
			errs.Add("offset", n, "not_negative", "cannot be negative")
		}
		q.Offset = n
	}
	if v, ok := params["include_total"]; ok {
		q.Total = paramText(v) != "false" && paramText(v) != "0"
	}
	format := paramText(params["records_format"])
	if format == "" {
		format = "objects"
	}
	validate.OneOf(&errs, "records_format", format, "objects", "lists", "csv", "tsv")
	if err := errs.Err(); err != nil {
		return nil, err
	}
	limit := q.Limit
	q.FieldsOnly = limit == 0 // CKAN's limit 0 returns only fields and the total
	res, err := ds.Search(ctx, actor, rid, access.ChannelCKANDatastore, q)
	if err != nil {
		return nil, err
	}
	return searchResult(rid, q, limit, format, res, params)
}

// datastoreSearchSQL answers CKAN's datastore_search_sql: the statement in
// sql, run by datastore.Service.SearchSQL.
func datastoreSearchSQL(ctx context.Context, ds *datastore.Service, actor identity.Principal, params map[string]any) (map[string]any, error) {
	res, err := ds.SearchSQL(ctx, actor, paramText(params["sql"]))
	if err != nil {
		return nil, err
	}
	return map[string]any{"sql": res.SQL, "records": res.Records, "fields": res.Fields, "records_truncated": res.Truncated}, nil
}

func searchResult(rid string, q datastore.Query, limit int, format string, res datastore.RowsPage, params map[string]any) (map[string]any, error) {
	records, err := resultRecords(res, format)
	if err != nil {
		return nil, err
	}
	out := map[string]any{
		"resource_id": rid, "fields": resultFields(res.Fields), "records": records, "records_format": format,
		"limit": limit, "offset": q.Offset, "include_total": q.Total, "total_estimation_threshold": nil,
		"_links": resultLinks(params, limit, q.Offset),
	}
	if q.Total {
		out["total"], out["total_was_estimated"] = res.Total, res.TotalEstimated
	}
	if res.QuotaTruncated {
		// As datastore_search_sql says it: the grant's quota cut the records.
		out["records_truncated"] = true
	}
	return out, nil
}

func resultFields(fields []datastore.RowField) []map[string]any {
	out := make([]map[string]any, len(fields))
	for i, f := range fields {
		out[i] = map[string]any{"id": f.ID, "type": f.Type}
		if f.Label != "" {
			out[i]["info"] = map[string]any{"label": f.Label}
		}
	}
	return out
}

// resultLinks are CKAN's _links: the call again from its first row
// (start) and from the row after this page (next), with every other
// parameter as the caller gave it (filters, fields, q, sort, limit, ...),
// as CKAN rewrites the request's query string. A POSTed body is written as
// a GET query: objects as JSON, lists as repeated values.
func resultLinks(params map[string]any, limit, offset int) map[string]string {
	v := url.Values{}
	for k, p := range params {
		if list, ok := p.([]any); ok {
			for _, e := range list {
				v.Add(k, paramText(e))
			}
			continue
		}
		v.Set(k, paramText(p))
	}
	v.Del("offset")
	start := "/api/3/action/datastore_search?" + v.Encode()
	v.Set("offset", strconv.Itoa(offset+limit))
	return map[string]string{"start": start, "next": "/api/3/action/datastore_search?" + v.Encode()}
}

func resultRecords(res datastore.RowsPage, format string) (any, error) {
	switch format {
	case "lists":
		return res.Rows, nil
	case "csv", "tsv":
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		if format == "tsv" {
			w.Comma = '\t'
		}
		for _, row := range res.Rows {
			rec := make([]string, len(row))
			for i, v := range row {
				rec[i] = datastore.CellText(v)
			}
			w.Write(rec)
		}
		w.Flush()
		return buf.String(), w.Error()
	}
	out := make([]map[string]any, len(res.Rows))
	for i, row := range res.Rows {
		m := make(map[string]any, len(row))
		for k, f := range res.Fields {
			m[f.ID] = row[k]
		}
		out[i] = m
	}
	return out, nil
}

// paramText reads a parameter as text (numbers and booleans as JSON writes them).
func paramText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []string:
		if len(x) > 0 {
			return x[0]
		}
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// decodeJSONText decodes a query-string parameter holding JSON (as CKAN
// clients send filters and q in GET requests); other values pass through.
func decodeJSONText(v any) any {
	s, ok := v.(string)
	if !ok || !strings.HasPrefix(strings.TrimSpace(s), "{") {
		return v
	}
	var out any
	if json.Unmarshal([]byte(s), &out) != nil {
		return v
	}
	return out
}

// paramList reads a list given as a JSON array or comma-separated text.
func paramList(v any) []string {
	switch x := v.(type) {
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = paramText(e)
		}
		return out
	case []string:
		return x
	case string:
		var out []string
		for _, p := range strings.Split(x, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	return nil
}

// paramInt reads an integer parameter; false when it is absent or no integer (then errs names field).
func paramInt(v any, field string, errs *validate.Errors) (int, bool) {
	switch x := v.(type) {
	case nil:
		return 0, false
	case float64:
		return int(x), true
	case json.Number:
		n, err := x.Int64()
		if err != nil {
			errs.Add(field, x, validate.CodeInteger, "must be an integer")
		}
		return int(n), err == nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(paramText(v)))
	if err != nil {
		errs.Add(field, v, validate.CodeInteger, "must be an integer")
		return 0, false
	}
	return n, true
}

// maxSortKeys caps the items of one sort, and maxFilterValues the values
// of all filters together: SQLite prepares a statement with an IN list of
// a few thousand values in seconds (1,000: 13 ms; 4,000: 2.9 s).
const (
	maxSortKeys     = 32
	maxFilterValues = 1000
)

// parseSort reads CKAN's sort: "a desc, b". A problem is located at the
// key ("sort[1]"), with the key as written.
func parseSort(s string, errs *validate.Errors) []datastore.SortKey {
	var out []datastore.SortKey
	for _, part := range strings.Split(s, ",") {
		f := strings.Fields(part)
		if len(f) == 0 {
			continue
		}
		if len(out) == maxSortKeys {
			errs.Add("sort", nil, validate.CodeTooMany, "sorts by at most %d items", maxSortKeys)
			return nil
		}
		at := fmt.Sprintf("sort[%d]", len(out))
		k := datastore.SortKey{Item: strings.Trim(f[0], `"`)}
		switch {
		case len(f) > 2:
			errs.Add(at, strings.TrimSpace(part), "sort_syntax", "write an item, then asc or desc")
		case len(f) == 2 && strings.EqualFold(f[1], "desc"):
			k.Desc = true
		case len(f) == 2 && !strings.EqualFold(f[1], "asc"):
			errs.Add(at, strings.TrimSpace(part), "sort_direction", "direction must be asc or desc")
		}
		out = append(out, k)
	}
	return out
}

// parseFilters reads CKAN's filters: {"item": value or [values]}, in the
// order of the item names (so that "filters[i]" names the same filter
// from one call to the next).
func parseFilters(v any, errs *validate.Errors) []datastore.Filter {
	m, ok := decodeJSONText(v).(map[string]any)
	if v != nil && !ok {
		errs.Add("filters", v, "filters_object", "must be an object of item names to values")
		return nil
	}
	var out []datastore.Filter
	values := 0
	for _, k := range slices.Sorted(maps.Keys(m)) {
		switch val := m[k].(type) {
		case []any:
			out = append(out, datastore.Filter{Item: k, Op: datastore.OpIn, Values: paramList(val)})
			values += len(val)
		case nil:
			out = append(out, datastore.Filter{Item: k, Op: datastore.OpNull})
			values++
		default:
			out = append(out, datastore.Filter{Item: k, Op: datastore.OpEq, Values: []string{paramText(val)}})
			values++
		}
	}
	if values > maxFilterValues {
		errs.Add("filters", nil, "too_many_values", "hold at most %d values in all (these hold %d)", maxFilterValues, values)
		return nil
	}
	return out
}

package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/deid"
	"dataport/internal/store"
)

// deidRows is the datastore's Deidentifier on top of the stored
// de-identification profiles: every row an access decision names a profile
// for passes through the profile's record-level operators, one row at a
// time, so row pages, exports and CKAN datastore_search stream as before.
//
// A profile whose privacy model needs the whole table (k-anonymity,
// l-diversity or t-closeness over quasi-identifiers) cannot be guaranteed
// row by row; such reads are refused (403, reason deid_unavailable) with
// the reason, rather than served with a weaker protection than the
// profile promises. So is a profile that no longer fits the resource's
// items. Nothing is served in either case.
type deidRows struct{ profiles *deid.Service }

// ReasonDeidUnavailable is the denial reason when a required profile cannot be applied.
const ReasonDeidUnavailable = "deid_unavailable"

func (d deidRows) Transformer(ctx context.Context, profile string, r catalog.Resource, items []catalog.Item) (datastore.Deidentification, error) {
	header := make([]string, len(items))
	for i, it := range items {
		header[i] = it.Name
	}
	rt, err := d.profiles.RowTransformer(ctx, profile, header)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return datastore.Deidentification{}, deidDenied(fmt.Sprintf("de-identification profile %s of %s no longer exists", profile, r.Code))
	case err != nil && ctx.Err() != nil:
		return datastore.Deidentification{}, err
	case err != nil:
		return datastore.Deidentification{}, deidDenied(fmt.Sprintf("de-identification profile %s cannot be applied to the rows of %s: %v", profile, r.Code, err))
	}
	var rewritten []string // served values differ from the stored ones: never filtered, sorted or searched on
	for _, c := range rt.Rewrites() {
		rewritten = append(rewritten, items[c].Name)
	}
	reads := rt.Reads()
	text := make([]string, len(items))
	return datastore.Deidentification{Rewritten: rewritten, Row: func(row []any) error {
		for _, c := range reads {
			text[c] = cellString(row[c])
		}
		rt.Transform(text)
		for _, c := range reads {
			switch {
			case rt.Op(c) == "":
				// read by another column's operator, served as is
			case rt.Op(c) == deid.OpDrop:
				row[c] = nil
			case row[c] == nil:
				// a null carries nothing to hide
			default:
				row[c] = typed(items[c].Type, text[c])
			}
		}
		return nil
	}}, nil
}

func deidDenied(msg string) error {
	return &access.DeniedError{Decision: access.Decision{Reason: ReasonDeidUnavailable, Message: msg}}
}

// cellString is the text a de-identification operator sees for a served value.
func cellString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}

// typed gives a de-identified value back the item's type when it still
// has it (a top-coded number stays a number); otherwise it is served as
// text (a masked number, a generalised age band).
func typed(t catalog.ItemType, s string) any {
	switch t {
	case catalog.TypeInteger:
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
	case catalog.TypeDecimal:
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	case catalog.TypeBoolean:
		if b, err := strconv.ParseBool(s); err == nil {
			return b
		}
	}
	return s
}

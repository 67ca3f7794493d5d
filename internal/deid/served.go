package deid

import (
	"context"
	"fmt"
	"strconv"

	"dataport/internal/catalog"
)

// ServedRows is a stored profile made ready for the typed rows of a
// resource's items as the datastore serves them (values in the order of
// the items: strings, int64, float64, bool, nil). It streams one row at a
// time through the profile's record-level operators, as RowTransformer
// does, and is not safe for concurrent use: build one per read.
type ServedRows struct {
	rt    *RowTransformer
	items []catalog.Item
	text  []string // the text the operators see, reused from row to row
}

// ServedRows returns stored profile id made ready for rows of items, under
// the profile's own key. It fails as RowTransformer does: with
// store.ErrNotFound when the profile no longer exists, ErrNeedsTable when
// its privacy model needs the whole table, and the profile's validation
// error when it no longer fits the items.
func (s *Service) ServedRows(ctx context.Context, id string, items []catalog.Item) (*ServedRows, error) {
	header := make([]string, len(items))
	for i, it := range items {
		header[i] = it.Name
	}
	rt, err := s.RowTransformer(ctx, id, header)
	if err != nil {
		return nil, err
	}
	return &ServedRows{rt: rt, items: items, text: make([]string, len(items))}, nil
}

// Rewritten names the items whose served values are not the stored ones
// (RowTransformer.Rewrites): every item with an operator other than keep,
// dropped items included, not one date_shift only reads. A reader must
// never filter, sort or search on their stored values.
func (sr *ServedRows) Rewritten() []string {
	var out []string
	for _, c := range sr.rt.Rewrites() {
		out = append(out, sr.items[c].Name)
	}
	return out
}

// Apply de-identifies row in place. A dropped item is served as null and
// a null stays null (it carries nothing to hide); a rewritten value keeps
// its item's type when it still has it (a top-coded number stays a
// number) and is served as text otherwise (a masked number, an age band).
func (sr *ServedRows) Apply(row []any) {
	reads := sr.rt.Reads()
	for _, c := range reads {
		sr.text[c] = cellString(row[c])
	}
	sr.rt.Transform(sr.text)
	for _, c := range reads {
		switch {
		case sr.rt.Op(c) == "":
			// read by another column's operator, served as is
		case sr.rt.Op(c) == OpDrop:
			row[c] = nil
		case row[c] == nil:
			// a null carries nothing to hide
		default:
			row[c] = typed(sr.items[c].Type, sr.text[c])
		}
	}
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

package datastore

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"dataport/internal/catalog"
	"dataport/internal/ingest"
)

// A first import infers its items from a sample of the file
// (ingest.InferSample) and loads the whole file into them in one pass.
// Later records may disagree with the sample:
//
//   - an empty value of an item the sample had always filled makes the
//     item optional, and the load goes on;
//   - a value that does not fit its item's type (ingest.Fits: a decimal in
//     an integer item, "暂无" in a date item, "007" in an integer item) is,
//     under the quarantine policy, kept aside with its record; under the
//     refuse policy the item is widened: the load stops, the items are
//     inferred from every record of the file, and the file is loaded again.
//
// Either way the resource's items end as a full pass over the file would
// have made them (or the values that break them are in the quarantine),
// and the report's Inference lists every change.

// InferenceReport is how a first import's items were inferred.
type InferenceReport struct {
	SampleRows int64 `json:"sample_rows"` // the records the items were first inferred from
	// Reread: a later value broke a sampled type under the refuse policy,
	// so the items were inferred from every record and the file loaded again.
	Reread  bool         `json:"reread"`
	Changes []ItemChange `json:"changes"`
}

// ItemChange is an inferred item that a record after the sample disagreed with.
type ItemChange struct {
	Item   string           `json:"item"`
	Column string           `json:"column"`
	Change string           `json:"change" enum:"widened,optional,quarantined"`
	From   catalog.ItemType `json:"from"`
	To     catalog.ItemType `json:"to"`
	Row    int64            `json:"row,omitempty"`   // the first record that disagreed, when known
	Value  string           `json:"value,omitempty"` // its value (redacted for readers who are not the provider)
	Count  int64            `json:"count,omitempty"` // quarantined: the values kept aside
}

// Changes of inferred items.
const (
	ChangeWidened     = "widened"     // the type, to one every value fits
	ChangeOptional    = "optional"    // no longer required: a later value is empty
	ChangeQuarantined = "quarantined" // the values that break the type are kept aside (the quarantine policy)
)

// typeBreak is a value past the sample that does not fit its item's
// inferred type, under the refuse policy: the reading stops there.
type typeBreak struct {
	row          int64
	item, column string
	value        string
	typ          catalog.ItemType
	errs         []ingest.RowError
}

func (b *typeBreak) Error() string {
	return fmt.Sprintf("row %d, column %q: value %q is not %s as the items inferred from the file's first records say", b.row, b.column, b.value, b.typ)
}

// inferring says the resource's items were inferred from a sample of this file.
func (l *loader) inferring() bool { return l.in.SampleRows > 0 }

// beyondSample handles the refused values of a record when the items were
// inferred from a sample (see the comment at the top of this file); it
// returns the values still refused, or a *typeBreak.
func (l *loader) beyondSample(row int64, rec []string, vals []any, errs []ingest.RowError) ([]ingest.RowError, error) {
	relaxed := false
	for i, it := range l.m.Items {
		j := l.m.Column[i]
		if j < 0 || j >= len(rec) || it.Type == catalog.TypeCode {
			continue
		}
		s := strings.TrimSpace(rec[j])
		switch {
		case s == "" && it.Required:
			l.m.Items[i].Required, relaxed = false, true
			l.change(ItemChange{Item: it.Name, Column: l.m.Header[j], Change: ChangeOptional, From: it.Type, To: it.Type, Row: row})
		case s != "" && !ingest.Fits(it.Type, s):
			if l.settings.OnError == Quarantine {
				l.change(ItemChange{Item: it.Name, Column: l.m.Header[j], Change: ChangeQuarantined, From: it.Type, To: it.Type, Row: row, Value: clipValue(s)})
				continue
			}
			return errs, &typeBreak{row: row, item: it.Name, column: l.m.Header[j], value: clipValue(s), typ: it.Type,
				errs: append([]ingest.RowError(nil), errs...)}
		}
	}
	if relaxed {
		errs = l.m.Convert(row, rec, vals, errs[:0])
	}
	return errs, nil
}

// change records c in the report: the first record of each item and
// change, and how many values were quarantined.
func (l *loader) change(c ItemChange) {
	inf := l.report.Inference
	for k := range inf.Changes {
		if d := &inf.Changes[k]; d.Item == c.Item && d.Change == c.Change {
			if c.Change == ChangeQuarantined {
				d.Count++
			}
			return
		}
	}
	if c.Change == ChangeQuarantined {
		c.Count = 1
	}
	inf.Changes = append(inf.Changes, c)
}

func clipValue(s string) string {
	if r := []rune(s); len(r) > 200 {
		return string(r[:200]) + "…"
	}
	return s
}

// inferAgain follows a *typeBreak: it infers the items from every record
// of the file, widens the resource's items to them (types and
// requiredness; names, labels and the rest stay), and prepares the load of
// the file again under the same load id. A file that cannot be read again
// (not an io.Seeker) is refused with the value that broke the sample.
func (l *loader) inferAgain(ctx context.Context, brk *typeBreak) (*loader, error) {
	seeker, ok := l.in.File.(io.Seeker)
	if !ok {
		return nil, &LoadError{Reason: fmt.Sprintf("a value does not fit the items inferred from the first %d records, and the file cannot be read again to infer them from every record",
			l.in.SampleRows), Errors: brk.errs}
	}
	full, err := l.inferWhole(seeker)
	if err != nil {
		return nil, err
	}
	items := slices.Clone(l.res.Items)
	var changes []ItemChange
	for i, it := range l.sampled {
		items[i].Type, items[i].Required = full[i].Type, full[i].Required
		c := ItemChange{Item: it.Name, Column: it.LabelZh, From: it.Type, To: full[i].Type}
		if j := l.m.Column[i]; j >= 0 {
			c.Column = l.m.Header[j]
		}
		if it.Name == brk.item {
			c.Row, c.Value = brk.row, brk.value
		}
		switch {
		case it.Type != full[i].Type:
			c.Change = ChangeWidened
		case it.Required && !full[i].Required:
			c.Change = ChangeOptional
		default:
			continue
		}
		changes = append(changes, c)
	}
	in := l.res.Input
	in.Items = items
	if _, err := l.s.cat.Update(ctx, l.actor, l.res.ID, in); err != nil {
		return nil, fmt.Errorf("datastore: widen the inferred items: %w", err)
	}
	if _, err := seeker.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("datastore: read %s again: %w", l.in.Name, err)
	}
	again := l.in
	again.LoadID, again.SampleRows = l.id, 0
	next, err := l.s.prepareLoad(ctx, l.actor, l.res.ID, again)
	if err != nil {
		return nil, err
	}
	next.report.Inference = &InferenceReport{SampleRows: l.in.SampleRows, Reread: true, Changes: changes}
	return next, nil
}

// inferWhole infers the items from every record of the file, read from its start.
func (l *loader) inferWhole(seeker io.Seeker) ([]catalog.Item, error) {
	if _, err := seeker.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("datastore: read %s again: %w", l.in.Name, err)
	}
	opts := l.in.Options
	opts.Limits = opts.Limits.Or(l.s.limits)
	rd, err := ingest.Open(l.in.File, l.in.Name, opts)
	if err != nil {
		return nil, asLoadError(err)
	}
	defer rd.Close()
	full, _, err := ingest.InferItems(rd)
	if err != nil {
		return nil, asLoadError(err)
	}
	if len(full) != len(l.sampled) {
		return nil, &LoadError{Reason: "the file's header changed while it was loaded"}
	}
	return full, nil
}

// saveRelaxed puts the items made optional during the load into the
// resource, before its version is switched in.
func (l *loader) saveRelaxed(ctx context.Context) error {
	if !l.inferring() || !slices.ContainsFunc(l.report.Inference.Changes, func(c ItemChange) bool { return c.Change == ChangeOptional }) {
		return nil
	}
	if _, err := l.s.cat.Update(ctx, l.actor, l.res.ID, l.res.Input); err != nil {
		return fmt.Errorf("datastore: make inferred items optional: %w", err)
	}
	return nil
}

package stats

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"

	"dataport/internal/datastore"
	"dataport/internal/validate"
)

// City is how a request names the city-wide unit (org=city).
const City = "city"

// ForOrg narrows t to one unit: City for the city-wide values, or an
// organization's id or code. An organization that does not exist is a
// field error on field.
func (s *Service) ForOrg(ctx context.Context, t Table, field, org string) (Table, error) {
	if org == "" {
		return t, nil
	}
	id := CityWide
	if org != City {
		err := s.db.QueryRowContext(ctx, `SELECT id FROM organizations WHERE id = $1 OR code = $1`, org).Scan(&id)
		if isNoRows(err) {
			var errs validate.Errors
			errs.Add(field, org, validate.CodeUnknown, "no organization has this id or code (use %q for the city-wide figures)", City)
			return Table{}, errs.Err()
		} else if err != nil {
			return Table{}, err
		}
	}
	out := t
	out.Values, out.Orgs = []Value{}, []Org{}
	for _, v := range t.Values {
		if v.OrgID == id {
			out.Values = append(out.Values, v)
		}
	}
	for _, o := range t.Orgs {
		if o.ID == id {
			out.Orgs = append(out.Orgs, o)
		}
	}
	return out, nil
}

// csvHeader is the CSV export's header row.
var csvHeader = []string{"period", "org_id", "org_name_zh", "org_name_en", "indicator", "indicator_name_zh", "indicator_name_en",
	"unit", "kind", "direction", "value"}

// WriteCSV writes t as CSV: UTF-8 with a byte order mark (for spreadsheet
// programs), the header row, one line per value; organization names that a
// spreadsheet would run as a formula are quoted as the datastore's exports
// quote them. The city's lines have org_id "" and the names 全市 / City.
func WriteCSV(w io.Writer, t Table) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	names := map[string]Org{CityWide: {NameZh: "全市", NameEn: "City"}}
	for _, o := range t.Orgs {
		names[o.ID] = o
	}
	defs := map[string]Indicator{}
	for _, in := range t.Indicators {
		defs[in.Code] = in
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, v := range t.Values {
		o, in := names[v.OrgID], defs[v.Indicator]
		rec := []string{t.Period, v.OrgID, datastore.CSVCell(o.NameZh), datastore.CSVCell(o.NameEn), v.Indicator, in.NameZh, in.NameEn,
			in.Unit, in.Kind, strconv.Itoa(in.Direction), strconv.FormatFloat(v.Value, 'f', -1, 64)}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// SnapshotDetail is a day's snapshot with the values its hash covers.
type SnapshotDetail struct {
	Snapshot
	Values []SnapshotValue `json:"values"`
}

// Day returns a taken day's snapshot and its values: hashing the values'
// JSON as stored gives the snapshot's hash.
func (s *Service) Day(ctx context.Context, day string) (SnapshotDetail, error) {
	if err := checkDay("day", day); err != nil {
		return SnapshotDetail{}, err
	}
	snap, err := s.snapshot(ctx, day)
	if err != nil {
		return SnapshotDetail{}, err
	}
	vals, err := s.SnapshotValues(ctx, day)
	return SnapshotDetail{Snapshot: snap, Values: vals}, err
}

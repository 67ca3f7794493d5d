package stats

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/store"
)

// frac is an indicator's numerator and denominator for one unit.
type frac struct{ num, den float64 }

// tally accumulates fractions per organization (any organization, the
// city's sum included) and indicator.
type tally map[string]map[string]*frac

func (t tally) add(org, code string, num, den float64) {
	m := t[org]
	if m == nil {
		m = map[string]*frac{}
		t[org] = m
	}
	f := m[code]
	if f == nil {
		f = &frac{}
		m[code] = f
	}
	f.num += num
	f.den += den
}

// SnapshotValue is one value of a day's snapshot as stored and hashed:
// the value and the numerator and denominator it was computed from.
type SnapshotValue struct {
	OrgID     string  `json:"org_id"`
	Indicator string  `json:"indicator"`
	Value     float64 `json:"value"`
	Num       float64 `json:"num"`
	Den       float64 `json:"den"`
}

// window is the day computed: records before end count as of the day's end,
// records in [start, end) as the day's flow.
type window struct {
	day        string
	start, end time.Time
}

func dayWindow(day string) (window, error) {
	t, err := time.ParseInLocation(time.DateOnly, day, Beijing)
	if err != nil {
		return window{}, fmt.Errorf("stats: day %q: %w", day, err)
	}
	return window{day: day, start: t, end: t.AddDate(0, 0, 1)}, nil
}

// reportCache keeps parsed quality reports by resource and version across
// the days of a backfill (a version's report never changes).
type reportCache map[string]*datastore.QualityReport

// measure adds one family of indicators of the day to t.
type measure func(ctx context.Context, s *Service, w window, t tally, c reportCache) error

// measures are the families, each one or two queries.
var measures = []measure{measureResources, measureOpenLists, measureDecisions, measureReviews,
	measureZones, measureExchange, measureIncidents, measureAssessments}

// compute computes the values of day from the records, per institution
// existing at the day's end and city-wide.
func (s *Service) compute(ctx context.Context, day string, c reportCache) ([]SnapshotValue, int, error) {
	w, err := dayWindow(day)
	if err != nil {
		return nil, 0, err
	}
	t := tally{}
	for _, m := range measures {
		if err := m(ctx, s, w, t, c); err != nil {
			return nil, 0, err
		}
	}
	orgs, err := store.Strings(ctx, s.db, `SELECT id FROM organizations WHERE kind IN ('institution', 'operator')
		AND created_at < $1 ORDER BY id`, store.TS(w.end))
	if err != nil {
		return nil, 0, fmt.Errorf("stats: institutions: %w", err)
	}
	city := map[string]*frac{}
	for _, m := range t {
		for code, f := range m {
			if city[code] == nil {
				city[code] = &frac{}
			}
			city[code].num += f.num
			city[code].den += f.den
		}
	}
	out := valuesOf(CityWide, city, true)
	for _, org := range orgs {
		out = append(out, valuesOf(org, t[org], false)...)
	}
	sortDayValues(out)
	return out, len(orgs), nil
}

// valuesOf turns one unit's fractions into its values: counts always (0
// when nothing was counted), ratios only when their denominator is not 0.
func valuesOf(org string, m map[string]*frac, city bool) []SnapshotValue {
	var out []SnapshotValue
	for _, in := range system {
		if in.CityOnly && !city {
			continue
		}
		f := m[in.Code]
		if f == nil {
			f = &frac{}
		}
		v := SnapshotValue{OrgID: org, Indicator: in.Code, Num: round(f.num), Den: round(f.den)}
		switch in.Unit {
		case UnitPercent:
			if f.den == 0 {
				continue
			}
			v.Value = round(100 * f.num / f.den)
		case UnitHours, UnitScore:
			if f.den == 0 {
				continue
			}
			v.Value = round(f.num / f.den)
		default:
			v.Value = round(f.num)
		}
		out = append(out, v)
	}
	return out
}

// round keeps four decimals, so that a value, its hash and its export
// agree on every platform.
func round(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// filled reports whether a catalog text or JSON list field holds something.
func filled(s string) bool { return s != "" && s != "[]" && s != "null" }

// measureResources counts the published resources, their catalog
// completeness and openness, and (from their newest datastore version) the
// data coverage, timeliness and quality.
func measureResources(ctx context.Context, s *Service, w window, t tally, c reportCache) error {
	rows, err := s.db.QueryContext(ctx, `SELECT id, organization_id, open_type, update_frequency, description_zh, title_en,
		keywords, formats, item_count, source_system, contact_name, contact_phone, contact_email
		FROM resources WHERE published_at IS NOT NULL AND published_at < $1 AND status <> 'retired'`, store.TS(w.end))
	if err != nil {
		return fmt.Errorf("stats: resources: %w", err)
	}
	type res struct{ org, freq string }
	published := map[string]res{}
	for rows.Next() {
		var id, org, open, freq, desc, titleEn, keywords, formats, source, contact, phone, email string
		var items int
		if err := rows.Scan(&id, &org, &open, &freq, &desc, &titleEn, &keywords, &formats, &items, &source, &contact, &phone, &email); err != nil {
			rows.Close()
			return err
		}
		published[id] = res{org, freq}
		t.add(org, ResourcesPublished, 1, 0)
		n := 0
		for _, ok := range []bool{filled(desc), filled(titleEn), filled(keywords), filled(formats), items > 0, filled(source),
			filled(contact), filled(phone) || filled(email)} {
			if ok {
				n++
			}
		}
		t.add(org, CatalogCompleteness, float64(n), 8)
		if open == string(catalog.OpenUnconditional) || open == string(catalog.OpenConditional) {
			t.add(org, OpenResources, 1, 0)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	newest, err := s.newestVersions(ctx, w, c)
	if err != nil {
		return err
	}
	for id, r := range published {
		v, ok := newest[id]
		t.add(r.org, DataCoverage, b2f(ok), 1)
		if !ok {
			continue
		}
		if due := datastore.Due(catalog.Frequency(r.freq), v.at); !due.IsZero() {
			t.add(r.org, FreshnessRate, b2f(!w.end.After(due)), 1)
		}
		if score, ok := qualityScore(v.report); ok {
			t.add(r.org, QualityScore, score, 1)
		}
	}
	return nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// version is a resource's newest datastore version at a day's end.
type version struct {
	at     time.Time
	report *datastore.QualityReport
}

// newestVersions returns each resource's newest datastore version created
// before the day's end, with its quality report.
func (s *Service) newestVersions(ctx context.Context, w window, c reportCache) (map[string]version, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT v.resource_id, v.version, v.created_at, v.report FROM datastore_versions v
		WHERE v.created_at < $1 AND v.version = (SELECT MAX(x.version) FROM datastore_versions x
		WHERE x.resource_id = v.resource_id AND x.created_at < $1)`, store.TS(w.end))
	if err != nil {
		return nil, fmt.Errorf("stats: datastore versions: %w", err)
	}
	defer rows.Close()
	out := map[string]version{}
	for rows.Next() {
		var id, report string
		var n int
		var v version
		if err := rows.Scan(&id, &n, store.ScanTime(&v.at), &report); err != nil {
			return nil, err
		}
		key := fmt.Sprint(id, "/", n)
		if v.report = c[key]; v.report == nil {
			v.report = &datastore.QualityReport{}
			if err := json.Unmarshal([]byte(report), v.report); err != nil {
				return nil, fmt.Errorf("stats: quality report of %s version %d: %w", id, n, err)
			}
			c[key] = v.report
		}
		out[id] = v
	}
	return out, rows.Err()
}

// qualityScore is a version's quality, 0–100: the share of rows loaded,
// times the items' mean completeness, times the share of rows with a
// unique key.
func qualityScore(r *datastore.QualityReport) (float64, bool) {
	if r.RowsRead <= 0 {
		return 0, false
	}
	score := float64(r.RowsLoaded) / float64(r.RowsRead)
	if len(r.Items) > 0 {
		var nulls float64
		for _, it := range r.Items {
			nulls += it.NullRate
		}
		score *= 1 - nulls/float64(len(r.Items))
	}
	if r.RowsLoaded > 0 {
		score *= 1 - float64(r.Duplicates.Rows)/float64(r.RowsLoaded)
	}
	return 100 * math.Max(0, math.Min(1, score)), true
}

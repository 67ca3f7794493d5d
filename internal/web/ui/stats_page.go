package ui

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"

	"dataport/internal/stats"
	"dataport/internal/web/ui/i18n"
)

// statsData is the statistics page: a period's indicators city-wide, the
// daily trend of a few of them, one indicator per institution, and how each
// indicator is computed.
type statsData struct {
	Period   string
	Latest   string // the newest snapshot's day ("" none yet)
	Years    []string
	Months   []string // the months of the period's year with snapshots
	Days     int
	Selected string // the indicator drawn per institution
	Options  []statsOption
	Rows     []statsRow
	Trends   []datasetChart
	Bars     datasetChart
	CSV      string
	JSON     string
}

type statsOption struct{ Code, Name string }

// statsRow is an indicator with its city-wide value.
type statsRow struct {
	Code, Name, Unit, Value, Kind, Direction, How string
}

// trendIndicators are the indicators drawn as lines over the days.
var trendIndicators = []string{stats.ResourcesPublished, stats.APICalls, stats.QualityScore, stats.ShareDecided}

// statsPage shows the statistics of ?period= (by default the year of the
// newest snapshot) to anyone.
func (s *server) statsPage(w http.ResponseWriter, r *http.Request) error {
	ctx, lang, q := r.Context(), langOf(r), r.URL.Query()
	st := s.acc.Stats
	latest, err := st.Latest(ctx)
	if err != nil {
		return err
	}
	d := statsData{Period: q.Get("period"), Latest: latest, Selected: q.Get("indicator")}
	if d.Period == "" && latest != "" {
		d.Period = latest[:4]
	}
	if d.Period == "" {
		return s.render(w, r, http.StatusOK, "stats", d)
	}
	t, err := st.Indicators(ctx, d.Period)
	if err != nil {
		return err
	}
	d.Days = t.Days
	names := map[string]string{}
	for _, in := range t.Indicators {
		names[in.Code] = pick(lang, in.NameZh, in.NameEn)
		d.Options = append(d.Options, statsOption{in.Code, names[in.Code]})
	}
	if _, ok := names[d.Selected]; !ok {
		d.Selected = stats.APICalls
	}
	d.Rows = statsRows(lang, t)
	if d.Trends, err = s.statsTrends(r, d.Period, names); err != nil {
		return err
	}
	d.Bars = statsBars(lang, t, d.Selected, names[d.Selected])
	if d.Years, d.Months, err = s.statsPeriods(r, d.Period); err != nil {
		return err
	}
	v := url.Values{"period": {d.Period}}
	d.JSON = "/api/v1/stats/indicators?" + v.Encode()
	v.Set("format", "csv")
	d.CSV = "/api/v1/stats/indicators?" + v.Encode()
	return s.render(w, r, http.StatusOK, "stats", d)
}

// statsRows are the indicators with their city-wide values ("—" without one).
func statsRows(lang string, t stats.Table) []statsRow {
	city := map[string]float64{}
	for _, v := range t.Values {
		if v.OrgID == stats.CityWide {
			city[v.Indicator] = v.Value
		}
	}
	var out []statsRow
	for _, in := range t.Indicators {
		row := statsRow{Code: in.Code, Name: pick(lang, in.NameZh, in.NameEn), Unit: i18n.T(lang, "stats.unit."+in.Unit),
			Value: "—", Kind: i18n.T(lang, "stats.kind."+in.Kind), How: pick(lang, in.HowZh, in.How), Direction: i18n.T(lang, "stats.direction.up")}
		if in.Direction < 0 {
			row.Direction = i18n.T(lang, "stats.direction.down")
		}
		if v, ok := city[in.Code]; ok {
			row.Value = formatNumber(v)
		}
		out = append(out, row)
	}
	return out
}

// statsTrends draws the city-wide daily values of the trend indicators.
func (s *server) statsTrends(r *http.Request, period string, names map[string]string) ([]datasetChart, error) {
	lang := langOf(r)
	var out []datasetChart
	for _, code := range trendIndicators {
		pts, err := s.acc.Stats.Series(r.Context(), period, stats.CityWide, code)
		if err != nil {
			return nil, err
		}
		data := make([]chartDatum, len(pts))
		for i, p := range pts {
			data[i] = chartDatum{Label: p.Day, Value: p.Value}
		}
		summary := i18n.T(lang, "stats.trend_empty")
		if len(data) > 0 {
			lo, hi := slices.MinFunc(data, compareValue), slices.MaxFunc(data, compareValue)
			summary = i18n.T(lang, "stats.trend_summary", data[0].Label, data[len(data)-1].Label, formatNumber(lo.Value),
				formatNumber(hi.Value), formatNumber(data[len(data)-1].Value))
		}
		out = append(out, lineFigure("trend-"+code, names[code], summary, [2]string{i18n.T(lang, "stats.day"), names[code]}, data))
	}
	return out, nil
}

func compareValue(a, b chartDatum) int { return cmp.Compare(a.Value, b.Value) }

// statsBars draws one indicator's period value per institution.
func statsBars(lang string, t stats.Table, code, name string) datasetChart {
	orgNames := map[string]string{}
	for _, o := range t.Orgs {
		orgNames[o.ID] = pick(lang, o.NameZh, o.NameEn)
	}
	var data []chartDatum
	for _, v := range t.Values {
		if v.Indicator == code && v.OrgID != stats.CityWide {
			data = append(data, chartDatum{Label: orgNames[v.OrgID], Value: v.Value})
		}
	}
	summary := i18n.T(lang, "stats.bars_summary", len(data))
	return barFigure("bars-"+code, i18n.T(lang, "stats.bars_title", name, t.Period), summary,
		[2]string{i18n.T(lang, "stats.institution"), name}, data, 15)
}

// statsPeriods lists the years with snapshots and the months of period's
// year that have some.
func (s *server) statsPeriods(r *http.Request, period string) (years, months []string, err error) {
	list, err := s.acc.Stats.Snapshots(r.Context(), "", "", 1000)
	if err != nil {
		return nil, nil, err
	}
	for _, snap := range list {
		if y := snap.Day[:4]; !slices.Contains(years, y) {
			years = append(years, y)
		}
		if m := snap.Day[:7]; snap.Day[:4] == period[:4] && !slices.Contains(months, m) {
			months = append(months, m)
		}
	}
	slices.Sort(months)
	return years, months, nil
}

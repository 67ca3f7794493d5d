package ui

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"dataport/internal/stats"
	"dataport/internal/stats/composite"
	"dataport/internal/web/ui/i18n"
)

// indexListData is the list of published years, with the publish form
// for whoever may publish.
type indexListData struct {
	Years      []stats.IndexSummary
	CanPublish bool
	Period     string // the form's year
	Errors     formErrors
}

// indexListPage lists the published years to anyone.
func (s *server) indexListPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.indexList(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "index_list", d)
}

func (s *server) indexList(r *http.Request) (indexListData, error) {
	years, err := s.acc.Stats.Indexes(r.Context())
	if err != nil {
		return indexListData{}, err
	}
	last := strconv.Itoa(time.Now().In(stats.Beijing).Year() - 1)
	return indexListData{Years: years, CanPublish: stats.CanPublishIndex(principal(r)), Period: last}, nil
}

// publishIndex publishes a year's index under the shipped method
// (platform operator); bad input shows the list again with the problem.
func (s *server) publishIndex(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	period := strings.TrimSpace(r.PostForm.Get("period"))
	rel, err := s.acc.Stats.PublishIndex(r.Context(), p, stats.PublishInput{Period: period})
	if err == nil {
		return seeOther(w, r, "/stats/index/"+rel.Period, "index_published")
	}
	errs := fieldErrors(err)
	if errs == nil {
		return err
	}
	d, lerr := s.indexList(r)
	if lerr != nil {
		return lerr
	}
	d.Period, d.Errors = period, newFormErrors(langOf(r), errs)
	return s.render(w, r, http.StatusUnprocessableEntity, "index_list", d)
}

// indexData is a year's published index.
type indexData struct {
	R        stats.IndexRelease
	Method   []indexFact
	Weights  []indexWeightRow
	Rows     []indexRow
	Unranked []indexRow
	Chart    rankChart
	JSONURL  string
	DataURL  string
	CSVURL   string
}

// indexFact is one line of the method's description.
type indexFact struct{ Label, Value string }

// indexWeightRow is an indicator of the method as the weights table shows it.
type indexWeightRow struct {
	Name, Code, Share, Direction, Transform string
	Excluded                                bool
}

// indexRow is an institution as the ranking table shows it.
type indexRow struct {
	Name, OrgID, Score, Coverage, Reason string
	Rank, RankMin, RankMax               int
}

// indexPage shows a published year's index to anyone.
func (s *server) indexPage(w http.ResponseWriter, r *http.Request) error {
	lang := langOf(r)
	rel, err := s.acc.Stats.Index(r.Context(), r.PathValue("period"))
	if err != nil {
		return err
	}
	d := indexData{R: rel, Method: methodFacts(lang, rel), JSONURL: "/api/v1/stats/index?period=" + rel.Period,
		DataURL: "/api/v1/stats/indicators?period=" + rel.Period, CSVURL: "/api/v1/stats/indicators?format=csv&period=" + rel.Period}
	for _, w := range rel.Weights() {
		row := indexWeightRow{Name: pick(lang, w.NameZh, w.NameEn), Code: w.Code, Share: percent(w.Share),
			Direction: i18n.T(lang, "index.direction."+strconv.Itoa(w.Direction)), Excluded: w.Excluded}
		if w.Transform != "" {
			row.Transform = i18n.T(lang, "index.transform."+w.Transform)
		}
		d.Weights = append(d.Weights, row)
	}
	for _, e := range rel.Entries() {
		d.Rows = append(d.Rows, indexRow{Name: indexOrgName(lang, e.NameZh, e.NameEn, e.OrgID), OrgID: e.OrgID,
			Score: strconv.FormatFloat(e.Score, 'f', 2, 64), Coverage: percent(e.Coverage), Rank: e.Rank, RankMin: e.RankMin, RankMax: e.RankMax})
	}
	for _, u := range rel.Unranked() {
		d.Unranked = append(d.Unranked, indexRow{Name: indexOrgName(lang, u.NameZh, u.NameEn, u.OrgID), OrgID: u.OrgID,
			Coverage: percent(u.Coverage), Reason: i18n.T(lang, "index.reason."+u.Reason)})
	}
	d.Chart = newRankChart(i18n.T(lang, "index.chart.title"), d.Rows)
	return s.render(w, r, http.StatusOK, "index_page", d)
}

// methodFacts describe rel's method in lang.
func methodFacts(lang string, rel stats.IndexRelease) []indexFact {
	m := rel.Method
	t := func(key string, args ...any) string { return i18n.T(lang, key, args...) }
	facts := []indexFact{
		{t("index.method.version"), m.Version},
		{t("index.method.normalisation"), t("index.normalisation." + m.Normalisation)},
		{t("index.method.aggregation"), t("index.aggregation." + m.Aggregation)},
		{t("index.method.coverage"), t("index.method.coverage_value", percent(m.MinCoverage))},
		{t("index.method.sensitivity"), t("index.method.sensitivity_value", m.Sensitivity.Runs, percent(m.Sensitivity.Jitter),
			m.Sensitivity.Seed)},
	}
	if m.Aggregation == composite.Geometric {
		facts[2].Value = t("index.aggregation.geometric", m.Floor)
	}
	if m.Sensitivity.Alternatives {
		facts = append(facts, indexFact{t("index.method.alternatives"), t("index.method.alternatives_value", m.Floor)})
	}
	if len(rel.Result.Excluded) > 0 {
		var codes []string
		for _, ex := range rel.Result.Excluded {
			codes = append(codes, ex.Code)
		}
		facts = append(facts, indexFact{t("index.method.excluded"), strings.Join(codes, ", ")})
	}
	return append(facts, indexFact{t("index.method.runs"), strconv.Itoa(rel.Result.Runs)})
}

// indexOrgName is an institution's name in lang, or its id when it has none.
func indexOrgName(lang, zh, en, id string) string {
	if name := pick(lang, zh, en); name != "" {
		return name
	}
	return id
}

// rankChart is the ranking's rank ranges as inline SVG: a row per ranked
// institution with its name, a line from its best to its worst rank under
// the sensitivity analysis and a dot at its published rank, on an axis
// from rank 1 (left) to the last rank (right).
type rankChart struct {
	Title  string
	Width  int
	Height int
	TickY  int
	Ticks  []rankTick
	Rows   []rankRow
}

type rankTick struct {
	X     int
	Label string
}

// rankRow is one institution, laid out.
type rankRow struct {
	Label                 string
	Summary               string // "1 (1–3)", for the hidden table
	LabelY, LineY, RangeY int
	AxisX1, AxisX2        int
	X1, X2, DotX, RangeW  int
}

// newRankChart lays out rows (in rank order).
func newRankChart(title string, rows []indexRow) rankChart {
	const row, left, right, axis = 34, 10, 10, 20
	c := rankChart{Title: title, Width: chartWidth, Height: max(len(rows), 1)*row + axis}
	c.TickY = c.Height - 4
	n := len(rows)
	x := func(rank int) int {
		if n <= 1 {
			return left
		}
		return left + (rank-1)*(chartWidth-left-right)/(n-1)
	}
	for i, r := range rows {
		y := i * row
		c.Rows = append(c.Rows, rankRow{Label: fmt.Sprintf("%d. %s", r.Rank, r.Name), LabelY: y + 12, LineY: y + 23, RangeY: y + 19,
			AxisX1: left, AxisX2: chartWidth - right,
			X1: x(r.RankMin), X2: x(r.RankMax), DotX: x(r.Rank), RangeW: x(r.RankMax) - x(r.RankMin),
			Summary: fmt.Sprintf("%d (%d–%d)", r.Rank, r.RankMin, r.RankMax)})
	}
	for _, k := range rankTicks(n) {
		c.Ticks = append(c.Ticks, rankTick{X: x(k), Label: strconv.Itoa(k)})
	}
	return c
}

// rankTicks are the ranks the axis labels: 1, the last and a few between.
func rankTicks(n int) []int {
	if n < 1 {
		return nil
	}
	step := max(1, (n+4)/5)
	var out []int
	for k := 1; k < n; k += step {
		out = append(out, k)
	}
	return append(out, n)
}

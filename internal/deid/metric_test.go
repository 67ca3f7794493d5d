package deid

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	"dataport/internal/validate"
)

// nodeResult is one lattice node evaluated on its own: whether it passes,
// and every metric with the rows it suppresses and with none suppressed.
type nodeResult struct {
	levels     []int
	ok         bool
	suppressed int
	metrics    map[string]float64
	unsupp     map[string]float64
	floor      float64 // Σ over classes of |E|·max(min(max(k, l), n), |E|)
}

// everyNode evaluates every node of the lattice independently of the
// search (strings and maps, no rollups, no bounds): k and distinct l with
// the rows of failing classes suppressed, and the metrics as metric.go
// defines them after ARX.
func everyNode(t *testing.T, tab Table, p Profile) []nodeResult {
	t.Helper()
	q, n := len(p.QuasiIdentifiers), len(tab.Rows)
	hs := make([]*Hierarchy, q)
	cols := make([]int, q)
	leaves := make([]map[[2]string]int, q) // (level, label) → distinct values under it
	domain := make([]int, q)
	for j, name := range p.QuasiIdentifiers {
		cols[j] = slices.Index(tab.Header, name)
		values := column(tab, cols[j])
		h, err := BuildHierarchy(p.Hierarchies[name], values, "")
		if err != nil {
			t.Fatal(err)
		}
		hs[j] = h
		leaves[j] = map[[2]string]int{}
		d := distinct(values)
		domain[j] = len(d)
		for l := range h.Height() {
			for _, v := range d {
				g, _ := h.Generalize(v, l)
				leaves[j][[2]string{fmt.Sprint(l), g}]++
			}
		}
	}
	sens := -1
	if len(p.Sensitive) > 0 {
		sens = slices.Index(tab.Header, p.Sensitive[0])
	}
	limit := int(math.Floor(p.MaxSuppression*float64(n) + 1e-9))
	minKept := float64(min(max(p.K, p.L, 1), n))
	var out []nodeResult
	levels := make([]int, q)
	var walk func(j int)
	walk = func(j int) {
		if j < q {
			for l := range hs[j].Height() {
				levels[j] = l
				walk(j + 1)
			}
			return
		}
		labels := make([][]string, n) // labels[i][j]
		keys := make([]string, n)
		size, values := map[string]int{}, map[string]map[string]bool{}
		for i, row := range tab.Rows {
			labels[i] = make([]string, q)
			for c, h := range hs {
				labels[i][c], _ = h.Generalize(row[cols[c]], levels[c])
			}
			keys[i] = strings.Join(labels[i], "\x00")
			size[keys[i]]++
			if sens >= 0 {
				if values[keys[i]] == nil {
					values[keys[i]] = map[string]bool{}
				}
				values[keys[i]][row[sens]] = true
			}
		}
		r := nodeResult{levels: slices.Clone(levels)}
		gone := make([]bool, n)
		for i := range tab.Rows {
			if size[keys[i]] < max(p.K, 1) || (p.L > 0 && len(values[keys[i]]) < p.L) {
				gone[i] = true
				r.suppressed++
			}
		}
		r.ok = r.suppressed <= limit
		r.metrics = bruteMetrics(tab, hs, cols, leaves, domain, levels, labels, keys, size, gone)
		r.unsupp = bruteMetrics(tab, hs, cols, leaves, domain, levels, labels, keys, size, make([]bool, n))
		for _, s := range size {
			r.floor += float64(s) * math.Max(minKept, float64(s))
		}
		out = append(out, r)
	}
	walk(0)
	return out
}

// bruteMetrics computes the four metrics of one node, gone marking the suppressed rows.
func bruteMetrics(tab Table, hs []*Hierarchy, cols []int, leaves []map[[2]string]int, domain, levels []int,
	labels [][]string, keys []string, size map[string]int, gone []bool) map[string]float64 {
	q, n := len(hs), float64(len(tab.Rows))
	loss, precision, dm, entropy := 0.0, 0.0, 0.0, 0.0
	suppressed := 0.0
	for i := range tab.Rows {
		if gone[i] {
			suppressed++
			loss += float64(q)
			precision += float64(q)
			dm += n
			continue
		}
		dm += float64(size[keys[i]])
		for c := range hs {
			if domain[c] > 1 {
				loss += float64(leaves[c][[2]string{fmt.Sprint(levels[c]), labels[i][c]}]-1) / float64(domain[c]-1)
			}
			if hs[c].Height() > 1 {
				precision += float64(levels[c]) / float64(hs[c].Height()-1)
			}
		}
	}
	for c := range hs {
		original, general, ofGone := map[string]float64{}, map[string]float64{}, map[string]float64{}
		for i, row := range tab.Rows {
			original[row[cols[c]]]++
			general[labels[i][c]]++
			if gone[i] {
				ofGone[labels[i][c]]++
			}
		}
		for i, row := range tab.Rows {
			entropy += math.Log2(general[labels[i][c]] / original[row[cols[c]]])
		}
		for _, x := range ofGone {
			entropy += x * math.Log2(suppressed/x)
		}
	}
	cells := n * float64(q)
	return map[string]float64{MetricLoss: loss / cells, MetricPrecision: precision / cells, MetricDiscernibility: dm, MetricEntropy: entropy}
}

// close reports whether the search's value (rounded to 6 places) is the exhaustive one.
func close(got, want float64) bool {
	return math.Abs(got-want) <= 1e-6*math.Max(1, math.Abs(want))
}

// metricCases are small lattices: census-like tables of 2–5
// quasi-identifiers, k alone or with distinct l, with and without room to
// suppress.
var metricCases = []struct {
	name       string
	rows       int
	seed       uint64
	qi         []string
	k, l       int
	supp       float64
	exhaustive bool // also run in -short
}{
	{"age sex, k=5, 2%", 400, 1, []string{"年龄", "性别"}, 5, 0, 0.02, true},
	{"age education region, k=3, 5%", 600, 2, []string{"年龄", "学历", "户籍地"}, 3, 0, 0.05, true},
	{"marital occupation employer, k=10, none", 500, 3, []string{"婚姻状况", "职业", "单位类型"}, 10, 0, 0, true},
	{"age sex education, k=2 l=2, 10%", 300, 4, []string{"年龄", "性别", "学历"}, 2, 2, 0.1, true},
	{"region ethnicity, k=4 l=3, 3%", 800, 5, []string{"户籍地", "民族"}, 4, 3, 0.03, true},
	{"age marital region, k=20, 20%", 400, 6, []string{"年龄", "婚姻状况", "户籍地"}, 20, 0, 0.2, true},
	{"age region, k=5, 90%", 300, 8, []string{"年龄", "户籍地"}, 5, 0, 0.9, true},
	{"k=5, five quasi-identifiers", 3000, 99, []string{"年龄", "性别", "婚姻状况", "学历", "户籍地"}, 5, 0, 0.05, false},
	{"k=10, no suppression", 2000, 99, []string{"年龄", "民族", "职业", "单位类型"}, 10, 0, 0, false},
	{"k=3 l=3", 2500, 99, []string{"年龄", "性别", "学历", "户籍地"}, 3, 3, 0.02, false},
}

// TestSearchIsOptimal compares, for every metric, the search's optimum
// with an exhaustive evaluation of every lattice node, and the report's
// metrics with the exhaustive ones of the node it chose.
func TestSearchIsOptimal(t *testing.T) {
	for _, test := range metricCases {
		t.Run(test.name, func(t *testing.T) {
			if testing.Short() && !test.exhaustive {
				t.Skip("a larger lattice")
			}
			tab, p := census(test.rows, test.seed)
			p.QuasiIdentifiers, p.K, p.L, p.MaxSuppression = test.qi, test.k, test.l, test.supp
			nodes := everyNode(t, tab, p)
			for _, metric := range Metrics {
				p.Metric = metric
				_, rep, err := Anonymize(tab, p, Options{})
				if err != nil {
					t.Fatal(err)
				}
				best, found := math.Inf(1), -1
				for i, r := range nodes {
					if r.ok && r.metrics[metric] < best {
						best = r.metrics[metric]
					}
					if r.ok && slices.Equal(r.levels, levelsIn(rep.Transformation, p.QuasiIdentifiers)) {
						found = i
					}
				}
				il := rep.InformationLoss
				if il.Metric != metric || !close(il.Value, best) {
					t.Errorf("%s: the search found %v at %v, an exhaustive evaluation %v", metric, il.Value, rep.Transformation, best)
				}
				if found < 0 {
					t.Fatalf("%s: the chosen node %v does not pass", metric, rep.Transformation)
				}
				want := nodes[found].metrics
				got := map[string]float64{MetricLoss: il.Granularity, MetricPrecision: il.GeneralizationIntensity,
					MetricDiscernibility: il.Discernibility, MetricEntropy: il.Entropy}
				for _, m := range Metrics {
					if !close(got[m], want[m]) {
						t.Errorf("%s: the report's %s is %v, an exhaustive evaluation of %v gives %v", metric, m, got[m], rep.Transformation, want[m])
					}
				}
				if rep.Suppressed != nodes[found].suppressed {
					t.Errorf("%s: %d rows suppressed, the exhaustive evaluation %d", metric, rep.Suppressed, nodes[found].suppressed)
				}
			}
		})
	}
}

func levelsIn(tr map[string]int, qi []string) []int {
	out := make([]int, len(qi))
	for j, name := range qi {
		out[j] = tr[name]
	}
	return out
}

// TestMetricBounds checks, on every pair of nodes of the small lattices,
// the properties the search prunes on, and that none of the metrics is
// monotone (so that a search assuming it would miss the optimum): a
// passing node's metric is at least its bound without suppression; for
// loss, precision and entropy its excess over that bound is at most the
// excess of every passing node below it; a passing node's discernibility
// is at least the dmFloor sum of every node below it, and at least what
// the rows suppressed at a passing node above it imply.
func TestMetricBounds(t *testing.T) {
	drops := map[string]int{}
	for _, test := range metricCases {
		if !test.exhaustive {
			continue
		}
		tab, p := census(test.rows, test.seed)
		p.QuasiIdentifiers, p.K, p.L, p.MaxSuppression = test.qi, test.k, test.l, test.supp
		nodes := everyNode(t, tab, p)
		for _, hi := range nodes {
			if !hi.ok {
				continue
			}
			for _, m := range []string{MetricLoss, MetricPrecision, MetricEntropy} {
				if hi.metrics[m] < hi.unsupp[m]-1e-9 {
					t.Errorf("%s %v: %s %v below its bound %v", test.name, hi.levels, m, hi.metrics[m], hi.unsupp[m])
				}
			}
			for _, lo := range nodes {
				if !below(lo.levels, hi.levels) || slices.Equal(lo.levels, hi.levels) {
					continue
				}
				if hi.metrics[MetricDiscernibility] < lo.floor {
					t.Errorf("%s: discernibility %v at %v below the floor %v of %v", test.name, hi.metrics[MetricDiscernibility], hi.levels, lo.floor, lo.levels)
				}
				if !lo.ok {
					continue
				}
				for _, m := range Metrics {
					if lo.metrics[m] > hi.metrics[m]+1e-9 {
						drops[m]++
					}
					if m == MetricDiscernibility {
						n, sup := float64(test.rows), float64(hi.suppressed)
						if floor := n*sup + (n-sup)*float64(min(max(test.k, test.l), test.rows)); lo.metrics[m] < floor {
							t.Errorf("%s: discernibility %v at %v below %v, what %d rows suppressed at %v imply", test.name, lo.metrics[m], lo.levels, floor, hi.suppressed, hi.levels)
						}
						continue
					}
					if ex, below := hi.metrics[m]-hi.unsupp[m], lo.metrics[m]-lo.unsupp[m]; below < ex-1e-9 {
						t.Errorf("%s: %s excess %v at %v, %v at %v below it", test.name, m, ex, hi.levels, below, lo.levels)
					}
				}
			}
		}
	}
	t.Logf("pairs of passing nodes where generalising further lowers the metric: %v", drops)
	for _, m := range Metrics {
		if drops[m] == 0 {
			t.Errorf("%s is monotone on every test lattice: the test does not show that the search copes with non-monotone metrics", m)
		}
	}
}

// TestMetricReport checks the report's information loss on a run with
// the default metric: the loss the report carried before, and the same
// transformation whichever metric is only reported.
func TestMetricReport(t *testing.T) {
	tab, p := census(2000, 7)
	p.QuasiIdentifiers = []string{"年龄", "性别", "学历"}
	_, rep, err := Anonymize(tab, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	il := rep.InformationLoss
	if il.Metric != MetricLoss || il.Value != il.Granularity || il.Value <= 0 || il.GeneralizationIntensity <= 0 || il.Discernibility < 2000*5 || il.Entropy <= 0 {
		t.Errorf("information loss %+v", il)
	}
	p.Metric = MetricLoss
	_, again, err := Anonymize(tab, p, Options{})
	if err != nil || again.InformationLoss != il || !maps.Equal(again.Transformation, rep.Transformation) {
		t.Errorf("an explicit \"loss\" gives %+v %v, the default %+v %v (%v)", again.InformationLoss, again.Transformation, il, rep.Transformation, err)
	}
}

func TestProfileMetric(t *testing.T) {
	for _, m := range Metrics {
		if _, err := ParseProfile([]byte(`{"k":2,"metric":"` + m + `"}`)); err != nil {
			t.Errorf("%s: %v", m, err)
		}
	}
	_, err := ParseProfile([]byte(`{"k":2,"metric":"height"}`))
	var verrs validate.Errors
	if !errors.As(err, &verrs) || len(verrs) != 1 || verrs[0].Field != "metric" || verrs[0].Code != validate.CodeOneOf || verrs[0].Value != "height" {
		t.Errorf("an unknown metric: %#v", err)
	}
}

package composite

import (
	"errors"
	"math"
	"testing"

	"dataport/internal/validate"

	"github.com/google/go-cmp/cmp"
)

// method is a min-max arithmetic method over a (weight 2), b (weight 1)
// and c (weight 1, less is better), without sensitivity runs.
func method() Method {
	return Method{Version: "t", Normalisation: MinMax, Aggregation: Arithmetic, Floor: 0.1, MinCoverage: 0.5,
		Indicators: []Weighted{{Code: "a", Weight: 2, Direction: 1}, {Code: "b", Weight: 1, Direction: 1},
			{Code: "c", Weight: 1, Direction: -1}}}
}

type brief struct {
	Unit             string
	Score            float64
	Rank, Min, Max   int
	Coverage         float64
	NormalisedValues int
}

func briefs(r Result) []brief {
	out := make([]brief, len(r.Scores))
	for i, s := range r.Scores {
		out[i] = brief{s.Unit, s.Score, s.Rank, s.RankMin, s.RankMax, s.Coverage, len(s.Normalised)}
	}
	return out
}

func TestComputeByHand(t *testing.T) {
	in := Input{
		"x": {"a": 10, "b": 5, "c": 1},
		"y": {"a": 0, "b": 10, "c": 3},
		"z": {"a": 5, "b": 0, "c": 2},
	}
	tests := []struct {
		name   string
		change func(*Method)
		want   []brief
	}{
		// a: x 1, y 0, z .5; b: x .5, y 1, z 0; c (reversed): x 1, y 0, z .5.
		// x = (2·1 + .5 + 1)/4 = .875; y = (0 + 1 + 0)/4 = .25; z = (1 + 0 + .5)/4 = .375.
		{"min-max arithmetic", func(*Method) {}, []brief{
			{"x", 87.5, 1, 1, 1, 1, 3}, {"z", 37.5, 2, 2, 2, 1, 3}, {"y", 25, 3, 3, 3, 1, 3}}},
		// g = .1 + .9n: x: a 1, b .55, c 1; y: a .1, b 1, c .1; z: a .55, b .1, c .55.
		{"min-max geometric (a zero becomes the floor)", func(m *Method) { m.Aggregation = Geometric }, []brief{
			{"x", round(100 * math.Exp((2*math.Log(1)+math.Log(.55)+math.Log(1))/4)), 1, 1, 1, 1, 3},
			{"z", round(100 * math.Exp((2*math.Log(.55)+math.Log(.1)+math.Log(.55))/4)), 2, 2, 2, 1, 3},
			{"y", round(100 * math.Exp((2*math.Log(.1)+math.Log(1)+math.Log(.1))/4)), 3, 3, 3, 1, 3}}},
		// z of (1, 0, .5) is (1.2247, -1.2247, 0); of b (.5, 1, 0) (0, 1.2247, -1.2247).
		{"z-score arithmetic", func(m *Method) { m.Normalisation = ZScore }, []brief{
			{"x", round((2*math.Sqrt(1.5) + 0 + math.Sqrt(1.5)) / 4), 1, 1, 1, 1, 3},
			{"z", round((0 - math.Sqrt(1.5) + 0) / 4), 2, 2, 2, 1, 3},
			{"y", round((-2*math.Sqrt(1.5) + math.Sqrt(1.5) - math.Sqrt(1.5)) / 4), 3, 3, 3, 1, 3}}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			m := method()
			test.change(&m)
			res, err := Compute(m, in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(test.want, briefs(res), cmp.Comparer(close)); diff != "" {
				t.Errorf("scores (-want +got):\n%s", diff)
			}
			if res.Runs != 1 || len(res.Unranked) != 0 || len(res.Excluded) != 0 {
				t.Errorf("runs %d, unranked %v, excluded %v", res.Runs, res.Unranked, res.Excluded)
			}
		})
	}
}

func close(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestComputeMissingConstantAndTies(t *testing.T) {
	in := Input{
		"p": {"a": 4, "b": 7, "c": 1},
		"q": {"a": 4, "b": 7, "c": 1},  // ties p
		"r": {"a": 0, "c": 1},          // no b: a and c only, weights renormalised
		"s": {"b": 9},                  // coverage 1/4 < .5: not ranked
		"t": {"a": math.NaN(), "b": 1}, // NaN is missing: coverage 1/4
		"u": {},
	}
	res, err := Compute(method(), in)
	if err != nil {
		t.Fatal(err)
	}
	// c is 1 for every ranked unit: constant, left out. a: p, q 1, r 0.
	// b over p, q: 7 and 7 — constant too. So only a counts.
	want := []brief{{"p", 100, 1, 1, 1, 1, 1}, {"q", 100, 1, 1, 1, 1, 1}, {"r", 0, 3, 3, 3, 0.75, 1}}
	if diff := cmp.Diff(want, briefs(res)); diff != "" {
		t.Errorf("scores (-want +got):\n%s", diff)
	}
	wantUnranked := []Unranked{{"s", ReasonCoverage, 0.25}, {"t", ReasonCoverage, 0.25}, {"u", ReasonCoverage, 0}}
	if diff := cmp.Diff(wantUnranked, res.Unranked); diff != "" {
		t.Errorf("unranked (-want +got):\n%s", diff)
	}
	wantExcluded := []Excluded{{"b", ReasonConstant}, {"c", ReasonConstant}}
	if diff := cmp.Diff(wantExcluded, res.Excluded); diff != "" {
		t.Errorf("excluded (-want +got):\n%s", diff)
	}
}

func TestComputeUnitWithOnlyConstantIndicators(t *testing.T) {
	m := method()
	m.MinCoverage = 0
	in := Input{"p": {"a": 1, "c": 5}, "q": {"a": 2, "c": 5}, "r": {"c": 5}}
	res, err := Compute(m, in)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Unranked{{"r", ReasonNoIndicator, 0.25}}, res.Unranked); diff != "" {
		t.Errorf("unranked (-want +got):\n%s", diff)
	}
	if len(res.Scores) != 2 || res.Scores[0].Unit != "q" {
		t.Errorf("scores %+v", res.Scores)
	}
}

func TestComputeLog1p(t *testing.T) {
	m := method()
	m.Indicators = []Weighted{{Code: "a", Weight: 1, Direction: 1, Transform: Log1p}}
	res, err := Compute(m, Input{"p": {"a": 0}, "q": {"a": math.E - 1}, "r": {"a": math.E*math.E - 1}, "s": {"a": -3}})
	if err != nil {
		t.Fatal(err)
	}
	want := []brief{{"r", 100, 1, 1, 1, 1, 1}, {"q", 50, 2, 2, 2, 1, 1}, {"p", 0, 3, 3, 3, 1, 1}}
	if diff := cmp.Diff(want, briefs(res), cmp.Comparer(close)); diff != "" {
		t.Errorf("scores (-want +got):\n%s", diff)
	}
	if len(res.Unranked) != 1 || res.Unranked[0].Unit != "s" {
		t.Errorf("a negative count under log1p is missing: unranked %+v", res.Unranked)
	}
}

// TestSensitivity checks that the ranges hold the published ranks, that
// close units swap under perturbed weights while a dominant one does not,
// and that the same seed gives the same ranges.
func TestSensitivity(t *testing.T) {
	m := method()
	m.Sensitivity = Sensitivity{Runs: 500, Jitter: 0.5, Seed: 42, Alternatives: true}
	in := Input{
		"best":  {"a": 10, "b": 10, "c": 0},
		"left":  {"a": 6.5, "b": 2, "c": 5},
		"right": {"a": 4, "b": 6, "c": 5},
		"worst": {"a": 0, "b": 0, "c": 10},
	}
	res, err := Compute(m, in)
	if err != nil {
		t.Fatal(err)
	}
	if res.Runs != 1+500+2 {
		t.Errorf("runs %d, want 503", res.Runs)
	}
	got := map[string][2]int{}
	for _, s := range res.Scores {
		if s.RankMin > s.Rank || s.Rank > s.RankMax {
			t.Errorf("%s: rank %d outside [%d, %d]", s.Unit, s.Rank, s.RankMin, s.RankMax)
		}
		got[s.Unit] = [2]int{s.RankMin, s.RankMax}
	}
	want := map[string][2]int{"best": {1, 1}, "left": {2, 3}, "right": {2, 3}, "worst": {4, 4}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rank ranges (-want +got):\n%s", diff)
	}
	again, _ := Compute(m, in)
	if diff := cmp.Diff(res, again); diff != "" {
		t.Errorf("same seed, other result:\n%s", diff)
	}
}

// TestSplitMix64 pins the generator to the published reference values
// (seed 1234567, from the algorithm's reference implementation), which the
// recomputation in other languages must draw too.
func TestSplitMix64(t *testing.T) {
	g := splitMix64{state: 1234567}
	want := []uint64{6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431, 16408922859458223821}
	for i, w := range want {
		if got := g.next(); got != w {
			t.Errorf("draw %d: %d, want %d", i, got, w)
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Method)
		fields []string
	}{
		{"good", func(*Method) {}, nil},
		{"unknown normalisation and aggregation", func(m *Method) { m.Normalisation, m.Aggregation = "rank", "median" },
			[]string{"normalisation", "aggregation"}},
		{"geometric z-scores", func(m *Method) { m.Normalisation, m.Aggregation = ZScore, Geometric }, []string{"aggregation"}},
		{"geometric without a floor", func(m *Method) { m.Aggregation, m.Floor = Geometric, 0 }, []string{"floor"}},
		{"coverage above 1", func(m *Method) { m.MinCoverage = 1.5 }, []string{"min_coverage"}},
		{"no indicators", func(m *Method) { m.Indicators = nil }, []string{"indicators"}},
		{"bad indicators", func(m *Method) {
			m.Indicators = []Weighted{{Code: "a", Weight: 0, Direction: 1}, {Code: "a", Weight: 1, Direction: 0},
				{Code: "", Weight: math.NaN(), Direction: 1, Transform: "sqrt"}}
		}, []string{"indicators[0].weight", "indicators[1].code", "indicators[1].direction", "indicators[2].code",
			"indicators[2].weight", "indicators[2].transform"}},
		{"bad sensitivity", func(m *Method) { m.Sensitivity = Sensitivity{Runs: MaxRuns + 1, Jitter: 1} },
			[]string{"sensitivity.runs", "sensitivity.jitter"}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			m := method()
			test.change(&m)
			err := Check(m)
			fields, _ := validate.Fields(err)
			if diff := cmp.Diff(test.fields, fields, cmp.Transformer("sorted", sortedCopy)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			if _, cerr := Compute(m, Input{"x": {"a": 1}}); (cerr == nil) != (err == nil) || (err != nil && !errors.As(cerr, new(validate.Errors))) {
				t.Errorf("Compute's error %v, Check's %v", cerr, err)
			}
		})
	}
}

func sortedCopy(s []string) map[string]int {
	out := map[string]int{}
	for _, x := range s {
		out[x]++
	}
	return out
}

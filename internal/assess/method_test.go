package assess_test

import (
	"testing"

	"dataport/internal/assess"

	"github.com/google/go-cmp/cmp"
)

// TestMatrix checks the matrix against its definition: the 25 values once
// each, never lower when either factor rises, and the bands of the
// standard's example.
func TestMatrix(t *testing.T) {
	want := [5][5]int{
		{1, 3, 5, 8, 10},
		{2, 7, 12, 14, 17},
		{4, 11, 15, 19, 21},
		{6, 13, 18, 22, 24},
		{9, 16, 20, 23, 25},
	}
	seen := map[int]bool{}
	for a := 1; a <= 5; a++ {
		for b := 1; b <= 5; b++ {
			v := assess.Matrix(a, b)
			if v != want[a-1][b-1] {
				t.Errorf("Matrix(%d, %d) = %d, want %d", a, b, v, want[a-1][b-1])
			}
			seen[v] = true
			if a < 5 && assess.Matrix(a+1, b) <= v || b < 5 && assess.Matrix(a, b+1) <= v {
				t.Errorf("Matrix does not rise from (%d, %d)", a, b)
			}
		}
	}
	if len(seen) != 25 {
		t.Errorf("%d distinct values, want 25", len(seen))
	}
	for _, test := range []struct{ value, grade, level int }{{1, 1, 1}, {5, 1, 1}, {6, 2, 1}, {7, 2, 2}, {12, 3, 2}, {13, 3, 3},
		{18, 4, 3}, {19, 4, 4}, {22, 5, 4}, {23, 5, 5}, {25, 5, 5}} {
		if g, l := assess.Band(test.value, assess.GradeBands), assess.Band(test.value, assess.LevelBands); g != test.grade || l != test.level {
			t.Errorf("value %d: grade %d, level %d; want %d, %d", test.value, g, l, test.grade, test.level)
		}
	}
}

// TestCompute works the method's example by hand: an asset of value 4, a
// threat of likelihood 3 and a vulnerability of severity 4 give an event
// likelihood of Matrix(3,4) = 19 → 4, a loss of Matrix(4,4) = 22 → 5 and a
// risk of Matrix(4,5) = 24, very high; an effective measure lowers the
// severity to 3: 15 → 3, 18 → 4, Matrix(3,4) = 19, high. A vulnerability
// naming an unknown asset has no risk.
func TestCompute(t *testing.T) {
	items := assess.Items{
		Assets:  []assess.Asset{{Code: "A1", Value: 4}},
		Threats: []assess.Threat{{Code: "T1", Likelihood: 3}},
		Vulnerabilities: []assess.Vulnerability{{Code: "V1", Asset: "A1", Threat: "T1", Severity: 4},
			{Code: "V2", Asset: "A1", Threat: "T1", Severity: 4}, {Code: "V3", Asset: "A9", Threat: "T1", Severity: 5}},
		Measures: []assess.Measure{{Code: "M1", Effective: true, Vulnerabilities: []string{"V2"}},
			{Code: "M2", Effective: false, Vulnerabilities: []string{"V1"}}},
	}
	want := []assess.Risk{
		{Vulnerability: "V1", Asset: "A1", Threat: "T1", AssetValue: 4, Likelihood: 3, Severity: 4, Residual: 4, Measures: []string{},
			EventLikelihood: 4, EventLoss: 5, Value: 24, Level: assess.LevelVeryHigh},
		{Vulnerability: "V2", Asset: "A1", Threat: "T1", AssetValue: 4, Likelihood: 3, Severity: 4, Residual: 3, Measures: []string{"M1"},
			EventLikelihood: 3, EventLoss: 4, Value: 19, Level: assess.LevelHigh},
	}
	got := assess.Compute(items)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("risks (-want +got):\n%s", diff)
	}
	if assess.HighestLevel(got) != assess.LevelVeryHigh || assess.HighestLevel(nil) != 0 {
		t.Errorf("highest level %d", assess.HighestLevel(got))
	}
}

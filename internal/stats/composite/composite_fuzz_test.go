package composite

import (
	"encoding/binary"
	"math"
	"strconv"
	"testing"

	"dataport/internal/fuzztest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzCompute feeds Compute arbitrary values (NaN, infinities, huge and
// tiny numbers, missing cells, ties) under every method shape: it must
// not panic or hang, must give the same result twice, and every ranked
// unit must have a finite score (0–100 under min-max) and a rank within
// its range, ranks in order and competition-style.
func FuzzCompute(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, uint8(0), uint8(3), uint16(20), 0.3, uint64(1))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xf0, 0, 0, 0, 0, 0, 0}, uint8(2), uint8(2), uint16(5), 0.9, uint64(7))
	f.Add([]byte("\x7f\xef\xff\xff\xff\xff\xff\xff\xff\xef\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x01"),
		uint8(5), uint8(1), uint16(3), 0.5, uint64(99))
	f.Fuzz(func(t *testing.T, data []byte, shape, nind uint8, runs uint16, jitter float64, seed uint64) {
		m, in := fuzzCase(data, shape, nind, runs, jitter, seed)
		var res, again Result
		var err, err2 error
		fuzztest.Within(t, "Compute", func() { res, err = Compute(m, in) })
		if err != nil {
			if Check(m) == nil {
				t.Fatalf("Compute refused a method Check accepts: %v", err)
			}
			return
		}
		fuzztest.Within(t, "Compute", func() { again, err2 = Compute(m, in) })
		if err2 != nil || !cmp.Equal(res, again, cmpopts.EquateNaNs()) {
			t.Fatalf("not deterministic: %v", err2)
		}
		checkResult(t, m, in, res)
	})
}

// fuzzCase builds a method and an input from fuzz arguments: up to 8
// units and nind%5+1 indicators, each value 8 bytes of data (a missing
// cell when the data runs out or its first byte is 0x00 and second 0xff).
func fuzzCase(data []byte, shape, nind uint8, runs uint16, jitter float64, seed uint64) (Method, Input) {
	m := Method{Version: "fuzz", Normalisation: []string{MinMax, ZScore}[shape%2],
		Aggregation: []string{Arithmetic, Geometric}[shape/2%2], Floor: 0.05, MinCoverage: float64(shape/4%4) / 4,
		Sensitivity: Sensitivity{Runs: int(runs % 64), Jitter: jitter, Seed: seed, Alternatives: shape&16 != 0}}
	if m.Aggregation == Geometric {
		m.Normalisation = MinMax
	}
	if math.IsNaN(jitter) || jitter < 0 || jitter >= 1 {
		m.Sensitivity.Jitter = 0.5
	}
	for i := range int(nind%5) + 1 {
		ind := Weighted{Code: "i" + strconv.Itoa(i), Weight: float64(i%3 + 1), Direction: 1 - 2*(i%2)}
		if shape&32 != 0 && i == 0 {
			ind.Transform = Log1p
		}
		m.Indicators = append(m.Indicators, ind)
	}
	in := Input{}
	for u := range 8 {
		unit := "u" + strconv.Itoa(u)
		in[unit] = map[string]float64{}
		for i, ind := range m.Indicators {
			k := (u*len(m.Indicators) + i) * 8
			if k+8 > len(data) || (data[k] == 0 && data[k+1] == 0xff) {
				continue
			}
			in[unit][ind.Code] = math.Float64frombits(binary.BigEndian.Uint64(data[k:]))
		}
	}
	return m, in
}

func checkResult(t *testing.T, m Method, in Input, res Result) {
	t.Helper()
	if len(res.Scores)+len(res.Unranked) != len(in) {
		t.Fatalf("%d scored and %d unranked of %d units", len(res.Scores), len(res.Unranked), len(in))
	}
	for k, s := range res.Scores {
		if math.IsNaN(s.Score) || math.IsInf(s.Score, 0) {
			t.Fatalf("%s: score %v", s.Unit, s.Score)
		}
		if m.Normalisation == MinMax && (s.Score < 0 || s.Score > 100) {
			t.Fatalf("%s: min-max score %v outside 0–100", s.Unit, s.Score)
		}
		if s.RankMin < 1 || s.RankMin > s.Rank || s.Rank > s.RankMax || s.RankMax > len(res.Scores) {
			t.Fatalf("%s: rank %d, range [%d, %d] of %d", s.Unit, s.Rank, s.RankMin, s.RankMax, len(res.Scores))
		}
		if k > 0 {
			prev := res.Scores[k-1]
			if prev.Score < s.Score || (prev.Score == s.Score) != (prev.Rank == s.Rank) {
				t.Fatalf("order: %+v before %+v", prev, s)
			}
		}
		if (k == 0 && s.Rank != 1) || (k > 0 && s.Rank != res.Scores[k-1].Rank && s.Rank != k+1) {
			t.Fatalf("%s at %d has rank %d (competition ranks)", s.Unit, k, s.Rank)
		}
	}
}

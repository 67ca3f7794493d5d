package zones

import (
	"testing"

	"dataport/internal/zones/zsql"
)

// An earlier release of the same table — same rows, predicate, grouping,
// released cells and person counts — needs no overlap counted; anything
// else does.
func TestSamePartition(t *testing.T) {
	plan := func(where string, groups ...string) *zsql.Plan {
		p := &zsql.Plan{From: `"r" AS "t1"`, Where: where}
		for _, g := range groups {
			p.Groups = append(p.Groups, zsql.Group{Name: g, Expr: `"t1"."` + g + `"`})
		}
		return p
	}
	cells := func(ns ...int64) []storedCell {
		out := make([]storedCell, len(ns))
		for i, n := range ns {
			out[i] = storedCell{Key: []any{string(rune('a' + i))}, N: n}
		}
		return out
	}
	run := &queryRun{plan: plan(`"t1"."age" > 60`, "district"), released: cells(40, 25, 12)}
	for _, c := range []struct {
		name string
		e    earlierRelease
		same bool
	}{
		{"the same table", earlierRelease{plan: plan(`"t1"."age" > 60`, "district"), cells: cells(40, 25, 12)}, true},
		{"another predicate", earlierRelease{plan: plan(`"t1"."age" > 61`, "district"), cells: cells(40, 25, 12)}, false},
		{"another grouping", earlierRelease{plan: plan(`"t1"."age" > 60`, "sex"), cells: cells(40, 25, 12)}, false},
		{"another count", earlierRelease{plan: plan(`"t1"."age" > 60`, "district"), cells: cells(40, 25, 11)}, false},
		{"a cell fewer", earlierRelease{plan: plan(`"t1"."age" > 60`, "district"), cells: cells(40, 25)}, false},
		{"another From", earlierRelease{plan: &zsql.Plan{From: `"s" AS "t1"`, Where: `"t1"."age" > 60`,
			Groups: []zsql.Group{{Name: "district", Expr: `"t1"."district"`}}}, cells: cells(40, 25, 12)}, false},
	} {
		if got := samePartition(run, c.e); got != c.same {
			t.Errorf("%s: samePartition = %v, want %v", c.name, got, c.same)
		}
	}
}

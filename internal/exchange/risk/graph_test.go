package risk

import (
	"fmt"
	"testing"
	"time"

	"dataport/internal/exchange"
)

// TestCycleDetection builds trade graphs and checks which new trade closes
// a circular trade: among related parties, across groups, through a
// derivative, and not for linear trades, trades outside the window or of
// other product families.
func TestCycleDetection(t *testing.T) {
	day := 24 * time.Hour
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	lim := searchLimits{window: 30 * day, maxDepth: 8, maxEdges: 10000}
	type trade struct {
		from, to, product string
		lineage           []string
		at                time.Duration
	}
	tests := []struct {
		name      string
		relations [][2]string
		before    []trade
		closing   trade
		want      bool
		length    int
	}{
		{name: "three related parties in a ring", relations: [][2]string{{"x", "y"}, {"y", "z"}},
			before: []trade{{"x", "y", "p", nil, 0}, {"y", "z", "p", nil, day}}, closing: trade{"z", "x", "p", nil, 2 * day}, want: true, length: 3},
		{name: "related parties passing a product along is no ring", relations: [][2]string{{"x", "y"}, {"y", "z"}},
			before: []trade{{"x", "y", "p", nil, 0}}, closing: trade{"y", "z", "p", nil, day}},
		{name: "unrelated linear trades", before: []trade{{"a", "b", "p", nil, 0}, {"b", "c", "p", nil, day}},
			closing: trade{"c", "d", "p", nil, 2 * day}},
		{name: "back to a related party of the first seller", relations: [][2]string{{"a", "a2"}},
			before: []trade{{"a", "b", "p", nil, 0}, {"b", "c", "p", nil, day}}, closing: trade{"c", "a2", "p", nil, 2 * day}, want: true, length: 3},
		{name: "onward from a related party of the buyer", relations: [][2]string{{"b", "b2"}},
			before: []trade{{"a", "b", "p", nil, 0}}, closing: trade{"b2", "a", "p", nil, day}, want: true, length: 2},
		{name: "a derivative closes the cycle", before: []trade{{"a", "b", "p", nil, 0}, {"b", "c", "p", nil, day}},
			closing: trade{"c", "a", "d", []string{"p"}, 2 * day}, want: true, length: 3},
		{name: "another product does not", before: []trade{{"a", "b", "p", nil, 0}, {"b", "c", "p", nil, day}},
			closing: trade{"c", "a", "q", nil, 2 * day}},
		{name: "a trade outside the window does not", before: []trade{{"a", "b", "p", nil, 0}, {"b", "c", "p", nil, 40 * day}},
			closing: trade{"c", "a", "p", nil, 41 * day}},
		{name: "a product derived from two joins their families and their trades", before: []trade{{"a", "b", "p", nil, 0}, {"b", "c", "q", nil, day}},
			closing: trade{"c", "a", "d", []string{"p", "q"}, 2 * day}, want: true, length: 3},
		{name: "two derivatives of one product are one family", before: []trade{{"a", "b", "d1", []string{"p"}, 0}},
			closing: trade{"b", "a", "d2", []string{"p"}, day}, want: true, length: 2},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			g := newGraph()
			var rels []exchange.Relation
			for _, r := range test.relations {
				rels = append(rels, exchange.Relation{ParticipantID: r[0], OtherID: r[1], Kind: exchange.RelationController})
			}
			for i, tr := range test.before {
				g.add(Trade{ContractID: fmt.Sprint("c", i), ProductID: tr.product, Lineage: tr.lineage, ProviderID: tr.from, BuyerID: tr.to,
					At: t0.Add(tr.at)})
			}
			g.setRelations(rels)
			c := test.closing
			got := g.cycle(Trade{ContractID: "new", ProductID: c.product, Lineage: c.lineage, ProviderID: c.from, BuyerID: c.to, At: t0.Add(c.at)}, lim)
			if got.Found != test.want || got.Length != test.length {
				t.Fatalf("cycle %+v, want found %v of %d trades", got, test.want, test.length)
			}
			if got.Found && (got.ContractIDs[0] != "new" || len(got.ContractIDs) != test.length || got.Key == "") {
				t.Errorf("evidence %+v", got)
			}
		})
	}
}

// TestCycleKeyIsTheSameWhicheverTradeCloses: the key of a ring names its
// family and groups, so that the alert of one ring gathers its repeats.
func TestCycleKeyIsTheSameWhicheverTradeCloses(t *testing.T) {
	t0 := time.Now()
	lim := searchLimits{window: time.Hour, maxDepth: 8, maxEdges: 100}
	keys := map[string]bool{}
	for _, order := range [][3][2]string{{{"a", "b"}, {"b", "c"}, {"c", "a"}}, {{"b", "c"}, {"c", "a"}, {"a", "b"}}} {
		g := newGraph()
		g.setRelations(nil)
		for i, tr := range order[:2] {
			g.add(Trade{ContractID: fmt.Sprint(i), ProductID: "p", ProviderID: tr[0], BuyerID: tr[1], At: t0})
		}
		c := g.cycle(Trade{ContractID: "x", ProductID: "p", ProviderID: order[2][0], BuyerID: order[2][1], At: t0}, lim)
		if !c.Found {
			t.Fatalf("no cycle for %v", order)
		}
		keys[c.Key] = true
	}
	if len(keys) != 1 {
		t.Errorf("keys %v, want one", keys)
	}
}

// TestCycleSearchIsBounded: a search that would read more trades than its
// bound stops and says so.
func TestCycleSearchIsBounded(t *testing.T) {
	g := newGraph()
	t0 := time.Now()
	for i := range 50 {
		g.add(Trade{ContractID: fmt.Sprint(i), ProductID: "p", ProviderID: "hub", BuyerID: fmt.Sprint("b", i), At: t0})
	}
	g.add(Trade{ContractID: "z", ProductID: "p", ProviderID: "y", BuyerID: "z", At: t0})
	g.setRelations(nil)
	c := g.cycle(Trade{ContractID: "x", ProductID: "p", ProviderID: "z", BuyerID: "hub", At: t0},
		searchLimits{window: time.Hour, maxDepth: 8, maxEdges: 10})
	if c.Found || !c.Truncated {
		t.Errorf("cycle %+v, want truncated", c)
	}
}

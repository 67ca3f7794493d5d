package risk

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"time"

	"dataport/internal/exchange"
)

// The trade graph: a node per participant, an edge per trade from the
// provider to the buyer, kept per product family (a product and every
// product derived from it, directly or not, and what those derive from).
// Related parties (shared legal representative, shareholder, controller)
// form groups. A circular trade is a closed walk of two or more trades of
// one family within the window:
//   - across groups, where a product bought by one party may go on from any
//     party related to it, and the walk comes back to the first seller's
//     group after passing through another; or
//   - party to party, where each trade's seller is the previous trade's
//     buyer and the last buyer is the first seller (three related parties
//     trading in a ring: X → Y → Z → X).
//
// Every earlier cycle was found when its last trade came, so a new trade
// A → B only asks whether B's side can reach A's within the family and the
// window: a breadth-first search bounded in depth and in edges read.

// edge is one trade in the graph.
type edge struct {
	to       int32 // the buyer
	at       int64 // unix nanoseconds
	contract int32 // index into graph.contracts
}

// family holds the trades of one product family by seller, each list in
// time order.
type family struct {
	out map[int32][]edge
}

// graph is the in-memory trade graph. It is not safe for concurrent use:
// the Engine guards it.
type graph struct {
	parts     interner        // participants
	prods     interner        // products
	contracts []string        // contract ids by index
	known     map[string]bool // contract ids in the graph
	latest    time.Time       // the latest trade's time
	products  []int32         // product index of each contract
	fam       unionFind
	families  map[int32]*family // family root → trades
	lineage   map[int32]bool    // products whose lineage was joined in
	groups    unionFind         // related parties; rebuilt from the relations
	members   map[int32][]int32 // group root → participants (groups of two or more)

	// scratch for searches: a mark per node, reset by bumping gen.
	mark []uint32
	gen  uint32
}

func newGraph() *graph {
	return &graph{families: map[int32]*family{}, lineage: map[int32]bool{}, members: map[int32][]int32{}, known: map[string]bool{}}
}

// interner gives strings dense indexes.
type interner struct {
	index map[string]int32
	names []string
}

func (in *interner) id(s string) int32 {
	if in.index == nil {
		in.index = map[string]int32{}
	}
	if i, ok := in.index[s]; ok {
		return i
	}
	i := int32(len(in.names))
	in.index[s], in.names = i, append(in.names, s)
	return i
}

func (in *interner) lookup(s string) (int32, bool) {
	i, ok := in.index[s]
	return i, ok
}

// unionFind is a disjoint-set forest over dense indexes, grown on demand.
type unionFind struct{ parent []int32 }

func (u *unionFind) grow(n int32) {
	for int32(len(u.parent)) <= n {
		u.parent = append(u.parent, int32(len(u.parent)))
	}
}

func (u *unionFind) find(x int32) int32 {
	u.grow(x)
	for u.parent[x] != x {
		u.parent[x] = u.parent[u.parent[x]]
		x = u.parent[x]
	}
	return x
}

// union joins the sets of a and b and returns the new root and the root
// that was joined into it (equal when they were one set).
func (u *unionFind) union(a, b int32) (root, joined int32) {
	ra, rb := u.find(a), u.find(b)
	if ra == rb {
		return ra, rb
	}
	if rb < ra { // the lower index stays root: deterministic
		ra, rb = rb, ra
	}
	u.parent[rb] = ra
	return ra, rb
}

// setRelations rebuilds the related-party groups.
func (g *graph) setRelations(rels []exchange.Relation) {
	g.groups = unionFind{}
	for _, r := range rels {
		g.groups.union(g.parts.id(r.ParticipantID), g.parts.id(r.OtherID))
	}
	g.members = map[int32][]int32{}
	for p := range int32(len(g.groups.parent)) {
		root := g.groups.find(p)
		g.members[root] = append(g.members[root], p)
	}
	for root, m := range g.members {
		if len(m) < 2 {
			delete(g.members, root)
		}
	}
}

// group is p's related-party group (its root) and its participants.
func (g *graph) group(p int32) (int32, []int32) {
	root := g.groups.find(p)
	if m, ok := g.members[root]; ok {
		return root, m
	}
	return root, []int32{p}
}

// related reports whether a and b are one participant or related parties.
func (g *graph) related(a, b string) bool {
	ia, okA := g.parts.lookup(a)
	ib, okB := g.parts.lookup(b)
	return a == b || (okA && okB && g.groups.find(ia) == g.groups.find(ib))
}

// joinLineage puts product and its ancestors in one family, merging the
// trades of families it joins, and returns the family's root.
func (g *graph) joinLineage(product string, ancestors []string) int32 {
	p := g.prods.id(product)
	root := g.fam.find(p)
	for _, a := range ancestors {
		var joined int32
		root, joined = g.fam.union(root, g.prods.id(a))
		if joined != root {
			g.mergeFamilies(root, joined)
		}
	}
	g.lineage[p] = true
	return root
}

// mergeFamilies moves the trades of family from into family into.
func (g *graph) mergeFamilies(into, from int32) {
	src := g.families[from]
	if src == nil {
		return
	}
	delete(g.families, from)
	dst := g.families[into]
	if dst == nil {
		g.families[into] = src
		return
	}
	for seller, edges := range src.out {
		merged := append(dst.out[seller], edges...)
		slices.SortStableFunc(merged, func(a, b edge) int { return cmp.Compare(a.at, b.at) })
		dst.out[seller] = merged
	}
}

// add puts a trade in the graph (its product's lineage joined first),
// unless its contract is there already; it reports whether it did.
func (g *graph) add(t Trade) bool {
	if g.known[t.ContractID] {
		return false
	}
	g.known[t.ContractID] = true
	if t.At.After(g.latest) {
		g.latest = t.At
	}
	root := g.joinLineage(t.ProductID, t.Lineage)
	f := g.families[root]
	if f == nil {
		f = &family{out: map[int32][]edge{}}
		g.families[root] = f
	}
	c := int32(len(g.contracts))
	g.contracts, g.products = append(g.contracts, t.ContractID), append(g.products, g.prods.id(t.ProductID))
	seller, e := g.parts.id(t.ProviderID), edge{to: g.parts.id(t.BuyerID), at: t.At.UnixNano(), contract: c}
	list := f.out[seller]
	i := len(list)
	for i > 0 && list[i-1].at > e.at { // trades come in time order, nearly always
		i--
	}
	f.out[seller] = slices.Insert(list, i, e)
	return true
}

// searchLimits bound one cycle search.
type searchLimits struct {
	window   time.Duration
	maxDepth int // trades in a cycle, at most
	maxEdges int // edges read, at most
}

// step is how the search reached a node: from which node, by which edge.
type step struct {
	from int32
	e    edge
}

// cycle looks for a circular trade that t (not yet in the graph) closes.
func (g *graph) cycle(t Trade, lim searchLimits) CycleFacts {
	out := CycleFacts{WindowDays: int(lim.window / (24 * time.Hour))}
	root := g.joinLineage(t.ProductID, t.Lineage)
	f := g.families[root]
	a, aok := g.parts.lookup(t.ProviderID)
	b, bok := g.parts.lookup(t.BuyerID)
	if f == nil || !aok || !bok {
		return out
	}
	ga, _ := g.group(a)
	gb, _ := g.group(b)
	byGroup := ga != gb
	start, target := b, a
	if byGroup {
		start, target = gb, ga
	}
	since := t.At.Add(-lim.window).UnixNano()
	path, truncated := g.search(f, start, target, byGroup, since, lim)
	out.Truncated = truncated
	if path == nil {
		return out
	}
	out.Found = true
	g.describe(&out, t, root, path)
	return out
}

// search runs the breadth-first search from start to target over the
// family's trades at or after since: over groups when byGroup, else party
// to party. It returns the edges of the path found, in order.
func (g *graph) search(f *family, start, target int32, byGroup bool, since int64, lim searchLimits) ([]step, bool) {
	g.resetMarks()
	parent := map[int32]step{}
	g.mark[start] = g.gen
	frontier, read := []int32{start}, 0
	for depth := 1; depth < lim.maxDepth && len(frontier) > 0; depth++ {
		var next []int32
		for _, node := range frontier {
			sellers := []int32{node}
			if byGroup {
				_, sellers = g.group(node)
			}
			for _, s := range sellers {
				edges := f.out[s]
				for i := len(edges) - 1; i >= 0 && edges[i].at >= since; i-- {
					if read++; read > lim.maxEdges {
						return nil, true
					}
					to := edges[i].to
					if byGroup {
						to = g.groups.find(to)
					}
					if g.mark[to] == g.gen {
						continue
					}
					g.mark[to], parent[to] = g.gen, step{from: node, e: edges[i]}
					if to == target {
						return walkBack(parent, start, target), false
					}
					next = append(next, to)
				}
			}
		}
		frontier = next
	}
	return nil, false
}

// walkBack lists the steps from start to target.
func walkBack(parent map[int32]step, start, target int32) []step {
	var path []step
	for n := target; n != start; n = parent[n].from {
		path = append(path, parent[n])
	}
	slices.Reverse(path)
	return path
}

func (g *graph) resetMarks() {
	for len(g.mark) < len(g.parts.names) {
		g.mark = append(g.mark, 0)
	}
	if g.gen++; g.gen == 0 { // wrapped: clear
		clear(g.mark)
		g.gen = 1
	}
}

// describe fills the cycle's evidence: its trades in order (t first), the
// participants, products and contracts, and a key naming the cycle by its
// family and groups, the same whichever trade closes it.
func (g *graph) describe(out *CycleFacts, t Trade, root int32, path []step) {
	out.Length = len(path) + 1
	out.ContractIDs = []string{t.ContractID}
	out.ParticipantIDs = []string{t.ProviderID, t.BuyerID}
	out.ProductIDs = []string{t.ProductID}
	groups := []string{g.parts.names[g.groups.find(g.parts.index[t.ProviderID])]}
	groups = appendNew(groups, g.parts.names[g.groups.find(g.parts.index[t.BuyerID])])
	for _, s := range path {
		out.ContractIDs = append(out.ContractIDs, g.contracts[s.e.contract])
		out.ParticipantIDs = appendNew(out.ParticipantIDs, g.parts.names[s.e.to])
		out.ProductIDs = appendNew(out.ProductIDs, g.prods.names[g.products[s.e.contract]])
		groups = appendNew(groups, g.parts.names[g.groups.find(s.e.to)])
	}
	sort.Strings(groups)
	out.Key = g.prods.names[root] + "|" + strings.Join(groups, ",")
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

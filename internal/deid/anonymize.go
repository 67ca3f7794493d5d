package deid

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"dataport/internal/validate"
)

// Table is a table in memory: a header and rows of the same width.
type Table struct {
	Header []string
	Rows   [][]string
}

// Report describes a de-identification: the contract of `dataport deid --report`.
type Report struct {
	RowsIn     int `json:"rows_in"`
	RowsOut    int `json:"rows_out"`
	Suppressed int `json:"suppressed"`
	// KAchieved is the smallest equivalence class in the output (0 without quasi-identifiers).
	KAchieved int `json:"k_achieved"`
	// LAchieved is the fewest distinct values of a sensitive attribute in a class (0 without sensitive attributes).
	LAchieved int `json:"l_achieved"`
	// TAchieved is the largest distance of a class's sensitive distribution from the table's.
	TAchieved float64 `json:"t_achieved"`
	// Transformation is the hierarchy level chosen for each quasi-identifier.
	Transformation map[string]int `json:"transformation"`
	RiskBefore     Risk           `json:"risk_before"`
	RiskAfter      Risk           `json:"risk_after"`
	// InformationLoss is every metric of metric.go for the output, and the
	// profile's metric that the search minimised.
	InformationLoss InformationLoss `json:"information_loss"`
	// Operators names the operator applied to every other column.
	Operators map[string]string `json:"operators"`
	Search    searchStats       `json:"search"`
	ElapsedMS float64           `json:"elapsed_ms"`
}

// Options are what a run needs besides the table and the profile.
type Options struct {
	// Key is the profile's secret for pseudonyms and date shifts.
	Key []byte
	// Dir is where hierarchy files named by the profile are read from.
	Dir string
}

// Anonymize applies profile p to t: it finds the generalisation of the
// quasi-identifiers of least information loss that satisfies the privacy
// model, removes the rows of classes that still fail it (at most
// MaxSuppression of them), applies the column operators, and reports what
// it did. Problems with the profile are validate.Errors; a table that no
// generalisation can protect within the limit is ErrNoSolution.
func Anonymize(t Table, p Profile, opts Options) (Table, Report, error) {
	return AnonymizeContext(context.Background(), t, p, opts)
}

// AnonymizeContext is Anonymize that gives up when ctx is done (a request
// whose client has gone, or past its deadline): the lattice search stops
// at its next node and ctx's error is returned.
func AnonymizeContext(ctx context.Context, t Table, p Profile, opts Options) (Table, Report, error) {
	start := time.Now()
	if err := p.Validate(t.Header); err != nil {
		return Table{}, Report{}, err
	}
	if err := checkWidths(t); err != nil {
		return Table{}, Report{}, err
	}
	col := func(name string) int { return slices.Index(t.Header, name) }
	rep := Report{RowsIn: len(t.Rows), Transformation: map[string]int{}, Operators: map[string]string{},
		InformationLoss: InformationLoss{Metric: metricOf(p)}}
	threshold := p.RiskThreshold
	if threshold == 0 {
		threshold = 0.2
		if p.K > 1 {
			threshold = 1 / float64(p.K)
		}
	}
	enc, err := encode(t, p, opts.Dir)
	if err != nil {
		return Table{}, rep, err
	}
	keep, levels, err := enc.solve(ctx, p, &rep, threshold)
	if err != nil {
		return Table{}, rep, err
	}
	out, err := transform(t, p, opts, enc, keep, levels, col, &rep)
	if err != nil {
		return Table{}, rep, err
	}
	rep.RowsOut = len(out.Rows)
	rep.Suppressed = rep.RowsIn - rep.RowsOut
	rep.ElapsedMS = math.Round(float64(time.Since(start).Microseconds())/10) / 100
	return out, rep, nil
}

func checkWidths(t Table) error {
	for i, r := range t.Rows {
		if len(r) != len(t.Header) {
			return validate.Errors{{Field: "table", Value: i + 2,
				Message: fmt.Sprintf("row %d has %d fields, the header %d", i+2, len(r), len(t.Header))}}
		}
	}
	return nil
}

// encoded is a table's quasi-identifiers and sensitive attributes as codes.
type encoded struct {
	qi   []qiColumn
	idx  []int // column index of each quasi-identifier
	rows []int32
	sens []sensAttr
	n    int
}

func encode(t Table, p Profile, dir string) (*encoded, error) {
	e := &encoded{n: len(t.Rows), rows: make([]int32, len(t.Rows)*len(p.QuasiIdentifiers))}
	codes := make([]int32, len(t.Rows))
	for j, name := range p.QuasiIdentifiers {
		c := slices.Index(t.Header, name)
		values := distinctCodes(t, c, codes)
		// The builders and the check need only the distinct values.
		h, err := BuildHierarchy(p.Hierarchies[name], values, dir)
		if err != nil {
			return nil, validate.Errors{{Field: "hierarchies." + name, Message: err.Error()}}
		}
		if err := missingValues(name, h, values); err != nil {
			return nil, err
		}
		q := encodeQI(name, h, values, codes)
		for i, code := range codes {
			e.rows[i*len(p.QuasiIdentifiers)+j] = code
		}
		e.qi, e.idx = append(e.qi, q), append(e.idx, c)
	}
	for _, name := range p.Sensitive {
		values := distinctCodes(t, slices.Index(t.Header, name), codes)
		e.sens = append(e.sens, encodeSensitive(name, values, slices.Clone(codes)))
	}
	return e, nil
}

// distinctCodes returns column c's distinct values in sorted order (as
// distinct does) and writes each row's index among them into codes.
func distinctCodes(t Table, c int, codes []int32) []string {
	ids := make(map[string]int32, 64)
	values := []string{}
	for i, r := range t.Rows {
		id, ok := ids[r[c]]
		if !ok {
			id = int32(len(values))
			ids[r[c]] = id
			values = append(values, r[c])
		}
		codes[i] = id
	}
	order := make([]int32, len(values))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(values[a], values[b]) })
	sorted, code := make([]string, len(values)), make([]int32, len(values))
	for i, id := range order {
		sorted[i], code[id] = values[id], int32(i)
	}
	for i, id := range codes {
		codes[i] = code[id]
	}
	return sorted
}

func column(t Table, c int) []string {
	out := make([]string, len(t.Rows))
	for i, r := range t.Rows {
		out[i] = r[c]
	}
	return out
}

// encodeQI gives, per level, each generalisation of the distinct values d0
// a code, with its loss: (values under it − 1) / (distinct values − 1);
// codes are the rows' indexes in d0.
func encodeQI(name string, h *Hierarchy, d0 []string, codes []int32) qiColumn {
	q := qiColumn{name: name, height: h.Height()}
	for l := range q.height {
		gen := make([]int32, len(d0))
		labels := []string{}
		ids := map[string]int32{}
		leaves := []int{}
		for i, v := range d0 {
			g, _ := h.Generalize(v, l)
			id, ok := ids[g]
			if !ok {
				id = int32(len(labels))
				ids[g] = id
				labels = append(labels, g)
				leaves = append(leaves, 0)
			}
			gen[i] = id
			leaves[id]++
		}
		loss := make([]float64, len(labels))
		for id, n := range leaves {
			if len(d0) > 1 {
				loss[id] = float64(n-1) / float64(len(d0)-1)
			}
		}
		q.gen, q.labels, q.loss = append(q.gen, gen), append(q.labels, labels), append(q.loss, loss)
	}
	// The mean loss per level, summed in row order; all levels in one pass.
	lossOf := make([][]float64, q.height) // lossOf[l][code0]
	for l := range q.height {
		lossOf[l] = make([]float64, len(d0))
		for c := range d0 {
			lossOf[l][c] = q.loss[l][q.gen[l][c]]
		}
	}
	q.avgLoss = make([]float64, q.height)
	for _, c := range codes {
		for l, lo := range lossOf {
			q.avgLoss[l] += lo[c]
		}
	}
	for l := range q.avgLoss {
		q.avgLoss[l] /= float64(max(len(codes), 1))
	}
	return q
}

// encodeSensitive describes a sensitive attribute from its distinct values d and each row's index in d.
func encodeSensitive(name string, d []string, codes []int32) sensAttr {
	s := sensAttr{name: name, d: len(d), codes: codes, global: make([]float64, len(d))}
	for _, c := range codes {
		s.global[c]++
	}
	for i := range s.global {
		s.global[i] /= float64(max(len(codes), 1))
	}
	nums := make([]float64, len(d))
	s.numeric = len(d) > 1
	for i, v := range d {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			s.numeric = false
			break
		}
		nums[i] = f
	}
	if s.numeric {
		order := make([]int32, len(d))
		for i := range order {
			order[i] = int32(i)
		}
		slices.SortFunc(order, func(a, b int32) int {
			return compareFloat(nums[a], nums[b])
		})
		s.rank, s.ranked = make([]int32, len(d)), make([]float64, len(d))
		for r, code := range order {
			s.rank[code], s.ranked[r] = int32(r), s.global[code]
		}
	}
	return s
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// solve runs the search and returns which rows to keep and the levels
// chosen, filling the report's transformation, loss, k, l, t and risks.
func (e *encoded) solve(ctx context.Context, p Profile, rep *Report, threshold float64) ([]bool, []int, error) {
	keep := make([]bool, e.n)
	for i := range keep {
		keep[i] = true
	}
	if len(e.qi) == 0 {
		return keep, nil, nil
	}
	prob, err := newProblem(e.qi, e.rows, e.n, e.sens, p.K, p.L, p.T, p.MaxSuppression, metricOf(p))
	if err != nil {
		return nil, nil, err
	}
	prob.ctx = ctx
	var sc rollupScratch
	rep.RiskBefore = AssessRisk(sizes(prob.bottom, nil), p.SamplingFraction, threshold)
	node, _, stats, err := prob.search()
	rep.Search = stats
	if err != nil {
		return nil, nil, err
	}
	levels := prob.levelsOf(node)
	// The output's classes, with sensitive values for l and t as achieved.
	final := prob.rollup(prob.withSensitive(prob.bottom), levels, &sc)
	classOf := make([]int32, e.n)
	for i := range e.n {
		classOf[i] = sc.idx[prob.rowClass[i]]
	}
	okClass := make([]bool, final.m)
	for c := range final.m {
		okClass[c] = prob.classOK(final, c)
	}
	for i := range e.n {
		keep[i] = okClass[classOf[i]]
	}
	for j, q := range e.qi {
		rep.Transformation[q.name] = levels[j]
	}
	suppressed := 0
	for c, ok := range okClass {
		if !ok {
			suppressed += int(final.count[c])
		}
	}
	rep.InformationLoss = prob.informationLoss(classes{lv: levels, size: final.count[:final.m],
		rep: func(c int) int32 { return final.rep[c] }, kept: func(c int) bool { return okClass[c] }}, suppressed)
	e.achieved(prob, final, okClass, rep)
	rep.RiskAfter = AssessRisk(sizes(final, okClass), p.SamplingFraction, threshold)
	return keep, levels, nil
}

// achieved fills k, l and t as they hold in the output classes.
func (e *encoded) achieved(prob *problem, t *table, ok []bool, rep *Report) {
	rep.KAchieved, rep.LAchieved = math.MaxInt, math.MaxInt
	for c := range t.m {
		if !ok[c] {
			continue
		}
		rep.KAchieved = min(rep.KAchieved, int(t.count[c]))
		for a := range prob.sens {
			ps := t.sens[a]
			rep.LAchieved = min(rep.LAchieved, int(ps.off[c+1]-ps.off[c]))
			rep.TAchieved = math.Max(rep.TAchieved, round6(prob.sens[a].emd(ps, c, t.count[c])))
		}
	}
	if rep.KAchieved == math.MaxInt {
		rep.KAchieved = 0
	}
	if rep.LAchieved == math.MaxInt || len(prob.sens) == 0 {
		rep.LAchieved = 0
	}
}

func sizes(t *table, ok []bool) []int {
	out := make([]int, 0, t.m)
	for c := range t.m {
		if ok == nil || ok[c] {
			out = append(out, int(t.count[c]))
		}
	}
	return out
}

// withSensitive returns bottom with the sensitive values of its classes
// (the search leaves them out when neither l nor t needs them).
func (p *problem) withSensitive(bottom *table) *table {
	if len(p.sens) == 0 || len(bottom.sens) > 0 {
		return bottom
	}
	t := &table{levels: bottom.levels, m: bottom.m, rep: bottom.rep, count: bottom.count, bidx: bottom.bidx,
		sens: make([]pairs, len(p.sens))}
	// Rows in bottom-class order (counting sort).
	off := make([]int32, t.m+1)
	for _, c := range p.rowClass {
		off[c+1]++
	}
	for c := range t.m {
		off[c+1] += off[c]
	}
	for a, attr := range p.sens {
		codes := make([]int32, p.n)
		fill := slices.Clone(off[:t.m])
		for i, c := range p.rowClass {
			codes[fill[c]] = attr.codes[i]
			fill[c]++
		}
		ps := pairs{off: make([]int32, t.m+1)}
		for c := range t.m {
			seg := codes[off[c]:off[c+1]]
			slices.Sort(seg)
			for x := 0; x < len(seg); {
				y := x
				for y < len(seg) && seg[y] == seg[x] {
					y++
				}
				ps.code, ps.cnt = append(ps.code, seg[x]), append(ps.cnt, int32(y-x))
				x = y
			}
			ps.off[c+1] = int32(len(ps.code))
		}
		t.sens[a] = ps
	}
	return t
}

// transform writes the output table: generalised quasi-identifiers, column
// operators, suppressed rows left out, dropped columns removed.
func transform(t Table, p Profile, opts Options, e *encoded, keep []bool, levels []int, col func(string) int, rep *Report) (Table, error) {
	ops := make([]operator, len(t.Header))
	var outCols []int
	for c, name := range t.Header {
		op, isOp := p.Columns[name]
		if op.Op == OpDrop {
			rep.Operators[name] = OpDrop
			continue
		}
		outCols = append(outCols, c)
		if j := slices.Index(e.idx, c); j >= 0 {
			continue // a quasi-identifier: generalised below
		}
		if !isOp {
			continue
		}
		var h *Hierarchy
		if op.Op == OpGeneralize {
			var err error
			if h, err = BuildHierarchy(p.Hierarchies[name], column(t, c), opts.Dir); err != nil {
				return Table{}, validate.Errors{{Field: "hierarchies." + name, Message: err.Error()}}
			}
		}
		f, err := newOperator(op, opts.Key, h, col)
		if err != nil {
			return Table{}, validate.Errors{{Field: "columns." + name, Message: err.Error()}}
		}
		ops[c] = f
		rep.Operators[name] = op.Op
	}
	out := Table{}
	qiOf := make([]int, len(outCols)) // the quasi-identifier an output column is, or −1
	for k, c := range outCols {
		out.Header = append(out.Header, t.Header[c])
		qiOf[k] = slices.Index(e.idx, c)
	}
	// Each quasi-identifier's output label per level-0 code.
	labelOf := make([][]string, len(e.qi))
	for j, qc := range e.qi {
		l := levels[j]
		labelOf[j] = make([]string, len(qc.gen[l]))
		for code, g := range qc.gen[l] {
			labelOf[j][code] = qc.labels[l][g]
		}
	}
	kept := 0
	for _, ok := range keep {
		if ok {
			kept++
		}
	}
	// One array holds every output cell.
	cells := make([]string, kept*len(outCols))
	if kept > 0 {
		out.Rows = make([][]string, 0, kept)
	}
	q := len(e.qi)
	for i, row := range t.Rows {
		if !keep[i] {
			continue
		}
		o := cells[:len(outCols):len(outCols)]
		cells = cells[len(outCols):]
		for k, c := range outCols {
			v := row[c]
			if j := qiOf[k]; j >= 0 {
				v = labelOf[j][e.rows[i*q+j]]
			} else if ops[c] != nil {
				v = ops[c](v, row)
			}
			o[k] = v
		}
		out.Rows = append(out.Rows, o)
	}
	return out, nil
}

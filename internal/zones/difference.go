package zones

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/store"
	"dataport/internal/zones/protect"
	"dataport/internal/zones/zsql"
)

// The difference check. Two releases tell the operator the persons of
// every released cell, of every line of released cells (a margin: the
// cells that agree on all but some GROUP BY values) and of the whole
// released table (the total). When a set of one release and a set of
// another differ by fewer than the minimum cell size of persons — but by
// at least one — subtracting their numbers gives those persons' values:
// the differencing attack, however the two statements are spelled (NOT,
// <>, NOT IN, NOT BETWEEN, another GROUP BY, the total against all groups
// but one, a resource against its join with another that lacks a few of
// its persons, two joins sharing a resource). The check finds the pairs of
// sets whose sizes are that close, counts the persons they share in the
// sandbox, once per earlier release — OverlapSQL when both read the same
// rows, CrossOverlapSQL when they read different joins with a resource in
// common (a person is a row of that resource) — and refuses the new query
// when a pair would isolate persons (protect.Isolates). Identical sets are
// fine. Releases that cannot be compared exactly — they read no resource
// in common (persons of different resources may still be the same people),
// or the sandbox or the guard cannot replay the earlier statement now —
// refuse the new query whenever any pair is that close.

// storedCell is a released cell as zone_queries.cells keeps it: its group
// values and true person count. It is never shown: the difference check
// reads it.
type storedCell struct {
	Key []any `json:"key"`
	N   int64 `json:"n"`
}

// earlierRelease is an earlier released (or in-review) query of the same
// operator and zone.
type earlierRelease struct {
	id    string
	plan  *zsql.Plan
	cells []storedCell
}

// earlierReleases reads the operator's released and in-review queries in
// the query's zone, but the query itself.
func (s *Service) earlierReleases(ctx context.Context, q store.Querier, query Query) ([]earlierRelease, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, plan, cells FROM zone_queries WHERE zone_id = $1 AND operator_org_id = $2
		AND status IN ($3, $4) AND id <> $5 ORDER BY id`, query.ZoneID, query.OperatorOrgID, QueryReleased, QueryReview, query.ID)
	if err != nil {
		return nil, fmt.Errorf("zones: read earlier releases: %w", err)
	}
	defer rows.Close()
	var out []earlierRelease
	for rows.Next() {
		var e earlierRelease
		var plan, cells string
		if err := rows.Scan(&e.id, &plan, &cells); err != nil {
			return nil, err
		}
		if err := decodeJSON(plan, &e.plan); err != nil {
			return nil, fmt.Errorf("zones: query %s plan: %w", e.id, err)
		}
		if err := decodeJSON(cells, &e.cells); err != nil {
			return nil, fmt.Errorf("zones: query %s cells: %w", e.id, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// differenceCheck refuses the run (reason difference) when one of its
// released sets and one of an earlier release's would single out fewer
// than the zone's minimum cell size of persons.
func (s *Service) differenceCheck(ctx context.Context, r *queryRun, earlier []earlierRelease) error {
	minimum := r.rules.MinCellSize
	now := releasedSets(len(r.plan.Groups), r.released)
	sessions := &crossSessions{}
	defer sessions.close(ctx)
	for _, e := range earlier {
		if samePartition(r, e) {
			continue
		}
		then := releasedSets(len(e.plan.Groups), e.cells)
		pairs := closePairs(now, then, int64(minimum))
		if len(pairs) == 0 {
			continue
		}
		ov, err := s.overlap(ctx, r, e, sessions)
		var inexact *inexactError
		if errors.As(err, &inexact) {
			return refuse(ReasonDifference, "it could not be compared exactly with the earlier release %s (%s), "+
				"and some of their released sets of persons are fewer than %d persons apart", e.id, inexact.why, minimum)
		} else if err != nil {
			return err
		}
		for _, p := range pairs {
			o := ov.of(now[p[0]], then[p[1]])
			if protect.Isolates(o, minimum) {
				return refuse(ReasonDifference, "with the earlier release %s it would single out fewer than %d persons", e.id, minimum)
			}
		}
	}
	return nil
}

// samePartition reports whether an earlier release is the run's table
// again: the same rows, predicate and grouping, and the same cells
// released with the same person counts (a repeated statement, or another
// aggregate of the same cells). Then each released set of one equals a
// set of the other or shares no person with it, so no pair can isolate
// anyone — what counting their overlap in the sandbox would find, at the
// cost of reading the rows again.
func samePartition(r *queryRun, e earlierRelease) bool {
	if e.plan.From != r.plan.From || e.plan.Where != r.plan.Where || len(e.plan.Groups) != len(r.plan.Groups) ||
		len(e.cells) != len(r.released) {
		return false
	}
	for i, g := range r.plan.Groups {
		if e.plan.Groups[i].Expr != g.Expr {
			return false
		}
	}
	counts := make(map[string]int64, len(r.released))
	for _, c := range r.released {
		counts[keyString(c.Key)] = c.N
	}
	for _, c := range e.cells {
		if n, ok := counts[keyString(c.Key)]; !ok || n != c.N {
			return false
		}
	}
	return true
}

// releasedSet is a set of released cells (indexes) whose persons a result
// gives a number about, and how many persons it holds.
type releasedSet struct {
	cells []int
	n     int64
}

// releasedSets are a result's released sets: each cell, each line of two
// or more cells along any choice of GROUP BY dimensions summed over, and
// the total. dims is the number of GROUP BY expressions.
func releasedSets(dims int, cells []storedCell) []releasedSet {
	var out []releasedSet
	for i, c := range cells {
		out = append(out, releasedSet{cells: []int{i}, n: c.N})
	}
	for mask := 1; mask < 1<<dims; mask++ {
		lines, order := map[string][]int{}, []string(nil)
		for i, c := range cells {
			kept := make([]any, 0, dims)
			for d := range dims {
				if mask&(1<<d) == 0 {
					kept = append(kept, c.Key[d])
				}
			}
			k := keyString(kept)
			if _, ok := lines[k]; !ok {
				order = append(order, k)
			}
			lines[k] = append(lines[k], i)
		}
		for _, k := range order {
			if members := lines[k]; len(members) > 1 {
				set := releasedSet{cells: members}
				for _, i := range members {
					set.n += cells[i].N
				}
				out = append(out, set)
			}
		}
	}
	return out
}

// closePairs returns the pairs (index in now, index in then) of sets whose
// sizes differ by less than minimum.
func closePairs(now, then []releasedSet, minimum int64) [][2]int {
	order := make([]int, len(then))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(then[a].n, then[b].n) })
	var out [][2]int
	for i, x := range now {
		lo, _ := slices.BinarySearchFunc(order, x.n-minimum+1, func(j int, n int64) int { return cmp.Compare(then[j].n, n) })
		for _, j := range order[lo:] {
			if then[j].n > x.n+minimum-1 {
				break
			}
			out = append(out, [2]int{i, j})
		}
	}
	return out
}

// overlapCounts are the persons of a new result's released cells, of an
// earlier result's, and of each pair, counted on the same rows.
type overlapCounts struct {
	now, then []int64
	both      map[[2]int]int64
}

// of is the overlap of two released sets.
func (ov overlapCounts) of(x, y releasedSet) protect.Overlap {
	var o protect.Overlap
	for _, i := range x.cells {
		o.Now += ov.now[i]
	}
	for _, k := range y.cells {
		o.Earlier += ov.then[k]
	}
	for _, i := range x.cells {
		for _, k := range y.cells {
			o.Both += ov.both[[2]int{i, k}]
		}
	}
	return o
}

// maxOverlapRows bounds the rows of one overlap statement: more means the
// two releases cannot be checked, and the new one is refused.
const maxOverlapRows = 1_000_000

// inexactError means an earlier release cannot be compared with the run
// exactly: why says why.
type inexactError struct{ why string }

func (e *inexactError) Error() string { return "zones: not comparable: " + e.why }

// overlap counts, in the sandbox, the persons of the run's released cells,
// of the earlier release's and of every pair: OverlapSQL over the same
// From, CrossOverlapSQL over different ones sharing a resource (in a
// session holding the resources of both). An *inexactError when no
// statement can count them.
func (s *Service) overlap(ctx context.Context, r *queryRun, e earlierRelease, sessions *crossSessions) (overlapCounts, error) {
	view := r
	text, err := zsql.OverlapSQL(r.plan, e.plan)
	if errors.Is(err, zsql.ErrFromDiffers) {
		if !slices.ContainsFunc(e.plan.Tables, func(id string) bool { return slices.Contains(r.plan.Tables, id) }) {
			return overlapCounts{}, &inexactError{"it reads none of the same resources"}
		}
		cs, err := s.crossSession(ctx, r, e, sessions)
		if err != nil {
			return overlapCounts{}, err
		}
		if text, err = zsql.CrossOverlapSQL(r.plan, e.plan, cs.schema); errors.Is(err, zsql.ErrPlanChanged) {
			return overlapCounts{}, &inexactError{"the statement of one of them no longer plans as it did"}
		} else if err != nil {
			return overlapCounts{}, err
		}
		// The run's limits and time, in the other session.
		other := *r
		other.sess, other.policy = cs.sess, cs.policy
		view = &other
		defer func() { r.elapsed = view.elapsed }()
	} else if err != nil {
		return overlapCounts{}, err
	}
	nowIdx, thenIdx := cellIndex(r.released), cellIndex(e.cells)
	ov := overlapCounts{now: make([]int64, len(r.released)), then: make([]int64, len(e.cells)), both: map[[2]int]int64{}}
	gn, ge := len(r.plan.Groups), len(e.plan.Groups)
	err = s.statement(ctx, view, text, maxOverlapRows, func(row []any) error {
		inNow, err1 := number(row[gn+ge])
		inThen, err2 := number(row[gn+ge+1])
		n, err3 := number(row[gn+ge+2])
		if err := errors.Join(err1, err2, err3); err != nil {
			return err
		}
		i, okNow := nowIdx[keyString(groupValues(r.plan.Groups, row[:gn]))]
		k, okThen := thenIdx[keyString(groupValues(e.plan.Groups, row[gn:gn+ge]))]
		okNow, okThen = okNow && inNow != 0, okThen && inThen != 0
		if okNow {
			ov.now[i] += int64(n)
		}
		if okThen {
			ov.then[k] += int64(n)
		}
		if okNow && okThen {
			ov.both[[2]int{i, k}] += int64(n)
		}
		return nil
	})
	if errors.Is(err, datastore.ErrSandboxRows) {
		return overlapCounts{}, refuse(ReasonDifference, "it has too many cells in common with the earlier release %s to check", e.id)
	}
	return ov, err
}

// crossSession is a sandbox session over the resources of the run and of
// an earlier release reading other ones, and its guard's schema.
type crossSession struct {
	tables []string
	sess   *datastore.SandboxSession
	opened bool   // by the check (not the run's own)
	why    string // why it cannot be used, if it cannot
	schema zsql.Schema
	policy datastore.SQLPolicy
}

// crossSessions are the sessions one difference check opened, reused for
// earlier releases over the same resources and closed when it ends.
type crossSessions struct{ list []*crossSession }

func (cs *crossSessions) close(ctx context.Context) {
	for _, c := range cs.list {
		if c.opened {
			c.sess.Close(ctx)
		}
	}
}

// crossSession returns a session over the run's resources and e's: the
// run's own when it holds them all, else one opened (or reused) as the
// query's user for the authorisation's scenario. An *inexactError when
// access to them is denied now, or when a resource of the run has a new
// version since the run read it.
func (s *Service) crossSession(ctx context.Context, r *queryRun, e earlierRelease, sessions *crossSessions) (*crossSession, error) {
	own := slices.Compact(slices.Sorted(slices.Values(r.q.ResourceIDs)))
	tables := slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(own), e.plan.Tables...))))
	i := slices.IndexFunc(sessions.list, func(c *crossSession) bool { return slices.Equal(c.tables, tables) })
	if i < 0 {
		c, err := s.openCross(ctx, r, tables, !slices.Equal(tables, own))
		if err != nil {
			return nil, err
		}
		i, sessions.list = len(sessions.list), append(sessions.list, c)
	}
	if c := sessions.list[i]; c.why != "" {
		return nil, &inexactError{c.why}
	}
	return sessions.list[i], nil
}

// openCross opens a session over tables (or takes the run's when open is
// false) and builds its schema and policy; what makes it unusable is in
// its why.
func (s *Service) openCross(ctx context.Context, r *queryRun, tables []string, open bool) (*crossSession, error) {
	c := &crossSession{tables: tables, sess: r.sess}
	if open {
		auth, err := s.authorisation(ctx, s.db, r.q.AuthorisationID)
		if err != nil {
			return nil, err
		}
		sess, err := s.sandbox.OpenSandbox(ctx, r.actor, auth.Scenario, tables)
		var denied *access.DeniedError
		if errors.As(err, &denied) {
			c.why = "the sandbox cannot read all their resources now"
			return c, nil
		} else if err != nil {
			return nil, err
		}
		c.sess, c.opened = sess, true
	}
	items, fields := map[string][]catalog.Item{}, map[string][]string{}
	for _, id := range tables {
		items[id], fields[id] = c.sess.Items(id), c.sess.Decision(id).Constraints.Fields
		if slices.Contains(r.q.ResourceIDs, id) && c.sess.Version(id) != r.sess.Version(id) {
			c.why = "a resource was loaded again meanwhile"
		}
	}
	c.schema = zoneSchema(r.zone, items, fields)
	c.policy = zsql.Policy(c.schema)
	return c, nil
}

// cellIndex maps each cell's group values to its index.
func cellIndex(cells []storedCell) map[string]int {
	idx := make(map[string]int, len(cells))
	for i, c := range cells {
		idx[keyString(c.Key)] = i
	}
	return idx
}

// keyString is a canonical text of group values: numbers by value
// (whether they came as integers, floats or from JSON), text quoted.
func keyString(vals []any) string {
	var b strings.Builder
	for _, v := range vals {
		switch v := v.(type) {
		case nil:
			b.WriteString("null")
		case string:
			b.WriteString(strconv.Quote(v))
		case bool:
			b.WriteString(strconv.FormatBool(v))
		default:
			f, err := number(v)
			if err != nil {
				b.WriteString(strconv.Quote(fmt.Sprint(v)))
				break
			}
			b.WriteString("n" + strconv.FormatFloat(f, 'g', -1, 64))
		}
		b.WriteByte(0)
	}
	return b.String()
}

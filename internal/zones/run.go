package zones

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/zones/protect"
	"dataport/internal/zones/zsql"
)

// refusal is a query's outcome when it is not the platform's fault: the
// statement, the operator's rights, the zone's limits or the protection
// refused it. Its reason is what Query.Reason says.
type refusal struct{ reason string }

func (r *refusal) Error() string { return "refused: " + r.reason }

func refuse(code, format string, args ...any) error {
	if format == "" {
		return &refusal{reason: code}
	}
	return &refusal{reason: code + ": " + fmt.Sprintf(format, args...)}
}

// errFinished means the query was finished by another run meanwhile.
var errFinished = errors.New("zones: the query is already finished")

// queryRun is one run of a query: what it read and computed.
type queryRun struct {
	q      Query
	actor  identity.Principal // the query's user, as the sandbox acts
	zone   Zone
	rules  Rules
	plan   *zsql.Plan
	policy datastore.SQLPolicy
	sess   *datastore.SandboxSession

	cells  []protect.Cell
	raw    [][]any // each cell's aggregate values as the engine gave them
	status []protect.Status

	result   storedResult
	released []storedCell // the released cells of the result, with their true person counts
	review   bool         // the result waits for the steward

	rowsScanned int64
	elapsed     time.Duration // spent in the sandbox's statements
}

// Run is the query job's work: it runs the query and records its outcome
// (released, in review, refused or failed). A query already finished is
// left as it is. When ctx ends first the query stays running and the
// error is returned, so that the job runs it again.
func (s *Service) Run(ctx context.Context, queryID string) error {
	q, err := s.startRun(ctx, queryID)
	if errors.Is(err, errFinished) {
		return nil
	} else if err != nil {
		return err
	}
	defer s.waiting.wake(queryID)
	r := &queryRun{q: q}
	defer r.close(ctx)
	err = s.compute(ctx, r)
	if err == nil {
		err = s.release(ctx, r)
	}
	return s.outcome(ctx, r, err)
}

// outcome records what a run's error means: a refusal, or a failure of
// the platform. A stop (ctx ended) is left for the next attempt.
func (s *Service) outcome(ctx context.Context, r *queryRun, err error) error {
	var ref *refusal
	switch {
	case err == nil || errors.Is(err, errFinished):
		return nil
	case errors.As(err, &ref):
		return s.finishRefused(ctx, r, ref.reason)
	case ctx.Err() != nil:
		return err
	}
	s.cfg.Log.ErrorContext(ctx, "zones: a query failed", "query", r.q.ID, "zone", r.q.ZoneID, "err", err)
	if ferr := s.finishFailed(ctx, r); ferr != nil {
		return errors.Join(err, ferr)
	}
	return nil
}

func (r *queryRun) close(ctx context.Context) {
	if r.sess != nil {
		r.sess.Close(context.WithoutCancel(ctx))
	}
}

// startRun marks a queued (or interrupted) query running and returns it;
// errFinished when it is finished.
func (s *Service) startRun(ctx context.Context, id string) (Query, error) {
	var q Query
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if q, err = s.readQuery(ctx, tx, id); err != nil {
			return err
		}
		if q.Finished() {
			return errFinished
		}
		_, err = tx.ExecContext(ctx, `UPDATE zone_queries SET status = $2, progress = 5, started_at = $3 WHERE id = $1`,
			id, QueryRunning, store.TS(tx.Now()))
		q.Status = QueryRunning
		return err
	})
	return q, err
}

// progress records how far the run has come (percent); the query's page
// shows it. A failure to record it does not stop the run.
func (s *Service) progress(ctx context.Context, r *queryRun, percent int) {
	if _, err := s.db.ExecContext(ctx, `UPDATE zone_queries SET progress = $2 WHERE id = $1 AND status = $3`,
		r.q.ID, percent, QueryRunning); err != nil && ctx.Err() == nil {
		s.cfg.Log.WarnContext(ctx, "zones: query progress", "query", r.q.ID, "err", err)
	}
}

// compute opens the sandbox as the operator, checks the statement again
// against what the operator may read now, computes the cells and decides
// what of them is released.
func (s *Service) compute(ctx context.Context, r *queryRun) error {
	if err := s.open(ctx, r); err != nil {
		return err
	}
	s.progress(ctx, r, 15)
	for _, id := range r.plan.Tables {
		r.rowsScanned += r.sess.Rows(id)
	}
	if r.rowsScanned > r.rules.MaxRowsScanned {
		return refuse(ReasonRows, "the resources hold %d rows, the zone scans at most %d", r.rowsScanned, r.rules.MaxRowsScanned)
	}
	if err := s.readCells(ctx, r); err != nil {
		return err
	}
	s.progress(ctx, r, 45)
	if err := s.settleDominance(ctx, r); err != nil {
		return err
	}
	s.progress(ctx, r, 60)
	var err error
	r.status, err = protect.Suppress(r.cells, len(r.plan.Groups), r.protectRules())
	if errors.Is(err, protect.ErrUnprotectable) {
		return refuse(ReasonUnprotectable, "suppressed cells would stay determined by the margins however many more were suppressed")
	} else if err != nil {
		return err
	}
	values, err := s.releasedValues(r)
	if err != nil {
		return err
	}
	r.table(values)
	s.progress(ctx, r, 70)
	return nil
}

// open reads the zone, opens the sandbox session as the query's user for
// the authorisation's purpose (the access decision refuses a revoked or
// expired authorisation, with its reason) and checks the statement again
// against the items the decisions let the operator name.
func (s *Service) open(ctx context.Context, r *queryRun) error {
	z, err := s.zone(ctx, s.db, r.q.ZoneID)
	if err != nil {
		return err
	}
	r.zone, r.rules = z, z.Rules.withDefaults()
	actor, err := s.ids.Principal(ctx, r.q.UserID)
	if errors.Is(err, identity.ErrUnauthenticated) || errors.Is(err, store.ErrNotFound) {
		return refuse(ReasonUser, "the account that submitted the query may no longer act")
	} else if err != nil {
		return err
	}
	r.actor = actor
	auth, err := s.authorisation(ctx, s.db, r.q.AuthorisationID)
	if err != nil {
		return err
	}
	r.sess, err = s.sandbox.OpenSandbox(ctx, actor, auth.Scenario, r.q.ResourceIDs)
	var denied *access.DeniedError
	if errors.As(err, &denied) {
		return refuse(denied.Decision.Reason, "%s", denied.Decision.Message)
	} else if err != nil {
		return err
	}
	items, fields := map[string][]catalog.Item{}, map[string][]string{}
	for _, id := range r.q.ResourceIDs {
		items[id], fields[id] = r.sess.Items(id), r.sess.Decision(id).Constraints.Fields
	}
	schema := zoneSchema(z, items, fields)
	r.plan, err = zsql.Check(r.q.SQL, schema, r.q.Mechanism)
	var ref *datastore.SQLRefusal
	if errors.As(err, &ref) {
		return refuse(ReasonSQL, "%s", ref.Error())
	} else if err != nil {
		return err
	}
	r.policy = zsql.Policy(schema)
	return nil
}

// statement runs one statement of the run in the sandbox within the
// zone's time limit, counting its time; more rows than maxRows, or a
// statement stopped by the limit, are refusals.
func (s *Service) statement(ctx context.Context, r *queryRun, text string, maxRows int, fn func(row []any) error) error {
	timeout := time.Duration(r.rules.MaxSeconds) * time.Second
	start := time.Now()
	_, err := r.sess.Run(ctx, text, r.policy, timeout, maxRows, fn)
	r.elapsed += time.Since(start)
	var ref *datastore.SQLRefusal
	switch {
	case err == nil:
		return nil
	case errors.Is(err, datastore.ErrSandboxRows):
		return datastore.ErrSandboxRows
	case ctx.Err() == nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)):
		return refuse(ReasonTimeout, "a statement ran longer than the zone's %d seconds", r.rules.MaxSeconds)
	case errors.As(err, &ref):
		return fmt.Errorf("zones: the sandbox refused a generated statement: %w", err)
	}
	return err
}

// readCells computes the plan's cells (CellsSQL): group values, persons,
// aggregate values and, for SUM and AVG, the largest contribution and the
// sum of absolute contributions.
func (s *Service) readCells(ctx context.Context, r *queryRun) error {
	lay, groups, aggs := r.plan.Layout(), len(r.plan.Groups), len(r.plan.Aggregates)
	err := s.statement(ctx, r, r.plan.CellsSQL(), r.rules.MaxCells, func(row []any) error {
		c := protect.Cell{Key: slices.Clone(row[:groups]), Top: make([][]float64, aggs), Abs: make([]float64, aggs)}
		n, err := number(row[lay.N])
		if err != nil {
			return err
		}
		c.N = int64(n)
		vals := make([]any, aggs)
		for i := range aggs {
			vals[i] = row[lay.Value[i]]
			if lay.Top[i] < 0 {
				continue
			}
			top, err1 := number(row[lay.Top[i]])
			abs, err2 := number(row[lay.Abs[i]])
			if err := errors.Join(err1, err2); err != nil {
				return err
			}
			c.Top[i], c.Abs[i] = []float64{math.Abs(top)}, abs
		}
		r.cells, r.raw = append(r.cells, c), append(r.raw, vals)
		return nil
	})
	if errors.Is(err, datastore.ErrSandboxRows) {
		return refuse(ReasonCells, "the result has more than the zone's %d cells", r.rules.MaxCells)
	}
	return err
}

// settleDominance fetches, for each SUM and AVG of a cell that the
// minimum count keeps, the largest contributions the (n,k) rule needs
// when the largest alone cannot settle it (TopSQL).
func (s *Service) settleDominance(ctx context.Context, r *queryRun) error {
	rules := r.protectRules()
	for ci := range r.cells {
		c := &r.cells[ci]
		if c.N < int64(rules.MinCount) {
			continue
		}
		for i, top := range c.Top {
			if top == nil {
				continue
			}
			if _, decided := rules.Dominated(top, c.Abs[i], c.N); decided {
				continue
			}
			text, err := r.plan.TopSQL(i, c.Key, rules.DominanceN)
			if err != nil {
				return err
			}
			var tops []float64
			err = s.statement(ctx, r, text, rules.DominanceN, func(row []any) error {
				v, err := number(row[0])
				tops = append(tops, math.Abs(v))
				return err
			})
			if err != nil {
				return err
			}
			c.Top[i] = tops
		}
	}
	return nil
}

// protectRules are the zone's disclosure-control rules as protect takes them.
func (r *queryRun) protectRules() protect.Rules {
	return protect.Rules{MinCount: r.rules.MinCellSize, DominanceN: r.rules.DominanceN, DominanceK: r.rules.DominanceK}
}

// releasedValues are the values released for each cell's aggregates: the
// true ones under disclosure control, noisy ones under differential
// privacy (COUNTs rounded to whole persons, never below zero).
func (s *Service) releasedValues(r *queryRun) ([][]any, error) {
	if r.q.Mechanism != zsql.DP {
		out := make([][]any, len(r.raw))
		for c, vals := range r.raw {
			out[c] = make([]any, len(vals))
			for i, v := range vals {
				out[c][i] = aggValue(v)
			}
		}
		return out, nil
	}
	values, counts := make([][]float64, len(r.raw)), make([]int64, len(r.raw))
	for c, vals := range r.raw {
		counts[c] = r.cells[c].N
		values[c] = make([]float64, len(vals))
		for i, v := range vals {
			if v != nil {
				f, err := number(v)
				if err != nil {
					return nil, err
				}
				values[c][i] = f
			}
		}
	}
	aggs := make([]protect.Aggregate, len(r.plan.Aggregates))
	for i, a := range r.plan.Aggregates {
		aggs[i] = protect.Aggregate{Func: string(a.Func), Lower: a.Lower, Upper: a.Upper}
	}
	src := s.cfg.Noise
	if src == nil {
		src = protect.CryptoSource()
	}
	noisy, _, err := protect.Noisy(values, counts, aggs, protect.DPParams{Noise: protect.Noise(r.rules.Noise),
		Epsilon: r.q.Epsilon, Delta: r.rules.Delta}, src)
	if err != nil {
		return nil, refuse(ReasonNoise, "%v", err)
	}
	out := make([][]any, len(noisy))
	for c, vals := range noisy {
		out[c] = make([]any, len(vals))
		for i, v := range vals {
			out[c][i] = v
			if r.plan.Aggregates[i].Func == zsql.Count {
				out[c][i] = int64(max(math.Round(v), 0))
			}
		}
	}
	return out, nil
}

// table builds the released table: one row per cell in the plan's output
// columns, suppressed cells' aggregates null, then ORDER BY and LIMIT; it
// keeps the released cells (with their true counts) for the difference
// check and decides whether the steward reviews the result.
func (r *queryRun) table(values [][]any) {
	groups := len(r.plan.Groups)
	type line struct {
		row  []any
		cell int
	}
	lines := make([]line, len(r.cells))
	for c, cell := range r.cells {
		row := make([]any, len(r.plan.Columns))
		for j, sel := range r.plan.Select {
			switch {
			case sel < groups:
				row[j] = groupValue(r.plan.Groups[sel], cell.Key[sel])
			case r.status[c] == protect.Released:
				row[j] = values[c][sel-groups]
			}
		}
		lines[c] = line{row, c}
	}
	if len(r.plan.Order) > 0 {
		slices.SortStableFunc(lines, func(a, b line) int {
			for _, o := range r.plan.Order {
				if d := compareValues(a.row[o.Column], b.row[o.Column]); d != 0 {
					if o.Desc {
						return -d
					}
					return d
				}
			}
			return 0
		})
	}
	if r.plan.Limit > 0 && len(lines) > r.plan.Limit {
		lines = lines[:r.plan.Limit]
	}
	r.result = storedResult{Columns: r.plan.Columns, Rows: make([][]any, len(lines))}
	r.released = nil
	for i, l := range lines {
		r.result.Rows[i] = l.row
		cell := r.cells[l.cell]
		if r.status[l.cell] != protect.Released {
			r.result.Suppressed = append(r.result.Suppressed, i)
			continue
		}
		r.released = append(r.released, storedCell{Key: groupValues(r.plan.Groups, cell.Key), N: cell.N})
		if cell.N < int64(r.rules.MinCellSize+r.rules.ReviewMargin) {
			r.review = true
		}
	}
	if len(lines) > r.rules.ReviewCells {
		r.review = true
	}
}

// compareValues orders two output values: nulls last, numbers by value,
// the rest by their text.
func compareValues(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	fa, errA := number(a)
	fb, errB := number(b)
	if _, text := a.(string); errA == nil && errB == nil && !text {
		return cmp.Compare(fa, fb)
	}
	return cmp.Compare(fmt.Sprint(plainValue(a)), fmt.Sprint(plainValue(b)))
}

// number reads a numeric value as the sandbox gives it (PostgreSQL's
// numeric arrives as text).
func number(v any) (float64, error) {
	switch v := v.(type) {
	case int64:
		return float64(v), nil
	case float64:
		return v, nil
	case bool:
		if v {
			return 1, nil
		}
		return 0, nil
	case string:
		return strconv.ParseFloat(v, 64)
	case []byte:
		return strconv.ParseFloat(string(v), 64)
	case nil:
		return 0, nil
	}
	return 0, fmt.Errorf("zones: %T is not a number", v)
}

// plainValue is a value as a result shows it: numeric text as a number,
// times in RFC 3339.
func plainValue(v any) any {
	switch v := v.(type) {
	case []byte:
		return plainValue(string(v))
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	}
	return v
}

// aggValue is an aggregate's true value as a result shows it: a number
// (PostgreSQL's numeric text read as one, whole when it is whole).
func aggValue(v any) any {
	switch v := v.(type) {
	case []byte:
		return aggValue(string(v))
	case string:
		if i, err := strconv.ParseInt(v, 10, 64); err == nil {
			return i
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
	}
	return v
}

// groupValue is a group value as a result shows it.
func groupValue(g zsql.Group, v any) any { return plainValue(g.Value(v)) }

// groupValues are a cell's group values as a result shows them.
func groupValues(groups []zsql.Group, key []any) []any {
	out := make([]any, len(key))
	for i, v := range key {
		out[i] = groupValue(groups[i], v)
	}
	return out
}

package zones

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
	"dataport/internal/zones/zsql"
)

// Reasons of refused queries (Query.Reason starts with one of them; a
// colon and an English detail may follow). An access decision's own
// reason (grant_revoked, grant_expired, …) is a reason too.
const (
	ReasonSQL           = "sql"            // the guard refused the statement
	ReasonBudget        = "budget"         // the epsilon budget cannot take the query
	ReasonDifference    = "difference"     // with an earlier release it would single out persons
	ReasonRows          = "too_many_rows"  // the resources hold more rows than the zone scans
	ReasonCells         = "too_many_cells" // the result has more cells than the zone releases
	ReasonTimeout       = "timeout"        // a statement ran longer than the zone allows
	ReasonUnprotectable = "unprotectable"  // suppression cannot protect the table
	ReasonNoise         = "noise"          // differential privacy cannot calibrate the noise (Gaussian with a large epsilon)
	ReasonRejected      = "rejected"       // the steward's review rejected the result
	ReasonUser          = "user_disabled"  // the submitting account may no longer act
	ReasonPlatform      = "platform"       // failed: the platform could not run it
)

// Submit checks an operator's statement, records the query and queues its
// job. A statement the guard refuses is recorded as refused (an event
// without the statement's text) and returned with a validate.Errors on
// the field "sql" (422). A differential-privacy query whose epsilon the
// budget cannot take is recorded and returned refused (reason budget).
// Without an authorisation in force the actor is denied (access.ErrDenied).
func (s *Service) Submit(ctx context.Context, actor identity.Principal, zoneID string, in QueryInput) (Query, error) {
	if actor.IsAnonymous() {
		return Query{}, identity.ErrUnauthenticated
	}
	z, err := s.zone(ctx, s.db, zoneID)
	if err != nil {
		return Query{}, err
	}
	rules := z.Rules.withDefaults()
	if in, err = checkQueryInput(in, rules); err != nil {
		return Query{}, err
	}
	if z.Status != ZoneActive {
		return Query{}, validate.Refuse(catalog.ErrState, "zone_closed", "the zone is closed: it runs no queries")
	}
	now := s.now()
	auth, err := s.activeAuthorisation(ctx, s.db, z.ID, actor.OrgIDs(), now)
	if errors.Is(err, store.ErrNotFound) {
		return Query{}, &access.DeniedError{Decision: access.Decision{Reason: "no_authorisation", Message: err.Error()}}
	} else if err != nil {
		return Query{}, err
	}
	q := Query{ID: store.NewID(), ZoneID: z.ID, AuthorisationID: auth.ID, OperatorOrgID: auth.OperatorOrgID, UserID: actor.UserID,
		SQL: in.SQL, Mechanism: in.Mechanism, Epsilon: in.Epsilon, Status: QueryQueued, CreatedAt: now}
	schema, err := s.submitSchema(ctx, z, auth)
	if err != nil {
		return Query{}, err
	}
	plan, err := zsql.Check(in.SQL, schema, in.Mechanism)
	var refusal *datastore.SQLRefusal
	if errors.As(err, &refusal) {
		q.Status, q.Reason = QueryRefused, ReasonSQL+": "+refusal.Error()
		if err := s.record(ctx, q, nil); err != nil {
			return Query{}, err
		}
		return Query{}, sqlFieldError(refusal)
	} else if err != nil {
		return Query{}, err
	}
	q.ResourceIDs = plan.Tables
	if q.Mechanism == zsql.DP {
		left, err := s.budgetLeft(ctx, s.db, z.ID, q.OperatorOrgID, plan.Tables)
		if err != nil {
			return Query{}, err
		}
		if left < micro(q.Epsilon) {
			q.Status, q.EpsilonRemaining = QueryRefused, epsilon(left)
			q.Reason = fmt.Sprintf("%s: epsilon %g asked, %g left", ReasonBudget, q.Epsilon, epsilon(left))
			return q, s.record(ctx, q, plan)
		}
	}
	if err := s.record(ctx, q, plan); err != nil {
		return Query{}, err
	}
	if s.cfg.Jobs == nil {
		s.runLater(q.ID)
	}
	return q, nil
}

// checkQueryInput checks what an operator submits against the zone's
// rules: a statement, a mechanism the zone offers (sdc when none is
// given) and, under dp only, an epsilon in (0, MaxEpsilon].
func checkQueryInput(in QueryInput, r Rules) (QueryInput, error) {
	in.SQL = strings.TrimSpace(in.SQL)
	if in.Mechanism == "" {
		in.Mechanism = zsql.SDC
	}
	var errs validate.Errors
	errs.Required("sql", in.SQL)
	errs.MaxLen("sql", in.SQL, datastore.MaxSQLLength)
	validate.OneOf(&errs, "mechanism", in.Mechanism, r.Mechanisms...)
	switch {
	case in.Mechanism == zsql.DP && (in.Epsilon <= 0 || in.Epsilon > r.MaxEpsilon || micro(in.Epsilon) == 0):
		errs.Add("epsilon", in.Epsilon, validate.CodeRange, "must be more than %g and at most %g under differential privacy", 0.0, r.MaxEpsilon)
	case in.Mechanism != zsql.DP && in.Epsilon != 0:
		errs.Add("epsilon", in.Epsilon, "epsilon_sdc", "must be 0 (or left out) under disclosure control, which spends no budget")
	}
	return in, errs.Err()
}

// sqlFieldError reports a refused statement as a 422 on the field "sql",
// with the refused fragment as the value.
func sqlFieldError(r *datastore.SQLRefusal) error {
	fe := validate.FieldError{Field: "sql", Message: r.Error(), Code: "sql_refused"}
	if r.Fragment != "" {
		fe.Value = r.Fragment
	}
	return validate.Errors{fe}
}

// submitSchema is what the operator's statements may read under auth: the
// zone's members it covers, narrowed to the items its grants name.
func (s *Service) submitSchema(ctx context.Context, z Zone, auth Authorisation) (zsql.Schema, error) {
	grants, err := s.acc.GrantsByOrigin(ctx, access.OriginZone, auth.ID)
	if err != nil {
		return zsql.Schema{}, err
	}
	fields := map[string][]string{}
	for _, g := range grants {
		for _, id := range g.ResourceIDs {
			fields[id] = g.Policy.Fields
		}
	}
	items := map[string][]catalog.Item{}
	for _, m := range z.Members {
		if !slices.Contains(auth.ResourceIDs, m.ResourceID) {
			continue
		}
		r, err := s.cat.Get(ctx, identity.System, m.ResourceID)
		if err != nil {
			return zsql.Schema{}, err
		}
		items[m.ResourceID] = r.Items
	}
	return zoneSchema(z, items, fields), nil
}

// zoneSchema is the guard's schema of the zone's members that items holds
// (each resource's items with their types), every item with the zone's
// role and bounds for it, less the items fields leaves out of a resource
// (fields[id] empty: all of them).
func zoneSchema(z Zone, items map[string][]catalog.Item, fields map[string][]string) zsql.Schema {
	var schema zsql.Schema
	for _, m := range z.Members {
		its, ok := items[m.ResourceID]
		if !ok {
			continue
		}
		t := zsql.Table{ID: m.ResourceID}
		for _, rule := range m.Items {
			i := slices.IndexFunc(its, func(it catalog.Item) bool { return it.Name == rule.Name })
			if i < 0 || (len(fields[m.ResourceID]) > 0 && !slices.Contains(fields[m.ResourceID], rule.Name)) {
				continue
			}
			t.Items = append(t.Items, zsql.Item{Name: rule.Name, Type: its[i].Type, Role: rule.Role, Lower: rule.Lower, Upper: rule.Upper})
		}
		schema.Tables = append(schema.Tables, t)
	}
	return schema
}

// record stores a new query (queued, or refused at submission) with its
// events, and queues a queued one's job, in one transaction.
func (s *Service) record(ctx context.Context, q Query, plan *zsql.Plan) error {
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		var jobID int64
		if q.Status == QueryQueued && s.cfg.Jobs != nil {
			id, err := s.cfg.Jobs.EnqueueZoneQuery(ctx, tx, q.ID)
			if err != nil {
				return err
			}
			jobID = id
		}
		planJSON, result := "", ""
		if plan != nil {
			planJSON = jsonText(plan)
		}
		if q.Status == QueryRefused {
			result = jsonText(storedResult{EpsilonRemaining: q.EpsilonRemaining})
		}
		var finished any
		if q.Status != QueryQueued {
			finished = store.TS(tx.Now())
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO zone_queries (id, zone_id, authorisation_id, operator_org_id, user_id, sql_text,
			sql_sha256, mechanism, epsilon_micro, status, reason, plan, result, resource_ids, job_id, created_at, finished_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
			q.ID, q.ZoneID, q.AuthorisationID, q.OperatorOrgID, q.UserID, q.SQL, store.SHA256Hex(q.SQL), string(q.Mechanism),
			micro(q.Epsilon), q.Status, q.Reason, planJSON, result, jsonText(nonNil(q.ResourceIDs)), jobID, store.TS(q.CreatedAt), finished)
		if err != nil {
			return fmt.Errorf("zones: record query: %w", err)
		}
		ev := queryEvent(q, "zone.query.submitted")
		if err := tx.Emit(ctx, ev, map[string]any{"zone_id": q.ZoneID, "authorisation_id": q.AuthorisationID,
			"mechanism": q.Mechanism, "epsilon": q.Epsilon, "sql_sha256": store.SHA256Hex(q.SQL), "resource_ids": nonNil(q.ResourceIDs)}); err != nil {
			return err
		}
		if q.Status == QueryRefused {
			return emitRefused(ctx, tx, q)
		}
		return nil
	})
}

// queryEvent is an event about query q, by its operator.
func queryEvent(q Query, typ string) store.Event {
	return store.Event{Type: typ, ActorUserID: q.UserID, ActorOrgID: q.OperatorOrgID, SubjectKind: "zone_query", SubjectID: q.ID}
}

// emitRefused writes the event of a refused query: its reason's code and
// the statement's hash, never the statement.
func emitRefused(ctx context.Context, tx *store.Tx, q Query) error {
	code, _, _ := strings.Cut(q.Reason, ":")
	return tx.Emit(ctx, queryEvent(q, "zone.query.refused"), map[string]any{"zone_id": q.ZoneID, "reason": code,
		"sql_sha256": store.SHA256Hex(q.SQL)})
}

func nonNil(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}

// backgroundRuns is how many queries run at once without a job runner,
// as a runner's few workers would run them: more only queue up on
// SQLite's one writer.
const backgroundRuns = 2

// runLater runs a query in the background when the service has no job
// runner (tests, tools): the query outlives the request that submitted it.
func (s *Service) runLater(id string) {
	go func() {
		ctx := context.Background()
		s.background <- struct{}{}
		defer func() { <-s.background }()
		if err := s.Run(ctx, id); err != nil {
			s.cfg.Log.ErrorContext(ctx, "zones: query run", "query", id, "err", err)
		}
	}()
}

// Await waits until the query is finished or ctx ends, and returns it as
// actor may see it: finished, or as it stood when ctx ended (queued or
// running), without an error then.
func (s *Service) Await(ctx context.Context, actor identity.Principal, id string) (Query, error) {
	woken, stop := s.waiting.add(id)
	defer stop()
	wait := 10 * time.Millisecond
	for {
		q, err := s.Query(context.WithoutCancel(ctx), actor, id)
		if err != nil || q.Finished() {
			return q, err
		}
		select {
		case <-ctx.Done():
			return q, nil
		case <-woken: // this process ran it; another replica's run is polled for
		case <-time.After(wait):
		}
		wait = min(wait*2, 250*time.Millisecond)
	}
}

// waiters are the Await calls of this process, by query id: a run that
// ends here wakes them at once instead of at their next poll.
type waiters struct {
	mu sync.Mutex
	m  map[string]map[chan struct{}]bool
}

// add registers a waiter for query id; stop removes it.
func (w *waiters) add(id string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	w.mu.Lock()
	if w.m == nil {
		w.m = map[string]map[chan struct{}]bool{}
	}
	if w.m[id] == nil {
		w.m[id] = map[chan struct{}]bool{}
	}
	w.m[id][ch] = true
	w.mu.Unlock()
	return ch, func() {
		w.mu.Lock()
		delete(w.m[id], ch)
		if len(w.m[id]) == 0 {
			delete(w.m, id)
		}
		w.mu.Unlock()
	}
}

// wake tells the waiters of query id to look again.
func (w *waiters) wake(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for ch := range w.m[id] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// QueryFilter selects queries.
type QueryFilter struct {
	ZoneID string
	Status string
	Cursor string
	Limit  int
}

// storedResult is what zone_queries.result holds: the released table
// (shown as Query's columns, rows and suppressed rows) and what was left
// of the budget when the query finished.
type storedResult struct {
	Columns          []string `json:"columns,omitempty"`
	Rows             [][]any  `json:"rows,omitempty"`
	Suppressed       []int    `json:"suppressed,omitempty"`
	EpsilonRemaining float64  `json:"epsilon_remaining"`
}

// queryColumns are the columns scanQuery reads, in its order.
const queryColumns = `id, zone_id, authorisation_id, operator_org_id, user_id, sql_text, mechanism, epsilon_micro, status,
	reason, result, resource_ids, suppressed_cells, released_cells, epsilon_spent_micro, rows_scanned, compute_ms, progress,
	created_at, finished_at`

func scanQuery(r rowScanner) (Query, error) {
	var q Query
	var eps, spent int64
	var result, resources string
	var finished time.Time
	err := r.Scan(&q.ID, &q.ZoneID, &q.AuthorisationID, &q.OperatorOrgID, &q.UserID, &q.SQL, &q.Mechanism, &eps, &q.Status,
		&q.Reason, &result, &resources, &q.SuppressedCells, &q.Meter.CellsReleased, &spent, &q.Meter.RowsScanned,
		&q.Meter.ComputeMS, &q.Progress, store.ScanTime(&q.CreatedAt), store.ScanTime(&finished))
	if err != nil {
		return q, err
	}
	q.Epsilon, q.EpsilonSpent, q.Meter.Epsilon = epsilon(eps), epsilon(spent), epsilon(spent)
	if !finished.IsZero() {
		q.FinishedAt = &finished
	}
	if err := json.Unmarshal([]byte(resources), &q.ResourceIDs); err != nil {
		return q, fmt.Errorf("zones: query %s resources: %w", q.ID, err)
	}
	if result != "" {
		var res storedResult
		if err := decodeJSON(result, &res); err != nil {
			return q, fmt.Errorf("zones: query %s result: %w", q.ID, err)
		}
		q.Columns, q.Rows, q.Suppressed, q.EpsilonRemaining = res.Columns, res.Rows, res.Suppressed, res.EpsilonRemaining
	}
	return q, nil
}

// decodeJSON decodes a stored JSON value, keeping whole numbers int64
// (json.Number would otherwise make every number a float64).
func decodeJSON(text string, v any) error {
	d := json.NewDecoder(strings.NewReader(text))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return err
	}
	plainNumbers(v)
	return nil
}

// plainNumbers turns the json.Numbers of decoded rows and keys into int64
// or float64.
func plainNumbers(v any) {
	switch v := v.(type) {
	case *storedResult:
		for _, row := range v.Rows {
			numbersIn(row)
		}
	case *[]storedCell:
		for _, c := range *v {
			numbersIn(c.Key)
		}
	}
}

func numbersIn(vals []any) {
	for i, x := range vals {
		n, ok := x.(json.Number)
		if !ok {
			continue
		}
		if iv, err := n.Int64(); err == nil {
			vals[i] = iv
		} else if fv, err := n.Float64(); err == nil {
			vals[i] = fv
		}
	}
}

// readQuery reads one query without permission checks.
func (s *Service) readQuery(ctx context.Context, q store.Querier, id string) (Query, error) {
	out, err := scanQuery(q.QueryRowContext(ctx, `SELECT `+queryColumns+` FROM zone_queries WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Query{}, notFound("query", id)
	}
	if err != nil {
		return Query{}, fmt.Errorf("zones: read query: %w", err)
	}
	return out, nil
}

// Query returns a query as actor may see it: its operator sees the
// result once released; the steward and platform operators see the
// result in review too.
func (s *Service) Query(ctx context.Context, actor identity.Principal, id string) (Query, error) {
	q, err := s.readQuery(ctx, s.db, id)
	if err != nil {
		return Query{}, err
	}
	z, err := s.zone(ctx, s.db, q.ZoneID)
	if err != nil {
		return Query{}, err
	}
	see, result := s.queryView(actor, z, q)
	if !see {
		return Query{}, notFound("query", id)
	}
	return shown(q, result), nil
}

// queryView says whether p may see query q of zone z, and its result.
func (s *Service) queryView(p identity.Principal, z Zone, q Query) (see, result bool) {
	switch {
	case p.IsAnonymous():
		return false, false
	case isPlatformOperator(p) || s.isSteward(p, z):
		return true, q.Status == QueryReleased || q.Status == QueryReview
	case p.RoleIn(q.OperatorOrgID) != "":
		return true, q.Status == QueryReleased
	}
	return false, false
}

// shown is q without its result unless result.
func shown(q Query, result bool) Query {
	if !result {
		q.Columns, q.Rows, q.Suppressed = nil, nil, nil
	}
	return q
}

// Queries lists the queries actor may see, newest first, and the next cursor.
func (s *Service) Queries(ctx context.Context, actor identity.Principal, f QueryFilter) ([]Query, string, error) {
	if actor.IsAnonymous() {
		return nil, "", identity.ErrUnauthenticated
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 200)
	var errs validate.Errors
	if f.Cursor != "" && !cursorID(f.Cursor) {
		errs.Add("cursor", f.Cursor, validate.CodeCursor, "is not a cursor from a previous page")
	}
	if f.Status != "" {
		validate.OneOf(&errs, "status", f.Status, QueryQueued, QueryRunning, QueryReleased, QueryRefused, QueryReview, QueryFailed)
	}
	if err := errs.Err(); err != nil {
		return nil, "", err
	}
	if f.ZoneID != "" {
		z, err := s.zone(ctx, s.db, f.ZoneID)
		if err != nil {
			return nil, "", err
		}
		f.ZoneID = z.ID
	}
	where, args := []string{"1 = 1"}, []any{}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.ZoneID != "" {
		where = append(where, "q.zone_id = "+arg(f.ZoneID))
	}
	if f.Status != "" {
		where = append(where, "q.status = "+arg(f.Status))
	}
	if f.Cursor != "" {
		where = append(where, "q.id < "+arg(f.Cursor))
	}
	if !isPlatformOperator(actor) {
		orgs := actor.OrgIDs()
		if len(orgs) == 0 {
			return nil, "", nil
		}
		list := placeholders(&args, orgs)
		where = append(where, "(q.operator_org_id IN ("+list+") OR z.steward_org_id IN ("+list+"))")
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+prefixed("q.", queryColumns)+`, z.steward_org_id FROM zone_queries q
		JOIN zones z ON z.id = q.zone_id WHERE `+strings.Join(where, " AND ")+` ORDER BY q.id DESC LIMIT `+arg(f.Limit+1), args...)
	if err != nil {
		return nil, "", fmt.Errorf("zones: list queries: %w", err)
	}
	defer rows.Close()
	var out []Query
	for rows.Next() {
		var steward string
		q, err := scanQuery(scanWith(rows, &steward))
		if err != nil {
			return nil, "", err
		}
		_, result := s.queryView(actor, Zone{ID: q.ZoneID, StewardOrgID: steward}, q)
		out = append(out, shown(q, result))
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > f.Limit {
		out, next = out[:f.Limit], out[f.Limit-1].ID
	}
	return out, next, nil
}

// cursorID reports whether a cursor is a query id (what Queries gives).
func cursorID(c string) bool {
	if len(c) != 36 {
		return false
	}
	for i, r := range c {
		hex := r >= '0' && r <= '9' || r >= 'a' && r <= 'f'
		if i == 8 || i == 13 || i == 18 || i == 23 {
			hex = r == '-'
		}
		if !hex {
			return false
		}
	}
	return true
}

// prefixed qualifies each column of a column list with prefix.
func prefixed(prefix, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// scanWith scans a row whose last columns follow those scanQuery reads.
func scanWith(r rowScanner, extra ...any) rowScanner { return extraScanner{r, extra} }

type extraScanner struct {
	r     rowScanner
	extra []any
}

func (e extraScanner) Scan(dest ...any) error { return e.r.Scan(append(dest, e.extra...)...) }

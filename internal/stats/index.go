package stats

// The published composite index of the digital economy (article 7): one
// immutable release per year, computed by package composite from the
// year's indicator table (Indicators) under a published method, and kept
// with everything needed to recompute it — the method, the input values
// as canonical text, the institutions and indicators as named then, and
// the result — each with its SHA-256, which the stats.index.published
// event carries. docs/stats-index.md states the method.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"dataport/internal/identity"
	"dataport/internal/stats/composite"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// EventIndexPublished is the event of a published index.
const EventIndexPublished = "stats.index.published"

// IndexRelease is a published index: its method, inputs and result with
// their hashes. It never changes once published.
type IndexRelease struct {
	ID     string `json:"id"`
	Period string `json:"period"` // YYYY
	// Method is the method the index was computed with.
	Method composite.Method `json:"method"`
	// Indicators describe the method's indicators (names, units), as the
	// indicator system named them when the index was published.
	Indicators []Indicator `json:"indicators"`
	// Orgs are the institutions of the year's table, as named then.
	Orgs   []Org            `json:"orgs"`
	Result composite.Result `json:"result"`
	// Inputs is the canonical text of the values the index combined
	// (IndexInputs); InputsSHA256 its hex SHA-256.
	Inputs       string    `json:"-"`
	InputsSHA256 string    `json:"inputs_sha256"`
	MethodSHA256 string    `json:"method_sha256"` // of the method's JSON as stored
	ResultSHA256 string    `json:"result_sha256"` // of the result's JSON as stored
	PublishedBy  string    `json:"published_by"`  // the user id
	PublishedAt  time.Time `json:"published_at"`
}

// IndexSummary is a release in the list of published years.
type IndexSummary struct {
	ID          string    `json:"id"`
	Period      string    `json:"period"`
	Ranked      int       `json:"ranked"`
	PublishedAt time.Time `json:"published_at"`
}

// PublishInput is what the operator publishes: a year and the method
// (nil: DefaultMethod).
type PublishInput struct {
	Period string            `json:"period"`
	Method *composite.Method `json:"method,omitempty"`
}

// CanPublishIndex reports whether p may publish an index: the platform
// operator (市大数据中心) and sysadmins.
func CanPublishIndex(p identity.Principal) bool {
	return p.Has(identity.PlatformOperator) || p.Has(identity.PlatformSysadmin)
}

var yearPattern = regexp.MustCompile(`^(19|20|21)[0-9]{2}$`)

// PublishIndex computes the index of in.Period from Indicators(period)
// under in.Method and publishes it. Only CanPublishIndex may; a year is
// published once (store.ErrConflict after); a bad period or method is a
// validate.Errors ("period", "method.indicators[2].weight", …) and
// nothing is written.
func (s *Service) PublishIndex(ctx context.Context, actor identity.Principal, in PublishInput) (IndexRelease, error) {
	m, err := s.checkPublish(actor, in)
	if err != nil {
		return IndexRelease{}, err
	}
	table, err := s.Indicators(ctx, in.Period)
	if err != nil {
		return IndexRelease{}, err
	}
	return s.publish(ctx, actor, table, in.Period, m)
}

// checkPublish refuses what may not be published, before anything is
// computed, and returns the method to publish with.
func (s *Service) checkPublish(actor identity.Principal, in PublishInput) (composite.Method, error) {
	if err := s.mayPublish(actor, in.Period); err != nil {
		return composite.Method{}, err
	}
	m := DefaultMethod()
	if in.Method != nil {
		m = *in.Method
	}
	return m, checkMethod(m, System())
}

// mayPublish refuses an actor who may not publish, or a period that is
// not a year that has ended (in Beijing): an annual index is published
// once, so never over part of a year.
func (s *Service) mayPublish(actor identity.Principal, period string) error {
	if !CanPublishIndex(actor) {
		return fmt.Errorf("publish the index: %w", identity.ErrForbidden)
	}
	var errs validate.Errors
	last := s.now().In(Beijing).Year() - 1
	if !yearPattern.MatchString(period) {
		errs.Add("period", period, validate.CodeFormat, "must be a year written YYYY")
	} else if year, _ := strconv.Atoi(period); year > last {
		errs.Add("period", period, validate.CodeRange, "must be between %d and %d: a year is published once it has ended", 1900, last)
	}
	return errs.Err()
}

// publishTable publishes the index of table (the year's indicators).
func (s *Service) publishTable(ctx context.Context, actor identity.Principal, table Table, in PublishInput) (IndexRelease, error) {
	m, err := s.checkPublish(actor, in)
	if err != nil {
		return IndexRelease{}, err
	}
	return s.publish(ctx, actor, table, in.Period, m)
}

// publish computes the index of table under m and keeps it.
func (s *Service) publish(ctx context.Context, actor identity.Principal, table Table, period string, m composite.Method) (IndexRelease, error) {
	input := IndexInput(m, table)
	res, err := composite.Compute(m, input)
	if err != nil {
		return IndexRelease{}, err
	}
	if len(res.Scores) == 0 {
		var errs validate.Errors
		errs.Add("period", period, validate.CodeUnknown, "has no institution with enough indicator values to rank")
		return IndexRelease{}, errs
	}
	rel := IndexRelease{ID: store.NewID(), Period: period, Method: m, Indicators: methodIndicators(m, table),
		Orgs: table.Orgs, Result: res, Inputs: IndexInputs(input), PublishedBy: actor.UserID}
	if rel.Orgs == nil {
		rel.Orgs = []Org{}
	}
	rel.InputsSHA256 = store.SHA256Hex(rel.Inputs)
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		rel.PublishedAt = tx.Now().UTC().Truncate(time.Microsecond)
		return insertRelease(ctx, tx, &rel)
	})
	return rel, err
}

// checkMethod validates m and that every indicator it names is one of
// system's, naming each bad field under "method.".
func checkMethod(m composite.Method, system []Indicator) error {
	var errs validate.Errors
	if err := composite.Check(m); err != nil {
		var fields validate.Errors
		if !errors.As(err, &fields) {
			return err
		}
		for _, fe := range fields {
			fe.Field = "method." + fe.Field
			errs = append(errs, fe)
		}
	}
	for i, w := range m.Indicators {
		if w.Code != "" && !slices.ContainsFunc(system, func(ind Indicator) bool { return ind.Code == w.Code }) {
			errs.Add("method.indicators["+strconv.Itoa(i)+"].code", w.Code, validate.CodeUnknown, "is not an indicator of the statistics")
		}
	}
	return errs.Err()
}

// methodIndicators describes m's indicators from table, in m's order.
func methodIndicators(m composite.Method, table Table) []Indicator {
	out := []Indicator{}
	for _, w := range m.Indicators {
		for _, ind := range table.Indicators {
			if ind.Code == w.Code {
				out = append(out, ind)
			}
		}
	}
	return out
}

// IndexInput is what the index combines from table under m: every
// institution of the table (not the city) with its values of m's
// indicators.
func IndexInput(m composite.Method, table Table) composite.Input {
	in := composite.Input{}
	for _, org := range table.Orgs {
		if org.ID != CityWide {
			in[org.ID] = map[string]float64{}
		}
	}
	codes := map[string]bool{}
	for _, w := range m.Indicators {
		codes[w.Code] = true
	}
	for _, v := range table.Values {
		if unit, ok := in[v.OrgID]; ok && codes[v.Indicator] {
			unit[v.Indicator] = v.Value
		}
	}
	return in
}

// IndexInputs is the canonical text of in: a line "org_id TAB indicator
// TAB value" per value, the value written as printf's %.17g (which
// round-trips), lines sorted by org_id then indicator (byte order), each
// ending in a newline. Its SHA-256 is a release's inputs hash.
func IndexInputs(in composite.Input) string {
	var lines []string
	for unit, values := range in {
		for code, v := range values {
			lines = append(lines, unit+"\t"+code+"\t"+strconv.FormatFloat(v, 'g', 17, 64)+"\n")
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "")
}

// hashJSON returns v's JSON and its hex SHA-256.
func hashJSON(v any) (string, string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return "", "", err
	}
	sum := sha256.Sum256(raw)
	return string(raw), hex.EncodeToString(sum[:]), nil
}

// insertRelease writes rel (once per period) and its event.
func insertRelease(ctx context.Context, tx *store.Tx, rel *IndexRelease) error {
	var taken int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM stats_index_releases WHERE period = $1`, rel.Period).Scan(&taken); err != nil {
		return fmt.Errorf("stats: index release: %w", err)
	}
	if taken > 0 {
		return validate.Refuse(store.ErrConflict, "index_published", "the index of %s is already published", rel.Period)
	}
	method, methodHash, err := hashJSON(rel.Method)
	if err != nil {
		return err
	}
	result, resultHash, err := hashJSON(rel.Result)
	if err != nil {
		return err
	}
	orgs, _, _ := hashJSON(rel.Orgs)
	inds, _, _ := hashJSON(rel.Indicators)
	rel.MethodSHA256, rel.ResultSHA256 = methodHash, resultHash
	_, err = tx.ExecContext(ctx, `INSERT INTO stats_index_releases (id, period, method, method_sha256, inputs, inputs_sha256,
		result, result_sha256, orgs, indicators, published_by, published_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		rel.ID, rel.Period, method, methodHash, rel.Inputs, rel.InputsSHA256, result, resultHash, orgs, inds, rel.PublishedBy,
		store.TS(rel.PublishedAt))
	if store.IsUniqueViolation(err) {
		return validate.Refuse(store.ErrConflict, "index_published", "the index of %s is already published", rel.Period)
	}
	if err != nil {
		return fmt.Errorf("stats: publish index: %w", err)
	}
	return tx.Emit(ctx, store.Event{Type: EventIndexPublished, ActorUserID: rel.PublishedBy, SubjectKind: "stats_index",
		SubjectID: rel.ID}, map[string]any{"period": rel.Period, "method_version": rel.Method.Version,
		"method_sha256": methodHash, "inputs_sha256": rel.InputsSHA256, "result_sha256": resultHash,
		"ranked": len(rel.Result.Scores), "unranked": len(rel.Result.Unranked), "runs": rel.Result.Runs})
}

// Index returns the published index of period (store.ErrNotFound when
// none is). Anyone may read it.
func (s *Service) Index(ctx context.Context, period string) (IndexRelease, error) {
	var rel IndexRelease
	var method, result, orgs, inds string
	err := s.db.QueryRowContext(ctx, `SELECT id, period, method, method_sha256, inputs, inputs_sha256, result, result_sha256,
		orgs, indicators, published_by, published_at FROM stats_index_releases WHERE period = $1`, period).Scan(
		&rel.ID, &rel.Period, &method, &rel.MethodSHA256, &rel.Inputs, &rel.InputsSHA256, &result, &rel.ResultSHA256,
		&orgs, &inds, &rel.PublishedBy, store.ScanTime(&rel.PublishedAt))
	if errors.Is(err, sql.ErrNoRows) {
		return IndexRelease{}, fmt.Errorf("the index of %q: %w", period, store.ErrNotFound)
	}
	if err != nil {
		return IndexRelease{}, fmt.Errorf("stats: index: %w", err)
	}
	for _, f := range []struct {
		raw string
		v   any
	}{{method, &rel.Method}, {result, &rel.Result}, {orgs, &rel.Orgs}, {inds, &rel.Indicators}} {
		if err := json.Unmarshal([]byte(f.raw), f.v); err != nil {
			return IndexRelease{}, fmt.Errorf("stats: index %s: %w", period, err)
		}
	}
	return rel, nil
}

// Indexes lists the published years, newest first.
func (s *Service) Indexes(ctx context.Context) ([]IndexSummary, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, period, result, published_at FROM stats_index_releases ORDER BY period DESC`)
	if err != nil {
		return nil, fmt.Errorf("stats: indexes: %w", err)
	}
	defer rows.Close()
	out := []IndexSummary{}
	for rows.Next() {
		var sum IndexSummary
		var result string
		if err := rows.Scan(&sum.ID, &sum.Period, &result, store.ScanTime(&sum.PublishedAt)); err != nil {
			return nil, err
		}
		var res composite.Result
		if err := json.Unmarshal([]byte(result), &res); err != nil {
			return nil, fmt.Errorf("stats: index %s: %w", sum.Period, err)
		}
		sum.Ranked = len(res.Scores)
		out = append(out, sum)
	}
	return out, rows.Err()
}

package monitor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"

	"cel.dev/cel-go/cel"
)

// RuleInput is what the security officer writes to create or change a rule.
type RuleInput struct {
	Body string `json:"body" maxLength:"16000" doc:"The rule's YAML: code, name_zh, name_en, severity, source, where (CEL), correlate, suppress, enabled"`
}

// compiled is a rule ready to run.
type compiled struct {
	Rule
	spec  Spec
	where cel.Program // nil: every observation of the source matches
	loc   *time.Location
	// fingerprint names the correlation but for its time zone: the
	// engine's windows and baselines of the rule start afresh when it
	// changes (engine.state).
	fingerprint string
}

// compile parses body into a rule ready to run; the rule keeps the body
// with its line breaks made "\n".
func compile(body string) (*compiled, error) {
	body = lineBreaks(body)
	sp, err := ParseSpec(body)
	if err != nil {
		return nil, err
	}
	c := &compiled{spec: sp, Rule: Rule{Code: sp.Code, NameZh: sp.NameZh, NameEn: sp.NameEn, Severity: sp.Severity, Source: sp.Source,
		Enabled: sp.enabled(), Body: body}, loc: beijing}
	if sp.Where != "" {
		if c.where, err = compileWhere(sp.Where); err != nil {
			return nil, err // checked by ParseSpec already
		}
	}
	if cr := sp.Correlate; cr != nil {
		if cr.Timezone != "" {
			c.loc, _ = time.LoadLocation(cr.Timezone)
		}
		zoneless := *cr
		zoneless.Timezone = ""
		c.fingerprint = fmt.Sprintf("%+v", zoneless)
	}
	return c, nil
}

// beijing is China Standard Time, the hours' default zone (fixed, so that
// no time zone database is needed).
var beijing = time.FixedZone("Asia/Shanghai", 8*3600)

const ruleColumns = `id, code, name_zh, name_en, severity, source, enabled, is_default, body, created_at, updated_at, updated_by`

func scanRule(row interface{ Scan(...any) error }) (Rule, error) {
	var r Rule
	err := row.Scan(&r.ID, &r.Code, &r.NameZh, &r.NameEn, &r.Severity, &r.Source, &r.Enabled, &r.Default, &r.Body,
		store.ScanTime(&r.CreatedAt), store.ScanTime(&r.UpdatedAt), &r.UpdatedBy)
	return r, err
}

func listRules(ctx context.Context, q store.Querier) ([]Rule, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+ruleColumns+` FROM monitor_rules ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("monitor: rules: %w", err)
	}
	defer rows.Close()
	out := []Rule{}
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func ruleByID(ctx context.Context, q store.Querier, id string) (Rule, error) {
	r, err := scanRule(q.QueryRowContext(ctx, `SELECT `+ruleColumns+` FROM monitor_rules WHERE id = $1 OR code = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Rule{}, fmt.Errorf("monitor rule %q: %w", id, store.ErrNotFound)
	}
	return r, err
}

// Rules lists every rule by code (security officer, regulator, auditor).
func (s *Service) Rules(ctx context.Context, actor identity.Principal) ([]Rule, error) {
	if err := seeing(actor); err != nil {
		return nil, err
	}
	return listRules(ctx, s.db)
}

// Rule returns one rule by id or code.
func (s *Service) Rule(ctx context.Context, actor identity.Principal, id string) (Rule, error) {
	if err := seeing(actor); err != nil {
		return Rule{}, err
	}
	return ruleByID(ctx, s.db, id)
}

// CreateRule adds a rule (security officer). A body that is not a valid
// rule, or whose code is taken, is a field error on body naming the line.
func (s *Service) CreateRule(ctx context.Context, actor identity.Principal, in RuleInput) (Rule, error) {
	if err := managing(actor); err != nil {
		return Rule{}, err
	}
	c, err := compile(in.Body)
	if err != nil {
		return Rule{}, err
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		c.ID, c.CreatedAt, c.UpdatedAt, c.UpdatedBy = store.NewID(), tx.Now(), tx.Now(), actor.UserID
		if err := insertRule(ctx, tx, &c.Rule); err != nil {
			return err
		}
		tx.AfterCommit(s.rulesChanged)
		return emitRule(ctx, tx, actor, "created", c.Rule)
	})
	return c.Rule, err
}

func insertRule(ctx context.Context, tx *store.Tx, r *Rule) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO monitor_rules (`+ruleColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
		r.ID, r.Code, r.NameZh, r.NameEn, r.Severity, r.Source, r.Enabled, r.Default, r.Body, store.TS(r.CreatedAt), store.TS(r.UpdatedAt), r.UpdatedBy)
	if store.IsUniqueViolation(err) {
		var errs validate.Errors
		ruleError(&errs, r.Body, 0, validate.CodeDuplicate, "code %s is another rule's", r.Code)
		return errs
	}
	if err != nil {
		return fmt.Errorf("monitor: create rule: %w", err)
	}
	return nil
}

// UpdateRule replaces a rule's body (security officer). Its code stays: a
// body with another code is a field error. A changed correlation starts
// the rule's windows and baselines afresh.
func (s *Service) UpdateRule(ctx context.Context, actor identity.Principal, id string, in RuleInput) (Rule, error) {
	if err := managing(actor); err != nil {
		return Rule{}, err
	}
	c, err := compile(in.Body)
	if err != nil {
		return Rule{}, err
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		old, err := ruleByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if c.Code != old.Code {
			var errs validate.Errors
			ruleError(&errs, c.Body, 0, "code_fixed", "code cannot change: this rule is %s", old.Code)
			return errs
		}
		c.ID, c.Default, c.CreatedAt, c.UpdatedAt, c.UpdatedBy = old.ID, old.Default, old.CreatedAt, tx.Now(), actor.UserID
		if _, err := tx.ExecContext(ctx, `UPDATE monitor_rules SET name_zh = $1, name_en = $2, severity = $3, source = $4, enabled = $5,
			body = $6, updated_at = $7, updated_by = $8 WHERE id = $9`, c.NameZh, c.NameEn, c.Severity, c.Source, c.Enabled, c.Body,
			store.TS(c.UpdatedAt), c.UpdatedBy, c.ID); err != nil {
			return fmt.Errorf("monitor: update rule: %w", err)
		}
		tx.AfterCommit(s.rulesChanged)
		return emitRule(ctx, tx, actor, "updated", c.Rule)
	})
	return c.Rule, err
}

func emitRule(ctx context.Context, tx *store.Tx, actor identity.Principal, what string, r Rule) error {
	return tx.Emit(ctx, store.Event{Type: "monitor.rule." + what, ActorUserID: actor.UserID, SubjectKind: "monitor_rule", SubjectID: r.ID},
		map[string]any{"rule_id": r.ID, "code": r.Code, "severity": r.Severity, "source": r.Source, "enabled": r.Enabled,
			"body_sha256": store.SHA256Hex(r.Body)})
}

// seedRules writes the default rules whose codes are missing.
func (s *Service) seedRules(ctx context.Context) error {
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		for _, body := range DefaultRules {
			c, err := compile(body)
			if err != nil {
				return fmt.Errorf("monitor: default rule: %w", err)
			}
			c.ID, c.Default, c.CreatedAt, c.UpdatedAt = store.NewID(), true, tx.Now(), tx.Now()
			res, err := tx.ExecContext(ctx, `INSERT INTO monitor_rules (`+ruleColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)
				ON CONFLICT (code) DO NOTHING`, c.ID, c.Code, c.NameZh, c.NameEn, c.Severity, c.Source, c.Enabled, true, c.Body,
				store.TS(c.CreatedAt), store.TS(c.UpdatedAt), "")
			if err != nil {
				return fmt.Errorf("monitor: seed rule %s: %w", c.Code, err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				if err := emitRule(ctx, tx, identity.System, "created", c.Rule); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// reloadRules reads and compiles the enabled rules. A stored rule that no
// longer compiles (written by another version) is left out and logged.
func (s *Service) reloadRules(ctx context.Context) error {
	rules, err := listRules(ctx, s.db)
	if err != nil {
		return err
	}
	out := make([]*compiled, 0, len(rules))
	for _, r := range rules {
		if !r.Enabled {
			continue
		}
		c, err := compile(r.Body)
		if err != nil {
			s.cfg.Log.WarnContext(ctx, "monitor: a stored rule does not compile and is not run", "rule", r.Code, "err", err)
			continue
		}
		c.Rule = r
		out = append(out, c)
	}
	s.rules.Store(&out)
	return nil
}

// rulesChanged reads the rules again after a change committed.
func (s *Service) rulesChanged() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.reloadRules(ctx); err != nil {
		s.cfg.Log.Error("monitor: rules not reloaded", "err", err)
	}
}

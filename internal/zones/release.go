package zones

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/validate"
	"dataport/internal/zones/zsql"
)

// ReleaseKind is the review kind of results that wait for the steward
// before they are released (near the minimum cell size, or large).
const ReleaseKind = "zone_release"

// StepReleaseReview is the one step of a release review: any member of
// the zone's steward institution holding at least the editor role decides.
const StepReleaseReview = "steward_review"

// registerReleases registers the release review with the service's review
// workflow: filed by the run for the query's operator, its subject the
// query held by the steward institution, approved "released".
func (s *Service) registerReleases() *review.Workflow {
	return s.cfg.Review.Register(review.Kind{Name: ReleaseKind, Title: "zone result", Noun: "result", Article: "a",
		Link: "/zones/queries/", Approved: QueryReleased,
		Steps: []review.Step{{Name: StepReleaseReview, Need: review.AnyOf, Days: 5, RemindDays: 1,
			Reviewers: []review.Reviewer{{Name: "steward", Party: review.PartySubject, Role: identity.RoleEditor}}}},
		Notices: map[string]string{StepReleaseReview: "zone.release_review", QueryReleased: "zone.released",
			string(review.StatusRejected): "zone.release_rejected"},
		Payload: s.releasePayload, Decided: s.releaseDecided})
}

// releasePayload is the payload of a release case's events: identifiers
// only.
func (s *Service) releasePayload(ctx context.Context, q store.Querier, c review.Case) (map[string]any, error) {
	query, err := s.readQuery(ctx, q, c.ID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"query_id": query.ID, "zone_id": query.ZoneID, "operator_org_id": query.OperatorOrgID,
		"status": c.Status}, nil
}

// releaseDecided applies the steward's decision in its transaction: an
// approved result is released, a rejected one refused.
func (s *Service) releaseDecided(ctx context.Context, tx *store.Tx, actor identity.Principal, c review.Case) error {
	q, err := s.readQuery(ctx, tx, c.ID)
	if err != nil {
		return err
	}
	status, reason := QueryReleased, ""
	if c.Status != QueryReleased {
		status, reason = QueryRefused, ReasonRejected
		if c.Reason != "" {
			reason += ": " + c.Reason
		}
	}
	res, err := tx.ExecContext(ctx, `UPDATE zone_queries SET status = $2, reason = $3 WHERE id = $1 AND status = $4`,
		q.ID, status, reason, QueryReview)
	if err != nil {
		return fmt.Errorf("zones: decide release: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return validate.Refuse(catalog.ErrState, "not_in_review", "the query's result is not waiting for review")
	}
	ev := store.Event{Type: "zone.query.released", ActorUserID: actor.UserID, ActorOrgID: c.Subject.OrgID, SubjectKind: "zone_query", SubjectID: q.ID}
	if status == QueryRefused {
		ev.Type = "zone.query.refused"
		return tx.Emit(ctx, ev, map[string]any{"zone_id": q.ZoneID, "reason": ReasonRejected, "sql_sha256": store.SHA256Hex(q.SQL)})
	}
	sum, err := s.resultSHA256(ctx, tx, q.ID)
	if err != nil {
		return err
	}
	return tx.Emit(ctx, ev, map[string]any{"zone_id": q.ZoneID, "result_sha256": sum, "cells": q.Meter.CellsReleased,
		"epsilon": q.EpsilonSpent, "reviewed": true})
}

// resultSHA256 is the hash of a query's stored result: what its events,
// outputs and exchange products name.
func (s *Service) resultSHA256(ctx context.Context, q store.Querier, id string) (string, error) {
	var result string
	if err := q.QueryRowContext(ctx, `SELECT result FROM zone_queries WHERE id = $1`, id).Scan(&result); err != nil {
		return "", fmt.Errorf("zones: read result: %w", err)
	}
	return store.SHA256Hex(result), nil
}

// DecideRelease is the steward's decision on a result in review: approve
// releases it, reject (with a comment saying why) refuses it.
func (s *Service) DecideRelease(ctx context.Context, actor identity.Principal, queryID string, d review.Decision, comment string) (Query, error) {
	if actor.IsAnonymous() {
		return Query{}, identity.ErrUnauthenticated
	}
	if _, err := s.Query(ctx, actor, queryID); err != nil {
		return Query{}, err
	}
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		q, err := s.readQuery(ctx, tx, queryID)
		if err != nil {
			return err
		}
		if q.Status != QueryReview {
			return validate.Refuse(catalog.ErrState, "not_in_review", "the query's result is not waiting for review (it is %s)", q.Status)
		}
		_, err = s.releases.Decide(ctx, tx, actor, queryID, d, comment)
		return err
	})
	if err != nil {
		return Query{}, err
	}
	return s.Query(ctx, actor, queryID)
}

// release runs the difference check against the operator's earlier
// releases and records the result (charging the budget under dp) in one
// transaction. Under the operator's lock in that transaction it looks
// again for releases made meanwhile, and checks those first if there are
// any, so that two queries released at once are checked against each
// other too.
func (s *Service) release(ctx context.Context, r *queryRun) error {
	checked := map[string]bool{}
	for {
		earlier, err := s.earlierReleases(ctx, s.db, r.q)
		if err != nil {
			return err
		}
		var fresh []earlierRelease
		for _, e := range earlier {
			if !checked[e.id] {
				fresh = append(fresh, e)
			}
		}
		if err := s.differenceCheck(ctx, r, fresh); err != nil {
			return err
		}
		for _, e := range fresh {
			checked[e.id] = true
		}
		s.progress(ctx, r, 90)
		err = s.db.Transact(ctx, func(tx *store.Tx) error {
			if err := lockOperator(ctx, tx, r.q); err != nil {
				return err
			}
			now, err := s.earlierReleases(ctx, tx, r.q)
			if err != nil {
				return err
			}
			for _, e := range now {
				if !checked[e.id] {
					return errRecheck
				}
			}
			return s.storeResult(ctx, tx, r)
		})
		if !errors.Is(err, errRecheck) {
			return err
		}
	}
}

// errRecheck means releases were made during the difference check.
var errRecheck = errors.New("zones: releases were made meanwhile")

// lockOperator serialises, until tx ends, the releases of one operator in
// one zone on PostgreSQL (a transaction-scoped advisory lock); SQLite's
// write transactions are serial already.
func lockOperator(ctx context.Context, tx *store.Tx, q Query) error {
	if tx.Dialect != store.Postgres {
		return nil
	}
	sum := sha256.Sum256([]byte("zone-release\x00" + q.ZoneID + "\x00" + q.OperatorOrgID))
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(binary.BigEndian.Uint64(sum[:8]))); err != nil {
		return fmt.Errorf("zones: lock the operator's releases: %w", err)
	}
	return nil
}

// storeResult records a computed result in tx: under dp it charges the
// budget first (refusing the query when the budget cannot take it), then
// stores the result, its released cells and meter, released or waiting
// for the steward's review, with its events.
func (s *Service) storeResult(ctx context.Context, tx *store.Tx, r *queryRun) error {
	q := r.q
	var spent int64
	if q.Mechanism == zsql.DP {
		left, err := s.chargeBudgets(ctx, tx, q.ZoneID, q.OperatorOrgID, r.plan.Tables, micro(q.Epsilon))
		if errors.Is(err, ErrBudget) {
			if left, err = s.budgetLeft(ctx, tx, q.ZoneID, q.OperatorOrgID, r.plan.Tables); err != nil {
				return err
			}
			return s.storeRefused(ctx, tx, r, fmt.Sprintf("%s: epsilon %g asked, %g left", ReasonBudget, q.Epsilon, epsilon(left)))
		} else if err != nil {
			return err
		}
		spent = micro(q.Epsilon)
		if err := tx.Emit(ctx, queryEvent(q, "zone.budget.charged"), map[string]any{"zone_id": q.ZoneID, "operator_org_id": q.OperatorOrgID,
			"resource_ids": r.plan.Tables, "epsilon": q.Epsilon, "remaining": epsilon(left)}); err != nil {
			return err
		}
	}
	left, err := s.budgetLeft(ctx, tx, q.ZoneID, q.OperatorOrgID, r.plan.Tables)
	if err != nil {
		return err
	}
	r.result.EpsilonRemaining = epsilon(left)
	status := QueryReleased
	if r.review {
		status = QueryReview
	}
	result := jsonText(r.result)
	res, err := tx.ExecContext(ctx, `UPDATE zone_queries SET status = $2, reason = '', plan = $3, result = $4, cells = $5,
		resource_ids = $6, suppressed_cells = $7, released_cells = $8, epsilon_spent_micro = $9, rows_scanned = $10,
		compute_ms = $11, progress = 100, finished_at = $12 WHERE id = $1 AND status = $13`,
		q.ID, status, jsonText(r.plan), result, jsonText(nonNilCells(r.released)), jsonText(r.plan.Tables), len(r.result.Suppressed),
		len(r.released), spent, r.rowsScanned, r.elapsed.Milliseconds(), store.TS(tx.Now()), QueryRunning)
	if err != nil {
		return fmt.Errorf("zones: store result: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errFinished
	}
	payload := map[string]any{"zone_id": q.ZoneID, "result_sha256": store.SHA256Hex(result), "cells": len(r.released),
		"suppressed_cells": len(r.result.Suppressed), "epsilon": epsilon(spent), "rows_scanned": r.rowsScanned}
	if status == QueryReleased {
		return tx.Emit(ctx, queryEvent(q, "zone.query.released"), payload)
	}
	if err := tx.Emit(ctx, queryEvent(q, "zone.query.review"), payload); err != nil {
		return err
	}
	_, err = s.releases.File(ctx, tx, r.actor, review.Filing{ID: q.ID, FilerOrgID: q.OperatorOrgID,
		Subject: review.Subject{Kind: "zone_query", ID: q.ID, OrgID: r.zone.StewardOrgID}})
	return err
}

func nonNilCells(cells []storedCell) []storedCell {
	if cells == nil {
		return []storedCell{}
	}
	return cells
}

// storeRefused records a refused run in tx with its event.
func (s *Service) storeRefused(ctx context.Context, tx *store.Tx, r *queryRun, reason string) error {
	q := r.q
	q.Reason = reason
	left := int64(0)
	if r.plan != nil {
		var err error
		if left, err = s.budgetLeft(ctx, tx, q.ZoneID, q.OperatorOrgID, r.plan.Tables); err != nil {
			return err
		}
	}
	res, err := tx.ExecContext(ctx, `UPDATE zone_queries SET status = $2, reason = $3, result = $4, rows_scanned = $5,
		compute_ms = $6, progress = 100, finished_at = $7 WHERE id = $1 AND status = $8`,
		q.ID, QueryRefused, reason, jsonText(storedResult{EpsilonRemaining: epsilon(left)}), r.rowsScanned, r.elapsed.Milliseconds(),
		store.TS(tx.Now()), QueryRunning)
	if err != nil {
		return fmt.Errorf("zones: refuse query: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errFinished
	}
	return emitRefused(ctx, tx, q)
}

// finishRefused records a run's refusal.
func (s *Service) finishRefused(ctx context.Context, r *queryRun, reason string) error {
	err := s.db.Transact(context.WithoutCancel(ctx), func(tx *store.Tx) error { return s.storeRefused(ctx, tx, r, reason) })
	if errors.Is(err, errFinished) {
		return nil
	}
	return err
}

// finishFailed records that the platform could not run the query (its
// budget is not charged; the operator may submit it again).
func (s *Service) finishFailed(ctx context.Context, r *queryRun) error {
	ctx = context.WithoutCancel(ctx)
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE zone_queries SET status = $2, reason = $3, rows_scanned = $4, compute_ms = $5,
			progress = 100, finished_at = $6 WHERE id = $1 AND status = $7`,
			r.q.ID, QueryFailed, ReasonPlatform, r.rowsScanned, r.elapsed.Milliseconds(), store.TS(tx.Now()), QueryRunning)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return tx.Emit(ctx, queryEvent(r.q, "zone.query.failed"), map[string]any{"zone_id": r.q.ZoneID, "reason": ReasonPlatform})
	})
}

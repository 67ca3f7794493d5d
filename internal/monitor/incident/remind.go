package incident

import (
	"context"
	"errors"
	"fmt"
	"time"

	"dataport/internal/identity"
	"dataport/internal/notify"
	"dataport/internal/store"
)

// Reminder stages: a deadline nears (within Config.RemindBefore), or has
// passed unmet.
const (
	StageDueSoon = "due_soon"
	StageOverdue = "overdue"
)

// Tick sends the reminders due at now: for every open or contained
// incident whose notify or report deadline is unmet and near (or passed),
// one notice "incident.due_soon" (or "incident.overdue") to the unit's
// admins, its responsible person and chief data officer, and the security
// officers, with an "incident.reminded" event. Each reminder is sent once
// per deadline, stage and due time (a recomputed deadline is reminded
// again), so a repeated run, or several replicas, send it once. It returns
// how many were sent; the application runs it periodically.
func (s *Service) Tick(ctx context.Context, now time.Time) (int, error) {
	ids, err := store.Strings(ctx, s.db, `SELECT id FROM incidents WHERE state <> 'closed' AND (
		(reported_at IS NULL AND report_due <= $1) OR (notified_at IS NULL AND notify_due IS NOT NULL AND notify_due <= $1)) ORDER BY id`,
		store.TS(now.Add(s.cfg.RemindBefore)))
	if err != nil {
		return 0, fmt.Errorf("incident: due reminders: %w", err)
	}
	n := 0
	var errs []error
	for _, id := range ids {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		err := s.db.Transact(ctx, func(tx *store.Tx) error {
			sent, err := s.remind(ctx, tx, id, now)
			n += sent
			return err
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	return n, errors.Join(errs...)
}

// remind sends incident id's reminders due at now that were not sent yet.
func (s *Service) remind(ctx context.Context, tx *store.Tx, id string, now time.Time) (int, error) {
	inc, err := getIncident(ctx, tx, id, true)
	if err != nil || inc.State == StateClosed {
		return 0, err
	}
	sent := 0
	for _, d := range inc.Deadlines() {
		stage := map[DeadlineStatus]string{DueSoon: StageDueSoon, Overdue: StageOverdue}[d.Status(now, s.cfg.RemindBefore)]
		if stage == "" {
			continue
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO incident_reminders (incident_id, deadline, stage, due_at, sent_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, inc.ID, d.Name, stage, store.TS(d.Due), store.TS(now))
		if err != nil {
			return sent, fmt.Errorf("incident: reminder: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			continue // sent before
		}
		to, err := s.recipients(ctx, tx, inc)
		if err != nil {
			return sent, err
		}
		if err := notify.Send(ctx, tx, "incident."+stage, SubjectKind, inc.ID, Link(inc.ID), to); err != nil {
			return sent, err
		}
		if err := s.emit(ctx, tx, identity.System, inc, "incident.reminded", inc.figures(map[string]any{"deadline": d.Name,
			"stage": stage, "due": store.TS(d.Due), "recipients": len(to.Users)})); err != nil {
			return sent, err
		}
		sent++
	}
	return sent, nil
}

// Link is the page of incident id.
func Link(id string) string { return "/security/incidents/" + id }

// recipients are who a reminder about inc goes to: its unit's admins, its
// responsible person and chief data officer, and the security officers.
func (s *Service) recipients(ctx context.Context, tx *store.Tx, inc Incident) (notify.To, error) {
	users, err := store.Strings(ctx, tx, `SELECT user_id FROM user_platform_roles WHERE role = $1`, string(identity.PlatformSecurity))
	if err != nil {
		return notify.To{}, fmt.Errorf("incident: security officers: %w", err)
	}
	org, err := s.ids.Organization(ctx, inc.OrgID)
	if err != nil {
		return notify.To{}, err
	}
	for _, u := range []string{org.ResponsibleUserID, org.ChiefDataOfficerUserID} {
		if u != "" {
			users = append(users, u)
		}
	}
	return notify.To{Users: users, Orgs: []string{inc.OrgID}, OrgRole: identity.RoleAdmin}, nil
}

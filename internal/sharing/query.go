package sharing

import (
	"fmt"
	"strings"

	"dataport/internal/identity"
)

// ListClause returns the SQL after FROM, with its arguments, that lists
// the items actor may see: side "sent" (requested by actor's
// organizations), "received" (for their data), "queue" (waiting for
// actor's review, oldest deadline first) or "" (both; everything for
// platform staff); status "" for any; at most limit (1–500, default 100).
func (w Workflow) ListClause(actor identity.Principal, side, status string, limit int) (string, []any, error) {
	if actor.IsAnonymous() {
		return "", nil, identity.ErrUnauthenticated
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var b where
	order := "id DESC"
	switch side {
	case "sent":
		b.in(w.RequesterColumn, actor.OrgIDs())
	case "received":
		b.in("provider_org_id", actor.OrgIDs())
	case "queue":
		b.queue(actor)
		b.add(w.RequesterUserColumn+" <> $?", actor.UserID) // nobody reviews what they filed
		order = "due_at, id"
	default:
		if !actor.IsPlatformStaff() {
			b.either(w.RequesterColumn, "provider_org_id", actor.OrgIDs())
		}
	}
	if status != "" {
		b.add("status = $?", status)
	}
	return b.clause() + fmt.Sprintf(` ORDER BY %s LIMIT %d`, order, limit), b.args, nil
}

// where builds a WHERE clause; "$?" in a condition is numbered in order.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	for _, a := range args {
		w.args = append(w.args, a)
		cond = strings.Replace(cond, "$?", fmt.Sprintf("$%d", len(w.args)), 1)
	}
	w.conds = append(w.conds, cond)
}

func (w *where) list(ids []string) string {
	if len(ids) == 0 {
		return "NULL"
	}
	ph := make([]string, len(ids))
	for i, id := range ids {
		w.args = append(w.args, id)
		ph[i] = fmt.Sprintf("$%d", len(w.args))
	}
	return strings.Join(ph, ", ")
}

func (w *where) in(column string, ids []string) {
	w.conds = append(w.conds, column+" IN ("+w.list(ids)+")")
}

func (w *where) either(a, b string, ids []string) {
	w.conds = append(w.conds, "("+a+" IN ("+w.list(ids)+") OR "+b+" IN ("+w.list(ids)+"))")
}

// queue selects what waits for p's review: the provider review of the
// institutions p administers and, for operators, operator review and every
// overdue request (ListClause leaves out what p filed, as MayReview does).
func (w *where) queue(p identity.Principal) {
	var admin []string
	for _, m := range p.Memberships {
		if p.AtLeast(m.OrganizationID, identity.RoleAdmin) {
			admin = append(admin, m.OrganizationID)
		}
	}
	cond := "(status = 'provider_review' AND provider_org_id IN (" + w.list(admin) + "))"
	if CanReviewAsOperator(p) {
		cond = "(" + cond + " OR status = 'operator_review' OR (status = 'provider_review' AND escalated_at IS NOT NULL))"
	}
	w.conds = append(w.conds, cond)
}

func (w *where) clause() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

package sharing

import (
	"fmt"
	"strings"

	"dataport/internal/identity"
)

// where builds a WHERE clause; "$?" in a condition is numbered in order.
// Exported through Where for the opening workflow, which shares it.
type where struct {
	conds []string
	args  []any
}

// Where is the clause builder shared with the opening workflow.
type Where = where

func (w *where) add(cond string, args ...any) {
	for _, a := range args {
		w.args = append(w.args, a)
		cond = strings.Replace(cond, "$?", fmt.Sprintf("$%d", len(w.args)), 1)
	}
	w.conds = append(w.conds, cond)
}

// Add appends a condition.
func (w *where) Add(cond string, args ...any) { w.add(cond, args...) }

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

// In restricts column to ids (nothing when ids is empty).
func (w *where) In(column string, ids []string) { w.in(column, ids) }

func (w *where) either(a, b string, ids []string) {
	w.conds = append(w.conds, "("+a+" IN ("+w.list(ids)+") OR "+b+" IN ("+w.list(ids)+"))")
}

// Either restricts a or b to ids.
func (w *where) Either(a, b string, ids []string) { w.either(a, b, ids) }

// queue selects what waits for p's review: the provider review of the
// institutions p administers and, for operators, operator review and every
// overdue request.
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

// Queue selects what waits for p's review (see queue).
func (w *where) Queue(p identity.Principal) { w.queue(p) }

func (w *where) clause() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// Clause returns " WHERE …" or "".
func (w *where) Clause() string { return w.clause() }

// Args returns the arguments of the clause.
func (w *where) Args() []any { return w.args }

package review

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"dataport/internal/identity"
	"dataport/internal/store"
)

// Filter selects cases for List.
type Filter struct {
	Kind string // one kind ("" every registered kind)
	// Side is "sent" (filed for the caller's organizations), "received"
	// (about subjects they hold), "queue" (waiting for the caller's
	// decision, oldest deadline first), "answer" (waiting for the caller's
	// answer to a request for more information, oldest deadline first),
	// or "" for every case the caller may see (everything for platform
	// staff).
	Side   string
	Status Status // "" any
	Limit  int    // 1–500, default 100
}

// List returns the cases p may see that match f, newest first.
func (w *Workflow) List(ctx context.Context, p identity.Principal, f Filter) ([]Case, error) {
	f.Kind = w.k.Name
	return w.s.List(ctx, p, f)
}

// Queue returns what waits for p's decision across every kind (or f.Kind),
// oldest deadline first: the cases at a step p may decide now, as Decide
// would let them (never their own, never a step they have decided,
// escalated steps for the platform operators).
func (s *Service) Queue(ctx context.Context, p identity.Principal, f Filter) ([]Case, error) {
	f.Side = "queue"
	return s.List(ctx, p, f)
}

// List returns the cases of registered kinds that p may see and f selects.
func (s *Service) List(ctx context.Context, p identity.Principal, f Filter) ([]Case, error) {
	if p.IsAnonymous() {
		return nil, identity.ErrUnauthenticated
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	kinds := s.kinds
	if f.Kind != "" {
		kinds = slices.DeleteFunc(slices.Clone(s.kinds), func(w *Workflow) bool { return w.k.Name != f.Kind })
	}
	b := where{dialect: s.db.Dialect}
	b.in("c.kind", kindNames(kinds))
	order, exact := "c.id DESC", true
	switch f.Side {
	case "sent":
		b.in("c.filer_org_id", p.OrgIDs())
	case "received":
		b.in("c.subject_org_id", p.OrgIDs())
	case "queue":
		exact = b.queue(p, kinds)
		order = "c.due_at, c.id"
	case "answer":
		b.add("c.status = $?", string(StatusMoreInfo))
		b.conds = append(b.conds, "(c.filer_user_id = "+b.arg(p.UserID)+" OR c.filer_org_id IN ("+b.list(p.OrgIDs())+"))")
		order = "c.answer_due_at, c.id"
	default:
		if !p.IsPlatformStaff() {
			b.member(p, kinds)
		}
	}
	if f.Status != "" {
		b.add("c.status = $?", string(f.Status))
	}
	clause := b.clause() + " ORDER BY " + order
	if exact {
		clause += fmt.Sprintf(" LIMIT %d", limit)
	}
	cases, err := s.query(ctx, s.db, clause, b.args...)
	if err != nil || f.Side != "queue" {
		return cases, err
	}
	// The SQL finds at least what Decide allows; Decide's rule has the last word.
	cases = slices.DeleteFunc(cases, func(c Case) bool { return !c.CanDecide(p) })
	return cases[:min(len(cases), limit)], nil
}

func kindNames(ws []*Workflow) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.k.Name
	}
	return out
}

// where builds a WHERE clause; "$?" in a condition is numbered in order.
type where struct {
	dialect store.Dialect
	conds   []string
	args    []any
}

// arg adds v as an argument and returns its placeholder.
func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return fmt.Sprintf("$%d", len(w.args))
}

func (w *where) add(cond string, args ...any) {
	for _, a := range args {
		cond = strings.Replace(cond, "$?", w.arg(a), 1)
	}
	w.conds = append(w.conds, cond)
}

func (w *where) list(ids []string) string {
	if len(ids) == 0 {
		return "NULL"
	}
	ph := make([]string, len(ids))
	for i, id := range ids {
		ph[i] = w.arg(id)
	}
	return strings.Join(ph, ", ")
}

func (w *where) in(column string, ids []string) {
	w.conds = append(w.conds, column+" IN ("+w.list(ids)+")")
}

func (w *where) clause() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// party is the SQL of the organization playing part name in a case.
func (w *where) party(name string) string {
	switch {
	case name == PartySubject:
		return "c.subject_org_id"
	case w.dialect == store.Postgres:
		return "(c.parties->>'" + name + "')"
	}
	return "json_extract(c.parties, '$." + name + "')"
}

// member selects the cases p takes part in (as CanView says, but for
// reviewers whom only May names): filed by p or for p's organizations,
// about their subjects, naming them as a party, or of a kind p reviews
// for a fixed organization.
func (w *where) member(p identity.Principal, kinds []*Workflow) {
	orgs := p.OrgIDs()
	alts := []string{"c.filer_user_id = " + w.arg(p.UserID), "c.filer_org_id IN (" + w.list(orgs) + ")",
		"c.subject_org_id IN (" + w.list(orgs) + ")"}
	seen := map[string]bool{PartySubject: true}
	for _, k := range kinds {
		reviews := false
		for _, st := range k.k.Steps {
			for _, r := range st.Reviewers {
				if r.Party != "" && !seen[r.Party] {
					seen[r.Party] = true
					alts = append(alts, w.party(r.Party)+" IN ("+w.list(orgs)+")")
				}
				reviews = reviews || (r.Org != "" && p.AtLeast(r.Org, cmp.Or(r.Role, identity.RoleMember)))
			}
		}
		if reviews {
			alts = append(alts, "c.kind = "+w.arg(k.k.Name))
		}
	}
	w.conds = append(w.conds, "("+strings.Join(alts, " OR ")+")")
}

// queue selects what waits for p: cases at a step with a reviewer p may
// decide for who has not decided yet, and, for the platform operators,
// escalated steps; never what p filed or a step p has decided. It reports
// whether the selection is exact (no reviewer decided by a May function,
// which only Go can tell).
func (w *where) queue(p identity.Principal, kinds []*Workflow) (exact bool) {
	exact = true
	var alts []string
	for _, k := range kinds {
		for _, st := range k.k.Steps {
			var rs []string
			for _, r := range st.Reviewers {
				cond := w.eligible(p, r)
				if r.May != nil {
					cond, exact = "1 = 1", false
				}
				if cond != "" {
					rs = append(rs, "("+cond+" AND NOT EXISTS (SELECT 1 FROM review_votes v WHERE v.case_id = c.id AND v.step = c.step AND v.reviewer = "+
						w.arg(r.Name)+"))")
				}
			}
			if len(rs) > 0 {
				alts = append(alts, "(c.kind = "+w.arg(k.k.Name)+" AND c.step = "+w.arg(st.Name)+" AND ("+strings.Join(rs, " OR ")+"))")
			}
		}
	}
	if CanTakeOver(p) {
		alts = append(alts, "c.escalated_at IS NOT NULL")
	}
	if len(alts) == 0 {
		alts = []string{"1 = 0"}
	}
	w.conds = append(w.conds, "c.step <> ''", "c.status = c.step", "("+strings.Join(alts, " OR ")+")")
	w.add("c.filer_user_id <> $?", p.UserID) // nobody decides what they filed
	w.add("NOT EXISTS (SELECT 1 FROM review_votes v WHERE v.case_id = c.id AND v.step = c.step AND v.actor_id = $?)", p.UserID)
	return exact
}

// eligible is the SQL saying that p is one of r's declared deciders on a
// case ("" when p never is).
func (w *where) eligible(p identity.Principal, r Reviewer) string {
	role := cmp.Or(r.Role, identity.RoleMember)
	if (r.Org != "" && p.AtLeast(r.Org, role)) || slices.ContainsFunc(r.Platform, p.Has) {
		return "1 = 1"
	}
	var orgs []string
	for _, m := range p.Memberships {
		if p.AtLeast(m.OrganizationID, role) {
			orgs = append(orgs, m.OrganizationID)
		}
	}
	if r.Party == "" || len(orgs) == 0 {
		return ""
	}
	return w.party(r.Party) + " IN (" + w.list(orgs) + ")"
}

package review

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"dataport/internal/identity"
	"dataport/internal/store"
)

// SetParty names orgID as the organization playing part name in open case
// id — a law firm chosen after filing, say — with the history entry
// "party_set" and the event "<kind>.party_set" (payload "party",
// "party_org_id"); the step's reviewers still to decide are told (notice
// key "party_set"). Who may name a party is the kind's rule: the caller
// checks it. A party whose reviewer has decided the current step cannot
// change (ErrState).
func (w *Workflow) SetParty(ctx context.Context, tx *store.Tx, actor identity.Principal, id, name, orgID string) (Case, error) {
	if !names.MatchString(name) || orgID == "" || name == PartySubject {
		return Case{}, fmt.Errorf("review: %s: party %q of organization %q cannot be named", w.k.Name, name, orgID)
	}
	c, err := w.lock(ctx, tx, actor, id)
	if err != nil {
		return Case{}, err
	}
	if !c.Open() {
		return Case{}, fmt.Errorf("%w: the %s is %s", ErrState, w.k.Noun, c.Status)
	}
	if st := w.k.step(c.Step); st != nil && slices.ContainsFunc(st.Reviewers, func(r Reviewer) bool { return r.Party == name && c.voted(r.Name) }) {
		return Case{}, fmt.Errorf("%w: the %s has decided its part of this step", ErrState, name)
	}
	parties := maps.Clone(c.Parties)
	if parties == nil {
		parties = map[string]string{}
	}
	parties[name] = orgID
	c.Parties = parties
	if _, err := tx.ExecContext(ctx, `UPDATE review_cases SET parties = $1 WHERE id = $2`, jsonText(c.Parties, "{}"), c.ID); err != nil {
		return Case{}, fmt.Errorf("review: %s %s: %w", c.Kind, c.ID, err)
	}
	return c, w.record(ctx, tx, actor, &c, move{action: "party_set", event: "party_set", payload: map[string]any{"party": name, "party_org_id": orgID},
		notice: "party_set", to: w.reviewers(c, true)})
}

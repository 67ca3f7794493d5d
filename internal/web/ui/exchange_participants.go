package ui

import (
	"context"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"dataport/internal/exchange"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/validate"
)

// The participants' pages: the directory (every participant for the
// exchange's staff), the application of an organization, and a
// participant's page with its documents and related parties.

// participantRow is a participant with its organization, for lists.
type participantRow struct {
	exchange.Participant
	Org identity.Organization
}

// Tag is the status tag's CSS modifier.
func (p participantRow) Tag() string { return participantTag(string(p.Status)) }

// participantsData is the directory page.
type participantsData struct {
	Nav      exchangeNav
	Mine     []participantRow // the viewer's organizations' participants
	CanApply bool             // the viewer administers an organization that may apply
	Rows     []participantRow
	Status   string // the staff's status filter
	Staff    bool
}

// Statuses are the staff filter's choices.
func (participantsData) Statuses() []string {
	return []string{"applied", "admitted", "suspended", "rejected"}
}

// participantsPage lists the admitted participants, or every one for the
// exchange's staff (?status= narrows), with the viewer's own above.
func (s *server) participantsPage(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	d := participantsData{Nav: s.exchangeNavFor(r, "participants"), Staff: exchange.CanStaff(p) || p.IsPlatformStaff()}
	f := exchange.ParticipantFilter{Limit: 200}
	if st := r.URL.Query().Get("status"); d.Staff && st != "" {
		d.Status, f.Status = st, exchange.ParticipantStatus(st)
	}
	list, err := s.acc.Exchange.Participants(r.Context(), p, f)
	if err != nil {
		return err
	}
	n := newNames(s, r.Context(), p)
	for _, pt := range list {
		d.Rows = append(d.Rows, participantRow{pt, n.org(pt.OrgID)})
	}
	for _, pt := range s.participantsOf(r.Context(), p) {
		d.Mine = append(d.Mine, participantRow{pt, n.org(pt.OrgID)})
	}
	orgs, err := s.applyingOrgs(r, p)
	if err != nil {
		return err
	}
	d.CanApply = len(orgs) > 0
	return s.render(w, r, http.StatusOK, "exchange_participants", d)
}

// applyData is the application form.
type applyData struct {
	Nav    exchangeNav
	Orgs   []identity.Organization // those the viewer may apply for
	Form   exchange.ParticipantInput
	Errors formErrors
}

// Roles lists every participant role, for the form's checkboxes.
func (applyData) Roles() []exchange.Role { return exchange.Roles }

// Has reports whether role r is ticked.
func (d applyData) Has(r exchange.Role) bool { return slices.Contains(d.Form.Roles, r) }

// applyingOrgs are the organizations p administers that may apply: not
// persons, not admitted, suspended or under review already.
func (s *server) applyingOrgs(r *http.Request, p identity.Principal) ([]identity.Organization, error) {
	taken := map[string]bool{}
	for _, pt := range s.participantsOf(r.Context(), p) {
		if pt.Status != exchange.ParticipantRejected {
			taken[pt.OrgID] = true
		}
	}
	var out []identity.Organization
	for _, m := range p.Memberships {
		if !exchange.CanApply(p, m.OrganizationID) || taken[m.OrganizationID] {
			continue
		}
		org, err := s.identity.Organization(r.Context(), m.OrganizationID)
		if err != nil {
			return nil, err
		}
		if org.Kind != identity.KindIndividual {
			out = append(out, org)
		}
	}
	return out, nil
}

// applyForm shows the application form for the organizations the viewer
// administers (?org= picks one).
func (s *server) applyForm(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	d := applyData{Nav: s.exchangeNavFor(r, "participants")}
	if d.Orgs, err = s.applyingOrgs(r, p); err != nil {
		return err
	}
	if len(d.Orgs) > 0 {
		org := d.Orgs[0]
		for _, o := range d.Orgs {
			if o.ID == r.URL.Query().Get("org") {
				org = o
			}
		}
		d.Form = exchange.ParticipantInput{OrgID: org.ID, USCC: org.USCC, ContactName: p.DisplayName}
	}
	return s.render(w, r, http.StatusOK, "exchange_apply", d)
}

// apply files an organization's application. Form fields: csrf_token,
// org_id, uscc, legal_rep, contact_name, contact_phone,
// contact_email, roles (repeated). Refused fields show the form again and
// file nothing.
func (s *server) apply(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	pf := r.PostForm
	in := exchange.ParticipantInput{OrgID: pf.Get("org_id"), USCC: pf.Get("uscc"), LegalRep: pf.Get("legal_rep"),
		ContactName: pf.Get("contact_name"), ContactPhone: pf.Get("contact_phone"), ContactEmail: pf.Get("contact_email")}
	for _, role := range pf["roles"] {
		in.Roles = append(in.Roles, exchange.Role(role))
	}
	a, err := s.acc.Exchange.Apply(r.Context(), p, in)
	if err == nil {
		return seeOther(w, r, "/exchange/participants/"+a.ParticipantID, "exchange_applied")
	}
	errs := fieldErrors(err)
	if errs == nil {
		return err
	}
	d := applyData{Nav: s.exchangeNavFor(r, "participants"), Form: in, Errors: exchangeErrors(langOf(r), errs, nil)}
	if d.Orgs, err = s.applyingOrgs(r, p); err != nil {
		return err
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "exchange_apply", d)
}

// participantData is a participant's page.
type participantData struct {
	Nav         exchangeNav
	P           exchange.Participant
	Org         identity.Organization
	Full        bool // the viewer sees it whole (its members, the staff)
	Staff       bool
	Admin       bool // the viewer administers its organization
	Application *exchange.ParticipantApplication
	Relations   []relationRow
	Others      []participantRow // participants it may be declared related to
	Relation    exchange.RelationInput
	DocKind     string
	Reason      string
	Errors      formErrors
}

// relationRow is a related party as the page shows it.
type relationRow struct {
	exchange.Relation
	Other    participantRow
	Inverse  bool // the relation is declared by the other participant
	Declared string
}

// Tag is the status tag's CSS modifier.
func (d participantData) Tag() string { return participantTag(string(d.P.Status)) }

// RelationKinds lists the relation kinds, for the form.
func (participantData) RelationKinds() []exchange.RelationKind { return exchange.RelationKinds }

// DocumentKinds lists the kinds of a participant's documents.
func (participantData) DocumentKinds() []string { return exchange.ParticipantDocumentKinds }

// Tiers lists the tiers.
func (participantData) Tiers() []string { return exchange.Tiers }

// CanDeclare says whether the viewer may declare a related party.
func (d participantData) CanDeclare() bool {
	return d.Full && d.P.Status != exchange.ParticipantRejected && (d.Staff || d.Admin)
}

// CanUpload says whether the viewer may add a supporting document.
func (d participantData) CanUpload() bool {
	return d.Admin && d.P.Status != exchange.ParticipantRejected
}

// participantPage shows participant id.
func (s *server) participantPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.loadParticipant(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "exchange_participant", d)
}

func (s *server) loadParticipant(r *http.Request) (participantData, error) {
	p := principal(r)
	pt, err := s.acc.Exchange.Participant(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return participantData{}, err
	}
	n := newNames(s, r.Context(), p)
	d := participantData{Nav: s.exchangeNavFor(r, "participants"), P: pt, Org: n.org(pt.OrgID), Full: exchange.CanViewParticipant(p, pt),
		Staff: exchange.CanStaff(p), Admin: p.AtLeast(pt.OrgID, identity.RoleAdmin), DocKind: exchange.ParticipantDocumentKinds[0]}
	if !d.Full {
		return d, nil
	}
	if d.Application, err = s.latestApplication(r, p, pt.ID); err != nil {
		return d, err
	}
	byID := map[string]participantRow{}
	if d.CanDeclare() || len(pt.RelatedParties) > 0 {
		all, err := s.acc.Exchange.Participants(r.Context(), p, exchange.ParticipantFilter{Limit: 500})
		if err != nil {
			return d, err
		}
		for _, o := range all {
			row := participantRow{o, n.org(o.OrgID)}
			byID[o.ID] = row
			if o.ID != pt.ID {
				d.Others = append(d.Others, row)
			}
		}
	}
	for _, rel := range pt.RelatedParties {
		row := relationRow{Relation: rel, Inverse: rel.ParticipantID != pt.ID}
		other := rel.OtherID
		if row.Inverse {
			other = rel.ParticipantID
		}
		row.Other = byID[other]
		if row.Other.ID == "" {
			row.Other = participantRow{exchange.Participant{ID: other, Name: other}, identity.Organization{}}
		}
		d.Relations = append(d.Relations, row)
	}
	return d, nil
}

// latestApplication returns the newest application of participant id
// that p may see (nil when none).
func (s *server) latestApplication(r *http.Request, p identity.Principal, id string) (*exchange.ParticipantApplication, error) {
	f := review.Filter{Limit: 500}
	if !exchange.CanStaff(p) && !p.IsPlatformStaff() {
		f.Side = "sent"
	}
	apps, err := s.acc.Exchange.ApplicationReviews().List(r.Context(), p, f)
	if err != nil {
		return nil, err
	}
	for _, a := range apps {
		if a.ParticipantID == id {
			return &a, nil
		}
	}
	return nil, nil
}

// participantForm runs a form posted on participant id's page: act does
// it, done names the banner. Field problems show the page again with them
// (422), keep puts back what was typed.
func (s *server) participantForm(w http.ResponseWriter, r *http.Request, act func(p identity.Principal) error, done string,
	keep func(*participantData)) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	err = act(p)
	if err == nil {
		return seeOther(w, r, "/exchange/participants/"+r.PathValue("id"), done)
	}
	errs := fieldErrors(err)
	if errs == nil {
		return err
	}
	d, lerr := s.loadParticipant(r)
	if lerr != nil {
		return lerr
	}
	if keep != nil {
		keep(&d)
	}
	d.Errors = exchangeErrors(langOf(r), errs, map[string]string{"kind": "relation_kind", "note": "relation_note"})
	return s.render(w, r, http.StatusUnprocessableEntity, "exchange_participant", d)
}

// declareRelation records a related party. Form fields: csrf_token,
// relation_other, relation_kind, relation_note.
func (s *server) declareRelation(w http.ResponseWriter, r *http.Request) error {
	in := exchange.RelationInput{OtherID: r.PostForm.Get("relation_other"), Kind: exchange.RelationKind(r.PostForm.Get("relation_kind")),
		Note: r.PostForm.Get("relation_note")}
	return s.participantForm(w, r, func(p identity.Principal) error {
		_, err := s.acc.Exchange.DeclareRelation(r.Context(), p, r.PathValue("id"), in)
		return err
	}, "exchange_related", func(d *participantData) { d.Relation = in })
}

// removeRelation deletes a relation on record (the exchange's staff).
// Form fields: csrf_token, other_participant_id, kind.
func (s *server) removeRelation(w http.ResponseWriter, r *http.Request) error {
	in := exchange.RelationInput{OtherID: r.PostForm.Get("other_participant_id"), Kind: exchange.RelationKind(r.PostForm.Get("kind"))}
	return s.participantForm(w, r, func(p identity.Principal) error {
		_, err := s.acc.Exchange.RemoveRelation(r.Context(), p, r.PathValue("id"), in)
		return err
	}, "exchange_unrelated", nil)
}

// moveParticipant suspends or reinstates a participant (the exchange's
// staff). Form fields: csrf_token, reason.
func (s *server) moveParticipant(move func(ctx context.Context, p identity.Principal, id, reason string) (exchange.Participant, error),
	done string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		reason := r.PostForm.Get("reason")
		return s.participantForm(w, r, func(p identity.Principal) error {
			_, err := move(r.Context(), p, r.PathValue("id"), reason)
			return err
		}, done, func(d *participantData) { d.Reason = reason })
	}
}

// setTier sets an admitted participant's tier (the exchange's staff).
// Form fields: csrf_token, tier.
func (s *server) setTier(w http.ResponseWriter, r *http.Request) error {
	return s.participantForm(w, r, func(p identity.Principal) error {
		_, err := s.acc.Exchange.SetTier(r.Context(), p, r.PathValue("id"), r.PostForm.Get("tier"))
		return err
	}, "exchange_tier_set", nil)
}

// addParticipantDocument uploads a supporting document (multipart:
// csrf_token, kind, then file).
func (s *server) addParticipantDocument(w http.ResponseWriter, r *http.Request) error {
	return s.documentUpload(w, r, exchange.MaxDocumentSize, func(p identity.Principal, in exchange.DocumentInput, body io.Reader) error {
		_, err := s.acc.Exchange.AddParticipantDocument(r.Context(), p, r.PathValue("id"), in, body)
		return err
	}, func(r *http.Request, errs validate.Errors, kind string) error {
		return s.participantForm(w, r, func(identity.Principal) error { return errs }, "", func(d *participantData) { d.DocKind = kind })
	}, "/exchange/participants/"+r.PathValue("id"))
}

// documentDownload sends a supporting document to whoever may see its
// owner in full.
func (s *server) documentDownload(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	d, body, err := s.acc.Exchange.DocumentContent(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	defer body.Close()
	h := w.Header()
	ctype := mime.TypeByExtension(strings.ToLower(extOf(d.Name)))
	if ctype == "" || strings.HasPrefix(ctype, "text/html") || strings.Contains(ctype, "svg") {
		ctype = "application/octet-stream"
	}
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(d.Name))
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Document-SHA256", d.SHA256)
	_, err = io.Copy(w, body)
	return err
}

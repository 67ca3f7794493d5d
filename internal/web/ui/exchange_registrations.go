package ui

import (
	"net/http"
	"net/url"
	"slices"
	"time"

	"dataport/internal/exchange"
	registry "dataport/internal/exchange/asset"
	"dataport/internal/identity"
	"dataport/internal/review"
)

// The data-asset registry's pages: registrations filed, received and to
// decide; the application form; a registration's page with its review;
// the public register and the public certificate of a registration, with
// its QR code, its ledger receipt, a print stylesheet and the objection
// form while it is open to objections.

// registrationRow is a registration in a list.
type registrationRow struct {
	registry.Registration
	Product string
}

// Tag is the stage tag's CSS modifier.
func (r registrationRow) Tag() string { return participantTag(string(r.Stage)) }

// registrationsData is the list page.
type registrationsData struct {
	Nav                   exchangeNav
	Queue, Sent, Received []registrationRow
}

// registrationsPage lists the registrations the viewer decides, filed and
// holds.
func (s *server) registrationsPage(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	d := registrationsData{Nav: s.exchangeNavFor(r, "registrations")}
	n := newNames(s, r.Context(), p)
	for _, side := range []struct {
		name string
		rows *[]registrationRow
	}{{"queue", &d.Queue}, {"sent", &d.Sent}, {"received", &d.Received}} {
		list, err := s.acc.Assets.Registrations.List(r.Context(), p, review.Filter{Side: side.name, Limit: 200})
		if err != nil {
			return err
		}
		for _, reg := range list {
			*side.rows = append(*side.rows, registrationRow{reg, n.productTitle(reg.ProductID)})
		}
	}
	return s.render(w, r, http.StatusOK, "exchange_registrations", d)
}

// registrationForm is the application form.
type registrationForm struct {
	Nav          exchangeNav
	Products     []exchange.Product      // the viewer's products listed or in review
	Priors       []registry.Registration // registrations in effect the viewer's organizations hold
	Counterparts []participantRow        // admitted participants
	In           registry.ApplyInput
	Errors       formErrors
}

// Types and Rights are the form's choices.
func (registrationForm) Types() []registry.Type   { return registry.Types }
func (registrationForm) Rights() []registry.Right { return registry.Rights }

// Has says whether right is ticked.
func (f registrationForm) Has(right registry.Right) bool { return slices.Contains(f.In.Rights, right) }

// newRegistrationForm shows the form (?product=, ?type=, ?prior= preset it).
func (s *server) newRegistrationForm(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	in := registry.ApplyInput{Type: registry.Type(q.Get("type")), ProductID: q.Get("product"), PriorID: q.Get("prior")}
	if in.Type == "" {
		in.Type = registry.TypeInitial
	}
	if in.Type == registry.TypeInitial {
		in.Rights = slices.Clone(registry.Rights)
	}
	return s.showRegistrationForm(w, r, http.StatusOK, registrationForm{In: in})
}

func (s *server) showRegistrationForm(w http.ResponseWriter, r *http.Request, status int, f registrationForm) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	f.Nav = s.exchangeNavFor(r, "registrations")
	for _, pt := range s.participantsOf(ctx, p) {
		if !pt.Has(exchange.RoleProvider) || !registry.CanApply(p, pt.OrgID) {
			continue
		}
		list, err := s.acc.Exchange.Products(ctx, p, exchange.ProductFilter{ProviderID: pt.ID, Limit: 200})
		if err != nil {
			return err
		}
		for _, pr := range list {
			if pr.Status == exchange.ProductListed || pr.Status == exchange.ProductInReview {
				f.Products = append(f.Products, pr)
			}
		}
	}
	held, err := s.acc.Assets.Registrations.List(ctx, p, review.Filter{Side: "sent", Limit: 200})
	if err != nil {
		return err
	}
	for _, reg := range held {
		if reg.Stage == registry.StageEffective && reg.Type != registry.TypeLicence && reg.Type != registry.TypeObjection {
			f.Priors = append(f.Priors, reg)
		}
	}
	others, err := s.acc.Exchange.Participants(ctx, p, exchange.ParticipantFilter{Status: exchange.ParticipantAdmitted, Limit: 500})
	if err != nil {
		return err
	}
	n := newNames(s, ctx, p)
	for _, pt := range others {
		f.Counterparts = append(f.Counterparts, participantRow{pt, n.org(pt.OrgID)})
	}
	return s.render(w, r, status, "exchange_registration_form", f)
}

// createRegistration files a registration. Form fields: csrf_token, type,
// product_id, prior_id, rights (repeated), counterparty_id, licence_until,
// statement. Refused fields show the form again; nothing is filed.
func (s *server) createRegistration(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	pf := r.PostForm
	in := registry.ApplyInput{Type: registry.Type(pf.Get("reg_type")), Statement: pf.Get("statement"), LicenceUntil: pf.Get("licence_until")}
	switch in.Type {
	case registry.TypeInitial:
		in.ProductID = pf.Get("product_id")
	default:
		in.PriorID = pf.Get("prior_id")
	}
	if in.Type == registry.TypeTransfer || in.Type == registry.TypeLicence {
		in.CounterpartyID = pf.Get("counterparty_id")
	}
	if in.Type != registry.TypeTransfer && in.Type != registry.TypeCancellation {
		for _, right := range pf["rights"] {
			in.Rights = append(in.Rights, registry.Right(right))
		}
	}
	if in.Type != registry.TypeLicence {
		in.LicenceUntil = ""
	}
	reg, err := s.acc.Assets.Apply(r.Context(), p, in)
	if err == nil {
		return seeOther(w, r, "/exchange/registrations/"+reg.ID, "exchange_registration_filed")
	}
	errs := fieldErrors(err)
	if errs == nil {
		return err
	}
	return s.showRegistrationForm(w, r, http.StatusUnprocessableEntity, registrationForm{In: in,
		Errors: exchangeErrors(langOf(r), errs, map[string]string{"type": "reg_type"})})
}

// registrationData is a registration's page.
type registrationData struct {
	Nav          exchangeNav
	R            registry.Registration
	Product      string
	Counterparty string
	PriorNumber  string // the number of the registration it acts on
	Steps        []stepRow
	Viewer       identity.Principal
	Forms        caseForms
}

// Tag is the stage tag's CSS modifier.
func (d registrationData) Tag() string { return participantTag(string(d.R.Stage)) }

// Numbered says whether it has a public certificate.
func (d registrationData) Numbered() bool { return d.R.Number != "" }

// CertificateURL is the address of its certificate page.
func (d registrationData) CertificateURL() string { return registry.CertificatePath(d.R.Number) }

// registrationPage shows registration id with its review.
func (s *server) registrationPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.loadRegistration(r, caseForms{})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "exchange_registration", d)
}

func (s *server) loadRegistration(r *http.Request, forms caseForms) (registrationData, error) {
	p, err := requireUser(r)
	if err != nil {
		return registrationData{}, err
	}
	ctx := r.Context()
	reg, err := s.acc.Assets.Registrations.Get(ctx, p, r.PathValue("id"))
	if err != nil {
		return registrationData{}, err
	}
	n := newNames(s, ctx, p)
	d := registrationData{Nav: s.exchangeNavFor(r, "registrations"), R: reg, Product: n.productTitle(reg.ProductID), Viewer: p, Forms: forms}
	if reg.CounterpartyID != "" {
		d.Counterparty = n.participantName(reg.CounterpartyID)
	}
	if reg.PriorID != "" {
		certs, _, err := s.acc.Assets.Certificates(ctx, registry.CertificateFilter{ProductID: reg.ProductID, Limit: 100})
		if err != nil {
			return d, err
		}
		for _, c := range certs {
			if c.RegistrationID == reg.PriorID {
				d.PriorNumber = c.Number
			}
		}
	}
	d.Steps, err = s.stepRows(ctx, reg.Steps)
	return d, err
}

// registrationAction runs a form on registration id's page.
func (s *server) registrationAction(act func(r *http.Request, p identity.Principal, text string) (string, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		forms := caseForms{Decision: r.PostForm.Get("decision"), Comment: r.PostForm.Get("comment"), Text: r.PostForm.Get("text")}
		return s.caseAction(w, r, "/exchange/registrations/"+r.PathValue("id"), func(p identity.Principal) (string, error) {
			return act(r, p, forms.Text)
		}, func(forms caseForms) error {
			d, err := s.loadRegistration(r, forms)
			if err != nil {
				return err
			}
			return s.render(w, r, http.StatusUnprocessableEntity, "exchange_registration", d)
		}, forms)
	}
}

func (s *server) decideRegistration(r *http.Request, p identity.Principal, _ string) (string, error) {
	reg, err := s.acc.Assets.Registrations.Decide(r.Context(), p, r.PathValue("id"), review.Decision(r.PostForm.Get("decision")),
		r.PostForm.Get("comment"))
	if reg.Number != "" && reg.Stage == registry.StagePublicity {
		return "exchange_registration_published", err
	}
	return "exchange_decided", err
}

func (s *server) askRegistration(r *http.Request, p identity.Principal, text string) (string, error) {
	_, err := s.acc.Assets.Registrations.RequestInfo(r.Context(), p, r.PathValue("id"), text)
	return "request_more_info", err
}

func (s *server) answerRegistration(r *http.Request, p identity.Principal, text string) (string, error) {
	_, err := s.acc.Assets.Registrations.Answer(r.Context(), p, r.PathValue("id"), text)
	return "request_answered", err
}

func (s *server) withdrawRegistration(r *http.Request, p identity.Principal, _ string) (string, error) {
	_, err := s.acc.Assets.Registrations.Withdraw(r.Context(), p, r.PathValue("id"))
	return "request_withdrawn", err
}

// certificatesData is the public register.
type certificatesData struct {
	Nav    exchangeNav
	Rows   []registry.Certificate
	Stage  string
	Stages []string
	Next   string // the next page's address
}

// certificatesPage is the public register of data assets, newest first;
// ?stage= narrows, ?cursor= pages.
func (s *server) certificatesPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	d := certificatesData{Nav: s.exchangeNavFor(r, "certificates"), Stage: q.Get("stage"),
		Stages: stringsOf([]registry.Stage{registry.StagePublicity, registry.StageEffective, registry.StageRevoked, registry.StageSuperseded,
			registry.StageCancelled})}
	if !slices.Contains(d.Stages, d.Stage) {
		d.Stage = ""
	}
	list, next, err := s.acc.Assets.Certificates(r.Context(), registry.CertificateFilter{Stage: registry.Stage(d.Stage), Cursor: q.Get("cursor"), Limit: 50})
	if err != nil {
		return err
	}
	d.Rows = list
	if next != "" {
		d.Next = "/exchange/certificates?" + url.Values{"stage": {d.Stage}, "cursor": {next}}.Encode()
	}
	return s.render(w, r, http.StatusOK, "exchange_certificates", d)
}

// certificateData is a certificate's public page.
type certificateData struct {
	Nav        exchangeNav
	C          registry.Certificate
	QR         string // the QR code's address
	ReceiptURL string
	CanObject  bool // signed in, not the holder's, and the registration may be objected to
	SignedIn   bool
	Grounds    string
	Errors     formErrors
}

// Tag is the stage tag's CSS modifier.
func (d certificateData) Tag() string { return participantTag(string(d.C.Stage)) }

// Objectable says whether the registration is open to objections or in
// effect (an application to revoke it).
func (d certificateData) Objectable() bool {
	return d.C.Stage == registry.StagePublicity || d.C.Stage == registry.StageEffective
}

// Open says whether the objection period is running.
func (d certificateData) Open() bool {
	return d.C.Stage == registry.StagePublicity && time.Now().Before(d.C.PublicityEndsAt)
}

// certificatePage shows the public certificate of registration number.
func (s *server) certificatePage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.loadCertificate(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "exchange_certificate", d)
}

func (s *server) loadCertificate(r *http.Request) (certificateData, error) {
	number := r.PathValue("number")
	c, err := s.acc.Assets.Certificate(r.Context(), number)
	if err != nil {
		return certificateData{}, err
	}
	p := principal(r)
	d := certificateData{Nav: s.exchangeNavFor(r, "certificates"), C: c, QR: registry.CertificatePath(c.Number) + "/qr.png", SignedIn: !p.IsAnonymous()}
	if c.ReceiptEventID != "" && s.ledger != nil {
		d.ReceiptURL = "/audit/events/" + url.PathEscape(c.ReceiptEventID) + "/receipt.json"
	}
	if d.SignedIn && d.Objectable() {
		holder, err := s.acc.Exchange.Participant(r.Context(), p, c.Holder.ParticipantID)
		d.CanObject = err != nil || p.RoleIn(holder.OrgID) == ""
	}
	return d, nil
}

// certificateQR sends the QR code of the certificate page as a PNG.
func (s *server) certificateQR(w http.ResponseWriter, r *http.Request) error {
	png, err := s.acc.Assets.QR(r.Context(), r.PathValue("number"))
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Cache-Control", "public, max-age=3600")
	_, err = w.Write(png)
	return err
}

// objectRegistration files an objection to the certificate's registration
// (field: grounds) and shows it.
func (s *server) objectRegistration(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	grounds := r.PostForm.Get("grounds")
	o, err := s.acc.Assets.Object(r.Context(), p, r.PathValue("number"), registry.ObjectionInput{Grounds: grounds})
	if err == nil {
		return seeOther(w, r, "/exchange/registrations/"+o.ID, "exchange_objection_filed")
	}
	errs := fieldErrors(err)
	if errs == nil {
		return err
	}
	d, lerr := s.loadCertificate(r)
	if lerr != nil {
		return lerr
	}
	d.Grounds, d.Errors = grounds, exchangeErrors(langOf(r), errs, nil)
	return s.render(w, r, http.StatusUnprocessableEntity, "exchange_certificate", d)
}

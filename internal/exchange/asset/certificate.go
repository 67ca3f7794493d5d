package asset

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	"dataport/internal/store"
	"dataport/internal/validate"
)

// CertificatePath is where the public certificate page of registration
// number is served; the certificate's QR code encodes the public URL of it.
func CertificatePath(number string) string { return "/exchange/certificates/" + url.PathEscape(number) }

// CertificateParty names a participant on a certificate.
type CertificateParty struct {
	ParticipantID string `json:"participant_id"`
	Name          string `json:"name"`
	USCC          string `json:"uscc"`
}

// Certificate is what the public certificate of a registration shows:
// everything its page and its JSON carry. Anyone may read it.
type Certificate struct {
	Number           string            `json:"number"`
	RegistrationID   string            `json:"registration_id"`
	Type             Type              `json:"type"`
	Stage            Stage             `json:"stage" doc:"publicity (open to objections), effective, revoked, superseded or cancelled"`
	Holder           CertificateParty  `json:"holder"`
	Licensee         *CertificateParty `json:"licensee,omitempty"`
	Rights           []Right           `json:"rights"`
	ProductID        string            `json:"product_id"`
	ProductTitle     string            `json:"product_title"`
	ProductHash      string            `json:"product_hash" doc:"SHA-256 of the product's canonical description as registered"`
	RegistrationHash string            `json:"registration_hash" doc:"SHA-256 of canonical"`
	Canonical        string            `json:"canonical" doc:"The registration as its hash covers it (JSON)"`
	PriorNumber      string            `json:"prior_number,omitempty" doc:"The registration this one changed, transferred, licensed or cancelled"`
	LicenceUntil     string            `json:"licence_until,omitempty"`
	// Dates: approved (numbered and published), the end of the objection
	// period, in effect, and ended (revoked, superseded, cancelled).
	ApprovedAt      time.Time  `json:"approved_at"`
	PublicityEndsAt time.Time  `json:"publicity_ends_at"`
	EffectiveAt     *time.Time `json:"effective_at"`
	EndedAt         *time.Time `json:"ended_at"`
	// ReceiptEventID is the event of the registration's effect, or of its
	// approval before it takes effect: its ledger receipt proves the
	// registration to anyone, offline.
	ReceiptEventID string `json:"receipt_event_id"`
	// URL is the public certificate page, which the QR code encodes.
	URL string `json:"url"`
}

// Certificate returns the certificate of registration number: any
// registration approved, whatever became of it since.
func (s *Service) Certificate(ctx context.Context, number string) (Certificate, error) {
	var id string
	err := s.db.QueryRowContext(ctx, `SELECT id FROM asset_registrations WHERE number = $1`, number).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Certificate{}, fmt.Errorf("certificate %q: %w", number, store.ErrNotFound)
	}
	if err != nil {
		return Certificate{}, err
	}
	r, err := s.Registrations.Record(ctx, s.db, id)
	if err != nil {
		return Certificate{}, err
	}
	return s.certificate(ctx, r)
}

// certificate is r's certificate, r being numbered.
func (s *Service) certificate(ctx context.Context, r Registration) (Certificate, error) {
	c := Certificate{Number: r.Number, RegistrationID: r.ID, Type: r.Type, Stage: r.Stage, Rights: r.Rights, ProductID: r.ProductID,
		ProductHash: r.ProductHash, RegistrationHash: r.Hash, Canonical: string(r.Canonical()), LicenceUntil: r.LicenceUntil,
		EffectiveAt: r.EffectiveAt, EndedAt: r.EndedAt, URL: s.cfg.PublicURL + CertificatePath(r.Number),
		Holder: CertificateParty{ParticipantID: r.HolderID, Name: r.HolderName, USCC: r.HolderUSCC}}
	if r.ApprovedAt != nil && r.PublicityEndsAt != nil {
		c.ApprovedAt, c.PublicityEndsAt = *r.ApprovedAt, *r.PublicityEndsAt
	}
	if p, err := s.ex.ProductByID(ctx, s.db, r.ProductID); err == nil {
		c.ProductTitle = p.Title
	} else if !errors.Is(err, store.ErrNotFound) {
		return c, err
	}
	if r.PriorID != "" {
		if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(number, '') FROM asset_registrations WHERE id = $1`, r.PriorID).Scan(&c.PriorNumber); err != nil {
			return c, fmt.Errorf("asset: certificate %s: prior: %w", r.Number, err)
		}
	}
	if r.Type == TypeLicence {
		p, err := s.ex.ParticipantByID(ctx, s.db, r.CounterpartyID)
		if err != nil {
			return c, err
		}
		c.Licensee = &CertificateParty{ParticipantID: p.ID, Name: p.Name, USCC: p.USCC}
	}
	err := s.db.QueryRowContext(ctx, `SELECT id FROM events WHERE subject_kind = $1 AND subject_id = $2 AND type IN ($3, $4)
		ORDER BY seq DESC LIMIT 1`, Kind, r.ID, Kind+".effective", Kind+"."+string(StatusApproved)).Scan(&c.ReceiptEventID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("asset: certificate %s: receipt: %w", r.Number, err)
	}
	return c, nil
}

// CertificateFilter selects certificates for Certificates.
type CertificateFilter struct {
	Stage     Stage  // "" any numbered stage; publicity: the registrations open to objections now
	ProductID string // "" any
	Cursor    string // the NextCursor of the previous page
	Limit     int    // 1–100, default 20
}

// Certificates lists the certificates f selects, newest first, a page at
// a time: the public register of data assets.
func (s *Service) Certificates(ctx context.Context, f CertificateFilter) ([]Certificate, string, error) {
	if f.Stage != "" && !f.Stage.Numbered() {
		var errs validate.Errors
		validate.OneOf(&errs, "stage", f.Stage, StagePublicity, StageEffective, StageRevoked, StageSuperseded, StageCancelled)
		return nil, "", errs.Err()
	}
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = 20
	}
	ids, err := store.Strings(ctx, s.db, `SELECT id FROM asset_registrations WHERE number IS NOT NULL AND ($1 = '' OR stage = $1)
		AND ($2 = '' OR product_id = $2) AND ($3 = '' OR id < $3) ORDER BY id DESC LIMIT $4`, string(f.Stage), f.ProductID, f.Cursor, f.Limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("asset: certificates: %w", err)
	}
	next := ""
	if len(ids) > f.Limit {
		ids, next = ids[:f.Limit], ids[f.Limit-1]
	}
	recs, err := s.Registrations.Read(ctx, s.db, ids...)
	if err != nil {
		return nil, "", err
	}
	out := make([]Certificate, 0, len(ids))
	for _, id := range ids {
		c, err := s.certificate(ctx, recs[id])
		if err != nil {
			return nil, "", err
		}
		out = append(out, c)
	}
	return out, next, nil
}

// QR returns the QR code of registration number's certificate as a PNG:
// it encodes the public URL of the certificate page.
func (s *Service) QR(ctx context.Context, number string) ([]byte, error) {
	c, err := s.Certificate(ctx, number)
	if err != nil {
		return nil, err
	}
	return QRCode(c.URL)
}

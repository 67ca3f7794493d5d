// Package exchange is the city's data exchange (articles 20–22): the
// participants (数商) admitted by the exchange's staff, the data products
// they list after a compliance review by the exchange and an independent
// law firm (double vetting), and the source declarations, offers and
// samples buyers see. Trading (negotiation, contracts, delivery,
// settlement) is in exchange/trade, asset registration and valuation in
// exchange/asset, risk warning in exchange/risk, disputes in
// exchange/dispute; all of them read participants and products through
// this package.
package exchange

import (
	"time"

	"dataport/internal/access"
)

// Role is what a participant does on the exchange.
type Role string

// The participant roles.
const (
	RoleProvider Role = "provider" // lists products
	RoleBuyer    Role = "buyer"    // orders products
	RoleBroker   Role = "broker"   // 经纪: acts for others
	RoleAssessor Role = "assessor" // files valuation reports
	RoleLawFirm  Role = "law_firm" // the independent second vetting of listings
	RoleDelivery Role = "delivery" // delivery service
)

// Roles lists every role in display order.
var Roles = []Role{RoleProvider, RoleBuyer, RoleBroker, RoleAssessor, RoleLawFirm, RoleDelivery}

// ParticipantStatus is where a participant's admission stands.
type ParticipantStatus string

// Participant states: applied (under review, or returned for more
// material) → admitted or rejected; admitted ⇄ suspended.
const (
	ParticipantApplied   ParticipantStatus = "applied"
	ParticipantAdmitted  ParticipantStatus = "admitted"
	ParticipantRejected  ParticipantStatus = "rejected"
	ParticipantSuspended ParticipantStatus = "suspended"
)

// Participant is an organization admitted to trade (数商): one per
// organization.
type Participant struct {
	ID             string            `json:"id"`
	OrgID          string            `json:"org_id"`
	Name           string            `json:"name"` // the organization's name
	USCC           string            `json:"uscc"`
	LegalRep       string            `json:"legal_representative"`
	ContactName    string            `json:"contact_name"`
	ContactPhone   string            `json:"contact_phone"`
	ContactEmail   string            `json:"contact_email"`
	Roles          []Role            `json:"roles"`
	Tier           string            `json:"tier"` // "standard", "certified", "premier"
	Status         ParticipantStatus `json:"status"`
	StatusReason   string            `json:"status_reason,omitempty"`
	AdmittedAt     *time.Time        `json:"admitted_at"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
	Documents      []Document        `json:"documents,omitempty"`
	RelatedParties []Relation        `json:"related_parties,omitempty"`
}

// Has reports whether p holds role r.
func (p Participant) Has(r Role) bool {
	for _, x := range p.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Trading reports whether p may trade now: admitted, not suspended.
func (p Participant) Trading() bool { return p.Status == ParticipantAdmitted }

// Document is a supporting file: kept in the blob store, named by its
// SHA-256, which is what events and the ledger carry.
type Document struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"` // "business_licence", "source_evidence", "valuation", ...
	Name      string    `json:"name"`
	SHA256    string    `json:"sha256"`
	Size      int64     `json:"size"`
	CreatedAt time.Time `json:"created_at"`
}

// RelationKind is how two participants are related parties.
type RelationKind string

// The relations the risk rules read.
const (
	RelationLegalRep    RelationKind = "legal_representative" // the same legal representative
	RelationShareholder RelationKind = "shareholder"          // one holds shares in the other
	RelationController  RelationKind = "controller"           // the same actual controller
)

// Relation records that a participant is a related party of another.
type Relation struct {
	ParticipantID string       `json:"participant_id"`
	OtherID       string       `json:"other_participant_id"`
	Kind          RelationKind `json:"kind"`
	Note          string       `json:"note,omitempty"`
}

// ProductStatus is where a product stands.
type ProductStatus string

// Product states: draft → in_review (double vetting) → listed, or back
// to draft when returned or rejected; listed → suspended (by staff, from
// a risk alert) → listed; listed → delisted (by its provider or staff).
const (
	ProductDraft     ProductStatus = "draft"
	ProductInReview  ProductStatus = "in_review"
	ProductRejected  ProductStatus = "rejected"
	ProductListed    ProductStatus = "listed"
	ProductSuspended ProductStatus = "suspended"
	ProductDelisted  ProductStatus = "delisted"
)

// SourceKind is where a product's data comes from (article 22's review
// of the provider's data source).
type SourceKind string

// The source declarations.
const (
	SourceSelfCollected SourceKind = "self_collected" // collected by the provider itself
	SourceAuthorised    SourceKind = "authorised"     // public data obtained through authorised operation
	SourcePurchased     SourceKind = "purchased"      // bought from another party
	SourceConsent       SourceKind = "consent"        // collected with individuals' consent
)

// DeliveryMode is how a contract's data reaches the buyer.
type DeliveryMode string

// The delivery modes.
const (
	DeliveryFile DeliveryMode = "file" // download through a grant
	DeliveryAPI  DeliveryMode = "api"  // the row API through a grant
	DeliveryZone DeliveryMode = "zone" // computation in a public data zone's sandbox
)

// PriceModel is how a product is priced.
type PriceModel string

// The price models. Amounts are in fen (CNY cents), never floats.
const (
	PriceOneOff       PriceModel = "one_off"
	PriceSubscription PriceModel = "subscription" // per period
	PricePerCall      PriceModel = "per_call"
	PricePerRow       PriceModel = "per_row"
)

// Price is a product's price.
type Price struct {
	Model      PriceModel `json:"model"`
	AmountFen  int64      `json:"amount_fen"`            // per unit of the model
	PeriodDays int        `json:"period_days,omitempty"` // subscription period
}

// Offer is what a provider offers: the one usage-policy language of
// access (purpose, count, fields, rows) plus the contract's period and
// the ban on onward transfer, and whether requests matching it are agreed
// without the provider's staff.
type Offer struct {
	ID             string        `json:"id"`
	Policy         access.Policy `json:"policy"`
	PeriodDays     int           `json:"period_days"`
	OnwardTransfer bool          `json:"onward_transfer"` // false: forbidden (the default)
	AutoAgree      bool          `json:"auto_agree"`
}

// Product is a data product listed (or to be listed) on the exchange.
type Product struct {
	ID                    string         `json:"id"`
	ProviderID            string         `json:"provider_id"` // participant
	ProviderOrgID         string         `json:"provider_org_id"`
	Title                 string         `json:"title"`
	Description           string         `json:"description"`
	UseScenarios          []string       `json:"use_scenarios"` // required: no listing without one
	Source                SourceKind     `json:"source"`
	SourceNote            string         `json:"source_note"`
	SourceEvidence        []Document     `json:"source_evidence,omitempty"`
	LegalBasis            string         `json:"legal_basis"`
	ResourceIDs           []string       `json:"resource_ids"`              // catalog resources the product delivers
	ZoneOutputIDs         []string       `json:"zone_output_ids,omitempty"` // outputs of a public data zone
	SampleDeidProfile     string         `json:"sample_deid_profile,omitempty"`
	Delivery              []DeliveryMode `json:"delivery"`
	Price                 Price          `json:"price"`
	Offer                 Offer          `json:"offer"`
	Status                ProductStatus  `json:"status"`
	StatusReason          string         `json:"status_reason,omitempty"`
	DerivedFrom           []string       `json:"derived_from,omitempty"` // products this one is made from
	Hash                  string         `json:"hash"`                   // SHA-256 of the product's canonical description
	ListedAt              *time.Time     `json:"listed_at"`
	CreatedAt             time.Time      `json:"created_at"`
	UpdatedAt             time.Time      `json:"updated_at"`
	SourceChangedAtListed bool           `json:"source_changed_after_listing,omitempty"`
	ReviewID              string         `json:"review_id,omitempty"` // the latest listing review (a review case)
}

// Package asset is the exchange's data-asset registry (article 21): the
// registration of the rights in a data product — the holding of the data
// resource (数据资源持有权), its processing and use (数据加工使用权) and the
// operation of the product (数据产品经营权) — by initial, change, transfer,
// licence and cancellation registrations, each reviewed by the exchange's
// staff through the one review workflow, published with a registration
// number for a public objection period, and effective when the period ends
// without a sustained objection; the public certificate of a registration
// with its QR code; and valuation reports by the cost, income or market
// method, filed by independent assessors.
package asset

import (
	"strings"

	"dataport/internal/exchange"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/workday"
)

// Type is what a registration does.
type Type string

// The registration types. Change, transfer, licence and cancellation act on
// a registration in effect (their prior); an objection (or an application
// to revoke) acts on a registration in its objection period or in effect.
const (
	TypeInitial      Type = "initial"      // 初始登记: the first registration of a product's rights
	TypeChange       Type = "change"       // 变更登记: the rights registered change
	TypeTransfer     Type = "transfer"     // 转移登记: every right passes to another participant
	TypeLicence      Type = "licence"      // 许可登记: a participant is licensed some rights until a date
	TypeCancellation Type = "cancellation" // 注销登记: the holder gives the registration up
	TypeObjection    Type = "objection"    // 异议/撤销登记: anyone objects; sustained, it revokes the registration
)

// Types lists the types an applicant files (objections are filed apart).
var Types = []Type{TypeInitial, TypeChange, TypeTransfer, TypeLicence, TypeCancellation}

// Right is a right registered in a data product.
type Right string

// The rights.
const (
	RightHolding    Right = "holding"    // 数据资源持有权
	RightProcessing Right = "processing" // 数据加工使用权
	RightOperation  Right = "operation"  // 数据产品经营权
)

// Rights lists every right in display order.
var Rights = []Right{RightHolding, RightProcessing, RightOperation}

// Stage is where a registration stands as a registration (its review
// case's status is apart: Registration.Status).
type Stage string

// The stages. review → publicity (approved: numbered, open to objections)
// → effective; refused when its review rejects it (or it is withdrawn or
// expires); revoked by a sustained objection; superseded when a change or
// transfer of it takes effect; cancelled when its cancellation does. An
// objection is sustained or refused.
const (
	StageReview     Stage = "review"
	StagePublicity  Stage = "publicity"
	StageEffective  Stage = "effective"
	StageRevoked    Stage = "revoked"
	StageSuperseded Stage = "superseded"
	StageCancelled  Stage = "cancelled"
	StageSustained  Stage = "sustained"
	StageRefused    Stage = "refused"
)

// Stages lists every stage.
var Stages = []Stage{StageReview, StagePublicity, StageEffective, StageRevoked, StageSuperseded, StageCancelled, StageSustained, StageRefused}

// Numbered reports whether a registration at stage s has a number and a
// public certificate.
func (s Stage) Numbered() bool {
	return s == StagePublicity || s == StageEffective || s == StageRevoked || s == StageSuperseded || s == StageCancelled
}

// Config tunes the registry.
type Config struct {
	// Review keeps the registration cases: the one review workflow of the
	// application (default: a review service of its own).
	Review *review.Service
	// Calendar counts working days: the review service's (default
	// workday.China()).
	Calendar *workday.Calendar
	// ObjectionDays is how many working days an approved registration is
	// open to objections before it takes effect (default 10).
	ObjectionDays int
	// ReviewDays is how many working days the exchange's staff (and a
	// transfer's or licence's counterparty) have to decide (default 10).
	ReviewDays int
	// NumberPrefix starts every registration number (default "JH-DR"):
	// "JH-DR-2026-000123".
	NumberPrefix string
	// PublicURL is how the public reaches the server: the QR code of a
	// certificate encodes PublicURL + CertificatePath(number).
	PublicURL string
	// DataDir keeps the valuation reports' files (DataDir/blobs); "" keeps
	// only their hashes.
	DataDir string
}

// Service is the registry on one store.
type Service struct {
	db  *store.DB
	ex  *exchange.Service
	cal *workday.Calendar
	cfg Config

	// Registrations are the registrations and objections with their review
	// cases: Get, List, Decide, Withdraw, RequestInfo and Answer work on them.
	Registrations review.Records[Registration]
}

// New returns the registry, registering its kind of review case.
func New(db *store.DB, ex *exchange.Service, cfg Config) *Service {
	if cfg.Review == nil {
		cfg.Review = review.NewService(db, review.Config{Calendar: cfg.Calendar})
	}
	if cfg.Calendar == nil {
		cfg.Calendar = workday.China()
	}
	if cfg.ObjectionDays <= 0 {
		cfg.ObjectionDays = 10
	}
	if cfg.ReviewDays <= 0 {
		cfg.ReviewDays = 10
	}
	if cfg.NumberPrefix == "" {
		cfg.NumberPrefix = "JH-DR"
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	s := &Service{db: db, ex: ex, cal: cfg.Calendar, cfg: cfg}
	s.Registrations = review.Records[Registration]{Workflow: cfg.Review.Register(s.kind()), Select: `SELECT ` + registrationColumns +
		` FROM asset_registrations`, Scan: scanRegistration, Attach: attachCase}
	return s
}

package exchange

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
)

// ErrState means the participant's or product's status does not allow the
// action (409), like every other "not now".
var ErrState = catalog.ErrState

// Config tunes the exchange.
type Config struct {
	// Review keeps the admission and listing cases (default: a review
	// service of its own).
	Review *review.Service
	// DataDir holds the blob store of supporting documents (DataDir/blobs).
	DataDir string
	// AnswerDays is how many working days a participant has to answer a
	// request for more material (default 10).
	AnswerDays int
	// SampleRows is how many rows a product's sample shows (default 10).
	SampleRows int
	// Rows serves the samples' rows through the access point (the
	// datastore); without it products have no sample.
	Rows RowReader
	// Profiles checks that a sample's de-identification profile belongs
	// to the product's first resource (unchecked when nil).
	Profiles ProfileReader
	// ZoneOutputs checks that a product's zone outputs were kept by its
	// provider (the zones service); unchecked when nil.
	ZoneOutputs ZoneOutputs
	// Log records what fails after a commit (default slog.Default()).
	Log *slog.Logger
}

func (c Config) logError(ctx context.Context, msg string, args ...any) {
	c.Log.ErrorContext(ctx, msg, args...)
}

// Service runs the exchange's participants, products and their reviews on
// one store.
type Service struct {
	db      *store.DB
	ids     *identity.Service
	cat     *catalog.Service
	acc     *access.Service
	cfg     Config
	blobs   blobStore
	reviews *review.Service

	apps  review.Records[ParticipantApplication] // the admission cases of participants
	lists review.Records[Listing]                // the listing reviews (double vetting) of products

	sourceHooks []func(ctx context.Context, tx *store.Tx, before, after Product) error
	failHooks   []func(ctx context.Context, tx *store.Tx, p Product, reason string) error
	relHooks    []func()
}

// New returns the exchange, registering its two kinds of review case: the
// admission of a participant (decided by the exchange's staff) and the
// listing of a product (double vetting: the exchange's staff and an
// independent law firm).
func New(db *store.DB, ids *identity.Service, cat *catalog.Service, acc *access.Service, cfg Config) *Service {
	if cfg.Review == nil {
		cfg.Review = review.NewService(db, review.Config{})
	}
	if cfg.AnswerDays <= 0 {
		cfg.AnswerDays = 10
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.SampleRows <= 0 {
		cfg.SampleRows = 10
	}
	s := &Service{db: db, ids: ids, cat: cat, acc: acc, cfg: cfg, blobs: blobStore{dir: cfg.DataDir}, reviews: cfg.Review}
	s.registerApplications()
	s.registerListings()
	return s
}

// CanStaff says whether p acts for the exchange: a member of an
// organization of kind exchange, or a platform operator or sysadmin. The
// kinds are those Principal read with p's roles.
func CanStaff(p identity.Principal) bool {
	if p.Has(identity.PlatformOperator) || p.Has(identity.PlatformSysadmin) {
		return true
	}
	for _, m := range p.Memberships {
		if m.OrgKind == identity.KindExchange {
			return true
		}
	}
	return false
}

// OnSourceChange adds a hook called, in the transaction of the change,
// when the source declaration of a listed (or suspended) product changes.
// An error undoes the change. Hooks are added while the application is
// wired.
func (s *Service) OnSourceChange(fn func(ctx context.Context, tx *store.Tx, before, after Product) error) {
	s.sourceHooks = append(s.sourceHooks, fn)
}

// OnReviewFailed adds a hook called, in the transaction of the decision,
// when a product's listing review is rejected or returned for more
// material (reason is the reviewer's comment). An error undoes the
// decision.
func (s *Service) OnReviewFailed(fn func(ctx context.Context, tx *store.Tx, p Product, reason string) error) {
	s.failHooks = append(s.failHooks, fn)
}

// OnRelationChange adds a hook called after the commit of every change of
// the related parties on record (declared, detected or removed), so that
// what reads them — the risk engine's related-party groups — need not wait
// for its next periodic read. Hooks are added while the application is
// wired.
func (s *Service) OnRelationChange(fn func()) { s.relHooks = append(s.relHooks, fn) }

func (s *Service) relationsChanged() {
	for _, fn := range s.relHooks {
		fn()
	}
}

func (s *Service) sourceChanged(ctx context.Context, tx *store.Tx, before, after Product) error {
	for _, fn := range s.sourceHooks {
		if err := fn(ctx, tx, before, after); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) reviewFailed(ctx context.Context, tx *store.Tx, p Product, reason string) error {
	for _, fn := range s.failHooks {
		if err := fn(ctx, tx, p, reason); err != nil {
			return err
		}
	}
	return nil
}

// notFound wraps store.ErrNotFound with what was not found.
func notFound(what, id string) error { return fmt.Errorf("%s %q: %w", what, id, store.ErrNotFound) }

// isNotFound reports whether err means "no such record".
func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// Package trade runs the exchange's trades (article 22): a buyer's order is
// a contract negotiation in the states of the Dataspace Protocol 2025-1
// (REQUESTED → OFFERED → ACCEPTED → AGREED → VERIFIED → FINALIZED, or
// TERMINATED); the contract written at AGREED is sealed in the ledger by
// its canonical hash; delivery at FINALIZED creates a grant through the
// access decision point, so every read after it is decided, counted and
// revocable; transfers (REQUESTED → STARTED ⇄ SUSPENDED → COMPLETED, or
// TERMINATED) hand out short-lived per-grant keys; settlements record
// amounts, fees and invoices (no payment), and buyers rate what they
// bought. The native API and the Dataspace Protocol binding drive the same
// state machines; hooks (OnChange) see every change inside its transaction.
package trade

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"dataport/internal/access"
	"dataport/internal/exchange"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// State is where a negotiation or a transfer stands, named as the
// Dataspace Protocol 2025-1 names it on the wire (no prefix).
type State string

// The negotiation states.
const (
	Requested  State = "REQUESTED"
	Offered    State = "OFFERED"
	Accepted   State = "ACCEPTED"
	Agreed     State = "AGREED"
	Verified   State = "VERIFIED"
	Finalized  State = "FINALIZED"
	Terminated State = "TERMINATED"
)

// The transfer states besides Requested and Terminated.
const (
	Started   State = "STARTED"
	Suspended State = "SUSPENDED"
	Completed State = "COMPLETED"
)

// ErrState means the negotiation or transfer is not in a state that allows
// the step asked for (the protocol answers 400, the native API 409). It
// matches store.ErrConflict too.
var ErrState = fmt.Errorf("the process's state does not allow this step: %w", store.ErrConflict)

// negotiationSteps are the negotiation's transitions (DSP 2025-1).
var negotiationSteps = map[State][]State{
	Requested: {Offered, Agreed, Terminated},
	Offered:   {Accepted, Terminated},
	Accepted:  {Agreed, Terminated},
	Agreed:    {Verified, Terminated},
	Verified:  {Finalized, Terminated},
}

// transferSteps are the transfer process's transitions (DSP 2025-1).
var transferSteps = map[State][]State{
	Requested: {Started, Terminated},
	Started:   {Suspended, Completed, Terminated},
	Suspended: {Started, Terminated},
}

// refuseStep returns the ErrState refusal of moving a process of kind
// from one state to another, or nil when the step is allowed.
func refuseStep(steps map[State][]State, kind string, from, to State) error {
	for _, s := range steps[from] {
		if s == to {
			return nil
		}
	}
	return refuseWith("trade_state", "a %s in state %s cannot move to %s", kind, from, to)
}

// refuseWith returns an ErrState refusal with a code for translation.
func refuseWith(code, format string, args ...any) error {
	return validate.Refuse(ErrState, code, format, args...)
}

// Negotiation is a contract negotiation: a buyer's order for a listed
// product, from request to a finalized contract or termination.
type Negotiation struct {
	ID              string        `json:"id" doc:"The provider's process id (DSP providerPid), urn:uuid:…"`
	ConsumerPID     string        `json:"consumer_pid" doc:"The consumer's process id (DSP consumerPid)"`
	ProductID       string        `json:"product_id"`
	OfferID         string        `json:"offer_id" doc:"The offer the current terms come from: the product's, or the provider's counter-offer"`
	ProviderID      string        `json:"provider_id" doc:"The provider participant"`
	ProviderOrgID   string        `json:"provider_org_id"`
	BuyerID         string        `json:"buyer_id" doc:"The buyer participant"`
	BuyerOrgID      string        `json:"buyer_org_id"`
	State           State         `json:"state" enum:"REQUESTED,OFFERED,ACCEPTED,AGREED,VERIFIED,FINALIZED,TERMINATED"`
	CallbackAddress string        `json:"callback_address,omitempty" doc:"Where protocol messages to the consumer go; empty for native orders"`
	Purpose         string        `json:"purpose"`
	Policy          access.Policy `json:"policy" doc:"The terms on the table: the request's, or the provider's counter-offer"`
	PeriodDays      int           `json:"period_days"`
	ContractID      string        `json:"contract_id,omitempty" doc:"Set at AGREED"`
	Code            string        `json:"code,omitempty" doc:"Why it was terminated: a code"`
	Reason          string        `json:"reason,omitempty" doc:"Why it was terminated, in words"`
	CreatedAt       time.Time     `json:"created_at"`
	UpdatedAt       time.Time     `json:"updated_at"`
}

// Transfer is a transfer process under a finalized contract.
type Transfer struct {
	ID              string    `json:"id" doc:"The provider's process id (DSP providerPid), urn:uuid:…"`
	ConsumerPID     string    `json:"consumer_pid"`
	ContractID      string    `json:"contract_id"`
	ProviderOrgID   string    `json:"provider_org_id"`
	BuyerOrgID      string    `json:"buyer_org_id"`
	Format          string    `json:"format" doc:"HttpData-PULL"`
	State           State     `json:"state" enum:"REQUESTED,STARTED,SUSPENDED,COMPLETED,TERMINATED"`
	CallbackAddress string    `json:"callback_address,omitempty"`
	Code            string    `json:"code,omitempty"`
	Reason          string    `json:"reason,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// FormatHTTPPull is the one transfer format: the consumer pulls rows from
// the native rows API with a short-lived per-grant key.
const FormatHTTPPull = "HttpData-PULL"

// KeyHeader is the header a data address's token goes in.
const KeyHeader = "X-Dataport-Key"

// DataAddress is where and how a started HttpData-PULL transfer reads.
type DataAddress struct {
	Endpoint  string    `json:"endpoint" doc:"The rows API URL of the contract's (first) resource"`
	Endpoints []string  `json:"endpoints" doc:"The rows API URLs of every resource the contract covers"`
	Token     string    `json:"token" doc:"A per-grant API key (dpk_…), shown once; send it in the X-Dataport-Key header"`
	Header    string    `json:"header" doc:"The header the token goes in"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Change is one change of a negotiation, contract or transfer, as hooks
// see it inside its transaction. For a negotiation step Negotiation is
// set (and Contract from AGREED on); for a transfer step Transfer (and
// Contract); for a contract's own change (settled, completed, rated)
// Contract alone, with From and To its statuses as States.
type Change struct {
	Negotiation *Negotiation
	Transfer    *Transfer
	Contract    *Contract
	From, To    State
}

// Config tunes trading.
type Config struct {
	// PublicURL is the deployment's base URL (data addresses name the rows
	// API under it).
	PublicURL string
	// FeeRates are the exchange's fees by the role a party plays in a
	// contract (provider, buyer), in basis points of its amount (default
	// 50 each, 0.5%; a negative rate means none).
	FeeRates map[exchange.Role]int
	// KeyTTL is how long a data address's key works (default 15 minutes,
	// never past the contract's end).
	KeyTTL time.Duration
	// Logger logs what fails after a commit (nil: slog.Default).
	Logger *slog.Logger
}

// Service runs trades on one store.
type Service struct {
	db    *store.DB
	ex    *exchange.Service
	acc   *access.Service
	cfg   Config
	hooks []func(ctx context.Context, tx *store.Tx, c Change) error
	sql   *prepared
}

// New returns the trading service.
func New(db *store.DB, ex *exchange.Service, acc *access.Service, cfg Config) *Service {
	if cfg.FeeRates == nil {
		cfg.FeeRates = map[exchange.Role]int{exchange.RoleProvider: 50, exchange.RoleBuyer: 50}
	}
	if cfg.KeyTTL <= 0 {
		cfg.KeyTTL = 15 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{db: db, ex: ex, acc: acc, cfg: cfg, sql: &prepared{db: db}}
}

// OnChange adds a hook called inside the transaction of every change of a
// negotiation, contract or transfer, after the change is written; an error
// undoes the change. Hooks are added while the application is wired.
func (s *Service) OnChange(fn func(ctx context.Context, tx *store.Tx, c Change) error) {
	s.hooks = append(s.hooks, fn)
}

func (s *Service) changed(ctx context.Context, tx *store.Tx, c Change) error {
	for _, fn := range s.hooks {
		if err := fn(ctx, tx, c); err != nil {
			return err
		}
	}
	return nil
}

// canSee says whether p may see a process between the two organizations:
// a member of either, the exchange's staff, or platform staff (auditors,
// regulators).
func canSee(p identity.Principal, providerOrgID, buyerOrgID string) bool {
	return p.RoleIn(providerOrgID) != "" || p.RoleIn(buyerOrgID) != "" || exchange.CanStaff(p) || p.IsPlatformStaff()
}

// canAct says whether p may act for organization orgID in a trade: its
// editors and admins.
func canAct(p identity.Principal, orgID string) bool { return p.AtLeast(orgID, identity.RoleEditor) }

// newPID returns a new process or agreement id: a URN of a time-ordered UUID.
func newPID() string { return "urn:uuid:" + store.NewID() }

// notFound is the error for a process that does not exist or that the
// caller may not see: the two are never told apart.
func notFound(kind, id string) error { return fmt.Errorf("%s %q: %w", kind, id, store.ErrNotFound) }

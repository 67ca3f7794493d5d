package risk

// Facts are what a rule sees of one observation: its kind, and the
// variables of that kind (the others are zero). Every field is an
// identifier, a code or a figure: never personal data. A rule's CEL
// expression reads them as the variables kind, trade, price, orders,
// cycle, denial, review and source, by their JSON names (trade.buyer_id).
type Facts struct {
	Kind   Kind        `json:"kind"`
	Trade  TradeFacts  `json:"trade"`
	Price  PriceFacts  `json:"price"`
	Orders OrderFacts  `json:"orders"`
	Cycle  CycleFacts  `json:"cycle"`
	Denial DenialFacts `json:"denial"`
	Review ReviewFacts `json:"review"`
	Source SourceFacts `json:"source"`
}

// TradeFacts describe a contract agreed (kind "trade").
type TradeFacts struct {
	ContractID string `json:"contract_id"`
	ProductID  string `json:"product_id"`
	ProviderID string `json:"provider_id"` // participant
	BuyerID    string `json:"buyer_id"`    // participant
	PriceModel string `json:"price_model"` // one_off, subscription, per_call, per_row
	UnitFen    int64  `json:"unit_fen"`    // the agreed price per unit of the model, in fen
	AmountFen  int64  `json:"amount_fen"`  // the contract's amount, in fen
	Related    bool   `json:"related"`     // provider and buyer are related parties
}

// PriceFacts compare a trade's unit price with the product's history
// (kind "trade").
type PriceFacts struct {
	History   int64   `json:"history"`    // earlier trades of the product compared (the last Config.PriceHistory at most)
	MedianFen int64   `json:"median_fen"` // their median unit price
	Ratio     float64 `json:"ratio"`      // unit_fen / median_fen; 0 without history
}

// OrderFacts describe an order (a negotiation requested, kind "order")
// and the orders around it.
type OrderFacts struct {
	NegotiationID string `json:"negotiation_id"`
	ProductID     string `json:"product_id"`
	ProviderID    string `json:"provider_id"`
	BuyerID       string `json:"buyer_id"`
	BuyerRecent   int64  `json:"buyer_recent"`   // orders by the buyer within the burst window, this one included
	ProductRecent int64  `json:"product_recent"` // orders for the product within the burst window, this one included
	WindowMinutes int64  `json:"window_minutes"` // the burst window
}

// CycleFacts say whether a trade closed a circular trade (kind "trade"):
// its product, or one derived from the same products, passing through a
// cycle of participants or related parties within the window.
type CycleFacts struct {
	Found          bool     `json:"found"`
	Length         int      `json:"length"`          // trades in the cycle
	ParticipantIDs []string `json:"participant_ids"` // in the order the product passed
	ProductIDs     []string `json:"product_ids"`
	ContractIDs    []string `json:"contract_ids"` // this trade's first
	WindowDays     int      `json:"window_days"`
	Truncated      bool     `json:"truncated"` // the search stopped at its bound before finding a cycle
	Key            string   `json:"key"`       // names the cycle by its product family and groups
}

// DenialFacts describe a read refused under a grant (kind
// "access_denied"); the contract's parties are known when the grant came
// from a contract this engine saw agreed.
type DenialFacts struct {
	Reason     string `json:"reason"`      // the decision's reason: over_quota, grant_expired, ...
	OriginKind string `json:"origin_kind"` // the grant's origin: contract, share_request, ...
	ContractID string `json:"contract_id"` // the grant's contract, when its origin is one
	GrantID    string `json:"grant_id"`
	ResourceID string `json:"resource_id"`
	ProductID  string `json:"product_id"`
	ProviderID string `json:"provider_id"`
	BuyerID    string `json:"buyer_id"`
}

// ReviewFacts describe a listing rejected or returned by the compliance
// review (kind "review_failed").
type ReviewFacts struct {
	ProductID        string `json:"product_id"`
	ProviderID       string `json:"provider_id"`
	ProviderFailures int64  `json:"provider_failures"` // the provider's failed reviews within the review window, this one included
	ProductFailures  int64  `json:"product_failures"`  // the product's, likewise
	WindowDays       int64  `json:"window_days"`
}

// SourceFacts describe a change to a product's source declaration (kind
// "source_changed").
type SourceFacts struct {
	ProductID       string `json:"product_id"`
	ProviderID      string `json:"provider_id"`
	Listed          bool   `json:"listed"` // the product had been listed before the change
	Before          string `json:"before"` // the source kind before: self_collected, authorised, purchased, consent
	After           string `json:"after"`
	KindChanged     bool   `json:"kind_changed"`
	NoteChanged     bool   `json:"note_changed"`
	EvidenceChanged bool   `json:"evidence_changed"` // evidence files added, removed or replaced
}

// RuleVariable documents one variable rules may read.
type RuleVariable struct {
	Name string `json:"name"`
	Type string `json:"type"`
	On   []Kind `json:"on" doc:"The kinds of observation that set it"`
	Doc  string `json:"doc"`
}

// Variables documents every variable rules may read.
var Variables = []RuleVariable{
	{"kind", "string", Kinds, "the kind of observation: trade, order, access_denied, review_failed, source_changed"},
	{"trade.contract_id, trade.product_id, trade.provider_id, trade.buyer_id", "string", []Kind{KindTrade}, "the contract agreed, its product and parties (participant ids)"},
	{"trade.price_model", "string", []Kind{KindTrade}, "one_off, subscription, per_call or per_row"},
	{"trade.unit_fen, trade.amount_fen", "int", []Kind{KindTrade}, "the agreed unit price and the contract's amount, in fen"},
	{"trade.related", "bool", []Kind{KindTrade}, "provider and buyer are related parties"},
	{"price.history", "int", []Kind{KindTrade}, "how many earlier trades of the product the median covers (the last 20 at most)"},
	{"price.median_fen", "int", []Kind{KindTrade}, "the median unit price of those trades"},
	{"price.ratio", "double", []Kind{KindTrade}, "unit_fen / median_fen (0 without history)"},
	{"cycle.found", "bool", []Kind{KindTrade}, "the trade closed a circular trade of its product family within the window"},
	{"cycle.length", "int", []Kind{KindTrade}, "trades in the cycle"},
	{"cycle.participant_ids, cycle.product_ids, cycle.contract_ids", "list(string)", []Kind{KindTrade}, "the cycle's parties, products and contracts"},
	{"cycle.window_days", "int", []Kind{KindTrade}, "the window the trades fall in"},
	{"cycle.truncated", "bool", []Kind{KindTrade}, "the search reached its bound without finding a cycle"},
	{"cycle.key", "string", []Kind{KindTrade}, "names the cycle by its product family and related-party groups"},
	{"orders.negotiation_id, orders.product_id, orders.provider_id, orders.buyer_id", "string", []Kind{KindOrder}, "the order and its parties"},
	{"orders.buyer_recent, orders.product_recent", "int", []Kind{KindOrder}, "orders by the buyer, and for the product, within the burst window (this one included)"},
	{"orders.window_minutes", "int", []Kind{KindOrder}, "the burst window"},
	{"denial.reason", "string", []Kind{KindDenial}, "why the read was refused: over_quota, grant_expired, grant_revoked, purpose_mismatch, ..."},
	{"denial.origin_kind", "string", []Kind{KindDenial}, "the grant's origin: contract, share_request, open_application, zone, manual"},
	{"denial.contract_id, denial.grant_id, denial.resource_id", "string", []Kind{KindDenial}, "the grant's contract (for a contract's grant), the grant and the resource"},
	{"denial.product_id, denial.provider_id, denial.buyer_id", "string", []Kind{KindDenial}, "the contract's product and parties, when known"},
	{"review.product_id, review.provider_id", "string", []Kind{KindReview}, "the listing that failed its compliance review"},
	{"review.provider_failures, review.product_failures", "int", []Kind{KindReview}, "failed reviews of the provider, and of the product, within the review window (this one included)"},
	{"review.window_days", "int", []Kind{KindReview}, "the review window"},
	{"source.product_id, source.provider_id", "string", []Kind{KindSource}, "the product whose source declaration changed"},
	{"source.listed", "bool", []Kind{KindSource}, "it had been listed before"},
	{"source.before, source.after", "string", []Kind{KindSource}, "the source kind before and after"},
	{"source.kind_changed, source.note_changed, source.evidence_changed", "bool", []Kind{KindSource}, "what changed"},
}

package dsp

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ContextURL is the JSON-LD context every message names: messages are in
// the compact form the protocol's schemas describe.
const ContextURL = "https://w3id.org/dspace/2025/1/context.jsonld"

// Version is the protocol version served.
const Version = "2025-1"

// context is the @context of every message sent.
func ldContext() []string { return []string{ContextURL} }

// The state values of negotiations and transfer processes are the bare
// names the 2025-1 schemas enumerate ("REQUESTED", not "dspace:REQUESTED").

// head is what every message starts with.
type head struct {
	Context []string `json:"@context"`
	Type    string   `json:"@type"`
}

func newHead(typ string) head { return head{Context: ldContext(), Type: typ} }

// pids are the two process identifiers of negotiation and transfer messages.
type pids struct {
	ProviderPID string `json:"providerPid"`
	ConsumerPID string `json:"consumerPid"`
}

// CatalogRequestMessage asks for the catalog; a filter is not supported.
type CatalogRequestMessage struct {
	head
	Filter []json.RawMessage `json:"filter,omitempty"`
}

// Catalog is the provider's catalog: its datasets and the data service
// that delivers them.
type Catalog struct {
	Context       []string      `json:"@context,omitempty"`
	ID            string        `json:"@id"`
	Type          string        `json:"@type"`
	Title         string        `json:"dct:title,omitempty"`
	ParticipantID string        `json:"participantId,omitempty"`
	Service       []DataService `json:"service,omitempty"`
	Dataset       []Dataset     `json:"dataset,omitempty"`
}

// Dataset is a listed product: its offers and how it is delivered.
type Dataset struct {
	Context      []string       `json:"@context,omitempty"`
	ID           string         `json:"@id"`
	Type         string         `json:"@type"`
	Title        string         `json:"dct:title,omitempty"`
	Description  string         `json:"dct:description,omitempty"`
	Publisher    string         `json:"dct:publisher,omitempty"`
	HasPolicy    []Policy       `json:"hasPolicy"`
	Distribution []Distribution `json:"distribution"`
}

// Distribution is one way a dataset is delivered, through a data service.
type Distribution struct {
	Type          string `json:"@type"`
	Format        string `json:"format"`
	AccessService string `json:"accessService"` // the data service's @id
}

// DataService is an endpoint that serves datasets: this provider's /dsp.
type DataService struct {
	ID          string `json:"@id"`
	Type        string `json:"@type"`
	EndpointURL string `json:"endpointURL"`
}

// CatalogError is the catalog's error object.
type CatalogError struct {
	head
	Code   string `json:"code,omitempty"`
	Reason []any  `json:"reason,omitempty"`
}

// Policy is an ODRL policy in the protocol's compact form: an Offer in a
// dataset (no target), an Offer in a message (with target) or an
// Agreement (with target, assigner, assignee and timestamp).
type Policy struct {
	ID          string `json:"@id"`
	Type        string `json:"@type"`
	Profile     any    `json:"profile,omitempty"`
	Target      string `json:"target,omitempty"`
	Assigner    string `json:"assigner,omitempty"`
	Assignee    string `json:"assignee,omitempty"`
	Timestamp   string `json:"timestamp,omitempty"`
	Permission  []Rule `json:"permission,omitempty"`
	Prohibition []Rule `json:"prohibition,omitempty"`
	Obligation  []Rule `json:"obligation,omitempty"`
}

// Rule is a permission, prohibition or duty: an action under constraints.
type Rule struct {
	Action     string       `json:"action"`
	Constraint []Constraint `json:"constraint,omitempty"`
}

// Constraint is an atomic constraint (leftOperand operator rightOperand)
// or a logical one (and, or, xone, andSequence of constraints).
type Constraint struct {
	LeftOperand  string       `json:"leftOperand,omitempty"`
	Operator     string       `json:"operator,omitempty"`
	RightOperand any          `json:"rightOperand,omitempty"` // a string, an array or an object (a typed value)
	And          []Constraint `json:"and,omitempty"`
	Or           []Constraint `json:"or,omitempty"`
	Xone         []Constraint `json:"xone,omitempty"`
	AndSequence  []Constraint `json:"andSequence,omitempty"`
}

// ContractRequestMessage is the consumer's request: it starts a
// negotiation (with callbackAddress, without providerPid) or counters the
// provider's offer (with providerPid).
type ContractRequestMessage struct {
	head
	ProviderPID     string `json:"providerPid,omitempty"`
	ConsumerPID     string `json:"consumerPid"`
	Offer           Policy `json:"offer"`
	CallbackAddress string `json:"callbackAddress,omitempty"`
}

// ContractOfferMessage is the provider's offer to the consumer.
type ContractOfferMessage struct {
	head
	pids
	Offer           Policy `json:"offer"`
	CallbackAddress string `json:"callbackAddress,omitempty"`
}

// ContractAgreementMessage carries the agreement the provider made.
type ContractAgreementMessage struct {
	head
	pids
	Agreement Policy `json:"agreement"`
}

// ContractAgreementVerificationMessage is the consumer's verification of
// the agreement.
type ContractAgreementVerificationMessage struct {
	head
	pids
}

// ContractNegotiationEventMessage is ACCEPTED (from the consumer) or
// FINALIZED (from the provider).
type ContractNegotiationEventMessage struct {
	head
	pids
	EventType string `json:"eventType"`
}

// The event types.
const (
	EventAccepted  = "ACCEPTED"
	EventFinalized = "FINALIZED"
)

// ContractNegotiationTerminationMessage ends a negotiation, from either side.
type ContractNegotiationTerminationMessage struct {
	head
	pids
	Code   string `json:"code,omitempty"`
	Reason []any  `json:"reason,omitempty"`
}

// ContractNegotiation is a negotiation's state: the acknowledgement of
// the negotiation endpoints.
type ContractNegotiation struct {
	head
	pids
	State string `json:"state"`
}

// ContractNegotiationError is the negotiation endpoints' error object.
type ContractNegotiationError struct {
	head
	pids
	Code   string `json:"code,omitempty"`
	Reason []any  `json:"reason,omitempty"`
}

// TransferRequestMessage asks for a transfer under an agreement.
type TransferRequestMessage struct {
	head
	AgreementID     string       `json:"agreementId"`
	Format          string       `json:"format"`
	DataAddress     *DataAddress `json:"dataAddress,omitempty"`
	CallbackAddress string       `json:"callbackAddress"`
	ConsumerPID     string       `json:"consumerPid"`
}

// TransferStartMessage starts (or restarts) a transfer; from the provider
// of a pull transfer it carries where and how to pull.
type TransferStartMessage struct {
	head
	pids
	DataAddress *DataAddress `json:"dataAddress,omitempty"`
}

// TransferCompletionMessage completes a transfer.
type TransferCompletionMessage struct {
	head
	pids
}

// TransferCodeMessage is a suspension, termination or error of a
// transfer: its @type says which.
type TransferCodeMessage struct {
	head
	pids
	Code   string `json:"code,omitempty"`
	Reason []any  `json:"reason,omitempty"`
}

// TransferProcess is a transfer's state: the acknowledgement of the
// transfer endpoints.
type TransferProcess struct {
	head
	pids
	State string `json:"state"`
}

// DataAddress says where data is pulled from and with what credentials.
type DataAddress struct {
	Type               string             `json:"@type"`
	EndpointType       string             `json:"endpointType"`
	Endpoint           string             `json:"endpoint,omitempty"`
	EndpointProperties []EndpointProperty `json:"endpointProperties,omitempty"`
}

// EndpointProperty is one name and value of a data address.
type EndpointProperty struct {
	Type  string `json:"@type"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

// VersionResponse lists the protocol versions served
// (/.well-known/dspace-version).
type VersionResponse struct {
	ProtocolVersions []ProtocolVersion `json:"protocolVersions"`
}

// ProtocolVersion is one version and binding, at path.
type ProtocolVersion struct {
	Version        string `json:"version"`
	Path           string `json:"path"`
	Binding        string `json:"binding"`
	IdentifierType string `json:"identifierType,omitempty"`
	ServiceID      string `json:"serviceId,omitempty"`
}

// reasonText joins a message's reasons: strings as they are, JSON-LD
// values ({"@value": ...}) by their value, anything else as JSON.
func reasonText(reason []any) string {
	parts := make([]string, 0, len(reason))
	for _, r := range reason {
		switch v := r.(type) {
		case string:
			parts = append(parts, v)
		case map[string]any:
			if s, ok := v["@value"].(string); ok {
				parts = append(parts, s)
				continue
			}
			raw, _ := json.Marshal(v)
			parts = append(parts, string(raw))
		default:
			parts = append(parts, fmt.Sprint(v))
		}
	}
	return strings.Join(parts, "; ")
}

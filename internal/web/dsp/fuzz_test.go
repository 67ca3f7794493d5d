package dsp

import (
	"encoding/json"
	"errors"
	"testing"

	"dataport/internal/fuzztest"

	"github.com/google/go-cmp/cmp"
)

// received are the messages consumers send the provider: the parsers of
// outside input.
var received = []struct {
	schema Schema
	read   func() any // a new value to read the message into
	offer  func(v any) *Policy
}{
	{SchemaCatalogRequest, func() any { return new(CatalogRequestMessage) }, nil},
	{SchemaContractRequest, func() any { return new(ContractRequestMessage) }, func(v any) *Policy { return &v.(*ContractRequestMessage).Offer }},
	{SchemaNegotiationEvent, func() any { return new(ContractNegotiationEventMessage) }, nil},
	{SchemaAgreementVerify, func() any { return new(ContractAgreementVerificationMessage) }, nil},
	{SchemaNegotiationTerminate, func() any { return new(ContractNegotiationTerminationMessage) }, nil},
	{SchemaTransferRequest, func() any { return new(TransferRequestMessage) }, nil},
	{SchemaTransferStart, func() any { return new(TransferStartMessage) }, nil},
	{SchemaTransferCompletion, func() any { return new(TransferCompletionMessage) }, nil},
	{SchemaTransferSuspension, func() any { return new(TransferCodeMessage) }, nil},
	{SchemaTransferTermination, func() any { return new(TransferCodeMessage) }, nil},
}

// FuzzMessages feeds the provider's message parsing: schema validation,
// then reading into the Go types, then the offer's rules into terms.
// Whatever the input, validation returns (within fuzztest.Hang) either
// ErrInvalid or nil; a message that validates is read without error; and
// terms read from an offer are written back as rules that validate and
// read back to the same terms.
func FuzzMessages(f *testing.F) {
	for i, r := range received {
		for _, ex := range examples {
			if ex.schema == r.schema {
				f.Add(uint8(i), readExample(f, ex.file))
			}
		}
	}
	f.Add(uint8(1), []byte(`{"@context":["https://w3id.org/dspace/2025/1/context.jsonld"],"@type":"ContractRequestMessage","consumerPid":"c",`+
		`"callbackAddress":"https://c.example","offer":{"@id":"o","@type":"Offer","target":"t","permission":[{"action":"use","constraint":[`+
		`{"leftOperand":"count","operator":"lteq","rightOperand":"5"},{"leftOperand":"purpose","operator":"isAnyOf","rightOperand":["a","b"]},`+
		`{"leftOperand":"elapsedTime","operator":"lteq","rightOperand":"P30D"}]}],"prohibition":[{"action":"distribute"}]}}`))
	f.Fuzz(func(t *testing.T, which uint8, raw []byte) {
		r := received[int(which)%len(received)]
		var err error
		fuzztest.Within(t, "Validate", func() { err = Validate(r.schema, raw) })
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate failed without ErrInvalid: %v", err)
			}
			return
		}
		v := r.read()
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatalf("a message that validates cannot be read: %v", err)
		}
		if r.offer == nil {
			return
		}
		terms, err := ParseTerms(*r.offer(v))
		if err != nil {
			return
		}
		perm, prohib := terms.Rules()
		back := Policy{ID: "urn:uuid:o", Type: "Offer", Target: "urn:uuid:t", Permission: perm, Prohibition: prohib}
		msg := ContractOfferMessage{head: newHead("ContractOfferMessage"), pids: pids{ProviderPID: "p", ConsumerPID: "c"}, Offer: back}
		if _, err := encode(SchemaContractOffer, msg); err != nil {
			t.Fatalf("terms read from a valid offer are written as an invalid one: %v", err)
		}
		again, err := ParseTerms(back)
		if err != nil {
			t.Fatalf("terms written as rules cannot be read back: %v", err)
		}
		if diff := cmp.Diff(terms, again); diff != "" {
			t.Fatalf("terms changed through rules (-first +again):\n%s", diff)
		}
	})
}

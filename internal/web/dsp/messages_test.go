package dsp

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"dataport/internal/access"

	"github.com/google/go-cmp/cmp"
)

// examples maps each example of the specification (schemas/*/example) to
// its schema and the Go type the provider reads or writes it as.
var examples = []struct {
	file   string
	schema Schema
	typ    any
}{
	{"catalog/example/catalog-request-message.json", SchemaCatalogRequest, nil}, // only read (its empty filter); the fuzz target reads it
	{"catalog/example/catalog.json", SchemaCatalog, Catalog{}},
	{"catalog/example/dataset.json", SchemaDataset, nil}, // its accessService is an object; the provider writes the id
	{"catalog/example/catalog-error.json", SchemaCatalogError, CatalogError{}},
	{"common/example/protocol-version.json", SchemaVersion, nil}, // auth is not written
	{"negotiation/example/contract-request-message.json", SchemaContractRequest, ContractRequestMessage{}},
	{"negotiation/example/contract-request-message_initial.json", SchemaContractRequest, ContractRequestMessage{}},
	{"negotiation/example/contract-offer-message.json", SchemaContractOffer, ContractOfferMessage{}},
	{"negotiation/example/contract-agreement-message.json", SchemaContractAgreement, ContractAgreementMessage{}},
	{"negotiation/example/contract-agreement-message-full.json", SchemaContractAgreement, ContractAgreementMessage{}},
	{"negotiation/example/contract-agreement-verification-message.json", SchemaAgreementVerify, ContractAgreementVerificationMessage{}},
	{"negotiation/example/contract-negotiation-event-message.json", SchemaNegotiationEvent, ContractNegotiationEventMessage{}},
	{"negotiation/example/contract-negotiation-termination-message.json", SchemaNegotiationTerminate, ContractNegotiationTerminationMessage{}},
	{"negotiation/example/contract-negotiation.json", SchemaNegotiation, ContractNegotiation{}},
	{"negotiation/example/contract-negotiation-error.json", SchemaNegotiationError, ContractNegotiationError{}},
	{"transfer/example/transfer-request-message.json", SchemaTransferRequest, TransferRequestMessage{}},
	{"transfer/example/transfer-start-message.json", SchemaTransferStart, TransferStartMessage{}},
	{"transfer/example/transfer-completion-message.json", SchemaTransferCompletion, TransferCompletionMessage{}},
	{"transfer/example/transfer-suspension-message.json", SchemaTransferSuspension, TransferCodeMessage{}},
	{"transfer/example/transfer-termination-message.json", SchemaTransferTermination, TransferCodeMessage{}},
	{"transfer/example/transfer-process.json", SchemaTransferProcess, TransferProcess{}},
	{"transfer/example/transfer-error.json", SchemaTransferError, TransferCodeMessage{}},
}

func readExample(t testing.TB, file string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("schemas", file))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// generic decodes JSON into maps and slices, for comparing documents.
func generic(t *testing.T, raw []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestExamplesValidateAndRoundTrip checks the embedded schemas against the
// specification's own examples, and that the Go types read each example
// and write it back unchanged: they are the compact form the schemas and
// examples show, term for term.
func TestExamplesValidateAndRoundTrip(t *testing.T) {
	for _, ex := range examples {
		t.Run(ex.file, func(t *testing.T) {
			raw := readExample(t, ex.file)
			if err := Validate(ex.schema, raw); err != nil {
				t.Fatalf("the specification's example fails its schema: %v", err)
			}
			if ex.typ == nil {
				return
			}
			v := reflect.New(reflect.TypeOf(ex.typ))
			if err := json.Unmarshal(raw, v.Interface()); err != nil {
				t.Fatal(err)
			}
			out, err := json.Marshal(v.Interface())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(generic(t, raw), generic(t, out)); diff != "" {
				t.Errorf("read and written back, the example changed (-example +written):\n%s", diff)
			}
			if err := Validate(ex.schema, out); err != nil {
				t.Errorf("written back, the example fails its schema: %v", err)
			}
		})
	}
}

// TestValidateRefuses checks that a schema rejects what the protocol
// forbids, naming where, and that every listed schema compiles.
func TestValidateRefuses(t *testing.T) {
	for _, test := range []struct {
		name   string
		schema Schema
		doc    string
		where  string
	}{
		{"not JSON", SchemaNegotiation, `{"@context": [`, ""},
		{"no context", SchemaNegotiation, `{"@type": "ContractNegotiation", "providerPid": "a", "consumerPid": "b", "state": "REQUESTED"}`, "/"},
		{"context without the protocol's", SchemaNegotiation, `{"@context": ["https://example.org/x"], "@type": "ContractNegotiation", "providerPid": "a", "consumerPid": "b", "state": "REQUESTED"}`, "/@context"},
		{"prefixed state", SchemaNegotiation, `{"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@type": "ContractNegotiation", "providerPid": "a", "consumerPid": "b", "state": "dspace:REQUESTED"}`, "/state"},
		{"wrong type", SchemaAgreementVerify, `{"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@type": "ContractNegotiation", "providerPid": "a", "consumerPid": "b"}`, "/@type"},
		{"request without callback or providerPid", SchemaContractRequest, `{"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@type": "ContractRequestMessage", "consumerPid": "c", "offer": {"@id": "o", "@type": "Offer", "permission": [{"action": "use"}]}}`, "/"},
		{"number as right operand", SchemaContractRequest, `{"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@type": "ContractRequestMessage", "consumerPid": "c", "callbackAddress": "https://c.example", "offer": {"@id": "o", "@type": "Offer", "permission": [{"action": "use", "constraint": [{"leftOperand": "count", "operator": "lteq", "rightOperand": 5}]}]}}`, "/offer/permission/0/constraint/0"},
		{"transfer error without pids (AbstractTransferCodeMessage ref)", SchemaTransferError, `{"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@type": "TransferError"}`, "/"},
	} {
		t.Run(test.name, func(t *testing.T) {
			err := Validate(test.schema, []byte(test.doc))
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate = %v, want ErrInvalid", err)
			}
			var serr *SchemaError
			if test.where != "" && (!errors.As(err, &serr) || !slices.ContainsFunc(serr.Problems, func(p string) bool { return strings.HasPrefix(p, test.where) })) {
				t.Errorf("the error does not point at %s: %v", test.where, err)
			}
		})
	}
	all, err := compiled()
	if err != nil || len(all) != len(schemas) {
		t.Fatalf("compiled %d of %d schemas: %v", len(all), len(schemas), err)
	}
}

// TestTermsRoundTrip writes terms as an offer's ODRL rules, checks the
// offer message validates, and reads the rules back into the same terms.
func TestTermsRoundTrip(t *testing.T) {
	for _, terms := range []Terms{
		{},
		{OnwardTransfer: true},
		{Policy: access.Policy{Purposes: []string{"交通规划", "research"}, MaxCalls: 100}, PeriodDays: 30},
		{Policy: access.Policy{Purposes: []string{"p"}, Actions: []access.Action{access.ActionRead}, Fields: []string{"station", "riders"},
			RowFilter: `row.district == "东城区"`, DeidProfile: "profile-1", MaxCalls: 5, MaxRows: 1000, RowsPerRequest: 50, RatePerMinute: 10},
			PeriodDays: 365, OnwardTransfer: true},
	} {
		perm, prohib := terms.Rules()
		offer := Policy{ID: "urn:uuid:o", Type: "Offer", Target: "urn:uuid:d", Permission: perm, Prohibition: prohib}
		msg := ContractRequestMessage{head: newHead("ContractRequestMessage"), ConsumerPID: "urn:uuid:c", Offer: offer, CallbackAddress: "https://c.example/cb"}
		raw, err := encode(SchemaContractRequest, msg)
		if err != nil {
			t.Fatalf("%+v: %v", terms, err)
		}
		var back ContractRequestMessage
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatal(err)
		}
		got, err := ParseTerms(back.Offer)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if diff := cmp.Diff(terms, got); diff != "" {
			t.Errorf("terms changed through ODRL (-want +got):\n%s\n%s", diff, raw)
		}
	}
}

// TestParseTermsRefuses checks that rules the provider does not read are
// refused, never ignored: ignoring one would agree to terms nobody read.
func TestParseTermsRefuses(t *testing.T) {
	atom := func(left, op string, right any) Policy {
		return Policy{Permission: []Rule{{Action: "use", Constraint: []Constraint{{LeftOperand: left, Operator: op, RightOperand: right}}}}}
	}
	for _, test := range []struct {
		name string
		p    Policy
	}{
		{"another action", Policy{Permission: []Rule{{Action: "modify"}}}},
		{"an obligation", Policy{Permission: []Rule{{Action: "use"}}, Obligation: []Rule{{Action: "compensate"}}}},
		{"another prohibition", Policy{Prohibition: []Rule{{Action: "use"}}}},
		{"a logical constraint", Policy{Permission: []Rule{{Action: "use", Constraint: []Constraint{{Or: []Constraint{{LeftOperand: "count", Operator: "lteq", RightOperand: "1"}}}}}}}},
		{"an unknown left operand", atom("spatial", "eq", "EU")},
		{"count with the wrong operator", atom("count", "gteq", "5")},
		{"count not a number", atom("count", "lteq", "five")},
		{"count zero", atom("count", "lteq", "0")},
		{"purposes not a list", atom("purpose", "isAnyOf", "research")},
		{"a purpose not a string", atom("purpose", "isAnyOf", []any{map[string]any{"x": 1}})},
		{"a period not in days", atom("elapsedTime", "lteq", "PT5H")},
		{"a row filter with isAnyOf", atom(OperandRowFilter, "isAnyOf", []any{"x"})},
		{"a term twice", Policy{Permission: []Rule{{Action: "use", Constraint: []Constraint{
			{LeftOperand: "count", Operator: "lteq", RightOperand: "5"}, {LeftOperand: "odrl:count", Operator: "lteq", RightOperand: "500"}}}}}},
	} {
		t.Run(test.name, func(t *testing.T) {
			var terr *TermsError
			if _, err := ParseTerms(test.p); !errors.As(err, &terr) {
				t.Errorf("ParseTerms = %v, want a TermsError", err)
			}
		})
	}
	// ODRL's own terms may come as full IRIs, and values as JSON-LD value objects.
	got, err := ParseTerms(Policy{Permission: []Rule{{Action: "http://www.w3.org/ns/odrl/2/use", Constraint: []Constraint{
		{LeftOperand: "odrl:count", Operator: "http://www.w3.org/ns/odrl/2/lteq", RightOperand: map[string]any{"@value": "7", "@type": "xsd:integer"}},
		{LeftOperand: "purpose", Operator: "eq", RightOperand: "research"}}}}})
	if err != nil || got.Policy.MaxCalls != 7 || !slices.Equal(got.Policy.Purposes, []string{"research"}) || !got.OnwardTransfer {
		t.Errorf("ParseTerms = %+v, %v", got, err)
	}
}

// TestContextDefinesEveryTerm checks that every property and type the
// provider writes is a term of the protocol's JSON-LD contexts (or a
// compact IRI of one of their prefixes), so that a JSON-LD consumer
// reads the same message the schemas validate.
func TestContextDefinesEveryTerm(t *testing.T) {
	terms := map[string]bool{}
	for _, f := range []string{"context/dspace.jsonld", "context/odrl.jsonld"} {
		var doc struct {
			Context map[string]any `json:"@context"`
		}
		if err := json.Unmarshal(readExample(t, f), &doc); err != nil {
			t.Fatal(err)
		}
		for k, v := range doc.Context {
			terms[k] = true
			if def, ok := v.(map[string]any); ok {
				if inner, ok := def["@context"].(map[string]any); ok {
					for k := range inner {
						terms[k] = true
					}
				}
			}
		}
	}
	perm, prohib := Terms{Policy: access.Policy{Purposes: []string{"p"}, MaxCalls: 1}, PeriodDays: 1}.Rules()
	pol := Policy{ID: "urn:uuid:a", Type: "Agreement", Target: "urn:uuid:t", Assigner: "urn:uuid:p", Assignee: "urn:uuid:b", Timestamp: "2025-01-01T00:00:00Z",
		Permission: perm, Prohibition: prohib}
	ids := pids{ProviderPID: "urn:uuid:p", ConsumerPID: "urn:uuid:c"}
	written := []any{
		Catalog{Context: ldContext(), ID: "x", Type: "Catalog", Title: "t", ParticipantID: "p", Service: []DataService{{ID: "s", Type: "DataService", EndpointURL: "u"}},
			Dataset: []Dataset{{ID: "d", Type: "Dataset", Title: "t", Description: "d", Publisher: "p", HasPolicy: []Policy{pol},
				Distribution: []Distribution{{Type: "Distribution", Format: "HttpData-PULL", AccessService: "s"}}}}},
		ContractOfferMessage{head: newHead("ContractOfferMessage"), pids: ids, Offer: pol},
		ContractAgreementMessage{head: newHead("ContractAgreementMessage"), pids: ids, Agreement: pol},
		ContractNegotiationEventMessage{head: newHead("ContractNegotiationEventMessage"), pids: ids, EventType: EventFinalized},
		ContractNegotiationTerminationMessage{head: newHead("ContractNegotiationTerminationMessage"), pids: ids, Code: "c", Reason: []any{"r"}},
		ContractNegotiation{head: newHead("ContractNegotiation"), pids: ids, State: "FINALIZED"},
		ContractNegotiationError{head: newHead("ContractNegotiationError"), pids: ids, Code: "c", Reason: []any{"r"}},
		TransferStartMessage{head: newHead("TransferStartMessage"), pids: ids, DataAddress: &DataAddress{Type: "DataAddress", EndpointType: "e", Endpoint: "u",
			EndpointProperties: []EndpointProperty{{Type: "EndpointProperty", Name: "n", Value: "v"}}}},
		TransferCodeMessage{head: newHead("TransferTerminationMessage"), pids: ids, Code: "c", Reason: []any{"r"}},
		TransferProcess{head: newHead("TransferProcess"), pids: ids, State: "STARTED"},
		CatalogError{head: newHead("CatalogError"), Code: "c", Reason: []any{"r"}},
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, v := range x {
				prefix, _, compact := strings.Cut(k, ":")
				if !strings.HasPrefix(k, "@") && !terms[k] && !(compact && terms[prefix]) {
					t.Errorf("property %q is not a term of the contexts", k)
				}
				// Actions and ODRL's left operands (use, distribute, count, purpose, …) come from the
				// ODRL profile the contract messages' contexts import; the provider's own left
				// operands are absolute IRIs.
				if k == "@type" || k == "operator" || k == "eventType" || k == "state" {
					if s, ok := v.(string); ok && !terms[s] {
						t.Errorf("%s %q is not a term of the contexts", k, s)
					}
				}
				walk(v)
			}
		case []any:
			for _, v := range x {
				walk(v)
			}
		}
	}
	for _, v := range written {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		walk(generic(t, raw))
	}
}

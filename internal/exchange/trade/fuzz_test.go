package trade

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/exchange"
	"dataport/internal/fuzztest"
	"dataport/internal/validate"
)

// FuzzOrderTerms feeds the terms of an order as a buyer or a protocol
// consumer sends them (JSON: a purpose, a usage policy, a period, a
// callback address) through the checks and the offer matching, and the
// contract they would make through its canonical document. Checks and
// matching never panic or hang; an offer always matches itself; a matching
// order still matches with a field fewer; the canonical document is valid
// JSON that canonicalizes to itself and hashes to the contract's hash.
func FuzzOrderTerms(f *testing.F) {
	f.Add(`{"purpose":"线路规划","policy":{"purposes":["线路规划"],"fields":["a","b"],"max_calls":3},"period_days":30,"callback_address":"https://c.example/cb"}`,
		`{"purposes":["线路规划"],"fields":["a","b","c"],"max_calls":10}`, 90)
	f.Add(`{"purpose":"<x>&\u2028","policy":{"actions":["read","compute"],"row_filter":"a == \"1\"","max_rows":-1},"period_days":0}`, `{}`, 0)
	f.Add(`{"policy":{"fields":[]},"callback_address":"ftp://x"}`, `{"max_calls":1}`, 1)
	f.Fuzz(func(t *testing.T, order, offerPolicy string, offerDays int) {
		var in struct {
			Purpose         string        `json:"purpose"`
			Policy          access.Policy `json:"policy"`
			PeriodDays      int           `json:"period_days"`
			CallbackAddress string        `json:"callback_address"`
		}
		var op access.Policy
		if json.Unmarshal([]byte(order), &in) != nil || json.Unmarshal([]byte(offerPolicy), &op) != nil {
			return
		}
		o := exchange.Offer{Policy: op, PeriodDays: offerDays}
		fuzztest.Within(t, "the order's checks", func() {
			var errs validate.Errors
			checkPolicy(&errs, "policy", in.Policy)
			checkPeriod(&errs, "period_days", in.PeriodDays)
			checkCallback(&errs, in.CallbackAddress)
			if Matches(o, in.Purpose, in.Policy, in.PeriodDays) && len(in.Policy.Fields) > 1 {
				narrower := in.Policy
				narrower.Fields = narrower.Fields[1:]
				if !Matches(o, in.Purpose, narrower, in.PeriodDays) {
					t.Errorf("a matching order with a field fewer no longer matches: %+v against %+v", narrower, op)
				}
			}
		})
		var offerErrs validate.Errors
		if checkPolicy(&offerErrs, "policy", op); offerErrs.Err() == nil && offerDays > 0 {
			purposes := op.Purposes
			if len(purposes) == 0 {
				purposes = []string{in.Purpose}
			}
			for _, purpose := range purposes {
				if !Matches(o, purpose, op, offerDays) {
					t.Errorf("the offer %+v (%d days) does not match itself for purpose %q", op, offerDays, purpose)
				}
			}
		}
		checkDocument(t, in.Purpose, in.Policy, in.PeriodDays)
	})
}

// checkDocument builds the contract the terms would make and checks its
// canonical document.
func checkDocument(t *testing.T, purpose string, pol access.Policy, days int) {
	at := time.Date(2026, 12, 7, 8, 0, 0, 123456000, time.UTC)
	c := Contract{ID: "urn:uuid:c", NegotiationID: "urn:uuid:n", ProductID: "p", ProviderID: "pp", BuyerID: "bp", ProviderOrgID: "po",
		BuyerOrgID: "bo", Purpose: purpose, Policy: pol, PeriodDays: days, Price: exchange.Price{Model: exchange.PricePerCall, AmountFen: 1 << 60},
		AmountFen: amount(exchange.Price{Model: exchange.PricePerCall, AmountFen: 7}, pol, days), ValidFrom: at, ValidUntil: at.AddDate(0, 0, 1),
		CreatedAt: at}
	doc := c.Canonical()
	var v any
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("the canonical document is not JSON: %v\n%s", err, doc)
	}
	var again bytes.Buffer
	enc := json.NewEncoder(&again)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	if !bytes.Equal(bytes.TrimSuffix(again.Bytes(), []byte("\n")), doc) {
		t.Errorf("the canonical document does not canonicalize to itself:\n%s\n%s", doc, again.Bytes())
	}
	if c.ComputeHash() != sha256Hex(doc) || !slices.Equal(c.Canonical(), doc) {
		t.Error("the document or its hash differ between calls")
	}
}

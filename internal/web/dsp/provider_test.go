package dsp_test

import (
	"context"
	"net/http"
	"testing"

	"dataport/internal/access"
	"dataport/internal/exchange"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/dsp"
	"dataport/internal/web/dsp/dsptest"
)

// TestProviderSideSteps runs the steps the provider's staff take through
// the native service while a consumer negotiates over the protocol: a
// request that does not agree automatically waits; the provider's
// counter-offer reaches the consumer's callback as a ContractOfferMessage,
// the consumer accepts it (ACCEPTED), the provider agrees and the
// consumer verifies to FINALIZED; the provider's termination reaches the
// consumer with its code and reason, and the consumer's own termination
// is not echoed. The dataset endpoint serves a listed product by its @id.
func TestProviderSideSteps(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db, dsp.Config{InsecureCallbacks: true})
		manual := w.list(t, "道路养护计划数据（人工确认）", false)
		c := dsptest.NewConsumer(t, w.srv.URL, w.token(t, w.w.CompanyAdmin), "schemas")
		c.Discover()
		id := "urn:uuid:" + manual.ID
		status, dataset := c.Call(http.MethodGet, "/catalog/datasets/"+id, "", nil, "catalog/dataset-schema.json", dsptest.SchemaCatalogErr)
		if status != http.StatusOK || dataset["@id"] != id {
			t.Fatalf("dataset %s: %d %v", id, status, dataset)
		}
		if status, _ := c.Call(http.MethodGet, "/catalog/datasets/urn:uuid:"+store.NewID(), "", nil, "catalog/dataset-schema.json",
			dsptest.SchemaCatalogErr); status != http.StatusNotFound {
			t.Errorf("unknown dataset: %d, want 404", status)
		}

		// The provider counter-offers; the consumer accepts; the provider agrees.
		cpid, status, ack := c.RequestOffer(dataset)
		if status != http.StatusCreated {
			t.Fatalf("request: %d %v", status, ack)
		}
		ppid := ack["providerPid"].(string)
		ids := dsptest.Message{"@context": dsptest.Context, "providerPid": ppid, "consumerPid": cpid}
		if _, err := w.tr.Offer(ctx, w.x.ProviderEditor, ppid, exchange.Offer{Policy: access.Policy{Purposes: []string{"交通规划"},
			Fields: []string{"station"}, MaxCalls: 10}, PeriodDays: 30}); err != nil {
			t.Fatal(err)
		}
		offer := c.Await("negotiations/" + cpid + "/offers")["offer"].(dsptest.Message)
		if got := constraint(offer, "count"); offer["target"] != id || got == nil || got["rightOperand"] != "10" {
			t.Errorf("the counter-offer reached the consumer as %v", offer)
		}
		counter := dsptest.With(dsptest.With(ids, "@type", "ContractRequestMessage"), "offer", dsptest.With(offer, "target", id))
		if status, e := c.Call(http.MethodPost, "/negotiations/"+ppid+"/request", "negotiation/contract-request-message-schema.json", counter,
			dsptest.SchemaNegotiation, dsptest.SchemaNegError); status != http.StatusBadRequest || e["code"] != "counter_offer" {
			t.Errorf("a counter-request: %d %v, want 400 counter_offer", status, e)
		}
		accepted := dsptest.With(dsptest.With(ids, "@type", "ContractNegotiationEventMessage"), "eventType", "ACCEPTED")
		if status, n := c.Call(http.MethodPost, "/negotiations/"+ppid+"/events", "negotiation/contract-negotiation-event-message-schema.json",
			accepted, dsptest.SchemaNegotiation, dsptest.SchemaNegError); status != http.StatusOK || n["state"] != "ACCEPTED" {
			t.Fatalf("ACCEPTED: %d %v", status, n)
		}
		if _, err := w.tr.Agree(ctx, w.x.ProviderEditor, ppid); err != nil {
			t.Fatal(err)
		}
		agreement := c.Await("negotiations/" + cpid + "/agreement")["agreement"].(dsptest.Message)
		if got := constraint(agreement, "count"); got == nil || got["rightOperand"] != "10" || constraint(agreement, "elapsedTime")["rightOperand"] != "P30D" {
			t.Errorf("the agreement is not the accepted offer: %v", agreement)
		}
		verify := dsptest.With(ids, "@type", "ContractAgreementVerificationMessage")
		if status, _ := c.Call(http.MethodPost, "/negotiations/"+ppid+"/agreement/verification",
			"negotiation/contract-agreement-verification-message-schema.json", verify, dsptest.SchemaNegotiation, dsptest.SchemaNegError); status != http.StatusOK {
			t.Fatalf("verification: %d", status)
		}
		if ev := c.Await("negotiations/" + cpid + "/events"); ev["eventType"] != "FINALIZED" {
			t.Errorf("event %v", ev)
		}

		// The provider terminates a request; the consumer terminates another.
		cpid, _, ack = c.RequestOffer(dataset)
		if _, err := w.tr.Terminate(ctx, w.x.ProviderEditor, ack["providerPid"].(string), "no_capacity", "本月名额已满"); err != nil {
			t.Fatal(err)
		}
		if term := c.Await("negotiations/" + cpid + "/termination"); term["code"] != "no_capacity" || term["reason"].([]any)[0] != "本月名额已满" {
			t.Errorf("termination %v", term)
		}
		cpid, _, ack = c.RequestOffer(dataset)
		ppid = ack["providerPid"].(string)
		terminate := dsptest.Message{"@context": dsptest.Context, "@type": "ContractNegotiationTerminationMessage", "providerPid": ppid,
			"consumerPid": cpid, "code": "changed_mind", "reason": []any{"不再需要"}}
		if status, n := c.Call(http.MethodPost, "/negotiations/"+ppid+"/termination", "negotiation/contract-negotiation-termination-message-schema.json",
			terminate, dsptest.SchemaNegotiation, dsptest.SchemaNegError); status != http.StatusOK || n["state"] != "TERMINATED" {
			t.Errorf("the consumer's termination: %d %v", status, n)
		}
		var echoed int
		db.QueryRow(`SELECT count(*) FROM dsp_outbox WHERE process_id = $1`, ppid).Scan(&echoed)
		if echoed != 0 {
			t.Errorf("the consumer's own termination was queued back to it (%d messages)", echoed)
		}
	})
}

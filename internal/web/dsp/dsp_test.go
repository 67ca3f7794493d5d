package dsp_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"dataport/internal/exchange"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/dsp"
	"dataport/internal/web/dsp/dsptest"
)

// TestConsumerTradesOverDSP is the protocol's whole trade as a connector
// would run it over real HTTP against the real services: discovery, the
// catalog, a negotiation from request to FINALIZED for a product that
// agrees automatically, an HttpData-PULL transfer whose data address
// reads rows through the access point, completion; with out-of-order
// messages answered 400 and unknown or foreign processes 404, each with
// the protocol's error object. Every message both ways is validated by
// the consumer against the schema files.
func TestConsumerTradesOverDSP(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, dsp.Config{InsecureCallbacks: true})
		c := dsptest.NewConsumer(t, w.srv.URL, w.token(t, w.w.CompanyAdmin), "schemas")
		c.Discover()

		var dataset dsptest.Message
		for _, d := range c.Catalog() {
			if d := d.(dsptest.Message); d["@id"] == "urn:uuid:"+w.product.ID {
				dataset = d
			}
		}
		if dataset == nil {
			t.Fatalf("the listed product is not in the catalog")
		}
		offer := dataset["hasPolicy"].([]any)[0].(dsptest.Message)
		if got := constraint(offer, "count"); got == nil || got["operator"] != "lteq" || got["rightOperand"] != "50" {
			t.Errorf("the offer's count constraint is %v, want lteq 50", got)
		}
		if got := constraint(offer, "purpose"); got == nil || !slices.Equal(got["rightOperand"].([]any), []any{"交通规划"}) {
			t.Errorf("the offer's purpose constraint is %v", got)
		}
		if prohib, _ := offer["prohibition"].([]any); len(prohib) != 1 || prohib[0].(dsptest.Message)["action"] != "distribute" {
			t.Errorf("the offer does not forbid onward transfer: %v", offer["prohibition"])
		}

		ppid, cpid, agreement := c.Negotiate(dataset)
		if agreement["target"] != dataset["@id"] || agreement["assignee"] == "" || agreement["assigner"] == "" {
			t.Errorf("agreement %v", agreement)
		}
		if status, n := c.Call(http.MethodGet, "/negotiations/"+ppid, "", nil, dsptest.SchemaNegotiation, dsptest.SchemaNegError); status != http.StatusOK || n["state"] != "FINALIZED" {
			t.Errorf("negotiation after verification: %d %v", status, n)
		}
		ids := dsptest.Message{"@context": dsptest.Context, "providerPid": ppid, "consumerPid": cpid}

		// Out of order: a finalized negotiation takes no verification, event or termination.
		for _, m := range []struct{ path, schema, typ string }{
			{"/agreement/verification", "negotiation/contract-agreement-verification-message-schema.json", "ContractAgreementVerificationMessage"},
			{"/termination", "negotiation/contract-negotiation-termination-message-schema.json", "ContractNegotiationTerminationMessage"},
		} {
			status, e := c.Call(http.MethodPost, "/negotiations/"+ppid+m.path, m.schema, dsptest.With(ids, "@type", m.typ), dsptest.SchemaNegotiation, dsptest.SchemaNegError)
			if status != http.StatusBadRequest || e["@type"] != "ContractNegotiationError" || e["providerPid"] != ppid {
				t.Errorf("%s on a finalized negotiation: %d %v, want 400", m.path, status, e)
			}
		}
		accepted := dsptest.With(dsptest.With(ids, "@type", "ContractNegotiationEventMessage"), "eventType", "ACCEPTED")
		if status, e := c.Call(http.MethodPost, "/negotiations/"+ppid+"/events", "negotiation/contract-negotiation-event-message-schema.json",
			accepted, dsptest.SchemaNegotiation, dsptest.SchemaNegError); status != http.StatusBadRequest {
			t.Errorf("ACCEPTED on a finalized negotiation: %d %v, want 400", status, e)
		}
		// Unknown and foreign processes: 404.
		unknown := "urn:uuid:00000000-0000-7000-8000-000000000000"
		if status, _ := c.Call(http.MethodGet, "/negotiations/"+unknown, "", nil, dsptest.SchemaNegotiation, dsptest.SchemaNegError); status != http.StatusNotFound {
			t.Errorf("unknown negotiation: %d, want 404", status)
		}
		if status, _ := c.Call(http.MethodPost, "/negotiations/"+unknown+"/agreement/verification", "negotiation/contract-agreement-verification-message-schema.json",
			dsptest.With(dsptest.With(ids, "providerPid", unknown), "@type", "ContractAgreementVerificationMessage"), dsptest.SchemaNegotiation, dsptest.SchemaNegError); status != http.StatusNotFound {
			t.Errorf("verification of an unknown negotiation: %d, want 404", status)
		}
		// Another admitted buyer, and the provider's own admin (no buyer), see no such process.
		w.x.Admit(t, w.w.RequesterAdmin, w.w.Requester, exchange.RoleBuyer)
		for who, p := range map[string]identity.Principal{"another buyer": w.w.RequesterAdmin, "the provider": w.w.ProviderAdmin} {
			other := dsptest.NewConsumer(t, w.srv.URL, w.token(t, p), "schemas")
			other.Base = c.Base
			if status, _ := other.Call(http.MethodGet, "/negotiations/"+ppid, "", nil, dsptest.SchemaNegotiation, dsptest.SchemaNegError); status != http.StatusNotFound {
				t.Errorf("the negotiation read by %s: %d, want 404", who, status)
			}
			terminate := dsptest.With(ids, "@type", "ContractNegotiationTerminationMessage")
			if status, _ := other.Call(http.MethodPost, "/negotiations/"+ppid+"/termination", "negotiation/contract-negotiation-termination-message-schema.json",
				terminate, dsptest.SchemaNegotiation, dsptest.SchemaNegError); status != http.StatusNotFound {
				t.Errorf("the negotiation terminated by %s: %d, want 404", who, status)
			}
		}
		// A body that fails the schema, and no token: refused with the error object.
		if status, _ := c.Call(http.MethodPost, "/negotiations/request", "", dsptest.Message{"@type": "ContractRequestMessage", "consumerPid": "x"},
			dsptest.SchemaNegotiation, dsptest.SchemaNegError); status != http.StatusBadRequest {
			t.Errorf("a request failing its schema: %d, want 400", status)
		}
		for _, body := range []string{`{"@context": [`, `[]`, ``} {
			req, _ := http.NewRequest(http.MethodPost, c.Base+"/negotiations/request", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+w.token(t, w.w.CompanyAdmin))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || dsp.Validate(dsp.SchemaNegotiationError, raw) != nil {
				t.Errorf("a body %q: %d %s, want 400 with the error object", body, resp.StatusCode, raw)
			}
		}
		anonymous := dsptest.NewConsumer(t, w.srv.URL, "", "schemas")
		anonymous.Base = c.Base
		if status, _ := anonymous.Call(http.MethodGet, "/negotiations/"+ppid, "", nil, dsptest.SchemaNegotiation, dsptest.SchemaNegError); status != http.StatusUnauthorized {
			t.Errorf("no token: %d, want 401", status)
		}

		tpid, tcpid, addr := c.Transfer(agreement["@id"].(string))
		if status, tp := c.Call(http.MethodGet, "/transfers/"+tpid, "", nil, dsptest.SchemaTransfer, dsptest.SchemaTransferErr); status != http.StatusOK || tp["state"] != "STARTED" {
			t.Errorf("transfer: %d %v", status, tp)
		}
		status, page := c.Pull(addr, nil)
		if status != http.StatusOK {
			t.Fatalf("rows with the data address's token: %d %v", status, page)
		}
		if rows, _ := page["rows"].([]any); len(rows) != 3 || !strings.Contains(jsonText(page), "朝阳门") || strings.Contains(jsonText(page), "东城区") {
			t.Errorf("rows read are not the contract's fields of the three stations: %v", page)
		}
		tids := dsptest.Message{"@context": dsptest.Context, "providerPid": tpid, "consumerPid": tcpid}
		if status, e := c.Call(http.MethodPost, "/transfers/"+tpid+"/suspension", "transfer/transfer-suspension-message-schema.json",
			dsptest.With(dsptest.With(tids, "consumerPid", dsptest.NewPID()), "@type", "TransferSuspensionMessage"), dsptest.SchemaTransfer, dsptest.SchemaTransferErr); status != http.StatusBadRequest {
			t.Errorf("a suspension naming another consumerPid: %d %v, want 400", status, e)
		}
		if status, tp := c.Call(http.MethodPost, "/transfers/"+tpid+"/completion", "transfer/transfer-completion-message-schema.json",
			dsptest.With(tids, "@type", "TransferCompletionMessage"), dsptest.SchemaTransfer, dsptest.SchemaTransferErr); status != http.StatusOK || tp["state"] != "COMPLETED" {
			t.Errorf("completion: %d %v", status, tp)
		}
		if status, _ := c.Pull(addr, nil); status == http.StatusOK {
			t.Errorf("the token still reads after the transfer completed")
		}
		if status, e := c.Call(http.MethodPost, "/transfers/"+tpid+"/suspension", "transfer/transfer-suspension-message-schema.json",
			dsptest.With(tids, "@type", "TransferSuspensionMessage"), dsptest.SchemaTransfer, dsptest.SchemaTransferErr); status != http.StatusBadRequest || e["@type"] != "TransferError" {
			t.Errorf("suspension of a completed transfer: %d %v, want 400", status, e)
		}
		if status, _ := c.Call(http.MethodGet, "/transfers/"+unknown, "", nil, dsptest.SchemaTransfer, dsptest.SchemaTransferErr); status != http.StatusNotFound {
			t.Errorf("unknown transfer: %d, want 404", status)
		}

		// The outbox: every callback sent once, none echoing the consumer's
		// own completion, and no secret stored. A message's sent mark is
		// committed with others after the consumer has it (group commit),
		// so the last one may still be on its way: wait for it, a while.
		var pending, echoed, secrets int
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			db.QueryRow(`SELECT count(*) FROM dsp_outbox WHERE status <> 'sent'`).Scan(&pending)
			if pending == 0 || time.Now().After(deadline) {
				break
			}
		}
		db.QueryRow(`SELECT count(*) FROM dsp_outbox WHERE message_type LIKE '%completion%'`).Scan(&echoed)
		db.QueryRow(`SELECT count(*) FROM dsp_outbox WHERE body LIKE '%dpk_%' OR body LIKE $1`, "%"+dsptest.Property(addr, "authorization")+"%").Scan(&secrets)
		if pending != 0 || echoed != 0 || secrets != 0 {
			t.Errorf("outbox: %d not sent, %d completions echoed, %d bodies with a secret", pending, echoed, secrets)
		}
		sent, err := db.Events(context.Background(), store.EventFilter{Type: "dsp.callback.sent"})
		if err != nil || len(sent) != 3 { // agreement, FINALIZED, transfer start
			t.Errorf("dsp.callback.sent events: %d %v, want 3", len(sent), err)
		}
	})
}

// constraint is the offer's first permission's constraint on left.
func constraint(offer dsptest.Message, left string) dsptest.Message {
	for _, p := range offer["permission"].([]any) {
		for _, c := range p.(dsptest.Message)["constraint"].([]any) {
			if c := c.(dsptest.Message); c["leftOperand"] == left {
				return c
			}
		}
	}
	return nil
}

// jsonText is v as JSON.
func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

package main

import (
	"net/http"
	"strings"
	"testing"

	"dataport/internal/web/dsp/dsptest"
)

// TestDSPConsumerEndToEnd runs the demo's binary and trades with it as a
// dataspace connector would, over HTTP only (dsptest: net/http,
// encoding/json and the protocol's schema files): the demo's company, an
// admitted buyer, finds the air quality product (which agrees
// automatically) in the catalog, negotiates it from request to FINALIZED,
// starts an HttpData-PULL transfer and reads rows with the token its
// data address carries; an out-of-order message gets 400 and an unknown
// process 404. Every message on the wire is validated against the schemas.
// It runs on SQLite, and on PostgreSQL when DATAPORT_TEST_POSTGRES is set.
func TestDSPConsumerEndToEnd(t *testing.T) {
	ledgerStores(t, func(t *testing.T, dataDir, dbURL string) {
		args := []string{"demo", "--data", dataDir, "--dsp-insecure-callbacks"}
		if dbURL != "" {
			args = append(args, "--db", dbURL)
		}
		dspConsumer(t, start(t, args...))
	})
}

func dspConsumer(t *testing.T, s *server) {
	x := &exchangeRun{t: t, s: s, accounts: s.accounts(t)}
	c := dsptest.NewConsumer(t, s.url, x.token("company", x.accounts["company"]), "../../internal/web/dsp/schemas")
	c.Discover()
	var dataset dsptest.Message
	for _, d := range c.Catalog() {
		if d := d.(dsptest.Message); d["dct:title"] == "空气质量小时监测历史数据服务" {
			dataset = d
		}
	}
	if dataset == nil {
		t.Fatal("the demo's air quality product is not in the catalog")
	}
	ppid, cpid, agreement := c.Negotiate(dataset)
	if status, n := c.Call(http.MethodGet, "/negotiations/"+ppid, "", nil, dsptest.SchemaNegotiation, dsptest.SchemaNegError); status != http.StatusOK ||
		n["state"] != "FINALIZED" {
		t.Fatalf("negotiation: %d %v", status, n)
	}
	verify := dsptest.Message{"@context": dsptest.Context, "@type": "ContractAgreementVerificationMessage", "providerPid": ppid,
		"consumerPid": cpid}
	if status, e := c.Call(http.MethodPost, "/negotiations/"+ppid+"/agreement/verification",
		"negotiation/contract-agreement-verification-message-schema.json", verify, dsptest.SchemaNegotiation, dsptest.SchemaNegError); status != http.StatusBadRequest {
		t.Errorf("a second verification: %d %v, want 400", status, e)
	}
	if status, _ := c.Call(http.MethodGet, "/transfers/urn:uuid:00000000-0000-7000-8000-000000000000", "", nil, dsptest.SchemaTransfer,
		dsptest.SchemaTransferErr); status != http.StatusNotFound {
		t.Errorf("an unknown transfer: %d, want 404", status)
	}

	_, _, addr := c.Transfer(agreement["@id"].(string))
	if !strings.HasPrefix(addr["endpoint"].(string), s.url+"/api/v1/resources/") {
		t.Errorf("data address endpoint %v", addr["endpoint"])
	}
	status, page := c.Pull(addr, nil)
	if rows, _ := page["rows"].([]any); status != http.StatusOK || len(rows) == 0 {
		t.Fatalf("rows with the data address's token: %d %.300v", status, page)
	}
}

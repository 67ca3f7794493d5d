package dsp_test

// This file is a Dataspace Protocol consumer written as another connector
// would write it: net/http and encoding/json (and a JSON Schema library
// for the protocol's own schemas), no dataport package. Every message it
// sends or receives is validated against the schema files beside this
// test (schemas/).

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// dspContext is the @context of every message.
var dspContext = []any{"https://w3id.org/dspace/2025/1/context.jsonld"}

// schemaSet is the protocol's schemas, compiled from the files under
// schemas/ by their $id (no network).
type schemaSet map[string]*jsonschema.Schema

var loadSchemas = sync.OnceValues(func() (schemaSet, error) {
	c := jsonschema.NewCompiler()
	root := os.DirFS("schemas")
	files, err := fs.Glob(root, "*/*-schema.json")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		raw, err := fs.ReadFile(root, f)
		if err != nil {
			return nil, err
		}
		// Three transfer schemas write "#definitions/…" for the JSON Pointer "#/definitions/…".
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(strings.ReplaceAll(string(raw), "#definitions/", "#/definitions/")))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if err := c.AddResource("https://w3id.org/dspace/2025/1/"+f, doc); err != nil {
			return nil, err
		}
	}
	set := schemaSet{}
	for _, f := range files {
		if set[f], err = c.Compile("https://w3id.org/dspace/2025/1/" + f); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
	}
	return set, nil
})

// check validates doc against the schema file name (e.g.
// "negotiation/contract-negotiation-schema.json").
func (s schemaSet) check(name string, doc []byte) error {
	sch, ok := s[name]
	if !ok {
		return fmt.Errorf("no schema %s", name)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return sch.Validate(v)
}

// callbackSchemas are the schemas of the messages a provider sends to a
// consumer's callback paths, by the path's last segment.
var callbackSchemas = map[string]string{
	"negotiations/offers":      "negotiation/contract-offer-message-schema.json",
	"negotiations/agreement":   "negotiation/contract-agreement-message-schema.json",
	"negotiations/events":      "negotiation/contract-negotiation-event-message-schema.json",
	"negotiations/termination": "negotiation/contract-negotiation-termination-message-schema.json",
	"transfers/start":          "transfer/transfer-start-message-schema.json",
	"transfers/completion":     "transfer/transfer-completion-message-schema.json",
	"transfers/suspension":     "transfer/transfer-suspension-message-schema.json",
	"transfers/termination":    "transfer/transfer-termination-message-schema.json",
}

// message is a JSON object as received.
type message = map[string]any

// consumer talks to a provider's protocol endpoints and runs its own
// callback server.
type consumer struct {
	t        testing.TB
	root     string // the provider's root URL; the protocol's base is root + the version's path
	base     string
	token    string
	schemas  schemaSet
	client   *http.Client
	callback *httptest.Server

	mu    sync.Mutex
	inbox map[string]chan message // "negotiations/<consumerPid>/agreement" → messages
	// refuse, when set, is the status the callback server answers a valid
	// message at a path ("negotiations/agreement") with instead of 200
	// (0: take it).
	refuse func(path string) int
}

func newConsumer(t testing.TB, root, token string) *consumer {
	t.Helper()
	schemas, err := loadSchemas()
	if err != nil {
		t.Fatal(err)
	}
	c := &consumer{t: t, root: root, token: token, schemas: schemas, inbox: map[string]chan message{},
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /cb/{kind}/{pid}/{what}", c.receive)
	c.callback = httptest.NewServer(mux)
	t.Cleanup(c.callback.Close)
	return c
}

// callbackAddress is the consumer's callback base URL.
func (c *consumer) callbackAddress() string { return c.callback.URL + "/cb/" }

// receive takes a provider's callback: it must validate against the
// schema of its path, and name the process of its path.
func (c *consumer) receive(w http.ResponseWriter, r *http.Request) {
	kind, pid, what := r.PathValue("kind"), r.PathValue("pid"), r.PathValue("what")
	schema, ok := callbackSchemas[kind+"/"+what]
	body, _ := io.ReadAll(r.Body)
	if !ok {
		c.t.Errorf("callback to an unknown path %s", r.URL.Path)
		http.NotFound(w, r)
		return
	}
	if err := c.schemas.check(schema, body); err != nil {
		c.t.Errorf("callback %s fails %s: %v\n%s", r.URL.Path, schema, err, body)
		http.Error(w, "invalid", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	refuse := c.refuse
	c.mu.Unlock()
	if refuse != nil {
		if status := refuse(kind + "/" + what); status != 0 {
			w.WriteHeader(status)
			return
		}
	}
	var m message
	json.Unmarshal(body, &m)
	if m["consumerPid"] != pid {
		c.t.Errorf("callback %s names consumerPid %v", r.URL.Path, m["consumerPid"])
	}
	c.box(kind + "/" + pid + "/" + what) <- m
	w.WriteHeader(http.StatusOK)
}

func (c *consumer) box(key string) chan message {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, ok := c.inbox[key]
	if !ok {
		ch = make(chan message, 8)
		c.inbox[key] = ch
	}
	return ch
}

// await returns the next callback at key ("negotiations/<pid>/agreement").
func (c *consumer) await(key string) message {
	c.t.Helper()
	select {
	case m := <-c.box(key):
		return m
	case <-time.After(20 * time.Second):
		c.t.Fatalf("no callback %s within 20 s", key)
		return nil
	}
}

// noCallback checks that nothing arrived at key.
func (c *consumer) noCallback(key string) {
	c.t.Helper()
	select {
	case m := <-c.box(key):
		c.t.Errorf("unexpected callback %s: %v", key, m)
	default:
	}
}

// call sends a protocol request: body (if any) is validated against
// sendSchema first; the answer against replySchema when it is 2xx, or
// errSchema otherwise. It returns the status and the answer.
func (c *consumer) call(method, path, sendSchema string, body any, replySchema, errSchema string) (int, message) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		if sendSchema != "" {
			if err := c.schemas.check(sendSchema, raw); err != nil {
				c.t.Fatalf("the consumer's own %s fails %s: %v", path, sendSchema, err)
			}
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", c.token)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	schema := replySchema
	if resp.StatusCode/100 != 2 {
		schema = errSchema
	}
	if schema != "" {
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			c.t.Errorf("%s %s: Content-Type %q", method, path, ct)
		}
		if err := c.schemas.check(schema, raw); err != nil {
			c.t.Errorf("%s %s answered %d, failing %s: %v\n%s", method, path, resp.StatusCode, schema, err, raw)
		}
	}
	var m message
	json.Unmarshal(raw, &m)
	return resp.StatusCode, m
}

// The schemas of the answers and errors.
const (
	schemaNegotiation = "negotiation/contract-negotiation-schema.json"
	schemaNegError    = "negotiation/contract-negotiation-error-schema.json"
	schemaTransfer    = "transfer/transfer-process-schema.json"
	schemaTransferErr = "transfer/transfer-error-schema.json"
	schemaCatalogErr  = "catalog/catalog-error-schema.json"
)

// discover reads /.well-known/dspace-version and takes the 2025-1 HTTPS path.
func (c *consumer) discover() {
	c.t.Helper()
	resp, err := c.client.Get(c.root + "/.well-known/dspace-version")
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if err := c.schemas.check("common/protocol-version-schema.json", raw); err != nil || resp.StatusCode != http.StatusOK {
		c.t.Fatalf("dspace-version: %d %v\n%s", resp.StatusCode, err, raw)
	}
	var v struct {
		ProtocolVersions []struct{ Version, Path, Binding string } `json:"protocolVersions"`
	}
	json.Unmarshal(raw, &v)
	for _, pv := range v.ProtocolVersions {
		if pv.Version == "2025-1" && pv.Binding == "HTTPS" {
			c.base = c.root + pv.Path
			return
		}
	}
	c.t.Fatalf("no 2025-1 HTTPS binding in %s", raw)
}

// catalog requests the catalog and returns its datasets.
func (c *consumer) catalog() []any {
	c.t.Helper()
	status, cat := c.call(http.MethodPost, "/catalog/request", "catalog/catalog-request-message-schema.json",
		message{"@context": dspContext, "@type": "CatalogRequestMessage"}, "catalog/catalog-schema.json", schemaCatalogErr)
	if status != http.StatusOK {
		c.t.Fatalf("catalog request: %d %v", status, cat)
	}
	ds, _ := cat["dataset"].([]any)
	return ds
}

// newPID is a fresh consumer process id.
func newPID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// requestOffer asks for dataset's first offer as it stands in the
// catalog (the offer with its target), and returns the consumerPid and
// the answer.
func (c *consumer) requestOffer(dataset message) (string, int, message) {
	c.t.Helper()
	offer := message{}
	for k, v := range dataset["hasPolicy"].([]any)[0].(message) {
		offer[k] = v
	}
	offer["target"] = dataset["@id"]
	pid := newPID()
	status, ack := c.call(http.MethodPost, "/negotiations/request", "negotiation/contract-request-message-schema.json",
		message{"@context": dspContext, "@type": "ContractRequestMessage", "consumerPid": pid, "offer": offer,
			"callbackAddress": c.callbackAddress()}, schemaNegotiation, schemaNegError)
	return pid, status, ack
}

// negotiate runs a negotiation for dataset's offer from request to
// FINALIZED and returns the providerPid and the agreement.
func (c *consumer) negotiate(dataset message) (string, message) {
	c.t.Helper()
	cpid, status, ack := c.requestOffer(dataset)
	if status != http.StatusCreated || ack["state"] != "REQUESTED" || ack["consumerPid"] != cpid {
		c.t.Fatalf("contract request: %d %v", status, ack)
	}
	ppid := ack["providerPid"].(string)
	agreed := c.await("negotiations/" + cpid + "/agreement")
	if agreed["providerPid"] != ppid {
		c.t.Fatalf("agreement for another process: %v", agreed)
	}
	ids := message{"@context": dspContext, "providerPid": ppid, "consumerPid": cpid}
	verify := with(ids, "@type", "ContractAgreementVerificationMessage")
	if status, ack := c.call(http.MethodPost, "/negotiations/"+ppid+"/agreement/verification",
		"negotiation/contract-agreement-verification-message-schema.json", verify, schemaNegotiation, schemaNegError); status != http.StatusOK {
		c.t.Fatalf("verification: %d %v", status, ack)
	}
	if ev := c.await("negotiations/" + cpid + "/events"); ev["eventType"] != "FINALIZED" {
		c.t.Fatalf("event %v, want FINALIZED", ev)
	}
	return ppid, agreed["agreement"].(message)
}

// with is a copy of m with property k set to v.
func with(m message, k string, v any) message {
	out := message{}
	for k, v := range m {
		out[k] = v
	}
	out[k] = v
	return out
}

// transfer asks for an HttpData-PULL transfer under agreementID and
// returns the providerPid and the data address of its start message.
func (c *consumer) transfer(agreementID string) (string, string, message) {
	c.t.Helper()
	cpid := newPID()
	status, ack := c.call(http.MethodPost, "/transfers/request", "transfer/transfer-request-message-schema.json",
		message{"@context": dspContext, "@type": "TransferRequestMessage", "agreementId": agreementID, "format": "HttpData-PULL",
			"callbackAddress": c.callbackAddress(), "consumerPid": cpid}, schemaTransfer, schemaTransferErr)
	if status != http.StatusCreated || ack["consumerPid"] != cpid {
		c.t.Fatalf("transfer request: %d %v", status, ack)
	}
	start := c.await("transfers/" + cpid + "/start")
	addr, _ := start["dataAddress"].(message)
	if addr == nil {
		c.t.Fatalf("start message without a data address: %v", start)
	}
	return ack["providerPid"].(string), cpid, addr
}

// property is a data address's endpoint property.
func property(addr message, name string) string {
	props, _ := addr["endpointProperties"].([]any)
	for _, p := range props {
		if p, ok := p.(message); ok && p["name"] == name {
			s, _ := p["value"].(string)
			return s
		}
	}
	return ""
}

// pull reads the data address's endpoint with its token, as the
// address says to send it.
func (c *consumer) pull(addr message, query url.Values) (int, message) {
	c.t.Helper()
	endpoint, _ := addr["endpoint"].(string)
	if len(query) > 0 {
		endpoint += "?" + query.Encode()
	}
	req, err := http.NewRequest(http.MethodGet, endpoint, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set(property(addr, "authKey"), property(addr, "authorization"))
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m message
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// Package dsptest is a Dataspace Protocol 2025-1 consumer for tests,
// written as another connector would write it: net/http and
// encoding/json (and a JSON Schema library for the protocol's own
// schemas), no other dataport package. Every message it sends or receives
// is validated against the protocol's schema files
// (internal/web/dsp/schemas, read from disk).
package dsptest

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

// Context is the @context of every message.
var Context = []any{"https://w3id.org/dspace/2025/1/context.jsonld"}

// Message is a JSON object as sent or received.
type Message = map[string]any

// The schemas (files under the schema directory) of answers and errors.
const (
	SchemaNegotiation = "negotiation/contract-negotiation-schema.json"
	SchemaNegError    = "negotiation/contract-negotiation-error-schema.json"
	SchemaTransfer    = "transfer/transfer-process-schema.json"
	SchemaTransferErr = "transfer/transfer-error-schema.json"
	SchemaCatalogErr  = "catalog/catalog-error-schema.json"
)

// schemaSet is the protocol's schemas, compiled from the files of a
// directory by their $id (no network).
type schemaSet map[string]*jsonschema.Schema

var (
	schemasMu  sync.Mutex
	schemaSets = map[string]schemaSet{}
)

// loadSchemas compiles the schemas under dir once.
func loadSchemas(dir string) (schemaSet, error) {
	schemasMu.Lock()
	defer schemasMu.Unlock()
	if set, ok := schemaSets[dir]; ok {
		return set, nil
	}
	c := jsonschema.NewCompiler()
	root := os.DirFS(dir)
	files, err := fs.Glob(root, "*/*-schema.json")
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no schemas under %s: %v", dir, err)
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
	schemaSets[dir] = set
	return set, nil
}

// check validates doc against the schema file name.
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
// consumer's callback paths, by kind and the path's last segment.
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

// Consumer talks to a provider's protocol endpoints and runs its own
// callback server.
type Consumer struct {
	t testing.TB
	// Root is the provider's root URL; Base is the protocol's base (Root
	// and the version's path), set by Discover.
	Root, Base string
	token      string
	schemas    schemaSet
	client     *http.Client
	callback   *httptest.Server

	mu    sync.Mutex
	inbox map[string]chan Message // "negotiations/<consumerPid>/agreement" → messages
	// refuse, when set, is the status the callback server answers a valid
	// message at a path ("negotiations/agreement") with instead of 200
	// (0: take it).
	refuse func(path string) int
}

// NewConsumer returns a consumer of the provider at root that sends token
// in the Authorization header ("" none) and validates against the schema
// files under schemaDir; its callback server stops with the test.
func NewConsumer(t testing.TB, root, token, schemaDir string) *Consumer {
	t.Helper()
	schemas, err := loadSchemas(schemaDir)
	if err != nil {
		t.Fatal(err)
	}
	c := &Consumer{t: t, Root: root, token: token, schemas: schemas, inbox: map[string]chan Message{},
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /cb/{kind}/{pid}/{what}", c.receive)
	c.callback = httptest.NewServer(mux)
	t.Cleanup(c.callback.Close)
	return c
}

// Refuse makes the callback server answer status(path) instead of 200
// to valid messages at path ("negotiations/agreement") when it is not 0.
func (c *Consumer) Refuse(status func(path string) int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refuse = status
}

// CallbackAddress is the consumer's callback base URL.
func (c *Consumer) CallbackAddress() string { return c.callback.URL + "/cb/" }

// receive takes a provider's callback: it must validate against the
// schema of its path, and name the process of its path.
func (c *Consumer) receive(w http.ResponseWriter, r *http.Request) {
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
	var m Message
	json.Unmarshal(body, &m)
	if m["consumerPid"] != pid {
		c.t.Errorf("callback %s names consumerPid %v", r.URL.Path, m["consumerPid"])
	}
	c.box(kind + "/" + pid + "/" + what) <- m
	w.WriteHeader(http.StatusOK)
}

func (c *Consumer) box(key string) chan Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, ok := c.inbox[key]
	if !ok {
		ch = make(chan Message, 8)
		c.inbox[key] = ch
	}
	return ch
}

// Await returns the next callback at key ("negotiations/<pid>/agreement").
func (c *Consumer) Await(key string) Message {
	c.t.Helper()
	select {
	case m := <-c.box(key):
		return m
	case <-time.After(20 * time.Second):
		c.t.Fatalf("no callback %s within 20 s", key)
		return nil
	}
}

// Call sends a protocol request to path under Base: body (if any) is
// validated against sendSchema first (none when ""); the answer against
// replySchema when it is 2xx, or errSchema otherwise. It returns the
// status and the answer.
func (c *Consumer) Call(method, path, sendSchema string, body any, replySchema, errSchema string) (int, Message) {
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
	req, err := http.NewRequest(method, c.Base+path, rd)
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
	var m Message
	json.Unmarshal(raw, &m)
	return resp.StatusCode, m
}

// Discover reads /.well-known/dspace-version and takes the 2025-1 HTTPS
// binding's path as Base.
func (c *Consumer) Discover() {
	c.t.Helper()
	resp, err := c.client.Get(c.Root + "/.well-known/dspace-version")
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
			c.Base = c.Root + pv.Path
			return
		}
	}
	c.t.Fatalf("no 2025-1 HTTPS binding in %s", raw)
}

// Catalog requests the catalog and returns its datasets.
func (c *Consumer) Catalog() []any {
	c.t.Helper()
	status, cat := c.Call(http.MethodPost, "/catalog/request", "catalog/catalog-request-message-schema.json",
		Message{"@context": Context, "@type": "CatalogRequestMessage"}, "catalog/catalog-schema.json", SchemaCatalogErr)
	if status != http.StatusOK {
		c.t.Fatalf("catalog request: %d %v", status, cat)
	}
	ds, _ := cat["dataset"].([]any)
	return ds
}

// Dataset is the catalog's dataset with @id id, or nil.
func (c *Consumer) Dataset(id string) Message {
	c.t.Helper()
	for _, d := range c.Catalog() {
		if d, ok := d.(Message); ok && d["@id"] == id {
			return d
		}
	}
	return nil
}

// NewPID is a fresh consumer process id.
func NewPID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// RequestOffer asks for dataset's first offer as it stands in the catalog
// (the offer with its target; of several purposes, the first, stated with
// eq) and returns the consumerPid, the status and the answer.
func (c *Consumer) RequestOffer(dataset Message) (string, int, Message) {
	c.t.Helper()
	var offer Message
	raw, _ := json.Marshal(dataset["hasPolicy"].([]any)[0]) // a deep copy
	json.Unmarshal(raw, &offer)
	offer["target"] = dataset["@id"]
	for _, p := range asList(offer["permission"]) {
		for _, con := range asList(p.(Message)["constraint"]) {
			con := con.(Message)
			if purposes := asList(con["rightOperand"]); con["leftOperand"] == "purpose" && len(purposes) > 1 {
				con["operator"], con["rightOperand"] = "eq", purposes[0]
			}
		}
	}
	pid := NewPID()
	status, ack := c.Call(http.MethodPost, "/negotiations/request", "negotiation/contract-request-message-schema.json",
		Message{"@context": Context, "@type": "ContractRequestMessage", "consumerPid": pid, "offer": offer,
			"callbackAddress": c.CallbackAddress()}, SchemaNegotiation, SchemaNegError)
	return pid, status, ack
}

// Negotiate runs a negotiation for dataset's offer from request to
// FINALIZED and returns the providerPid, the consumerPid and the agreement.
func (c *Consumer) Negotiate(dataset Message) (string, string, Message) {
	c.t.Helper()
	cpid, status, ack := c.RequestOffer(dataset)
	if status != http.StatusCreated || ack["state"] != "REQUESTED" || ack["consumerPid"] != cpid {
		c.t.Fatalf("contract request: %d %v", status, ack)
	}
	ppid := ack["providerPid"].(string)
	agreed := c.Await("negotiations/" + cpid + "/agreement")
	if agreed["providerPid"] != ppid {
		c.t.Fatalf("agreement for another process: %v", agreed)
	}
	verify := Message{"@context": Context, "@type": "ContractAgreementVerificationMessage", "providerPid": ppid, "consumerPid": cpid}
	if status, ack := c.Call(http.MethodPost, "/negotiations/"+ppid+"/agreement/verification",
		"negotiation/contract-agreement-verification-message-schema.json", verify, SchemaNegotiation, SchemaNegError); status != http.StatusOK {
		c.t.Fatalf("verification: %d %v", status, ack)
	}
	if ev := c.Await("negotiations/" + cpid + "/events"); ev["eventType"] != "FINALIZED" {
		c.t.Fatalf("event %v, want FINALIZED", ev)
	}
	return ppid, cpid, agreed["agreement"].(Message)
}

// With is a copy of m with property k set to v.
func With(m Message, k string, v any) Message {
	out := Message{}
	for k, v := range m {
		out[k] = v
	}
	out[k] = v
	return out
}

// Transfer asks for an HttpData-PULL transfer under agreementID and
// returns the providerPid, the consumerPid and the data address of its
// start message.
func (c *Consumer) Transfer(agreementID string) (string, string, Message) {
	c.t.Helper()
	cpid := NewPID()
	status, ack := c.Call(http.MethodPost, "/transfers/request", "transfer/transfer-request-message-schema.json",
		Message{"@context": Context, "@type": "TransferRequestMessage", "agreementId": agreementID, "format": "HttpData-PULL",
			"callbackAddress": c.CallbackAddress(), "consumerPid": cpid}, SchemaTransfer, SchemaTransferErr)
	if status != http.StatusCreated || ack["consumerPid"] != cpid {
		c.t.Fatalf("transfer request: %d %v", status, ack)
	}
	start := c.Await("transfers/" + cpid + "/start")
	addr, _ := start["dataAddress"].(Message)
	if addr == nil {
		c.t.Fatalf("start message without a data address: %v", start)
	}
	return ack["providerPid"].(string), cpid, addr
}

// Property is a data address's endpoint property.
func Property(addr Message, name string) string {
	props, _ := addr["endpointProperties"].([]any)
	for _, p := range props {
		if p, ok := p.(Message); ok && p["name"] == name {
			s, _ := p["value"].(string)
			return s
		}
	}
	return ""
}

// Pull reads the data address's endpoint (with query) with its token, in
// the header the address names (authKey).
func (c *Consumer) Pull(addr Message, query url.Values) (int, Message) {
	c.t.Helper()
	endpoint, _ := addr["endpoint"].(string)
	if len(query) > 0 {
		endpoint += "?" + query.Encode()
	}
	req, err := http.NewRequest(http.MethodGet, endpoint, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set(Property(addr, "authKey"), Property(addr, "authorization"))
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m Message
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// asList is v as a JSON array (nil when it is not one).
func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

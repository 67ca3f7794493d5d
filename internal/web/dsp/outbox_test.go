package dsp

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// bareHandler is a provider with only a store: enough for its outbox.
func bareHandler(t *testing.T, db *store.DB, cfg Config) *Handler {
	t.Helper()
	cfg.Log = slog.New(slog.DiscardHandler)
	if cfg.Attempts == 0 {
		cfg.Attempts = 3
	}
	if cfg.Workers == 0 {
		cfg.Workers = 2
	}
	h := &Handler{db: db, cfg: cfg, log: cfg.Log}
	h.out = newDispatcher(h)
	return h
}

// TestInvalidMessagesAreNeverSent: a message that breaks its schema is
// not queued (the change it reports is undone), and one stored broken is
// given up without being sent.
func TestInvalidMessagesAreNeverSent(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var posts atomic.Int64
		consumer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { posts.Add(1) }))
		t.Cleanup(consumer.Close)
		h := bareHandler(t, db, Config{InsecureCallbacks: true})

		broken := ContractAgreementMessage{head: newHead("ContractAgreementMessage"), pids: pids{ProviderPID: "p", ConsumerPID: "c"},
			Agreement: Policy{ID: "urn:uuid:a", Type: "Agreement"}} // no target, assigner, assignee or rule
		err := db.Transact(ctx, func(tx *store.Tx) error {
			return h.queue(ctx, tx, outMessage{kind: "negotiation", processID: "p", schema: SchemaContractAgreement, url: consumer.URL, body: broken})
		})
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("queueing a message that breaks its schema: %v, want ErrInvalid", err)
		}
		var n int
		db.QueryRow(`SELECT count(*) FROM dsp_outbox`).Scan(&n)
		if n != 0 {
			t.Errorf("%d messages queued, want none", n)
		}

		if _, err := db.Exec(`INSERT INTO dsp_outbox (id, process_kind, process_id, message_type, url, body, status, next_attempt_at, created_at)
			VALUES ('m1', 'negotiation', 'p', $1, $2, '{"@type": "ContractAgreementMessage"}', 'pending', $3, $3)`,
			string(SchemaContractAgreement), consumer.URL, store.TS(time.Now())); err != nil {
			t.Fatal(err)
		}
		if sent, err := h.Deliver(ctx, time.Now()); sent != 0 || err != nil {
			t.Errorf("Deliver = %d, %v", sent, err)
		}
		var status, why string
		db.QueryRow(`SELECT status, last_error FROM dsp_outbox WHERE id = 'm1'`).Scan(&status, &why)
		if posts.Load() != 0 || status != outFailed || !strings.Contains(why, "schema") {
			t.Errorf("a stored message breaking its schema: %d posts, %s %q; want none sent, failed", posts.Load(), status, why)
		}
	})
}

// TestCallbacksKeepTheirOrder: while a process's earlier message waits
// for its next attempt, its later ones wait too; other processes' go.
func TestCallbacksKeepTheirOrder(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	var mu sync.Mutex
	var got []string
	received := func() []string { mu.Lock(); defer mu.Unlock(); return slices.Clone(got) }
	var refuse atomic.Bool
	refuse.Store(true)
	consumer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if refuse.Load() && strings.HasSuffix(r.URL.Path, "/agreement") {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		mu.Lock()
		got = append(got, r.URL.Path)
		mu.Unlock()
	}))
	t.Cleanup(consumer.Close)
	h := bareHandler(t, db, Config{InsecureCallbacks: true, Workers: 1})
	ids := func(p string) pids { return pids{ProviderPID: p, ConsumerPID: "c-" + p} }
	queue := func(p, tail string, body any, s Schema) {
		t.Helper()
		if err := db.Transact(ctx, func(tx *store.Tx) error {
			return h.queue(ctx, tx, outMessage{kind: "negotiation", processID: p, schema: s, url: callbackURL(consumer.URL, "negotiations", "c-"+p, tail), body: body})
		}); err != nil {
			t.Fatal(err)
		}
	}
	agreement := func(p string) ContractAgreementMessage {
		return ContractAgreementMessage{head: newHead("ContractAgreementMessage"), pids: ids(p), Agreement: Policy{ID: "urn:uuid:a", Type: "Agreement",
			Target: "urn:uuid:t", Assigner: "urn:uuid:x", Assignee: "urn:uuid:y", Permission: []Rule{{Action: "use"}}}}
	}
	finalized := func(p string) ContractNegotiationEventMessage {
		return ContractNegotiationEventMessage{head: newHead("ContractNegotiationEventMessage"), pids: ids(p), EventType: EventFinalized}
	}
	queue("p1", "/agreement", agreement("p1"), SchemaContractAgreement)
	queue("p1", "/events", finalized("p1"), SchemaNegotiationEvent)
	queue("p2", "/events", finalized("p2"), SchemaNegotiationEvent)
	now := time.Now()
	if sent, _ := h.Deliver(ctx, now); sent != 1 || !slices.Equal(received(), []string{"/negotiations/c-p2/events"}) {
		t.Fatalf("first round sent %d: %v; want p2's event alone (p1's agreement failed, its event waits)", sent, got)
	}
	refuse.Store(false)
	if sent, _ := h.Deliver(ctx, now.Add(2*time.Second)); sent != 2 ||
		!slices.Equal(received()[1:], []string{"/negotiations/c-p1/agreement", "/negotiations/c-p1/events"}) {
		t.Fatalf("second round sent %d: %v; want p1's agreement, then its event", sent, got)
	}
}

// TestCallbackAddresses: the provider calls only https:// addresses on
// public networks unless told otherwise, checked on the address given and
// again on the address dialled.
func TestCallbackAddresses(t *testing.T) {
	secure, insecure := &Handler{cfg: Config{}}, &Handler{cfg: Config{InsecureCallbacks: true}}
	for _, test := range []struct {
		addr             string
		secure, insecure bool
	}{
		{"https://consumer.example/cb", true, true},
		{"https://consumer.example:8443/dsp/callback/", true, true},
		{"https://203.0.113.7/cb", true, true},
		{"http://consumer.example/cb", false, true},
		{"https://127.0.0.1/cb", false, true},
		{"https://[::1]/cb", false, true},
		{"https://10.1.2.3/cb", false, true},
		{"https://169.254.169.254/latest", false, true},
		{"https://100.64.0.1/cb", false, true},
		{"https://user:pw@consumer.example/cb", false, false},
		{"https://consumer.example/cb?x=1", false, false},
		{"https://consumer.example/cb#f", false, false},
		{"/relative/cb", false, false},
		{"ftp://consumer.example/cb", false, false},
		{"", false, false},
	} {
		if got := secure.checkCallback(test.addr) == nil; got != test.secure {
			t.Errorf("%q accepted %v by default, want %v", test.addr, got, test.secure)
		}
		if got := insecure.checkCallback(test.addr) == nil; got != test.insecure {
			t.Errorf("%q accepted %v with InsecureCallbacks, want %v", test.addr, got, test.insecure)
		}
	}
	for addr, public := range map[string]bool{"8.8.8.8": true, "2001:4860::8888": true, "192.168.1.1": false, "::ffff:127.0.0.1": false,
		"fe80::1": false, "0.0.0.0": false, "224.0.0.1": false} {
		if got := publicAddr(netip.MustParseAddr(addr)); got != public {
			t.Errorf("publicAddr(%s) = %v", addr, got)
		}
	}
	// A name may resolve to a private address: the dialler refuses it.
	loopback := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer loopback.Close()
	if _, err := callbackClient(false, time.Second).Get(loopback.URL); err == nil || !strings.Contains(err.Error(), "not on a public network") {
		t.Errorf("the default client dialled a loopback address: %v", err)
	}
	if resp, err := callbackClient(true, time.Second).Get(loopback.URL); err != nil {
		t.Errorf("the insecure client: %v", err)
	} else {
		resp.Body.Close()
	}
}

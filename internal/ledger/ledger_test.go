package ledger_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"dataport/internal/identity"
	"dataport/internal/ledger"
	"dataport/internal/store"
	"dataport/internal/store/storetest"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// emit commits n events, one transaction each, and returns their ids in
// commit order.
func emit(t testing.TB, db *store.DB, n int, subject string) []string {
	t.Helper()
	ctx := context.Background()
	ids := make([]string, 0, n)
	for i := range n {
		err := db.Transact(ctx, func(tx *store.Tx) error {
			return tx.Emit(ctx, store.Event{Type: "test.happened", ActorUserID: "u-" + strconv.Itoa(i%3), ActorOrgID: "org-1",
				SubjectKind: "thing", SubjectID: subject}, map[string]int{"n": i})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	evs, err := db.Events(ctx, store.EventFilter{SubjectKind: "thing", SubjectID: subject, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for i := len(evs) - 1; i >= 0; i-- {
		ids = append(ids, evs[i].ID)
	}
	if len(ids) != n {
		t.Fatalf("emitted %d events, found %d", n, len(ids))
	}
	return ids
}

// start runs a ledger on db with its files in dataDir until the test ends.
func start(t testing.TB, db *store.DB, dataDir string) *ledger.Service {
	t.Helper()
	svc := ledger.New(db, ledger.Config{DataDir: dataDir, PublicURL: "https://data.example.gov.cn",
		CheckpointInterval: 100 * time.Millisecond, PollInterval: 20 * time.Millisecond})
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Stop(context.Background()) })
	return svc
}

// waitSealed waits until no event waits and a checkpoint covers size entries.
func waitSealed(t testing.TB, svc *ledger.Service, size uint64) ledger.Status {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := svc.Status(context.Background())
		if err == nil && st.Unsealed == 0 && st.Size >= size {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("not sealed in time: status %+v, err %v", st, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkpoint opens a signed checkpoint with the verifier key and parses it,
// with x/mod's note and tlog packages only.
func checkpoint(t testing.TB, vkey, signed string) (origin string, tree tlog.Tree) {
	t.Helper()
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open([]byte(signed), note.VerifierList(v))
	if err != nil {
		t.Fatalf("checkpoint does not verify: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 {
		t.Fatalf("checkpoint text %q", n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		t.Fatalf("root %q: %v", lines[2], err)
	}
	tree.N = size
	copy(tree.Hash[:], root)
	return lines[0], tree
}

// wantEntry builds the canonical entry of an event independently of the
// code under test: a map marshals with sorted keys and no whitespace.
func wantEntry(t testing.TB, ev store.Event) []byte {
	t.Helper()
	payload := fmt.Sprintf("%x", sha256.Sum256(ev.Payload))
	b, err := json.Marshal(map[string]any{
		"id": ev.ID, "type": ev.Type, "at": ev.At.UTC().Format("2006-01-02T15:04:05.000000Z"),
		"actor":          map[string]string{"user": ev.ActorUserID, "organization": ev.ActorOrgID},
		"subject":        map[string]string{"kind": ev.SubjectKind, "id": ev.SubjectID},
		"payload_sha256": payload,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTripWithIndependentProofCheck(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		dataDir := t.TempDir()
		svc := start(t, db, dataDir)
		ids := emit(t, db, 300, "round-trip") // more than one full tile
		waitSealed(t, svc, uint64(len(ids)))

		vkey, err := os.ReadFile(filepath.Join(dataDir, "keys", "ledger.pub"))
		if err != nil {
			t.Fatal(err)
		}
		for i, id := range ids {
			r, err := svc.Receipt(ctx, id)
			if err != nil {
				t.Fatalf("receipt %d: %v", i, err)
			}
			if r.Index != uint64(i) {
				t.Errorf("event %d sealed at index %d, want commit order", i, r.Index)
			}
			ev, err := svc.Event(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if want := wantEntry(t, ev); string(r.Entry) != string(want) {
				t.Fatalf("entry\n got %s\nwant %s", r.Entry, want)
			}
			origin, tree := checkpoint(t, strings.TrimSpace(string(vkey)), r.Checkpoint)
			if origin != "data.example.gov.cn/ledger" {
				t.Errorf("origin = %q", origin)
			}
			proof := make(tlog.RecordProof, len(r.InclusionProof))
			for k, h := range r.InclusionProof {
				copy(proof[k][:], h)
			}
			if err := tlog.CheckRecord(proof, tree.N, tree.Hash, int64(r.Index), tlog.RecordHash(r.Entry)); err != nil {
				t.Fatalf("receipt %d does not prove inclusion: %v", i, err)
			}
		}
	})
}

// tiles reads C2SP tlog-tiles from the ledger's HTTP handler for x/mod's
// tlog client, whose own paths carry the tile height ("tile/8/0/000").
type tiles struct {
	t   testing.TB
	srv *httptest.Server
}

func (tiles) Height() int { return 8 }

func (r tiles) ReadTiles(ts []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(ts))
	for i, tile := range ts {
		path := "/ledger/" + strings.Replace(tile.Path(), "tile/8/", "tile/", 1)
		resp, err := http.Get(r.srv.URL + path)
		if err != nil {
			return nil, err
		}
		out[i], _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
		}
		want := "public, max-age=31536000, immutable"
		if tile.W < 256 {
			want = "public, max-age=60"
		}
		if got := resp.Header.Get("Cache-Control"); got != want {
			r.t.Errorf("GET %s: Cache-Control %q, want %q", path, got, want)
		}
	}
	return out, nil
}

func (tiles) SaveTiles([]tlog.Tile, [][]byte) {}

func TestServedTilesAreStandard(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	dataDir := t.TempDir()
	svc := start(t, db, dataDir)
	emit(t, db, 600, "tiles")
	waitSealed(t, svc, 600)
	srv := httptest.NewServer(svc.Handler())
	defer srv.Close()

	get := func(path string) (string, http.Header) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		return string(body), resp.Header
	}
	key, _ := get("/ledger/key")
	if strings.Count(key, "\n") != 1 || !strings.HasPrefix(key, "data.example.gov.cn/ledger+") {
		t.Fatalf("key = %q", key)
	}
	cp, h := get("/ledger/checkpoint")
	if h.Get("Cache-Control") != "no-cache" {
		t.Errorf("checkpoint Cache-Control = %q", h.Get("Cache-Control"))
	}
	_, tree := checkpoint(t, strings.TrimSpace(key), cp)
	// x/mod's tile client authenticates every tile it reads against the root.
	hr := tlog.TileHashReader(tree, tiles{t: t, srv: srv})
	root, err := tlog.TreeHash(tree.N, hr)
	if err != nil {
		t.Fatalf("tiles do not authenticate: %v", err)
	}
	if root != tree.Hash {
		t.Fatalf("tree hash from tiles %v, checkpoint %v", root, tree.Hash)
	}
	if _, err := tlog.ProveRecord(tree.N, 599, hr); err != nil {
		t.Fatal(err)
	}
	bundle, _ := get("/ledger/tile/entries/000")
	if len(bundle) < 256*100 {
		t.Errorf("entry bundle 000 is %d bytes", len(bundle))
	}
	for _, bad := range []string{"/ledger/tile/../../keys/ledger.key", "/ledger/tile/0/..%2f..%2fkeys", "/ledger/.state/treeState",
		"/ledger/tile/entries/000.p/0", "/ledger/tile/64/000"} {
		resp, err := http.Get(srv.URL + bad)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("GET %s: 200, want refused", bad)
		}
	}
}

func TestCrashBetweenAppendAndRecordAppendsNothingTwice(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		dataDir := t.TempDir()
		svc := ledger.New(db, ledger.Config{DataDir: dataDir, PublicURL: "http://127.0.0.1:8080", CheckpointInterval: 100 * time.Millisecond})
		if err := svc.Start(ctx); err != nil {
			t.Fatal(err)
		}
		ids := emit(t, db, 40, "crash")
		waitSealed(t, svc, 40)
		if err := svc.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		// The state a crash leaves between appending a batch and recording
		// it: the log holds the entries, the rows have no index.
		if _, err := db.ExecContext(ctx, `UPDATE events SET ledger_index = NULL WHERE ledger_index >= 25`); err != nil {
			t.Fatal(err)
		}
		more := emit(t, db, 5, "crash-after")
		svc = start(t, db, dataDir)
		st := waitSealed(t, svc, 45)
		if st.Size != 45 {
			t.Fatalf("log size %d after restart, want 45 (40 sealed before + 5 new)", st.Size)
		}
		for i, id := range append(ids, more...) {
			ev, err := svc.Event(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if ev.LedgerIndex == nil || *ev.LedgerIndex != int64(i) {
				t.Errorf("event %d has index %v, want %d", i, ev.LedgerIndex, i)
			}
		}
		rep, err := ledger.Verify(ctx, db, dataDir)
		if err != nil || !rep.OK() {
			t.Fatalf("verify: %v %v", err, rep.Problems)
		}
	})
}

func TestVerifyNamesTamperedRowAndTile(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		dataDir := t.TempDir()
		svc := start(t, db, dataDir)
		ids := emit(t, db, 20, "tamper")
		waitSealed(t, svc, 20)
		if err := svc.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		rep, err := ledger.Verify(ctx, db, dataDir)
		if err != nil || !rep.OK() || rep.Checked != 20 || rep.Size != 20 {
			t.Fatalf("untouched log: %+v, %v", rep, err)
		}

		if _, err := db.ExecContext(ctx, `UPDATE events SET subject_id = 'forged' WHERE id = $1`, ids[7]); err != nil {
			t.Fatal(err)
		}
		tile := filepath.Join(dataDir, "ledger", "tile", "0", "000.p", "20")
		raw, err := os.ReadFile(tile)
		if err != nil {
			t.Fatal(err)
		}
		raw[5*32+3] ^= 0x01
		if err := os.WriteFile(tile, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		rep, err = ledger.Verify(ctx, db, dataDir)
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprint(rep.Problems)
		if len(rep.Problems) != 2 || !strings.Contains(got, "event "+ids[7]+": stored row differs from log entry 7 in subject.id") ||
			!strings.Contains(got, "tile tile/0/000.p/20: hash 5 differs") {
			t.Fatalf("problems = %s", got)
		}
	})
}

func TestVerifyNamesForgedCheckpointAndLostRows(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	dataDir := t.TempDir()
	svc := start(t, db, dataDir)
	ids := emit(t, db, 10, "forge")
	waitSealed(t, svc, 10)
	svc.Stop(ctx)
	if _, err := db.ExecContext(ctx, `DELETE FROM events WHERE id = $1`, ids[2]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE events SET ledger_index = NULL WHERE id = $1`, ids[4]); err != nil {
		t.Fatal(err)
	}
	// A checkpoint whose size was changed after signing.
	cpPath := filepath.Join(dataDir, "ledger", "checkpoint")
	raw, _ := os.ReadFile(cpPath)
	forged := strings.Replace(string(raw), "\n10\n", "\n9\n", 1)
	os.WriteFile(cpPath, []byte(forged), 0o644)

	rep, err := ledger.Verify(ctx, db, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(rep.Problems)
	for _, want := range []string{"checkpoint checkpoint: signature", "event " + ids[2] + ": in the log at entry 2 but missing",
		"event " + ids[4] + ": in the log at entry 4, but its row has lost its index", "checkpoint checkpoint: root"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
}

func TestEventsVisibility(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	svc := ledger.New(db, ledger.Config{DataDir: t.TempDir()})
	emit(t, db, 5, "vis")
	err := db.Transact(ctx, func(tx *store.Tx) error {
		return tx.Emit(ctx, store.Event{Type: "other.thing", ActorUserID: "stranger", ActorOrgID: "org-2", SubjectKind: "thing", SubjectID: "x"}, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	auditor := identity.Principal{UserID: "a", PlatformRoles: []identity.PlatformRole{identity.PlatformAuditor}}
	member := identity.Principal{UserID: "m", Memberships: []identity.Membership{{OrganizationID: "org-1", Role: identity.RoleMember}}}
	actor := identity.Principal{UserID: "u-1"}
	outsider := identity.Principal{UserID: "nobody"}
	for _, test := range []struct {
		name string
		p    identity.Principal
		f    ledger.Filter
		want int
	}{
		{"staff see all", auditor, ledger.Filter{}, 6},
		{"staff filter by type", auditor, ledger.Filter{Type: "other.thing"}, 1},
		{"staff filter by actor org", auditor, ledger.Filter{Actor: "org-2"}, 1},
		{"staff filter by subject", auditor, ledger.Filter{SubjectKind: "thing", SubjectID: "vis"}, 5},
		{"member sees their organization's", member, ledger.Filter{}, 5},
		{"actor sees their own", actor, ledger.Filter{}, 2},
		{"outsider sees none", outsider, ledger.Filter{}, 0},
		{"since the future", auditor, ledger.Filter{Since: time.Now().Add(time.Hour)}, 0},
	} {
		t.Run(test.name, func(t *testing.T) {
			page, err := svc.Events(ctx, test.p, test.f)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Events) != test.want {
				t.Errorf("got %d events, want %d", len(page.Events), test.want)
			}
		})
	}
	if _, err := svc.Events(ctx, identity.Anonymous, ledger.Filter{}); !errors.Is(err, identity.ErrUnauthenticated) {
		t.Errorf("anonymous: err = %v", err)
	}
	// Paging: newest first, cursors chain without overlap.
	var seen []string
	f := ledger.Filter{Limit: 4}
	for {
		page, err := svc.Events(ctx, auditor, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range page.Events {
			seen = append(seen, ev.ID)
		}
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	if len(seen) != 6 || seen[0] < seen[5] {
		t.Errorf("paged through %v", seen)
	}
	if _, err := svc.Events(ctx, auditor, ledger.Filter{Cursor: "x"}); !errors.Is(err, ledger.ErrBadCursor) {
		t.Errorf("bad cursor: err = %v", err)
	}
}

func TestOneSequencerAtATime(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		dataDir := t.TempDir() // shared by both, as replicas share the log's storage
		a := start(t, db, dataDir)
		waitSealed(t, a, 0)
		b := start(t, db, dataDir)
		sequencing := func(s *ledger.Service) bool {
			st, err := s.Status(ctx)
			return err == nil && st.Sequencing
		}
		ids := emit(t, db, 50, "one-at-a-time")
		waitSealed(t, a, 50)
		if !sequencing(a) || sequencing(b) {
			t.Fatalf("sequencing: a %v, b %v; want only a", sequencing(a), sequencing(b))
		}
		if err := a.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, emit(t, db, 50, "taken-over")...)
		st := waitSealed(t, b, 100) // b takes the lock over within its retry interval
		if !sequencing(b) || st.Size != 100 {
			t.Fatalf("after a stopped: b sequencing %v, size %d", sequencing(b), st.Size)
		}
		for i, id := range ids {
			if ev, _ := b.Event(ctx, id); ev.LedgerIndex == nil || *ev.LedgerIndex != int64(i) {
				t.Fatalf("event %d: index %v", i, ev.LedgerIndex)
			}
		}
	})
}

func TestExplicitOriginMustMatchTheKey(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	dataDir := t.TempDir()
	ctx := context.Background()
	first := ledger.New(db, ledger.Config{DataDir: dataDir, Origin: "ledger.example.gov.cn"})
	if err := first.Start(ctx); err != nil {
		t.Fatal(err)
	}
	first.Stop(ctx)
	info, err := os.Stat(filepath.Join(dataDir, "keys", "ledger.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("private key file: %v, mode %v", err, info.Mode())
	}
	// A derived origin yields to the key's; an explicit different one is refused.
	moved := ledger.New(db, ledger.Config{DataDir: dataDir, PublicURL: "https://elsewhere.example"})
	if err := moved.Start(ctx); err != nil {
		t.Fatal(err)
	}
	moved.Stop(ctx)
	if _, vkey, _ := moved.Verifier(); !strings.HasPrefix(vkey, "ledger.example.gov.cn+") {
		t.Errorf("verifier key %q", vkey)
	}
	clash := ledger.New(db, ledger.Config{DataDir: dataDir, Origin: "other.example/ledger"})
	if err := clash.Start(ctx); err == nil || !strings.Contains(err.Error(), "keeps its origin") {
		clash.Stop(ctx)
		t.Fatalf("explicit other origin: err = %v", err)
	}
}

// TestStatusBeforeTheFirstCheckpoint: with no log yet (a new data dir, or
// right after a key rotation) Status says so and still counts the events
// that wait, so the metrics and alerts on the sequencing lag hold then too.
func TestStatusBeforeTheFirstCheckpoint(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	emit(t, db, 3, "before-the-log")
	svc := ledger.New(db, ledger.Config{DataDir: t.TempDir()})
	st, err := svc.Status(context.Background())
	if !errors.Is(err, ledger.ErrNoLog) || st.Unsealed != 3 || st.OldestUnsealedAt == nil || st.Sequencing || st.Size != 0 {
		t.Fatalf("status %+v, err %v; want ErrNoLog with 3 events waiting", st, err)
	}
}

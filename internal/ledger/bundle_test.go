package ledger_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"dataport/internal/ledger"
	"dataport/internal/store"
	"dataport/internal/store/storetest"

	"golang.org/x/mod/sumdb/note"
)

// contractDoc stands for a contract's canonical JSON in these tests.
var contractDoc = []byte(`{"id":"urn:uuid:1","amount_fen":120000,"purpose":"traffic planning"}`)

// sealedWorld commits three events about one contract (the second names
// the contract document's hash) and returns them once sealed.
func sealedWorld(t testing.TB, db *store.DB) []store.Event {
	t.Helper()
	ctx := context.Background()
	sum := sha256.Sum256(contractDoc)
	payloads := []any{
		map[string]string{"negotiation": "n-1"},
		map[string]string{"contract_sha256": hex.EncodeToString(sum[:]), "note": "<&> kept as is"},
		map[string]int{"rows": 7},
	}
	for i, p := range payloads {
		err := db.Transact(ctx, func(tx *store.Tx) error {
			return tx.Emit(ctx, store.Event{Type: []string{"exchange.negotiation.agreed", "exchange.contract.agreed", "grant.created"}[i],
				ActorUserID: "u-1", ActorOrgID: "org-1", SubjectKind: "contract", SubjectID: "urn:uuid:1"}, p)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	evs, err := db.Events(ctx, store.EventFilter{SubjectKind: "contract", SubjectID: "urn:uuid:1"})
	if err != nil || len(evs) != 3 {
		t.Fatalf("events: %v %v", len(evs), err)
	}
	return evs // unsealed yet: Bundle must wait for them
}

func buildBundle(t testing.TB, svc *ledger.Service, evs []store.Event) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := svc.Bundle(context.Background(), &buf, map[string][]byte{"contract.json": contractDoc, "notes/reading.txt": []byte("unsealed\n")}, evs); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func verify(b []byte, trusted note.Verifier) (ledger.BundleReport, error) {
	return ledger.VerifyBundle(bytes.NewReader(b), int64(len(b)), trusted)
}

func TestBundleOfSealedEventsVerifiesOffline(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		dataDir := t.TempDir()
		svc := start(t, db, dataDir)
		evs := sealedWorld(t, db)
		b := buildBundle(t, svc, append(evs, evs[0])) // a duplicate is bundled once
		svc.Stop(context.Background())                // offline from here on

		rep, err := verify(b, nil)
		if err != nil {
			t.Fatalf("verify: %v (%v)", err, rep.Problems)
		}
		if len(rep.Events) != 3 || rep.TreeSize < 3 || rep.Origin != "data.example.gov.cn/ledger" || rep.Trusted {
			t.Errorf("report %+v", rep)
		}
		for i, e := range rep.Events {
			if i > 0 && e.Index <= rep.Events[i-1].Index {
				t.Errorf("events not in ledger order: %+v", rep.Events)
			}
		}
		docs := map[string]ledger.BundleDocumentCheck{}
		for _, d := range rep.Documents {
			docs[d.Name] = d
		}
		if c := docs["contract.json"]; !c.Sealed || c.Field != "contract_sha256" || c.Event != eventOfType(evs, "exchange.contract.agreed").ID {
			t.Errorf("contract.json: %+v", c)
		}
		if n := docs["notes/reading.txt"]; n.Sealed || n.Name == "" {
			t.Errorf("an unsealed note must be reported as such: %+v", n)
		}
		_, vkey, _ := svc.Verifier()
		key, err := note.NewVerifier(vkey)
		if err != nil {
			t.Fatal(err)
		}
		if rep, err := verify(b, key); err != nil || !rep.Trusted {
			t.Errorf("with the log's own key as trusted: %v %+v", err, rep)
		}
	})
}

func eventOfType(evs []store.Event, typ string) store.Event {
	for _, ev := range evs {
		if ev.Type == typ {
			return ev
		}
	}
	return store.Event{}
}

func TestBundleUnknownEventAndBadNames(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	svc := start(t, db, t.TempDir())
	err := svc.Bundle(context.Background(), io.Discard, nil, []store.Event{{ID: "no-such-event"}})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown event: %v", err)
	}
	for _, name := range []string{"manifest.json", "ledger.pub", "events/x.json", "receipts/x.json", "../x", "/abs", `a\b`, ""} {
		if err := svc.Bundle(context.Background(), io.Discard, map[string][]byte{name: nil}, nil); err == nil {
			t.Errorf("document name %q accepted", name)
		}
	}
}

// rezip returns b with file name's bytes changed by mutate, the archive
// otherwise rebuilt as it was; with fixManifest the manifest's hash and
// size of the file follow the change, so only the deeper checks can see it.
func rezip(t testing.TB, b []byte, name string, mutate func([]byte) []byte, fixManifest bool) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	var order []string
	for _, f := range zr.File {
		rc, _ := f.Open()
		body, _ := io.ReadAll(rc)
		rc.Close()
		files[f.Name] = body
		order = append(order, f.Name)
	}
	before := files[name]
	files[name] = mutate(bytes.Clone(before))
	if bytes.Equal(before, files[name]) {
		t.Fatalf("mutation of %s changed nothing", name)
	}
	if fixManifest && name != "manifest.json" {
		var m ledger.BundleManifest
		if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
			t.Fatal(err)
		}
		for i, f := range m.Files {
			if f.Name == name {
				sum := sha256.Sum256(files[name])
				m.Files[i].SHA256, m.Files[i].Size = hex.EncodeToString(sum[:]), int64(len(files[name]))
			}
		}
		files["manifest.json"], _ = json.Marshal(m)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, n := range order {
		w, _ := zw.Create(n)
		w.Write(files[n])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// flip changes the byte after the first occurrence of marker (which must
// be a hex digit, letter or digit) to another of its kind, keeping JSON valid.
func flip(t testing.TB, marker string) func([]byte) []byte {
	return func(b []byte) []byte {
		i := bytes.Index(b, []byte(marker))
		if i < 0 {
			t.Fatalf("no %q in %s", marker, b)
		}
		i += len(marker)
		switch c := b[i]; {
		case c == '0':
			b[i] = '1'
		case c >= '1' && c <= '9', c >= 'b' && c <= 'z', c >= 'B' && c <= 'Z':
			b[i] = c - 1
		default:
			b[i] = c + 1
		}
		return b
	}
}

func TestVerifyBundleNamesEveryChangedFile(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		svc := start(t, db, t.TempDir())
		evs := sealedWorld(t, db)
		b := buildBundle(t, svc, evs)
		contract := eventOfType(evs, "exchange.contract.agreed").ID
		grant := eventOfType(evs, "grant.created").ID
		tests := []struct {
			name, file, marker string
			fixManifest        bool
			wantFile, want     string
		}{
			{"document vs manifest", "contract.json", `"amount_fen":`, false, "contract.json", "differs from the manifest's"},
			{"document vs sealed hash", "contract.json", `"amount_fen":`, true, "contract.json", "differs from contract_sha256 "},
			{"event payload", "events/" + grant + ".json", `"rows":`, true, "events/" + grant + ".json", "payload SHA-256"},
			{"event subject", "events/" + contract + ".json", `"id":"urn:uuid:`, true, "events/" + contract + ".json", "subject.id differ from the entry sealed at index"},
			{"receipt proof", "receipts/" + contract + ".json", `"inclusion_proof": [` + "\n" + `    "`, true, "receipts/" + contract + ".json", "inclusion proof"},
			{"receipt checkpoint", "receipts/" + grant + ".json", `"checkpoint": "data.example.gov.cn/ledger\n`, true, "receipts/" + grant + ".json", "checkpoint"},
			{"key", "ledger.pub", "data.example.gov.cn/ledger+", true, "ledger.pub", "verifier key"},
			{"manifest", "manifest.json", `"name": "contract.json",` + "\n" + `      "sha256": "`, false, "contract.json", "differs from the manifest's"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				changed := rezip(t, b, tc.file, flip(t, tc.marker), tc.fixManifest)
				rep, err := verify(changed, nil)
				if !errors.Is(err, ledger.ErrBundle) {
					t.Fatalf("changed %s verified: %v", tc.file, err)
				}
				for _, p := range rep.Problems {
					if p.File == tc.wantFile && strings.Contains(p.Detail, tc.want) {
						return
					}
				}
				t.Errorf("no problem naming %s with %q: %v", tc.wantFile, tc.want, rep.Problems)
			})
		}
		t.Run("a byte of the archive", func(t *testing.T) {
			zr, _ := zip.NewReader(bytes.NewReader(b), int64(len(b)))
			for _, f := range zr.File {
				off, _ := f.DataOffset()
				changed := bytes.Clone(b)
				changed[off+int64(f.CompressedSize64)/2] ^= 0x40
				rep, err := verify(changed, nil)
				if err == nil || !strings.Contains(err.Error(), f.Name) {
					t.Errorf("a changed byte in the data of %s: %v %v", f.Name, err, rep.Problems)
				}
			}
		})
		t.Run("an added file", func(t *testing.T) {
			rep, err := verify(addFile(t, b, "extra.json", []byte("{}")), nil)
			if err == nil || rep.Problems[0].File != "extra.json" {
				t.Errorf("added file: %v %v", err, rep.Problems)
			}
		})
		t.Run("another trusted key", func(t *testing.T) {
			_, vkey, err := note.GenerateKey(rand.Reader, "data.example.gov.cn/ledger")
			if err != nil {
				t.Fatal(err)
			}
			other, _ := note.NewVerifier(vkey)
			rep, err := verify(b, other)
			if err == nil || rep.Problems[0].File != "ledger.pub" || !strings.Contains(rep.Problems[0].Detail, "not the trusted key") {
				t.Fatalf("other key: %v %v", err, rep.Problems)
			}
			if len(rep.Events) != 0 {
				t.Errorf("events verified with a key that did not sign them: %+v", rep.Events)
			}
		})
		t.Run("not a zip", func(t *testing.T) {
			if _, err := verify([]byte("PK not really"), nil); !errors.Is(err, ledger.ErrBundle) {
				t.Errorf("garbage: %v", err)
			}
		})
	})
}

func addFile(t testing.TB, b []byte, name string, body []byte) []byte {
	t.Helper()
	zr, _ := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	w, _ := zw.Create(name)
	w.Write(body)
	zw.Close()
	return out.Bytes()
}

// BenchmarkBundle builds, and verifies offline, an evidence bundle of 100
// sealed events and one document (SQLite), and reports its size.
func BenchmarkBundle(b *testing.B) {
	ctx := context.Background()
	db := storetest.Open(b, store.SQLite)
	svc := start(b, db, b.TempDir())
	emit(b, db, 100, "bench")
	waitSealed(b, svc, 100)
	evs, err := db.Events(ctx, store.EventFilter{SubjectID: "bench", Limit: 1000})
	if err != nil {
		b.Fatal(err)
	}
	docs := map[string][]byte{"contract.json": contractDoc}
	var last []byte
	b.Run("build", func(b *testing.B) {
		for b.Loop() {
			var buf bytes.Buffer
			if err := svc.Bundle(ctx, &buf, docs, evs); err != nil {
				b.Fatal(err)
			}
			last = buf.Bytes()
		}
		b.ReportMetric(float64(len(last)), "bytes/bundle")
	})
	b.Run("verify", func(b *testing.B) {
		for b.Loop() {
			if _, err := verify(last, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dataport/internal/ledger"
	"dataport/internal/store"
	"dataport/internal/store/storetest"

	"golang.org/x/mod/sumdb/note"
)

// TestLedgerVerifyBundleCLI builds an evidence bundle of sealed events with
// the ledger package and checks it with the binary, offline: the bundle as
// built passes and says what it verified; a changed byte in a document
// fails with the document named; a key that did not sign it fails.
func TestLedgerVerifyBundleCLI(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, store.SQLite)
	svc := ledger.New(db, ledger.Config{DataDir: t.TempDir(), Origin: "cli.dataport.test/ledger", CheckpointInterval: 100 * time.Millisecond})
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer svc.Stop(ctx)
	doc := []byte(`{"contract":"c-1","amount_fen":500}`)
	err := db.Transact(ctx, func(tx *store.Tx) error {
		return tx.Emit(ctx, store.Event{Type: "exchange.contract.agreed", SubjectKind: "contract", SubjectID: "c-1"},
			map[string]string{"contract_sha256": store.SHA256Hex(string(doc))})
	})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := db.Events(ctx, store.EventFilter{SubjectID: "c-1"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := svc.Bundle(ctx, &buf, map[string][]byte{"contract.json": doc}, evs); err != nil {
		t.Fatal(err)
	}
	_, vkey, _ := svc.Verifier()
	dir := t.TempDir()
	good := filepath.Join(dir, "evidence.zip")
	os.WriteFile(good, buf.Bytes(), 0o644)

	out, code := dataportCLI(t, nil, "ledger", "verify", "--bundle", good, "--key", vkey)
	if code != 0 || !strings.Contains(out, "document contract.json: SHA-256 "+store.SHA256Hex(string(doc))+" is the contract_sha256 sealed in event "+evs[0].ID) ||
		!strings.Contains(out, "exchange.contract.agreed on contract c-1") || !strings.HasSuffix(out, "OK\n") {
		t.Fatalf("good bundle: exit %d\n%s", code, out)
	}

	changed := bytes.Clone(buf.Bytes())
	changed[dataOffset(t, changed, "contract.json")+3] ^= 0x01
	bad := filepath.Join(dir, "changed.zip")
	os.WriteFile(bad, changed, 0o644)
	out, code = dataportCLI(t, nil, "ledger", "verify", "--bundle", bad)
	if code == 0 || !strings.Contains(out, "FAIL contract.json: ") {
		t.Fatalf("changed bundle: exit %d\n%s", code, out)
	}

	_, other, err := note.GenerateKey(rand.Reader, "cli.dataport.test/ledger")
	if err != nil {
		t.Fatal(err)
	}
	out, code = dataportCLI(t, nil, "ledger", "verify", "--bundle", good, "--key", other)
	if code == 0 || !strings.Contains(out, "FAIL ledger.pub: ") || !strings.Contains(out, "FAIL receipts/"+evs[0].ID+".json: ") {
		t.Fatalf("another key: exit %d\n%s", code, out)
	}
}

// dataOffset returns where the (compressed) data of name starts in a zip.
func dataOffset(t *testing.T, b []byte, name string) int {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			off, err := f.DataOffset()
			if err != nil {
				t.Fatal(err)
			}
			return int(off)
		}
	}
	t.Fatalf("no %s in the archive", name)
	return 0
}

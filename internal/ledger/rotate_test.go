package ledger_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dataport/internal/ledger"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

func TestRotateKey(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		dataDir := t.TempDir()
		a := start(t, db, dataDir)
		ids := emit(t, db, 20, "before-rotation")
		waitSealed(t, a, 20)
		_, oldKey, err := a.Verifier()
		if err != nil {
			t.Fatal(err)
		}
		const newOrigin = "data.example.gov.cn/ledger/2027"
		now := time.Date(2027, 1, 1, 8, 0, 0, 0, time.UTC)
		unsealed := func() (n int) {
			t.Helper()
			if err := db.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE ledger_index IS NULL`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		// Refused while a process sequences, and for a bad or the same origin;
		// each refusal leaves the log, the key and the table as they were.
		if _, err := ledger.RotateKey(ctx, db, dataDir, newOrigin, now); err == nil || !strings.Contains(err.Error(), "stop every replica") {
			t.Fatalf("rotation while sequencing: err = %v", err)
		}
		if err := a.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		for origin, want := range map[string]string{
			"data.example.gov.cn/ledger": "must differ",
			"bad origin":                 "without spaces",
		} {
			if _, err := ledger.RotateKey(ctx, db, dataDir, origin, now); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("origin %q: err = %v, want %q", origin, err, want)
			}
		}
		if rep, err := ledger.Verify(ctx, db, dataDir); err != nil || !rep.OK() || rep.Size != 20 || unsealed() != 0 {
			t.Fatalf("after refusals: %+v %v, %d unsealed", rep, err, unsealed())
		}

		r, err := ledger.RotateKey(ctx, db, dataDir, newOrigin, now)
		if err != nil {
			t.Fatal(err)
		}
		if r.OldOrigin != "data.example.gov.cn/ledger" || r.OldVerifierKey != oldKey || r.OldSize != 20 || len(r.OldProblems) != 0 || r.Reseal != 20 ||
			!strings.HasPrefix(r.NewVerifierKey, newOrigin+"+") {
			t.Fatalf("rotation %+v", r)
		}
		if want := filepath.Join(dataDir, ledger.RetiredDir, "data.example.gov.cn_ledger-20270101T080000Z"); r.Retired != want {
			t.Errorf("retired to %s, want %s", r.Retired, want)
		}
		// The retired log's checkpoint still verifies with its own key, which
		// went with it.
		pub, err := os.ReadFile(filepath.Join(r.Retired, "keys", "ledger.pub"))
		if err != nil || strings.TrimSpace(string(pub)) != oldKey {
			t.Fatalf("retired verifier key %q: %v", pub, err)
		}
		signed, err := os.ReadFile(filepath.Join(r.Retired, "ledger", "checkpoint"))
		if err != nil {
			t.Fatal(err)
		}
		origin, tree := checkpoint(t, oldKey, string(signed))
		if origin != r.OldOrigin || tree.N != 20 || !bytes.Equal(tree.Hash[:], r.OldRoot) {
			t.Errorf("retired checkpoint: origin %s, size %d", origin, tree.N)
		}
		if readme, err := os.ReadFile(filepath.Join(r.Retired, "RETIRED.txt")); err != nil || !strings.Contains(string(readme), oldKey) ||
			!strings.Contains(string(readme), "successor:     "+newOrigin) {
			t.Errorf("RETIRED.txt: %v\n%s", err, readme)
		}
		if _, err := os.Stat(filepath.Join(dataDir, "ledger")); !os.IsNotExist(err) {
			t.Errorf("the old log is still in place: %v", err)
		}
		if n := unsealed(); n != 20 {
			t.Errorf("%d events wait for the new log, want 20", n)
		}

		// A process that loaded the old key before the rotation takes the lock
		// but refuses to sign the new log with it. (On SQLite its lock file
		// is in the log folder, which the next process to start creates.)
		if err := os.MkdirAll(filepath.Join(dataDir, "ledger"), 0o755); err != nil {
			t.Fatal(err)
		}
		short, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := ledger.LockAndSequence(a, short); err == nil || !strings.Contains(err.Error(), "restart this process") {
			t.Fatalf("sequencing with the old key: err = %v", err)
		}

		// A restarted process seals every event again, in order, into the new
		// log, which verifies.
		b := start(t, db, dataDir)
		ids = append(ids, emit(t, db, 5, "after-rotation")...)
		st := waitSealed(t, b, 25)
		if st.Origin != newOrigin || st.VerifierKey != r.NewVerifierKey {
			t.Errorf("new log: origin %s, key %s", st.Origin, st.VerifierKey)
		}
		for i, id := range ids {
			if ev, _ := b.Event(ctx, id); ev.LedgerIndex == nil || *ev.LedgerIndex != int64(i) {
				t.Fatalf("event %d: index %v", i, ev.LedgerIndex)
			}
		}
		if rep, err := ledger.Verify(ctx, db, dataDir); err != nil || !rep.OK() || rep.Checked != 25 || rep.Origin != newOrigin {
			t.Fatalf("new log verify: %+v %v", rep, err)
		}
	})
}

package ledger_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"

	"dataport/internal/fuzztest"
	"dataport/internal/ledger"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// FuzzVerifyBundle feeds the bundle reader (outside input: anyone may hand
// an auditor a bundle) whole archives, and real bundles with one file
// replaced: it never panics or hangs, a failure always names a file, a
// replaced file never verifies against the old manifest, and with the
// manifest fixed up no sealed document can change and still verify.
func FuzzVerifyBundle(f *testing.F) {
	db := storetest.Open(f, store.SQLite)
	svc := start(f, db, f.TempDir())
	real := buildBundle(f, svc, sealedWorld(f, db))
	svc.Stop(context.Background())
	zr, err := zip.NewReader(bytes.NewReader(real), int64(len(real)))
	if err != nil {
		f.Fatal(err)
	}
	names := make([]string, len(zr.File))
	originals := map[string][]byte{}
	for i, zf := range zr.File {
		names[i] = zf.Name
		rc, _ := zf.Open()
		originals[zf.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	f.Add(real, uint8(0), []byte("{}"), false)
	f.Add([]byte("PK\x03\x04"), uint8(3), []byte(`{"id":"x"}`), true)
	f.Add(addFile(f, real, "events/../x", nil), uint8(5), originals[names[5]][1:], true)
	f.Fuzz(func(t *testing.T, archive []byte, which uint8, content []byte, fixManifest bool) {
		check := func(b []byte) (ledger.BundleReport, error) {
			var rep ledger.BundleReport
			var err error
			fuzztest.Within(t, "VerifyBundle", func() { rep, err = verify(b, nil) })
			if (err == nil) != rep.OK() || (err != nil && !errors.Is(err, ledger.ErrBundle)) {
				t.Fatalf("error %v with problems %v", err, rep.Problems)
			}
			for _, p := range rep.Problems {
				if p.File == "" || p.Detail == "" {
					t.Fatalf("a problem names no file: %+v", p)
				}
			}
			return rep, err
		}
		check(archive)
		name := names[int(which)%len(names)]
		if bytes.Equal(content, originals[name]) {
			return
		}
		rep, err := check(rezip(t, real, name, func([]byte) []byte { return content }, fixManifest))
		if !fixManifest && err == nil {
			t.Fatalf("%s replaced by %q verifies against the old manifest", name, content)
		}
		for _, d := range rep.Documents {
			if d.Sealed && d.SHA256 != sha256Hex(originals[d.Name]) {
				t.Fatalf("sealed document %s changed and verified", d.Name)
			}
		}
	})
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

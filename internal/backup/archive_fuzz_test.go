package backup

import (
	"bytes"
	"path/filepath"
	"testing"
)

// FuzzVerify feeds Verify, the reader of archives that arrive from outside,
// arbitrary bytes: it must never panic, and what it accepts must name only
// safe entries and carry a manifest it can check.
func FuzzVerify(f *testing.F) {
	dir := f.TempDir()
	writeFiles(f, dir, map[string]string{"dataport.db": "SQLite format 3\x00", "blob": "a contract"})
	var buf bytes.Buffer
	aw := newArchiveWriter(&buf)
	for name, src := range map[string]string{sqliteName: "dataport.db", "data/blobs/exchange/ab/ab12": "blob"} {
		if _, err := aw.addFile(name, filepath.Join(dir, src)); err != nil {
			f.Fatal(err)
		}
	}
	if err := aw.finish(&Manifest{Format: FormatVersion, Dialect: "sqlite", Created: now()}); err != nil {
		f.Fatal(err)
	}
	good := buf.Bytes()
	if _, err := Verify(bytes.NewReader(good)); err != nil {
		f.Fatalf("the seed archive does not verify: %v", err)
	}
	f.Add(good)
	f.Add(good[:len(good)-10])
	f.Add([]byte{})
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Verify(bytes.NewReader(raw))
		if err != nil {
			return
		}
		if m.Format != FormatVersion {
			t.Fatalf("accepted format %d", m.Format)
		}
		for _, file := range m.Files {
			if !validName(file.Path) || file.Path == manifestName {
				t.Fatalf("accepted entry %q", file.Path)
			}
		}
	})
}

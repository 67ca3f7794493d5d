package backup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"dataport/internal/store"
)

// maxManifest bounds the manifest a reader accepts (a million files fit).
const maxManifest = 256 << 20

// archiveWriter writes a tar.gz whose entries it hashes as it goes; finish
// appends the manifest naming them.
type archiveWriter struct {
	gz    *gzip.Writer
	tw    *tar.Writer
	files []File
}

func newArchiveWriter(w io.Writer) *archiveWriter {
	gz := gzip.NewWriter(w)
	return &archiveWriter{gz: gz, tw: tar.NewWriter(gz)}
}

// addFile copies the regular file at src into the archive as name. A file
// that no longer exists is skipped (ok false): the ledger's garbage
// collection and temporary files come and go while a backup runs.
func (a *archiveWriter) addFile(name, src string) (ok bool, err error) {
	f, err := os.Open(src)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("backup: %w", err)
	}
	if !st.Mode().IsRegular() {
		return false, nil
	}
	hdr := &tar.Header{Name: name, Mode: int64(st.Mode().Perm()), Size: st.Size(), ModTime: st.ModTime(), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := a.tw.WriteHeader(hdr); err != nil {
		return false, fmt.Errorf("backup: %s: %w", name, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(a.tw, h), io.LimitReader(f, st.Size()))
	if err != nil {
		return false, fmt.Errorf("backup: %s: %w", name, err)
	}
	if n != st.Size() {
		return false, fmt.Errorf("backup: %s shrank from %d to %d bytes while it was copied", src, st.Size(), n)
	}
	a.files = append(a.files, File{Path: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))})
	return true, nil
}

// finish writes m, listing every file added, as the last entry and closes
// the archive (not the underlying writer).
func (a *archiveWriter) finish(m *Manifest) error {
	m.Files = a.files
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	hdr := &tar.Header{Name: manifestName, Mode: 0o644, Size: int64(len(raw)), ModTime: m.Created, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := a.tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("backup: manifest: %w", err)
	}
	if _, err := a.tw.Write(raw); err != nil {
		return fmt.Errorf("backup: manifest: %w", err)
	}
	if err := a.tw.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return a.gz.Close()
}

// Verify reads a whole archive and checks it: every entry's size and SHA-256
// against the manifest, nothing missing and nothing more, names that stay
// inside the archive, and a manifest this version understands. It returns the
// manifest; errors wrap ErrCorrupt and name the offending file.
func Verify(r io.Reader) (Manifest, error) {
	return readArchive(r, nil)
}

// readArchive walks the archive, handing each entry but the manifest to
// extract (nil: read and discard) while hashing it, then checks the result
// against the manifest as Verify describes.
func readArchive(r io.Reader, extract func(name string, body io.Reader) error) (Manifest, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return Manifest{}, fmt.Errorf("%w: not a gzip file: %v", ErrCorrupt, err)
	}
	tr := tar.NewReader(gz)
	got := map[string]File{}
	var m *Manifest
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Manifest{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		if err := checkEntry(hdr, m != nil, got); err != nil {
			return Manifest{}, err
		}
		if hdr.Name == manifestName {
			if m, err = readManifest(tr); err != nil {
				return Manifest{}, err
			}
			continue
		}
		f, err := hashEntry(hdr.Name, tr, extract)
		if err != nil {
			return Manifest{}, err
		}
		got[hdr.Name] = f
	}
	if err := gzipTrailer(gz); err != nil {
		return Manifest{}, err
	}
	if m == nil {
		return Manifest{}, fmt.Errorf("%w: no %s (the archive is incomplete or not a dataport backup)", ErrCorrupt, manifestName)
	}
	return *m, m.check(got)
}

// gzipTrailer reads the rest of the gzip stream, whose checksum is verified
// only at its end.
func gzipTrailer(gz *gzip.Reader) error {
	if _, err := io.Copy(io.Discard, gz); err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return nil
}

// checkEntry refuses entries that are not plain files with safe, unique
// names, and anything after the manifest.
func checkEntry(hdr *tar.Header, afterManifest bool, seen map[string]File) error {
	switch {
	case afterManifest:
		return fmt.Errorf("%w: %s follows the manifest", ErrCorrupt, hdr.Name)
	case hdr.Typeflag != tar.TypeReg:
		return fmt.Errorf("%w: %s is not a regular file", ErrCorrupt, hdr.Name)
	case !validName(hdr.Name):
		return fmt.Errorf("%w: entry name %q", ErrCorrupt, hdr.Name)
	}
	if _, dup := seen[hdr.Name]; dup {
		return fmt.Errorf("%w: %s appears twice", ErrCorrupt, hdr.Name)
	}
	return nil
}

// validName accepts the manifest, the database entries and clean relative
// paths under data/.
func validName(name string) bool {
	switch name {
	case manifestName, sqliteName, postgresName:
		return true
	}
	rest, ok := strings.CutPrefix(name, dataPrefix)
	return ok && rest != "" && path.Clean(rest) == rest && !path.IsAbs(rest) &&
		rest != ".." && !strings.HasPrefix(rest, "../") && !strings.ContainsAny(rest, "\\\x00")
}

func hashEntry(name string, body io.Reader, extract func(string, io.Reader) error) (File, error) {
	h := sha256.New()
	counted := &countingReader{r: io.TeeReader(body, h), name: name}
	var err error
	if extract != nil {
		err = extract(name, counted)
	}
	if err == nil {
		_, err = io.Copy(io.Discard, counted) // what extract left unread
	}
	if err != nil {
		if errors.Is(err, ErrCorrupt) || errors.Is(err, ErrNotEmpty) {
			return File{}, err
		}
		return File{}, fmt.Errorf("%s: %w", name, err)
	}
	return File{Path: name, Size: counted.n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// countingReader counts what is read of entry name; a read that fails
// (the archive ends early or does not inflate) is ErrCorrupt.
type countingReader struct {
	r    io.Reader
	name string
	n    int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w: %s: %v", ErrCorrupt, c.name, err)
	}
	return n, err
}

func readManifest(r io.Reader) (*Manifest, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxManifest+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, manifestName, err)
	}
	if len(raw) > maxManifest {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrCorrupt, manifestName, maxManifest)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, manifestName, err)
	}
	return &m, nil
}

// check compares the manifest with the entries read (got) and with itself.
func (m *Manifest) check(got map[string]File) error {
	if m.Format != FormatVersion {
		return fmt.Errorf("%w: %s: format %d, this dataport reads format %d", ErrCorrupt, manifestName, m.Format, FormatVersion)
	}
	want := map[store.Dialect]string{store.SQLite: sqliteName, store.Postgres: postgresName}[m.Dialect]
	if want == "" {
		return fmt.Errorf("%w: %s: unknown dialect %q", ErrCorrupt, manifestName, m.Dialect)
	}
	listed := make(map[string]bool, len(m.Files))
	for _, f := range m.Files {
		if listed[f.Path] {
			return fmt.Errorf("%w: %s lists %s twice", ErrCorrupt, manifestName, f.Path)
		}
		listed[f.Path] = true
		g, ok := got[f.Path]
		switch {
		case !ok:
			return fmt.Errorf("%w: %s is missing from the archive", ErrCorrupt, f.Path)
		case g.Size != f.Size:
			return fmt.Errorf("%w: %s holds %d bytes, the manifest says %d", ErrCorrupt, f.Path, g.Size, f.Size)
		case g.SHA256 != f.SHA256:
			return fmt.Errorf("%w: %s has SHA-256 %s, the manifest says %s", ErrCorrupt, f.Path, g.SHA256, f.SHA256)
		}
	}
	for name := range got {
		if !listed[name] {
			return fmt.Errorf("%w: %s is not in the manifest", ErrCorrupt, name)
		}
	}
	if !listed[want] {
		return fmt.Errorf("%w: a %s backup without %s", ErrCorrupt, m.Dialect, want)
	}
	return nil
}

// now is the manifest's clock, in UTC to the second.
func now() time.Time { return time.Now().UTC().Truncate(time.Second) }

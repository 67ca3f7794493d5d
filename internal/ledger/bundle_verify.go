package ledger

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
)

// ErrBundle is returned (wrapped) by VerifyBundle when a bundle does not
// verify; the report's Problems name each file and what is wrong with it.
var ErrBundle = errors.New("evidence bundle does not verify")

// BundleReport is what VerifyBundle established, and what it found wrong.
type BundleReport struct {
	Origin      string
	VerifierKey string // the key the receipts were checked with
	Trusted     bool   // the key was given by the caller, not taken from the bundle
	TreeSize    uint64 // of the receipts' checkpoint
	Root        []byte
	Files       int // files checked against the manifest
	Events      []BundleEventCheck
	Documents   []BundleDocumentCheck
	Problems    []BundleProblem
}

// BundleEventCheck is one event whose receipt verified.
type BundleEventCheck struct {
	ID, Type string
	Subject  Subject
	Index    uint64
}

// BundleDocumentCheck is one document; Sealed reports whether a verified
// event's payload names its SHA-256 (else only the manifest vouches for it).
type BundleDocumentCheck struct {
	Name, SHA256 string
	Sealed       bool
	Event, Field string
	Index        uint64
}

// BundleProblem is one thing wrong with one file of a bundle.
type BundleProblem struct {
	File   string // the file's name in the bundle; "bundle" for the archive itself
	Detail string
}

func (p BundleProblem) String() string { return p.File + ": " + p.Detail }

// OK reports whether the bundle verified in every respect.
func (r BundleReport) OK() bool { return len(r.Problems) == 0 }

// VerifyBundle checks an evidence bundle offline: every file against the
// manifest, every receipt against the log's key (trusted, or the bundle's
// own when trusted is nil; a trusted key must also be the bundle's), every
// event against its sealed entry (payload hash included), all receipts
// against one checkpoint, and every document against the hash its sealing
// event's payload names. It returns an error wrapping ErrBundle when any
// check fails; the report names each failure.
func VerifyBundle(r io.ReaderAt, size int64, trusted note.Verifier) (BundleReport, error) {
	b := &bundleCheck{}
	if err := b.read(r, size); err == nil {
		b.manifestFiles()
		if b.key(trusted) {
			b.events()
			b.documents()
		}
	}
	if !b.report.OK() {
		return b.report, fmt.Errorf("%w: %s", ErrBundle, b.report.Problems[0])
	}
	return b.report, nil
}

type bundleCheck struct {
	files    map[string][]byte
	manifest BundleManifest
	verifier note.Verifier
	verified map[string]BundleEvent // verified events by id
	report   BundleReport
	cp       *log.Checkpoint
	cpFile   string // the receipt whose checkpoint the others must share
}

func (b *bundleCheck) problem(file, format string, args ...any) {
	b.report.Problems = append(b.report.Problems, BundleProblem{File: file, Detail: fmt.Sprintf(format, args...)})
}

// read loads every file of the archive, within the reader's limits, and the
// manifest. A non-nil error means nothing else can be checked.
func (b *bundleCheck) read(r io.ReaderAt, size int64) error {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		b.problem("bundle", "not a zip archive: %v", err)
		return err
	}
	if len(zr.File) > maxBundleFiles {
		b.problem("bundle", "holds %d files, more than %d", len(zr.File), maxBundleFiles)
		return ErrBundle
	}
	b.files = map[string][]byte{}
	var total int64
	for _, f := range zr.File {
		body, err := readZipFile(f)
		if err != nil {
			b.problem(f.Name, "%v", err)
			continue
		}
		if total += int64(len(body)); total > maxBundleSize {
			b.problem("bundle", "unpacks to more than %d bytes", maxBundleSize)
			return ErrBundle
		}
		switch _, dup := b.files[f.Name]; {
		case dup:
			b.problem(f.Name, "is in the archive twice")
		case !fs.ValidPath(f.Name) || strings.Contains(f.Name, `\`):
			b.problem(f.Name, "is not a plain relative path")
		default:
			b.files[f.Name] = body
		}
	}
	raw, ok := b.files[manifestName]
	if !ok {
		b.problem(manifestName, "is missing")
		return ErrBundle
	}
	if err := decodeStrict(raw, &b.manifest); err != nil {
		b.problem(manifestName, "is not a bundle manifest: %v", err)
		return err
	}
	if b.manifest.Format != BundleFormat {
		b.problem(manifestName, "format %q is not %q", b.manifest.Format, BundleFormat)
		return ErrBundle
	}
	return nil
}

func readZipFile(f *zip.File) ([]byte, error) {
	if f.UncompressedSize64 > maxBundleFileSize {
		return nil, fmt.Errorf("is %d bytes, more than %d", f.UncompressedSize64, maxBundleFileSize)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("cannot be read: %w", err)
	}
	defer rc.Close()
	body, err := io.ReadAll(io.LimitReader(rc, maxBundleFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot be read: %w", err)
	}
	if len(body) > maxBundleFileSize {
		return nil, fmt.Errorf("unpacks to more than %d bytes", maxBundleFileSize)
	}
	return body, nil
}

// decodeStrict decodes one JSON value, refusing unknown fields and trailing data.
func decodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// manifestFiles checks that the archive holds exactly the manifest's files,
// each with its SHA-256 and size.
func (b *bundleCheck) manifestFiles() {
	listed := map[string]bool{manifestName: true}
	for _, f := range b.manifest.Files {
		if listed[f.Name] {
			b.problem(f.Name, "is listed in the manifest twice")
			continue
		}
		listed[f.Name] = true
		body, ok := b.files[f.Name]
		switch {
		case !ok:
			b.problem(f.Name, "is listed in the manifest but missing from the archive")
		case sha256Hex(body) != f.SHA256:
			b.problem(f.Name, "SHA-256 %s differs from the manifest's %s", sha256Hex(body), f.SHA256)
		case int64(len(body)) != f.Size:
			b.problem(f.Name, "is %d bytes, the manifest says %d", len(body), f.Size)
		default:
			b.report.Files++
		}
	}
	for _, name := range sortedKeys(b.files) {
		if !listed[name] {
			b.problem(name, "is not listed in the manifest")
		}
	}
}

// key picks the verifier: the trusted one if given (the bundle's must be
// the same key), else the bundle's. It reports whether there is one.
func (b *bundleCheck) key(trusted note.Verifier) bool {
	raw, ok := b.files[keyName]
	vkey := strings.TrimSpace(string(raw))
	own, err := note.NewVerifier(vkey)
	switch {
	case !ok:
		b.problem(keyName, "is missing")
	case err != nil:
		b.problem(keyName, "is not a verifier key: %v", err)
		own = nil
	case vkey != b.manifest.VerifierKey:
		b.problem(keyName, "key %s differs from the manifest's %s", vkey, b.manifest.VerifierKey)
	}
	if trusted != nil {
		if own != nil && (own.Name() != trusted.Name() || own.KeyHash() != trusted.KeyHash()) {
			b.problem(keyName, "key %s is not the trusted key (%s, hash %08x)", vkey, trusted.Name(), trusted.KeyHash())
		}
		b.verifier, b.report.Trusted = memo(trusted), true
		b.report.VerifierKey = fmt.Sprintf("%s+%08x", trusted.Name(), trusted.KeyHash())
		return true
	}
	if own == nil {
		return false
	}
	b.verifier, b.report.VerifierKey = memo(own), vkey
	return true
}

// memoVerifier remembers the signatures it has checked: the receipts of a
// bundle share one checkpoint, whose signature need be verified once.
type memoVerifier struct {
	note.Verifier
	checked map[string]bool
}

func memo(v note.Verifier) note.Verifier {
	return &memoVerifier{Verifier: v, checked: map[string]bool{}}
}

func (m *memoVerifier) Verify(msg, sig []byte) bool {
	key := strconv.Itoa(len(msg)) + ":" + string(msg) + string(sig)
	ok, seen := m.checked[key]
	if !seen {
		ok = m.Verifier.Verify(msg, sig)
		m.checked[key] = ok
	}
	return ok
}

// events checks each event of the manifest against its receipt.
func (b *bundleCheck) events() {
	b.verified = map[string]BundleEvent{}
	owned := map[string]bool{}
	for _, id := range b.manifest.Events {
		evFile, rFile := eventsDir+id+".json", receiptsDir+id+".json"
		owned[evFile], owned[rFile] = true, true
		if ev, ok := b.event(id, evFile, rFile); ok {
			b.verified[id] = ev
			b.report.Events = append(b.report.Events, BundleEventCheck{ID: id, Type: ev.Type, Subject: ev.Subject, Index: ev.LedgerIndex})
		}
	}
	for name := range b.files {
		if (strings.HasPrefix(name, eventsDir) || strings.HasPrefix(name, receiptsDir)) && !owned[name] {
			b.problem(name, "belongs to no event of the manifest")
		}
	}
	if b.cp != nil {
		b.report.Origin, b.report.TreeSize, b.report.Root = b.cp.Origin, b.cp.Size, b.cp.Hash
	}
}

// event verifies one event: its receipt against the key, the receipt's
// checkpoint against the others', and the event against the sealed entry.
func (b *bundleCheck) event(id, evFile, rFile string) (BundleEvent, bool) {
	var ev BundleEvent
	var r Receipt
	if !b.decode(evFile, &ev) || !b.decode(rFile, &r) {
		return ev, false
	}
	if ev.ID != id || r.EventID != id {
		b.problem(evFile, "holds event %s with receipt for %s, not %s", ev.ID, r.EventID, id)
		return ev, false
	}
	cp, entry, err := CheckReceipt(r, b.verifier)
	if err != nil {
		b.problem(rFile, "%v", err)
		return ev, false
	}
	if !b.sameCheckpoint(rFile, cp) {
		return ev, false
	}
	if r.Index != ev.LedgerIndex {
		b.problem(evFile, "ledger index %d differs from its receipt's %d", ev.LedgerIndex, r.Index)
		return ev, false
	}
	if sum := sha256Hex(ev.Payload); sum != entry.PayloadSHA256 || sum != ev.PayloadSHA256 {
		b.problem(evFile, "payload SHA-256 %s differs from the one sealed in the log (%s, index %d)", sum, entry.PayloadSHA256, r.Index)
		return ev, false
	}
	sealed := Entry{Actor: ev.Actor, At: ev.At, ID: ev.ID, PayloadSHA256: ev.PayloadSHA256, Subject: ev.Subject, Type: ev.Type}
	if fields := sealed.diff(entry); len(fields) > 0 {
		b.problem(evFile, "%s differ from the entry sealed at index %d", strings.Join(fields, ", "), r.Index)
		return ev, false
	}
	return ev, true
}

func (b *bundleCheck) decode(name string, v any) bool {
	raw, ok := b.files[name]
	if !ok {
		b.problem(name, "is missing")
		return false
	}
	if err := decodeStrict(raw, v); err != nil {
		b.problem(name, "cannot be read: %v", err)
		return false
	}
	return true
}

// sameCheckpoint requires every receipt to be against one tree: a bundle
// carries no consistency proofs, so two trees could be a split view.
func (b *bundleCheck) sameCheckpoint(rFile string, cp *log.Checkpoint) bool {
	if b.cp == nil {
		b.cp, b.cpFile = cp, rFile
		return true
	}
	if cp.Size == b.cp.Size && bytes.Equal(cp.Hash, b.cp.Hash) {
		return true
	}
	b.problem(rFile, "checkpoint (tree of %d, root %s) differs from that of %s (tree of %d, root %s): the receipts are not of one log state",
		cp.Size, base64.StdEncoding.EncodeToString(cp.Hash), b.cpFile, b.cp.Size, base64.StdEncoding.EncodeToString(b.cp.Hash))
	return false
}

// documents checks every document against the hash its sealing event names.
func (b *bundleCheck) documents() {
	for _, d := range b.manifest.Documents {
		body, ok := b.files[d.Name]
		if err := checkDocName(d.Name); err != nil || !ok {
			b.problem(d.Name, "is not a document of this bundle")
			continue
		}
		check := BundleDocumentCheck{Name: d.Name, SHA256: sha256Hex(body), Event: d.Event, Field: d.Field}
		if d.Event != "" && b.sealedBy(d, check.SHA256) {
			check.Sealed, check.Index = true, b.verified[d.Event].LedgerIndex
		}
		b.report.Documents = append(b.report.Documents, check)
	}
	docs := map[string]bool{}
	for _, d := range b.manifest.Documents {
		docs[d.Name] = true
	}
	for name := range b.files {
		if name != manifestName && name != keyName && !strings.HasPrefix(name, eventsDir) && !strings.HasPrefix(name, receiptsDir) && !docs[name] {
			b.problem(name, "is not a document of the manifest")
		}
	}
}

// sealedBy reports whether d's sealing event verified and names sum in its
// field; it records a problem when not.
func (b *bundleCheck) sealedBy(d BundleDocument, sum string) bool {
	ev, ok := b.verified[d.Event]
	if !ok {
		b.problem(d.Name, "is sealed by event %s, which is not a verified event of this bundle", d.Event)
		return false
	}
	var payload map[string]json.RawMessage
	var named string
	if json.Unmarshal(ev.Payload, &payload) != nil || json.Unmarshal(payload[d.Field], &named) != nil {
		b.problem(d.Name, "event %s (index %d) has no %s in its payload", d.Event, ev.LedgerIndex, d.Field)
		return false
	}
	if named != sum {
		b.problem(d.Name, "SHA-256 %s differs from %s %s sealed in event %s (index %d)", sum, d.Field, named, d.Event, ev.LedgerIndex)
		return false
	}
	return true
}

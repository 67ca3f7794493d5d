package ledger

import (
	"archive/zip"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"time"

	"dataport/internal/store"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
)

// An evidence bundle is a zip archive that proves, offline, what happened to
// something (a contract, a dispute): the events about it, each with its
// receipt against one signed checkpoint, the log's verifier key, and named
// documents (the contract's canonical JSON, ...) whose SHA-256 a sealed
// event's payload names. Its layout:
//
//	manifest.json          BundleManifest: every other file with its SHA-256
//	ledger.pub             the log's verifier key (signed-note verifier format)
//	events/<id>.json       BundleEvent: the event, payload included
//	receipts/<id>.json     the event's Receipt (also checkable with `ledger verify --receipt`)
//	<document name>        each document, byte for byte
//
// The manifest is not signed: its hashes name a changed file, and the trust
// comes from the receipts (signed checkpoint → entry → payload hash →
// payload → document hash).

// BundleFormat names the layout above; VerifyBundle refuses any other.
const BundleFormat = "dataport-evidence-bundle/1"

// bundleWait bounds how long Bundle waits for its events to be sealed and
// covered by a checkpoint before answering ErrNotSealed.
const bundleWait = 10 * time.Second

// The reader's limits: a bundle is outside input.
const (
	maxBundleFiles    = 20000
	maxBundleFileSize = 32 << 20
	maxBundleSize     = 256 << 20
)

// The fixed names of a bundle.
const (
	manifestName = "manifest.json"
	keyName      = "ledger.pub"
	eventsDir    = "events/"
	receiptsDir  = "receipts/"
)

// BundleManifest is manifest.json.
type BundleManifest struct {
	Format      string           `json:"format"`
	CreatedAt   string           `json:"created_at"` // RFC 3339, UTC
	Origin      string           `json:"origin"`
	VerifierKey string           `json:"verifier_key"`
	Files       []BundleFile     `json:"files"`     // every file but the manifest
	Events      []string         `json:"events"`    // event ids in ledger order
	Documents   []BundleDocument `json:"documents"` // in name order
}

// BundleFile is one file of a bundle with its SHA-256 (hex) and size.
type BundleFile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// BundleDocument says which sealed event names a document's SHA-256: the
// top-level payload field Field of event Event. Both are empty for a
// document no event of the bundle seals.
type BundleDocument struct {
	Name  string `json:"name"`
	Event string `json:"event,omitempty"`
	Field string `json:"field,omitempty"`
}

// BundleEvent is events/<id>.json: an event as the events table holds it.
// Payload is byte for byte the payload whose SHA-256 the log entry holds.
type BundleEvent struct {
	ID            string          `json:"id"`
	Type          string          `json:"type"`
	At            string          `json:"at"`
	Actor         Actor           `json:"actor"`
	Subject       Subject         `json:"subject"`
	Payload       json.RawMessage `json:"payload"`
	PayloadSHA256 string          `json:"payload_sha256"`
	LedgerIndex   uint64          `json:"ledger_index"`
}

// Bundle writes an evidence bundle of events and docs (name → bytes) to w.
// It waits up to 10 s for every event to be sealed and covered by a
// checkpoint (ErrNotSealed after that; store.ErrNotFound for an unknown
// event), and proves them all against that one checkpoint. A document is
// bound to the first event (in ledger order) whose payload has a top-level
// string field equal to its SHA-256.
func (s *Service) Bundle(ctx context.Context, w io.Writer, docs map[string][]byte, events []store.Event) error {
	for name := range docs {
		if err := checkDocName(name); err != nil {
			return err
		}
	}
	evs, cp, rawCP, err := s.awaitSealed(ctx, events)
	if err != nil {
		return err
	}
	_, vkey, err := s.Verifier()
	if err != nil {
		return err
	}
	files, err := s.bundleFiles(ctx, evs, cp, rawCP)
	if err != nil {
		return err
	}
	files[keyName] = []byte(vkey + "\n")
	m := BundleManifest{Format: BundleFormat, CreatedAt: store.TS(time.Now()), Origin: cp.Origin, VerifierKey: vkey}
	for _, ev := range evs {
		m.Events = append(m.Events, ev.ID)
	}
	for _, name := range sortedKeys(docs) {
		files[name] = docs[name]
		m.Documents = append(m.Documents, bindDocument(name, docs[name], evs))
	}
	for _, name := range sortedKeys(files) {
		m.Files = append(m.Files, BundleFile{Name: name, SHA256: sha256Hex(files[name]), Size: int64(len(files[name]))})
	}
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("ledger: bundle manifest: %w", err)
	}
	return writeZip(w, manifest, files)
}

// checkDocName refuses document names that are not plain relative paths or
// that collide with the bundle's own files.
func checkDocName(name string) error {
	switch {
	case !fs.ValidPath(name) || name == "." || strings.Contains(name, `\`):
		return fmt.Errorf("ledger: bundle document name %q is not a relative path", name)
	case name == manifestName || name == keyName || strings.HasPrefix(name, eventsDir) || strings.HasPrefix(name, receiptsDir):
		return fmt.Errorf("ledger: bundle document name %q is reserved", name)
	}
	return nil
}

// awaitSealed re-reads events until each has a log index and a checkpoint
// covers them all, within bundleWait. It returns them in ledger order,
// without duplicates.
func (s *Service) awaitSealed(ctx context.Context, events []store.Event) ([]store.Event, *log.Checkpoint, []byte, error) {
	byID := map[string]store.Event{}
	for _, ev := range events {
		byID[ev.ID] = ev
	}
	s.Notify()
	deadline := time.Now().Add(bundleWait)
	for {
		var need uint64
		waiting := 0
		for id, ev := range byID {
			if ev.LedgerIndex == nil {
				fresh, err := s.Event(ctx, id)
				if err != nil {
					return nil, nil, nil, err
				}
				byID[id], ev = fresh, fresh
			}
			if ev.LedgerIndex == nil {
				waiting++
				continue
			}
			need = max(need, uint64(*ev.LedgerIndex)+1)
		}
		if waiting == 0 {
			cp, raw, err := s.Checkpoint(ctx)
			if err != nil {
				return nil, nil, nil, err
			}
			if cp.Size >= need {
				return inLedgerOrder(byID), cp, raw, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, nil, nil, fmt.Errorf("ledger: bundle: %d of %d events not sealed and covered by a checkpoint after %v: %w",
				max(waiting, 1), len(byID), bundleWait, ErrNotSealed)
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return nil, nil, nil, err
		}
	}
}

func inLedgerOrder(byID map[string]store.Event) []store.Event {
	out := make([]store.Event, 0, len(byID))
	for _, ev := range byID {
		out = append(out, ev)
	}
	slices.SortFunc(out, func(a, b store.Event) int { return cmp.Compare(*a.LedgerIndex, *b.LedgerIndex) })
	return out
}

// bundleFiles returns events/<id>.json and receipts/<id>.json of every
// event, the receipts all against cp.
func (s *Service) bundleFiles(ctx context.Context, evs []store.Event, cp *log.Checkpoint, rawCP []byte) (map[string][]byte, error) {
	files := map[string][]byte{}
	if len(evs) == 0 {
		return files, nil
	}
	fetch := client.FileFetcher{Root: s.dir}
	pb, err := client.NewProofBuilder(ctx, cp.Size, fetch.ReadTile)
	if err != nil {
		return nil, fmt.Errorf("ledger: bundle: %w", err)
	}
	entryBundles := map[uint64][][]byte{} // entry bundle index → its entries
	for _, ev := range evs {
		index := uint64(*ev.LedgerIndex)
		entries, ok := entryBundles[index/layout.EntryBundleWidth]
		if !ok {
			b, err := client.GetEntryBundle(ctx, fetch.ReadEntryBundle, index/layout.EntryBundleWidth, cp.Size)
			if err != nil {
				return nil, fmt.Errorf("ledger: entry %d: %w", index, err)
			}
			entries = b.Entries
			entryBundles[index/layout.EntryBundleWidth] = entries
		}
		entry := entries[index%layout.EntryBundleWidth]
		if e, err := ParseEntry(entry); err != nil || e.ID != ev.ID {
			return nil, fmt.Errorf("ledger: log entry %d does not hold event %s; run `dataport ledger verify`", index, ev.ID)
		}
		proof, err := pb.InclusionProof(ctx, index)
		if err != nil {
			return nil, fmt.Errorf("ledger: inclusion proof of %d in %d: %w", index, cp.Size, err)
		}
		receipt, err := json.MarshalIndent(Receipt{EventID: ev.ID, Index: index, Entry: entry, Checkpoint: string(rawCP), InclusionProof: proof}, "", "  ")
		if err != nil {
			return nil, err
		}
		event, err := marshalEvent(ev)
		if err != nil {
			return nil, err
		}
		files[eventsDir+ev.ID+".json"], files[receiptsDir+ev.ID+".json"] = event, receipt
	}
	return files, nil
}

// marshalEvent encodes ev without reformatting its payload: compact, no
// HTML escaping, so the payload's bytes are the ones the log hashed.
func marshalEvent(ev store.Event) ([]byte, error) {
	e := EntryFor(ev)
	be := BundleEvent{ID: ev.ID, Type: ev.Type, At: e.At, Actor: e.Actor, Subject: e.Subject,
		Payload: ev.Payload, PayloadSHA256: e.PayloadSHA256, LedgerIndex: uint64(*ev.LedgerIndex)}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(be); err != nil {
		return nil, fmt.Errorf("ledger: bundle event %s: %w", ev.ID, err)
	}
	return buf.Bytes(), nil
}

// bindDocument finds the first event whose payload names doc's SHA-256 in
// a top-level string field.
func bindDocument(name string, doc []byte, evs []store.Event) BundleDocument {
	sum := sha256Hex(doc)
	for _, ev := range evs {
		var payload map[string]any
		if json.Unmarshal(ev.Payload, &payload) != nil {
			continue
		}
		for _, field := range sortedKeys(payload) {
			if v, ok := payload[field].(string); ok && v == sum {
				return BundleDocument{Name: name, Event: ev.ID, Field: field}
			}
		}
	}
	return BundleDocument{Name: name}
}

// writeZip writes the manifest first, then the files in name order.
func writeZip(w io.Writer, manifest []byte, files map[string][]byte) error {
	zw := zip.NewWriter(w)
	now := time.Now().UTC()
	put := func(name string, body []byte) error {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: now})
		if err != nil {
			return err
		}
		_, err = f.Write(body)
		return err
	}
	if err := put(manifestName, manifest); err != nil {
		return fmt.Errorf("ledger: bundle: %w", err)
	}
	for _, name := range sortedKeys(files) {
		if err := put(name, files[name]); err != nil {
			return fmt.Errorf("ledger: bundle: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("ledger: bundle: %w", err)
	}
	return nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"dataport/internal/store"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api"
	"github.com/transparency-dev/tessera/api/layout"
	"golang.org/x/mod/sumdb/note"
)

// Problem is one discrepancy found by Verify, named so an operator can find it.
type Problem struct {
	Kind   string // "checkpoint", "tile", "entry" or "event"
	Name   string // the tile path, "log entry N" or the event id
	Detail string
}

func (p Problem) String() string { return p.Kind + " " + p.Name + ": " + p.Detail }

// Report is the outcome of Verify.
type Report struct {
	Origin   string
	Size     uint64 // entries covered by the checkpoint
	Root     []byte
	Checked  int // event rows compared with their leaves
	Pending  int // events not yet sealed, or sealed after the checkpoint
	Problems []Problem
}

// OK reports whether the log and the events table agree in every respect.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// Verify audits the log in dataDir against db: it checks the checkpoint's
// signature with the verifier key in dataDir, recomputes the whole tree from
// the entry bundles (every stored hash tile and the checkpoint's root must
// match) and compares every event row with its leaf. Discrepancies are
// returned as Problems; an error means the audit could not be carried out.
func Verify(ctx context.Context, db *store.DB, dataDir string) (Report, error) {
	v, _, err := LoadVerifier(dataDir)
	if err != nil {
		return Report{}, err
	}
	a := &audit{db: db, dir: filepath.Join(dataDir, "ledger"), verifier: v}
	if err := a.checkpoint(); err != nil {
		return a.report, err
	}
	if err := a.tree(ctx); err != nil {
		return a.report, err
	}
	if err := a.unindexed(ctx); err != nil {
		return a.report, err
	}
	return a.report, nil
}

type audit struct {
	db       *store.DB
	dir      string
	verifier note.Verifier
	report   Report
	recorded int64 // the highest index recorded in the table (-1: none)
}

func (a *audit) problem(kind, name, format string, args ...any) {
	a.report.Problems = append(a.report.Problems, Problem{Kind: kind, Name: name, Detail: fmt.Sprintf(format, args...)})
}

// checkpoint reads the checkpoint, checks its signature and origin, and
// parses it even when the signature fails so the tree can still be checked.
func (a *audit) checkpoint() error {
	raw, err := os.ReadFile(filepath.Join(a.dir, layout.CheckpointPath))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("ledger: no checkpoint in %s: %w", a.dir, ErrNoLog)
	}
	if err != nil {
		return err
	}
	if _, _, _, err := log.ParseCheckpoint(raw, a.verifier.Name(), a.verifier); err != nil {
		a.problem("checkpoint", layout.CheckpointPath, "signature or origin does not verify with key %s: %v", a.verifier.Name(), err)
	}
	text, _, _ := bytes.Cut(raw, []byte("\n\n"))
	var cp log.Checkpoint
	if _, err := cp.Unmarshal(append(text, '\n')); err != nil {
		return fmt.Errorf("ledger: checkpoint is unreadable: %w", err)
	}
	a.report.Origin, a.report.Size, a.report.Root = cp.Origin, cp.Size, cp.Hash
	return nil
}

// tree walks the entry bundles in order: it hashes every leaf, compares each
// event row with its leaf, and compares every hash tile with the one
// recomputed from the leaves, then the root with the checkpoint's.
func (a *audit) tree(ctx context.Context) error {
	var recorded *int64
	if err := a.db.QueryRowContext(ctx, `SELECT max(ledger_index) FROM events`).Scan(&recorded); err != nil {
		return fmt.Errorf("ledger: verify: %w", err)
	}
	a.recorded = -1
	if recorded != nil {
		a.recorded = *recorded
	}
	tiles := &tileChecker{audit: a, size: a.report.Size}
	rng := (&compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}).NewEmptyRange(0)
	for first := uint64(0); first < a.report.Size; first += layout.EntryBundleWidth {
		n := min(layout.EntryBundleWidth, a.report.Size-first)
		entries := a.bundle(first/layout.EntryBundleWidth, n)
		for i := range n {
			var leaf []byte
			if entries != nil {
				leaf = rfc6962.DefaultHasher.HashLeaf(entries[i])
			} else {
				leaf = tiles.storedLeaf(first + i) // keep checking the rest of the tree
			}
			if err := rng.Append(leaf, tiles.visit); err != nil {
				return err
			}
		}
		if entries != nil {
			if err := a.rows(ctx, first, entries); err != nil {
				return err
			}
		}
	}
	tiles.finish()
	root, err := rng.GetRootHash(nil)
	if err != nil {
		return err
	}
	if root == nil {
		root = rfc6962.DefaultHasher.EmptyRoot()
	}
	if !bytes.Equal(root, a.report.Root) {
		a.problem("checkpoint", layout.CheckpointPath, "root %s does not match the tree recomputed from the entries (%s)",
			base64.StdEncoding.EncodeToString(a.report.Root), base64.StdEncoding.EncodeToString(root))
	}
	return nil
}

// bundle returns the first n entries of entry bundle b, or nil (with a
// problem recorded) when the bundle is missing or malformed.
func (a *audit) bundle(b, n uint64) [][]byte {
	path, raw, err := readTile(a.dir, layout.EntriesPath(b, 0), layout.EntriesPath(b, partial(n)))
	if err != nil {
		a.problem("tile", path, "%v", err)
		return nil
	}
	var bundle api.EntryBundle
	if err := bundle.UnmarshalText(raw); err != nil {
		a.problem("tile", path, "malformed entry bundle: %v", err)
		return nil
	}
	if uint64(len(bundle.Entries)) < n {
		a.problem("tile", path, "holds %d entries, the checkpoint needs %d", len(bundle.Entries), n)
		return nil
	}
	return bundle.Entries[:n]
}

// rows compares the event rows recorded at the indices of one bundle with
// the bundle's entries.
func (a *audit) rows(ctx context.Context, first uint64, entries [][]byte) error {
	rows, err := a.db.QueryContext(ctx, `SELECT seq, id, type, at, actor_user_id, actor_org_id, subject_kind, subject_id,
		payload, payload_hash, ledger_index FROM events WHERE ledger_index >= $1 AND ledger_index < $2`,
		int64(first), int64(first)+int64(len(entries)))
	if err != nil {
		return fmt.Errorf("ledger: verify: %w", err)
	}
	byIndex := make(map[uint64]store.Event, len(entries))
	for rows.Next() {
		ev, err := scanEvent(rows)
		if err != nil {
			rows.Close()
			return err
		}
		byIndex[uint64(*ev.LedgerIndex)] = ev
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i, leaf := range entries {
		idx := first + uint64(i)
		logged, err := ParseEntry(leaf)
		if err != nil {
			a.problem("entry", fmt.Sprintf("log entry %d", idx), "%v", err)
			continue
		}
		ev, ok := byIndex[idx]
		if !ok {
			if err := a.orphan(ctx, idx, logged); err != nil {
				return err
			}
			continue
		}
		a.compare(idx, ev, logged, leaf)
	}
	return nil
}

// compare checks one event row against the leaf at its recorded index.
func (a *audit) compare(idx uint64, ev store.Event, logged Entry, leaf []byte) {
	a.report.Checked++
	stored := EntryFor(ev)
	if !bytes.Equal(stored.Marshal(), leaf) {
		a.problem("event", ev.ID, "stored row differs from log entry %d in %s", idx, strings.Join(stored.diff(logged), ", "))
		return
	}
	sum := sha256.Sum256(ev.Payload)
	if hex.EncodeToString(sum[:]) != ev.PayloadHash {
		a.problem("event", ev.ID, "payload_hash column does not match the payload (log entry %d matches the payload)", idx)
	}
}

// orphan explains a leaf whose index no row records: the tail appended just
// before a crash (sealed at the next start) or a row that was lost or altered.
func (a *audit) orphan(ctx context.Context, idx uint64, logged Entry) error {
	ev, err := eventByID(ctx, a.db, logged.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.problem("event", logged.ID, "in the log at entry %d but missing from the events table", idx)
	case err != nil:
		return err
	case ev.LedgerIndex != nil:
		a.problem("event", logged.ID, "in the log at entry %d, but its row records index %d", idx, *ev.LedgerIndex)
	case int64(idx) > a.recorded:
		a.report.Pending++ // appended just before a stop; the sequencer records it at its next start
	default:
		a.problem("event", logged.ID, "in the log at entry %d, but its row has lost its index", idx)
	}
	return nil
}

// unindexed counts the rows the checkpoint does not cover yet, and names rows
// that claim an index the log has never had.
func (a *audit) unindexed(ctx context.Context) error {
	var waiting int
	if err := a.db.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE ledger_index IS NULL`).Scan(&waiting); err != nil {
		return fmt.Errorf("ledger: verify: %w", err)
	}
	a.report.Pending += waiting
	rows, err := a.db.QueryContext(ctx, `SELECT id, ledger_index FROM events WHERE ledger_index >= $1`, int64(a.report.Size))
	if err != nil {
		return fmt.Errorf("ledger: verify: %w", err)
	}
	defer rows.Close()
	integrated := a.integratedSize()
	for rows.Next() {
		var id string
		var idx int64
		if err := rows.Scan(&id, &idx); err != nil {
			return err
		}
		if uint64(idx) < integrated {
			a.report.Pending++ // sealed, waiting for the next checkpoint
			continue
		}
		a.problem("event", id, "records log index %d, but the log holds only %d entries", idx, integrated)
	}
	return rows.Err()
}

// integratedSize is the size of the tree Tessera has integrated, which may be
// ahead of the published checkpoint; the checkpoint size if unknown.
func (a *audit) integratedSize() uint64 {
	raw, err := os.ReadFile(filepath.Join(a.dir, ".state", "treeState"))
	var st struct {
		Size uint64 `json:"size"`
	}
	if err != nil || json.Unmarshal(raw, &st) != nil || st.Size < a.report.Size {
		return a.report.Size
	}
	return st.Size
}

// partial is the partial-tile width of a bundle or tile holding n of 256
// entries: 0 when full.
func partial(n uint64) uint8 { return uint8(n % layout.TileWidth) }

// readTile reads a full tile or, for a partial one, its .p/W file. Tiles only
// grow, so when that file is gone (removed once the tile filled up, or never
// written for a forged size) a wider partial or the full tile serves as well:
// the caller compares its first W hashes. It returns the path it read, to name
// in problems.
func readTile(dir, fullPath, partialPath string) (string, []byte, error) {
	candidates := []string{partialPath}
	if partialPath != fullPath {
		candidates = append(candidates, fullPath)
		w, _ := strconv.Atoi(partialPath[strings.LastIndex(partialPath, "/")+1:])
		wider, _ := filepath.Glob(filepath.Join(dir, filepath.FromSlash(fullPath)+".p", "*"))
		for _, p := range wider {
			if n, err := strconv.Atoi(filepath.Base(p)); err == nil && n > w {
				candidates = append(candidates, fullPath+".p/"+filepath.Base(p))
			}
		}
	}
	for _, p := range candidates {
		raw, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err == nil {
			return p, raw, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return p, nil, fmt.Errorf("unreadable: %w", err)
		}
	}
	return partialPath, nil, errors.New("missing")
}

// tileChecker compares the hash tiles in the log folder with the nodes the
// compact range computes while the leaves are appended, tile by tile.
type tileChecker struct {
	*audit
	size   uint64
	levels []tileNodes // per tile level: the nodes of the tile being filled
}

type tileNodes struct {
	index uint64
	nodes []byte
}

// visit receives every perfect node of the tree; those at multiples of the
// tile height are the contents of the tiles.
func (t *tileChecker) visit(id compact.NodeID, hash []byte) {
	if id.Level%layout.TileHeight != 0 {
		return
	}
	level := int(id.Level / layout.TileHeight)
	for len(t.levels) <= level {
		t.levels = append(t.levels, tileNodes{})
	}
	tn := &t.levels[level]
	tn.nodes = append(tn.nodes, hash...)
	if len(tn.nodes) == layout.TileWidth*sha256.Size {
		t.compare(uint64(level), tn.index, tn.nodes)
		tn.index, tn.nodes = tn.index+1, tn.nodes[:0]
	}
}

// finish compares the partial tiles at the right edge of the tree.
func (t *tileChecker) finish() {
	for level, tn := range t.levels {
		if len(tn.nodes) > 0 {
			t.compare(uint64(level), tn.index, tn.nodes)
		}
	}
}

func (t *tileChecker) compare(level, index uint64, want []byte) {
	n := uint64(len(want) / sha256.Size)
	path, raw, err := readTile(t.dir, layout.TilePath(level, index, 0), layout.TilePath(level, index, partial(n)))
	if err != nil {
		t.problem("tile", path, "%v", err)
		return
	}
	if len(raw) < len(want) {
		t.problem("tile", path, "holds %d hashes, the checkpoint needs %d", len(raw)/sha256.Size, n)
		return
	}
	for k := range n {
		got, exp := raw[k*sha256.Size:(k+1)*sha256.Size], want[k*sha256.Size:(k+1)*sha256.Size]
		if !bytes.Equal(got, exp) {
			t.problem("tile", path, "hash %d differs from the one recomputed from the entries", k)
			return
		}
	}
}

// storedLeaf returns the leaf hash the level-0 tile stores for idx, used in
// place of an unreadable entry bundle; zeros when that is unreadable too.
func (t *tileChecker) storedLeaf(idx uint64) []byte {
	b := idx / layout.TileWidth
	n := min(layout.TileWidth, t.size-b*layout.TileWidth)
	_, raw, err := readTile(t.dir, layout.TilePath(0, b, 0), layout.TilePath(0, b, partial(n)))
	k := idx % layout.TileWidth
	if err != nil || uint64(len(raw)) < (k+1)*sha256.Size {
		return make([]byte, sha256.Size)
	}
	return raw[k*sha256.Size : (k+1)*sha256.Size]
}

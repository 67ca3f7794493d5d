package ledger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"
)

// CheckReceipt verifies a receipt offline: the checkpoint is signed by v, the
// entry is the canonical entry of the receipt's event, and the inclusion
// proof leads from the entry's leaf hash to the checkpoint's root.
func CheckReceipt(r Receipt, v note.Verifier) (*log.Checkpoint, Entry, error) {
	cp, _, _, err := log.ParseCheckpoint([]byte(r.Checkpoint), v.Name(), v)
	if err != nil {
		return nil, Entry{}, fmt.Errorf("receipt checkpoint: %w", err)
	}
	e, err := ParseEntry(r.Entry)
	if err != nil {
		return nil, Entry{}, fmt.Errorf("receipt entry: %w", err)
	}
	if e.ID != r.EventID {
		return nil, Entry{}, fmt.Errorf("receipt entry is event %s, not %s", e.ID, r.EventID)
	}
	leaf := rfc6962.DefaultHasher.HashLeaf(r.Entry)
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, r.Index, cp.Size, leaf, r.InclusionProof, cp.Hash); err != nil {
		return nil, Entry{}, fmt.Errorf("inclusion proof of entry %d in a tree of %d: %w", r.Index, cp.Size, err)
	}
	return cp, e, nil
}

// ReceiptCheck is what VerifyReceipt established.
type ReceiptCheck struct {
	Origin      string
	Entry       Entry
	ReceiptSize uint64 // tree size of the receipt's checkpoint
	CurrentSize uint64 // tree size of the server's current checkpoint
	VerifierKey string // the key the checkpoints were checked with
}

// VerifyReceipt checks a receipt (CheckReceipt) and then the live log at
// logURL (the /ledger/ root of a server): its current checkpoint must verify
// with the same key and be consistent with the receipt's, so the entry is
// still in the log the server publishes. An empty verifierKey is fetched
// from logURL/key, which only proves the server is consistent with itself.
func VerifyReceipt(ctx context.Context, hc *http.Client, logURL, verifierKey string, r Receipt) (ReceiptCheck, error) {
	root, err := url.Parse(strings.TrimSuffix(logURL, "/") + "/")
	if err != nil {
		return ReceiptCheck{}, fmt.Errorf("log URL: %w", err)
	}
	if verifierKey == "" {
		if verifierKey, err = fetchKey(ctx, hc, root); err != nil {
			return ReceiptCheck{}, err
		}
	}
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return ReceiptCheck{}, fmt.Errorf("verifier key %q: %w", verifierKey, err)
	}
	old, e, err := CheckReceipt(r, v)
	if err != nil {
		return ReceiptCheck{}, err
	}
	fetcher, err := client.NewHTTPFetcher(root, hc)
	if err != nil {
		return ReceiptCheck{}, err
	}
	cur, _, _, err := client.FetchCheckpoint(ctx, fetcher.ReadCheckpoint, v, v.Name())
	if err != nil {
		return ReceiptCheck{}, fmt.Errorf("server checkpoint: %w", err)
	}
	if err := consistent(ctx, fetcher, old, cur); err != nil {
		return ReceiptCheck{}, err
	}
	return ReceiptCheck{Origin: old.Origin, Entry: e, ReceiptSize: old.Size, CurrentSize: cur.Size, VerifierKey: verifierKey}, nil
}

// consistent proves that the tree of cur extends the tree of old, with a
// consistency proof built from the server's tiles.
func consistent(ctx context.Context, f *client.HTTPFetcher, old, cur *log.Checkpoint) error {
	if cur.Size < old.Size {
		return fmt.Errorf("server checkpoint (size %d) is older than the receipt's (size %d): the log was rolled back", cur.Size, old.Size)
	}
	pb, err := client.NewProofBuilder(ctx, cur.Size, f.ReadTile)
	if err != nil {
		return err
	}
	cproof, err := pb.ConsistencyProof(ctx, old.Size, cur.Size)
	if err != nil {
		return fmt.Errorf("consistency proof %d → %d: %w", old.Size, cur.Size, err)
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, old.Size, cur.Size, cproof, old.Hash, cur.Hash); err != nil {
		return fmt.Errorf("server log (size %d) is not consistent with the receipt's checkpoint (size %d): %w", cur.Size, old.Size, err)
	}
	return nil
}

func fetchKey(ctx context.Context, hc *http.Client, root *url.URL) (string, error) {
	u := root.JoinPath("key").String()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("fetch verifier key: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return "", fmt.Errorf("fetch verifier key: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("fetch verifier key: %s: %s", u, resp.Status)
	}
	key := strings.TrimSpace(string(body))
	if key == "" {
		return "", errors.New("fetch verifier key: empty")
	}
	return key, nil
}

package ui

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"dataport/internal/identity"
	"dataport/internal/ledger"
	"dataport/internal/store"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// auditEventPage is the verify page of one event: its entry and, once it
// is sealed, its receipt and the result of checking it.
type auditEventPage struct {
	Event       eventRow
	Entry       string // the canonical entry of the event's row
	Receipt     *ledger.Receipt
	Check       proofCheck
	VerifierKey string
	ServerURL   string // this server, for the offline command
	Staff       bool   // the viewer may open the audit page
}

// proofCheck is what checking a receipt on the server established, with
// golang.org/x/mod's note and tlog packages only: the same check an auditor
// runs offline, independent of the ledger's own code.
type proofCheck struct {
	Signature  bool     // the checkpoint verifies with the ledger's key
	Inclusion  bool     // the proof leads from the entry's leaf hash to the checkpoint's root
	RowMatches bool     // the event's row still gives the logged entry
	Problems   []string // what failed, in the checking libraries' words
	Origin     string
	Size       int64
	Root       string // base64, as in the checkpoint
	Leaf       string // base64 of the entry's RFC 6962 leaf hash
	Proof      []string
}

// Valid reports whether every check passed.
func (c proofCheck) Valid() bool { return c.Signature && c.Inclusion && c.RowMatches }

// auditEventPage shows one event with its proof. Like the receipts API it is
// public: receipts and log entries hold identifiers and hashes only. Who
// acted is named only to those who may know it (mayKnowActor).
func (s *server) auditEventPage(w http.ResponseWriter, r *http.Request) error {
	if s.ledger == nil {
		return s.notFound(w, r)
	}
	ctx := r.Context()
	ev, err := s.ledger.Event(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	p := principal(r)
	rows, err := s.eventRows(ctx, p, []store.Event{ev}, false)
	if err != nil {
		return err
	}
	if ok, err := s.mayKnowActor(ctx, p, ev); err != nil {
		return err
	} else if !ok {
		rows[0].Who = ""
	}
	entry := ledger.EntryFor(ev).Marshal()
	page := auditEventPage{Event: rows[0], Entry: string(entry), ServerURL: serverURL(r, s.sessions.Secure()), Staff: p.IsPlatformStaff()}
	if page.Event.Sealed {
		rc, err := s.ledger.Receipt(ctx, ev.ID)
		switch {
		case errors.Is(err, ledger.ErrNotSealed):
			page.Event.Sealed = false // in the log, but no checkpoint covers it yet
		case err != nil:
			return ledgerError(err)
		default:
			if _, page.VerifierKey, err = s.ledger.Verifier(); err != nil {
				return err
			}
			page.Receipt = &rc
			page.Check = checkReceipt(rc, page.VerifierKey, entry)
		}
	}
	return s.render(w, r, http.StatusOK, "audit_event", page)
}

// mayKnowActor reports whether p may see who did ev: auditors and
// regulators always; anyone their own actions; and the owner of the event's
// subject — the user an account event is about, the holder of a token, the
// members of an organization, or of the institution that holds a resource.
// Others see that someone acted, not who.
func (s *server) mayKnowActor(ctx context.Context, p identity.Principal, ev store.Event) (bool, error) {
	switch {
	case p.IsAnonymous():
		return false, nil
	case identity.CanSeeActors(p), ev.ActorUserID == p.UserID:
		return true, nil
	}
	switch ev.SubjectKind {
	case "user":
		return ev.SubjectID == p.UserID, nil
	case "organization":
		return p.RoleIn(ev.SubjectID) != "", nil
	case "token":
		owner, err := s.identity.TokenOwner(ctx, ev.SubjectID)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		return owner == p.UserID, err
	case "resource":
		res, err := s.catalog.Get(ctx, identity.System, ev.SubjectID)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		return err == nil && p.RoleIn(res.OrganizationID) != "", err
	}
	return false, nil
}

// checkReceipt checks rc as an auditor would: the checkpoint's signature
// with vkey, the inclusion proof of rc's entry in the checkpoint's tree, and
// that the entry is rowEntry, the entry the event's row gives today.
func checkReceipt(rc ledger.Receipt, vkey string, rowEntry []byte) proofCheck {
	leaf := tlog.RecordHash(rc.Entry)
	c := proofCheck{RowMatches: bytes.Equal(rc.Entry, rowEntry), Leaf: base64.StdEncoding.EncodeToString(leaf[:])}
	for _, h := range rc.InclusionProof {
		c.Proof = append(c.Proof, base64.StdEncoding.EncodeToString(h))
	}
	if !c.RowMatches {
		c.Problems = append(c.Problems, "the event's row differs from its log entry: the database was changed after the event was sealed")
	}
	origin, tree, err := openCheckpoint(rc.Checkpoint, vkey)
	if err != nil {
		c.Problems = append(c.Problems, err.Error())
		return c
	}
	c.Signature, c.Origin, c.Size, c.Root = true, origin, tree.N, base64.StdEncoding.EncodeToString(tree.Hash[:])
	proof := make(tlog.RecordProof, len(rc.InclusionProof))
	for i, h := range rc.InclusionProof {
		if len(h) != tlog.HashSize {
			c.Problems = append(c.Problems, fmt.Sprintf("proof hash %d has %d bytes, not %d", i, len(h), tlog.HashSize))
			return c
		}
		copy(proof[i][:], h)
	}
	if err := tlog.CheckRecord(proof, tree.N, tree.Hash, int64(rc.Index), leaf); err != nil {
		c.Problems = append(c.Problems, fmt.Sprintf("inclusion proof of entry %d in a tree of %d: %v", rc.Index, tree.N, err))
		return c
	}
	c.Inclusion = true
	return c
}

// openCheckpoint verifies a signed checkpoint (C2SP tlog-checkpoint) with
// vkey and returns its origin and the tree it commits to.
func openCheckpoint(signed, vkey string) (string, tlog.Tree, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return "", tlog.Tree{}, fmt.Errorf("verifier key: %w", err)
	}
	n, err := note.Open([]byte(signed), note.VerifierList(v))
	if err != nil {
		return "", tlog.Tree{}, fmt.Errorf("checkpoint signature: %w", err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 {
		return "", tlog.Tree{}, fmt.Errorf("checkpoint has %d lines, want origin, size and root", len(lines))
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		return "", tlog.Tree{}, fmt.Errorf("checkpoint size %q", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return "", tlog.Tree{}, fmt.Errorf("checkpoint root hash %q", lines[2])
	}
	tree := tlog.Tree{N: size}
	copy(tree.Hash[:], root)
	return lines[0], tree, nil
}

// receiptDownload serves an event's receipt, the same JSON as GET
// /api/v1/ledger/receipts/{event_id}, as a file to save for `dataport
// ledger verify --receipt`.
func (s *server) receiptDownload(w http.ResponseWriter, r *http.Request) error {
	if s.ledger == nil {
		return s.notFound(w, r)
	}
	rc, err := s.ledger.Receipt(r.Context(), r.PathValue("id"))
	if err != nil {
		return ledgerError(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rc); err != nil {
		return fmt.Errorf("ui: receipt %s: %w", rc.EventID, err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Disposition", `attachment; filename="`+receiptFilename(rc.EventID)+`"`)
	h.Set("Cache-Control", "private, no-cache")
	_, err = buf.WriteTo(w)
	return err
}

var safeID = regexp.MustCompile(`^[0-9A-Za-z-]{1,64}$`)

// receiptFilename names the receipt of event id, for downloads.
func receiptFilename(id string) string {
	if !safeID.MatchString(id) {
		return "receipt.json"
	}
	return "receipt-" + id + ".json"
}

// ledgerError maps the ledger's own errors to what the browser sees; the
// rest (not found, forbidden) go through problem.Status as usual.
func ledgerError(err error) error {
	switch {
	case errors.Is(err, ledger.ErrNotSealed):
		return &uiError{http.StatusConflict, "ledger.error.not_sealed"}
	case errors.Is(err, ledger.ErrNoLog):
		return &uiError{http.StatusServiceUnavailable, "ledger.error.no_log"}
	}
	return err
}

// serverURL is the address this server was reached at, for the offline
// verification command (https behind a TLS-terminating proxy when the UI
// sets secure cookies).
func serverURL(r *http.Request, secure bool) string {
	scheme := "http"
	if r.TLS != nil || secure {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

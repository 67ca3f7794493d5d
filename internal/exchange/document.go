package exchange

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// MaxDocumentSize bounds one supporting document (4 MiB, what the native
// API accepts in one body).
const MaxDocumentSize = 4 << 20

// Document kinds: what a participant or a product's source declaration
// files.
var (
	ParticipantDocumentKinds = []string{"business_licence", "authorisation", "qualification", "other"}
	ProductDocumentKinds     = []string{"source_evidence", "consent_record", "authorisation", "purchase_contract", "other"}
)

// blobStore keeps documents as files named by their SHA-256 under
// dir/blobs/exchange: a file is written once whoever uploads it again.
type blobStore struct{ dir string }

func (b blobStore) path(sum string) string {
	return filepath.Join(b.dir, "blobs", "exchange", sum[:2], sum)
}

// put copies r (at most MaxDocumentSize bytes) into the store and returns
// its SHA-256 and size; a body over the limit is refused with a field error.
func (b blobStore) put(r io.Reader) (string, int64, error) {
	if b.dir == "" {
		return "", 0, errors.New("exchange: no data dir for documents")
	}
	tmpDir := filepath.Join(b.dir, "blobs", "exchange", "tmp")
	if err := os.MkdirAll(tmpDir, 0o750); err != nil {
		return "", 0, err
	}
	f, err := os.CreateTemp(tmpDir, "upload-*")
	if err != nil {
		return "", 0, err
	}
	defer os.Remove(f.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, MaxDocumentSize+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, err
	}
	if n > MaxDocumentSize {
		return "", 0, validate.Errors{{Field: "file", Message: fmt.Sprintf("is larger than %d MiB", MaxDocumentSize>>20), Code: "too_large",
			Args: []any{MaxDocumentSize >> 20}}}
	}
	if n == 0 {
		return "", 0, validate.Errors{{Field: "file", Message: "is empty", Code: validate.CodeRequired}}
	}
	sum := hex.EncodeToString(h.Sum(nil))
	dst := b.path(sum)
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return "", 0, err
	}
	if _, err := os.Stat(dst); err == nil {
		return sum, n, nil
	}
	return sum, n, os.Rename(f.Name(), dst)
}

// open opens the blob named sum.
func (b blobStore) open(sum string) (*os.File, error) { return os.Open(b.path(sum)) }

// DocumentInput names an uploaded document.
type DocumentInput struct {
	Kind string
	Name string // the file's name as uploaded
}

func (in *DocumentInput) check(kinds []string) error {
	in.Kind, in.Name = strings.TrimSpace(in.Kind), strings.TrimSpace(filepath.Base(strings.ReplaceAll(in.Name, `\`, "/")))
	var errs validate.Errors
	validate.OneOf(&errs, "kind", in.Kind, kinds...)
	if in.Name == "." || in.Name == "/" {
		in.Name = ""
	}
	if errs.Required("name", in.Name) && (!utf8.ValidString(in.Name) || strings.ContainsAny(in.Name, "\x00\r\n")) {
		errs.Add("name", nil, validate.CodeFormat, "is not a file name")
	}
	errs.MaxLen("name", in.Name, 200)
	return errs.Err()
}

// addDocument stores body and records it for an owner in tx; the event
// carries the file's hash, never its name.
func (s *Service) addDocument(ctx context.Context, tx *store.Tx, actor identity.Principal, ownerKind, ownerID string, in DocumentInput,
	sum string, size int64) (Document, error) {
	d := Document{ID: store.NewID(), Kind: in.Kind, Name: in.Name, SHA256: sum, Size: size, CreatedAt: tx.Now()}
	_, err := tx.ExecContext(ctx, `INSERT INTO exchange_documents (id, owner_kind, owner_id, kind, name, sha256, size, created_by, created_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, d.ID, ownerKind, ownerID, d.Kind, d.Name, d.SHA256, d.Size, actor.UserID, store.TS(d.CreatedAt))
	return d, err
}

// AddParticipantDocument uploads a supporting document of participant id
// (its admins, while it is not rejected): the file goes to the blob store,
// the event "exchange.participant.document_added" carries its SHA-256.
func (s *Service) AddParticipantDocument(ctx context.Context, actor identity.Principal, id string, in DocumentInput, body io.Reader) (Document, error) {
	if err := in.check(ParticipantDocumentKinds); err != nil {
		return Document{}, err
	}
	p, err := s.ParticipantByID(ctx, s.db, id)
	if err != nil || !CanViewParticipant(actor, p) {
		return Document{}, notFound("participant", id)
	}
	if !actor.AtLeast(p.OrgID, identity.RoleAdmin) {
		return Document{}, identity.ErrForbidden
	}
	sum, size, err := s.blobs.put(body)
	if err != nil {
		return Document{}, err
	}
	var d Document
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		if p, err = s.lockParticipant(ctx, tx, id); err != nil {
			return err
		}
		if p.Status == ParticipantRejected {
			return validate.Refuse(ErrState, "participant_status", "a rejected participant files documents with a new application")
		}
		if d, err = s.addDocument(ctx, tx, actor, ownerParticipant, id, in, sum, size); err != nil {
			return err
		}
		return s.emitParticipant(ctx, tx, actor, p, "document_added", map[string]any{"document_id": d.ID, "kind": d.Kind, "sha256": sum, "size": size})
	})
	return d, err
}

// DocumentContent opens document id for reading, if actor may see its
// owner in full: the participant's members and the exchange's staff; for a
// product's evidence also the law firm vetting it.
func (s *Service) DocumentContent(ctx context.Context, actor identity.Principal, id string) (Document, io.ReadCloser, error) {
	var d Document
	var ownerKind, ownerID string
	err := s.db.QueryRowContext(ctx, `SELECT id, kind, name, sha256, size, created_at, owner_kind, owner_id FROM exchange_documents WHERE id = $1`, id).
		Scan(&d.ID, &d.Kind, &d.Name, &d.SHA256, &d.Size, store.ScanTime(&d.CreatedAt), &ownerKind, &ownerID)
	if err != nil {
		return Document{}, nil, notFound("document", id)
	}
	if !s.mayReadDocument(ctx, actor, ownerKind, ownerID) {
		return Document{}, nil, notFound("document", id)
	}
	f, err := s.blobs.open(d.SHA256)
	if err != nil {
		return Document{}, nil, fmt.Errorf("exchange: document %s: %w", id, err)
	}
	return d, f, nil
}

func (s *Service) mayReadDocument(ctx context.Context, actor identity.Principal, ownerKind, ownerID string) bool {
	if CanStaff(actor) || actor.IsPlatformStaff() {
		return true
	}
	if ownerKind == ownerParticipant {
		p, err := s.ParticipantByID(ctx, s.db, ownerID)
		return err == nil && actor.RoleIn(p.OrgID) != ""
	}
	p, err := s.ProductByID(ctx, s.db, ownerID)
	return err == nil && s.mayViewUnlisted(ctx, actor, p)
}

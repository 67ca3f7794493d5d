package engage

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// Comment is one comment on a dataset, as its reader may see it. A hidden
// comment keeps its place with the reason; its text is shown only to its
// author and to those who may moderate.
type Comment struct {
	ID         string     `json:"id"`
	ResourceID string     `json:"resource_id"`
	Author     string     `json:"author"` // the author's display name, masked (林**) for readers other than the author and moderators
	Body       string     `json:"body"`   // "" when hidden from the reader
	CreatedAt  time.Time  `json:"created_at"`
	Mine       bool       `json:"mine"`
	HiddenAt   *time.Time `json:"hidden_at,omitempty"`
	HideReason string     `json:"hide_reason,omitempty"`
}

// AddComment posts p's comment on a published resource: plain text, at
// most MaxComment characters.
func (s *Service) AddComment(ctx context.Context, p identity.Principal, resourceID, body string) (Comment, error) {
	r, err := s.published(ctx, p, resourceID)
	if err != nil {
		return Comment{}, err
	}
	var errs validate.Errors
	body = text(&errs, "body", body, MaxComment, true)
	if err := errs.Err(); err != nil {
		return Comment{}, err
	}
	c := Comment{ID: store.NewID(), ResourceID: r.ID, Body: body, Mine: true, Author: p.DisplayName}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		c.CreatedAt = tx.Now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO comments (id, resource_id, user_id, body, created_at) VALUES ($1, $2, $3, $4, $5)`,
			c.ID, r.ID, p.UserID, body, store.TS(c.CreatedAt)); err != nil {
			return fmt.Errorf("engage: comment: %w", err)
		}
		return tx.Emit(ctx, event("engage.commented", p, r), map[string]any{"comment_id": c.ID, "body_sha256": store.SHA256Hex(body)})
	})
	return c, err
}

// HideComment hides a comment, with the reason shown in its place: the
// resource's institution's editors and the platform staff may
// (CanModerate). A hidden comment cannot be hidden again (a conflict).
func (s *Service) HideComment(ctx context.Context, p identity.Principal, commentID, reason string) (Comment, error) {
	if p.IsAnonymous() {
		return Comment{}, identity.ErrUnauthenticated
	}
	var resourceID string
	var hidden time.Time
	err := s.db.QueryRowContext(ctx, `SELECT resource_id, hidden_at FROM comments WHERE id = $1`, commentID).Scan(&resourceID, store.ScanTime(&hidden))
	if isNoRows(err) {
		return Comment{}, notFound("comment", commentID)
	} else if err != nil {
		return Comment{}, err
	}
	r, err := s.cat.Get(ctx, p, resourceID)
	if err != nil {
		return Comment{}, err
	}
	if !CanModerate(p, r) {
		return Comment{}, identity.ErrForbidden
	}
	var errs validate.Errors
	reason = text(&errs, "reason", reason, MaxReason, true)
	if err := errs.Err(); err != nil {
		return Comment{}, err
	}
	if !hidden.IsZero() {
		return Comment{}, fmt.Errorf("comment %q is already hidden: %w", commentID, store.ErrConflict)
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE comments SET hidden_at = $2, hidden_by = $3, hidden_reason = $4 WHERE id = $1 AND hidden_at IS NULL`,
			commentID, store.TS(tx.Now()), p.UserID, reason)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("comment %q is already hidden: %w", commentID, store.ErrConflict)
		}
		return tx.Emit(ctx, event("engage.comment_hidden", p, r), map[string]any{"comment_id": commentID, "reason_sha256": store.SHA256Hex(reason)})
	})
	if err != nil {
		return Comment{}, err
	}
	list, err := s.comments(ctx, p, r, commentID)
	if err != nil || len(list) == 0 {
		return Comment{}, err
	}
	return list[0], nil
}

// Comments lists the comments on resourceID that p may see, oldest first
// (at most 200, the newest).
func (s *Service) Comments(ctx context.Context, p identity.Principal, resourceID string) ([]Comment, error) {
	r, err := s.cat.Get(ctx, p, resourceID)
	if err != nil {
		return nil, err
	}
	return s.comments(ctx, p, r, "")
}

// comments lists r's comments (only id's when id is set) as p sees them.
func (s *Service) comments(ctx context.Context, p identity.Principal, r catalog.Resource, id string) ([]Comment, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT * FROM (SELECT c.id, c.user_id, u.display_name, c.body, c.created_at, c.hidden_at, c.hidden_reason
		FROM comments c JOIN users u ON u.id = c.user_id WHERE c.resource_id = $1 AND ($2 = '' OR c.id = $2)
		ORDER BY c.id DESC LIMIT 200) AS newest ORDER BY id`, r.ID, id)
	if err != nil {
		return nil, fmt.Errorf("engage: comments: %w", err)
	}
	defer rows.Close()
	moderator := CanModerate(p, r)
	out := []Comment{}
	for rows.Next() {
		var c Comment
		var author string
		var hidden time.Time
		if err := rows.Scan(&c.ID, &author, &c.Author, &c.Body, store.ScanTime(&c.CreatedAt), store.ScanTime(&hidden), &c.HideReason); err != nil {
			return nil, err
		}
		c.ResourceID = r.ID
		c.Mine = !p.IsAnonymous() && author == p.UserID
		if !c.Mine && !moderator {
			c.Author = Mask(c.Author)
		}
		if !hidden.IsZero() {
			c.HiddenAt = &hidden
			if !c.Mine && !moderator {
				c.Body = ""
			}
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Mask keeps the first character of a name and stars the rest (林若溪 →
// 林**), as Chinese portals show the public who wrote what.
func Mask(name string) string {
	r, size := utf8.DecodeRuneInString(name)
	if r == utf8.RuneError {
		return "**"
	}
	return name[:size] + "**"
}

package engage

import (
	"context"
	"fmt"

	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// Rating is a resource's star rating: the average of its raters' stars
// (0 when no one rated) and, for a signed-in reader, their own.
type Rating struct {
	Average float64 `json:"average"` // 1–5, one decimal; 0 without ratings
	Count   int     `json:"count"`
	Mine    int     `json:"mine,omitempty"` // the reader's stars; 0 when they have not rated
}

// Rate gives resourceID stars (1–5) from p, replacing p's earlier rating:
// one rating per user and dataset. It returns the rating after the change.
func (s *Service) Rate(ctx context.Context, p identity.Principal, resourceID string, stars int) (Rating, error) {
	r, err := s.published(ctx, p, resourceID)
	if err != nil {
		return Rating{}, err
	}
	if stars < 1 || stars > 5 {
		return Rating{}, validate.Errors{{Field: "stars", Value: stars, Code: validate.CodeRange, Args: []any{1, 5},
			Message: fmt.Sprintf("must be from 1 to 5 (got %d)", stars)}}
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		now := store.TS(tx.Now())
		if _, err := tx.ExecContext(ctx, `INSERT INTO ratings (resource_id, user_id, stars, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
			ON CONFLICT (resource_id, user_id) DO UPDATE SET stars = $3, updated_at = $4`, r.ID, p.UserID, stars, now); err != nil {
			return fmt.Errorf("engage: rate: %w", err)
		}
		return tx.Emit(ctx, event("engage.rated", p, r), map[string]any{"stars": stars})
	})
	if err != nil {
		return Rating{}, err
	}
	return s.Rating(ctx, p, r.ID)
}

// Rating returns resourceID's rating, with p's own stars when p signed in.
func (s *Service) Rating(ctx context.Context, p identity.Principal, resourceID string) (Rating, error) {
	var out Rating
	var avg float64
	if err := s.db.QueryRowContext(ctx, `SELECT count(*), COALESCE(AVG(stars), 0) FROM ratings WHERE resource_id = $1`,
		resourceID).Scan(&out.Count, &avg); err != nil {
		return out, fmt.Errorf("engage: rating: %w", err)
	}
	out.Average = float64(int(avg*10+0.5)) / 10
	if !p.IsAnonymous() {
		err := s.db.QueryRowContext(ctx, `SELECT stars FROM ratings WHERE resource_id = $1 AND user_id = $2`, resourceID, p.UserID).Scan(&out.Mine)
		if err != nil && !isNoRows(err) {
			return out, fmt.Errorf("engage: rating: %w", err)
		}
	}
	return out, nil
}

package trade

import (
	"context"
	"fmt"
	"strings"

	"dataport/internal/store"
)

// RatingSummary is what the buyers' ratings of one product come to.
type RatingSummary struct {
	Count int   `json:"count"`
	Stars int64 `json:"stars" doc:"The sum of every rating's stars"`
}

// AverageTenths is the average rating in tenths of a star, rounded half
// up (4.5 stars is 45); 0 without ratings.
func (r RatingSummary) AverageTenths() int64 {
	if r.Count == 0 {
		return 0
	}
	return (r.Stars*20 + int64(r.Count)) / int64(2*r.Count)
}

// RatingSummaries returns the ratings of each product in productIDs that
// has any. Ratings of listed products are public, like the products: the
// caller checks that the products may be shown.
func (s *Service) RatingSummaries(ctx context.Context, productIDs []string) (map[string]RatingSummary, error) {
	out := map[string]RatingSummary{}
	if len(productIDs) == 0 {
		return out, nil
	}
	ph := make([]string, len(productIDs))
	args := make([]any, len(productIDs))
	for i, id := range productIDs {
		ph[i], args[i] = fmt.Sprintf("$%d", i+1), id
	}
	rows, err := s.db.QueryContext(ctx, `SELECT product_id, count(*), sum(stars) FROM trade_ratings
		WHERE product_id IN (`+strings.Join(ph, ", ")+`) GROUP BY product_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("trade: rating summaries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var r RatingSummary
		if err := rows.Scan(&id, &r.Count, &r.Stars); err != nil {
			return nil, err
		}
		out[id] = r
	}
	return out, rows.Err()
}

// ProductRatings returns up to limit (1–100) of a product's ratings,
// newest first, without the buyers' identities beyond their participant
// ids. Like RatingSummaries, the caller checks the product may be shown.
func (s *Service) ProductRatings(ctx context.Context, productID string, limit int) ([]Rating, error) {
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf(`SELECT contract_id, product_id, buyer_id, stars, comment, created_by, created_at
		FROM trade_ratings WHERE product_id = $1 ORDER BY created_at DESC, contract_id DESC LIMIT %d`, limit), productID)
	if err != nil {
		return nil, fmt.Errorf("trade: ratings of %s: %w", productID, err)
	}
	defer rows.Close()
	out := []Rating{}
	for rows.Next() {
		var r Rating
		if err := rows.Scan(&r.ContractID, &r.ProductID, &r.BuyerID, &r.Stars, &r.Comment, &r.CreatedBy, store.ScanTime(&r.CreatedAt)); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

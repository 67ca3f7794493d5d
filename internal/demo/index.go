package demo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"dataport/internal/identity"
	"dataport/internal/stats"
	"dataport/internal/store"
)

// IndexServices are the services SeedIndex works through.
type IndexServices struct {
	Identity *identity.Service
	Stats    *stats.Service
}

// IndexYear is the year whose composite index the demo publishes at now:
// the last year that has ended in Beijing (an annual index is published
// once its year is over).
func IndexYear(now time.Time) string { return strconv.Itoa(now.In(stats.Beijing).Year() - 1) }

// SeedIndex publishes the composite index of the digital economy for
// IndexYear with the shipped method, as the platform operator, from the
// indicator values of the statistics' daily snapshots (so it runs after
// the statistics are seeded). It does nothing when that year is published
// already.
func SeedIndex(ctx context.Context, s IndexServices) error {
	year := IndexYear(time.Now())
	if _, err := s.Stats.Index(ctx, year); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("demo index: %w", err)
	}
	u, err := s.Identity.UserByName(ctx, operatorName)
	if err != nil {
		return fmt.Errorf("demo index: %s: %w", operatorName, err)
	}
	p, err := s.Identity.Principal(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("demo index: %w", err)
	}
	if _, err := s.Stats.PublishIndex(ctx, p, stats.PublishInput{Period: year}); err != nil {
		return fmt.Errorf("demo index %s: %w", year, err)
	}
	return nil
}

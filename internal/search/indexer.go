package search

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
)

// Indexer keeps an Index current. It follows the events outbox: every
// catalog change writes a resource.* event in its own transaction, so the
// indexer reads events after the last seq it applied (polling every
// Interval, or at once when woken by Notify or asked by Sync) and re-reads
// the resources they name. Nothing is missed on a crash: the seq is stored
// in the index with the documents it produced. Each replica of a cluster
// runs its own indexer on its own index.
//
// On PostgreSQL a transaction can commit after one that started later, so
// an event may appear with a seq below one already applied. The indexer
// remembers the seqs it skipped over (holes) and looks for them again for
// a minute; a hole still empty by then was a rolled-back transaction.
type Indexer struct {
	ix       *Index
	db       *store.DB
	catalog  *catalog.Service
	identity *identity.Service
	log      *slog.Logger
	// Interval is how often the indexer looks for new events (default 500ms).
	Interval time.Duration

	mu    sync.Mutex // one writer at a time
	holes map[int64]time.Time
	orgs  map[string]Org
	wake  chan struct{}
}

// holeTTL is how long a skipped seq is looked for again.
const holeTTL = time.Minute

// NewIndexer returns an indexer that keeps ix current from db.
func NewIndexer(ix *Index, db *store.DB, cat *catalog.Service, ids *identity.Service, log *slog.Logger) *Indexer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Indexer{ix: ix, db: db, catalog: cat, identity: ids, log: log, Interval: 500 * time.Millisecond,
		holes: map[int64]time.Time{}, wake: make(chan struct{}, 1)}
}

// Index is the index this indexer writes.
func (x *Indexer) Index() *Index { return x.ix }

// Prepare makes the index current before it is served: a missing,
// half-built or outdated index, or one that does not match the database
// (restored from another backup, say), is rebuilt; otherwise the events
// since its last seq are applied.
func (x *Indexer) Prepare(ctx context.Context) error {
	maxSeq, err := x.maxSeq(ctx)
	if err != nil {
		return err
	}
	if err := x.loadSynonyms(ctx); err != nil {
		return err
	}
	if x.ix.NeedsRebuild() || x.ix.Seq() > maxSeq {
		return x.Rebuild(ctx)
	}
	if err := x.loadEngine(ctx); err != nil {
		return err
	}
	if err := x.Sync(ctx); err != nil {
		return err
	}
	var want uint64
	if err := x.db.QueryRowContext(ctx, `SELECT count(*) FROM resources`).Scan(&want); err != nil {
		return err
	}
	if have, err := x.ix.Count(); err != nil || have != want {
		x.log.InfoContext(ctx, "search index does not match the catalog; rebuilding", "indexed", have, "resources", want)
		return x.Rebuild(ctx)
	}
	return nil
}

// Rebuild empties the index and indexes every resource again. It must not
// run while the index is being searched (the server runs it before it
// listens; `dataport reindex` runs it offline).
func (x *Indexer) Rebuild(ctx context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	start := time.Now()
	// The catalog is read from the read replica when one is attached
	// (store.DB.Reader), as of the last event the replica holds: Sync then
	// applies what followed from the primary. Indexing is idempotent.
	rd := x.db.Reader()
	seq, err := lastSeq(ctx, rd)
	if err != nil {
		return err
	}
	if err := x.ix.reset(); err != nil {
		return err
	}
	if err := x.loadOrgs(ctx); err != nil {
		return err
	}
	n := 0
	var batch []Change
	cursor := ""
	for {
		page, err := catalog.NewService(rd).List(ctx, identity.System, catalog.Filter{Limit: 200, Cursor: cursor})
		if err != nil {
			return fmt.Errorf("search: rebuild: %w", err)
		}
		for _, r := range page.Items {
			batch = append(batch, Change{Resource: r, Org: x.orgs[r.OrganizationID]})
		}
		if len(batch) >= 2000 || page.NextCursor == "" {
			if err := x.ix.Apply(batch, 0); err != nil {
				return err
			}
			n += len(batch)
			batch = batch[:0]
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if err := x.ix.markComplete(seq); err != nil {
		return err
	}
	x.holes = map[int64]time.Time{}
	x.log.InfoContext(ctx, "search index rebuilt", "resources", n, "seconds", time.Since(start).Seconds())
	return x.syncLocked(ctx)
}

// loadEngine fills the index's in-memory mirror from the catalog, as of
// now; Sync then re-applies the events since the index's seq, which is
// harmless to documents already current. Reading the database rather than
// bleve's stored documents leaves those on disk, out of the process's
// memory, until a search shows them.
func (x *Indexer) loadEngine(ctx context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	start := time.Now()
	if err := x.loadOrgs(ctx); err != nil {
		return err
	}
	n := 0
	for cursor := ""; ; {
		page, err := x.catalog.List(ctx, identity.System, catalog.Filter{Limit: 200, Cursor: cursor})
		if err != nil {
			return fmt.Errorf("search: load: %w", err)
		}
		for _, r := range page.Items {
			doc, err := document(r, x.orgs[r.OrganizationID])
			if err != nil {
				return err
			}
			x.ix.engine.put(r.ID, doc)
			n++
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	x.log.InfoContext(ctx, "search index loaded", "resources", n, "seconds", time.Since(start).Seconds())
	return nil
}

// Run applies new events until ctx ends.
func (x *Indexer) Run(ctx context.Context) {
	t := time.NewTicker(x.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-x.wake:
		}
		if err := x.Sync(ctx); err != nil && ctx.Err() == nil {
			x.log.ErrorContext(ctx, "search index update failed", "err", err)
		}
	}
}

// Notify wakes Run to look for events now, without waiting.
func (x *Indexer) Notify() {
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

// Sync applies every event committed so far. After a write returns, Sync
// makes the write searchable before the caller's next request.
func (x *Indexer) Sync(ctx context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.syncLocked(ctx)
}

// change is what an event asks of the index.
type change struct {
	seq  int64
	kind string
	id   string
}

func (x *Indexer) syncLocked(ctx context.Context) error {
	for {
		events, err := x.eventsAfter(ctx, x.ix.Seq())
		if err != nil {
			return err
		}
		if len(events) == 0 {
			return nil
		}
		if err := x.apply(ctx, events); err != nil {
			return err
		}
		if len(events) < eventBatch {
			return nil
		}
	}
}

const eventBatch = 2000

// eventsAfter reads the events after seq, and any that filled a hole.
func (x *Indexer) eventsAfter(ctx context.Context, seq int64) ([]change, error) {
	q := `SELECT seq, subject_kind, subject_id FROM events WHERE seq > $1`
	args := []any{seq}
	now := time.Now()
	var holes []string
	for h, at := range x.holes {
		if now.Sub(at) > holeTTL || len(holes) >= 500 {
			delete(x.holes, h)
			continue
		}
		args = append(args, h)
		holes = append(holes, fmt.Sprintf("$%d", len(args)))
	}
	if len(holes) > 0 {
		q += ` OR seq IN (` + strings.Join(holes, ", ") + `)`
	}
	rows, err := x.db.QueryContext(ctx, q+fmt.Sprintf(` ORDER BY seq LIMIT %d`, eventBatch), args...)
	if err != nil {
		return nil, fmt.Errorf("search: read events: %w", err)
	}
	defer rows.Close()
	var out []change
	next := seq + 1
	for rows.Next() {
		var c change
		if err := rows.Scan(&c.seq, &c.kind, &c.id); err != nil {
			return nil, err
		}
		delete(x.holes, c.seq)
		if c.seq > seq {
			for h := next; h < c.seq && c.seq-h <= 1000; h++ {
				x.holes[h] = now
			}
			next = c.seq + 1
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// apply re-reads the resources and organizations the events name, writes
// them to the index, and records the highest seq.
func (x *Indexer) apply(ctx context.Context, events []change) error {
	if x.orgs == nil {
		if err := x.loadOrgs(ctx); err != nil {
			return err
		}
	}
	resources, orgs := map[string]bool{}, map[string]bool{}
	var seq int64
	synonyms := false
	for _, e := range events {
		seq = max(seq, e.seq)
		switch e.kind {
		case "resource":
			resources[e.id] = true
		case "organization":
			orgs[e.id] = true
		case synonymsKind:
			synonyms = true
		}
	}
	if synonyms { // the list changed, here or on another replica
		if err := x.loadSynonyms(ctx); err != nil {
			return err
		}
	}
	if len(orgs) > 0 {
		if err := x.loadOrgs(ctx); err != nil {
			return err
		}
	}
	var changes []Change
	for id := range resources {
		c, err := x.resourceChange(ctx, id)
		if err != nil {
			return err
		}
		changes = append(changes, c)
	}
	for id := range orgs { // a renamed institution: its resources carry its name
		more, err := x.orgChanges(ctx, id, resources)
		if err != nil {
			return err
		}
		changes = append(changes, more...)
	}
	return x.ix.Apply(changes, max(seq, x.ix.Seq()))
}

func (x *Indexer) resourceChange(ctx context.Context, id string) (Change, error) {
	r, err := x.catalog.Get(ctx, identity.System, id)
	if errors.Is(err, store.ErrNotFound) {
		return Change{ID: id, Delete: true}, nil
	} else if err != nil {
		return Change{}, fmt.Errorf("search: read resource %s: %w", id, err)
	}
	return Change{Resource: r, Org: x.orgs[r.OrganizationID]}, nil
}

func (x *Indexer) orgChanges(ctx context.Context, orgID string, done map[string]bool) ([]Change, error) {
	var out []Change
	cursor := ""
	for {
		page, err := x.catalog.List(ctx, identity.System, catalog.Filter{OrganizationID: orgID, Limit: 200, Cursor: cursor})
		if err != nil {
			return nil, err
		}
		for _, r := range page.Items {
			if !done[r.ID] {
				out = append(out, Change{Resource: r, Org: x.orgs[orgID]})
			}
		}
		if page.NextCursor == "" {
			return out, nil
		}
		cursor = page.NextCursor
	}
}

// loadOrgs reads every organization (a city has hundreds).
func (x *Indexer) loadOrgs(ctx context.Context) error {
	orgs := map[string]Org{}
	after := ""
	for {
		list, err := x.identity.Organizations(ctx, identity.OrgFilter{After: after, Limit: 1000})
		if err != nil {
			return fmt.Errorf("search: read organizations: %w", err)
		}
		for _, o := range list {
			orgs[o.ID] = OrgOf(o)
		}
		if len(list) < 1000 {
			break
		}
		after = list[len(list)-1].ID
	}
	x.orgs = orgs
	return nil
}

func (x *Indexer) maxSeq(ctx context.Context) (int64, error) { return lastSeq(ctx, x.db) }

// lastSeq is the seq of the last event db holds.
func lastSeq(ctx context.Context, db *store.DB) (int64, error) {
	var seq int64
	err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM events`).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("search: read last event: %w", err)
	}
	return seq, nil
}

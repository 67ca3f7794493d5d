// Package ledger seals every event of the outbox into a transparency log: a
// Tessera log (C2SP tlog-tiles) kept in <data dir>/ledger, with checkpoints
// signed as notes by an Ed25519 key kept in <data dir>/keys. It runs the one
// sequencer, serves the tiles, issues receipts (entry, index, checkpoint and
// inclusion proof) and verifies a log against the events table.
//
// Guarantees: every committed event is appended exactly once, in outbox
// order, and its row records its log index; a crash at any point loses
// nothing and appends nothing twice, because the sequencer reconciles the
// log's tail with the table (by event id) before appending again.
package ledger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"dataport/internal/store"

	"k8s.io/klog/v2"
)

// ErrNotSealed is returned (wrapped) for an event that exists but is not yet
// in the log, or not yet covered by a published checkpoint; retry shortly.
var ErrNotSealed = errors.New("event not sealed in the ledger yet")

// ErrBadCursor is returned (wrapped) for a cursor that no page handed out.
var ErrBadCursor = errors.New("bad cursor")

// ErrNoLog is returned (wrapped) when the data dir holds no log (yet).
var ErrNoLog = errors.New("no ledger in this data dir")

// routeKlog sends Tessera's logs (klog, a process-wide logger) to the first
// started ledger's logger, once, before any Tessera goroutine runs.
var routeKlog sync.Once

// Defaults of the tuning knobs in Config.
const (
	DefaultBatchSize          = 1024
	DefaultPollInterval       = 100 * time.Millisecond
	DefaultCheckpointInterval = 500 * time.Millisecond
)

// Config says where the ledger lives and how it is sequenced.
type Config struct {
	// DataDir holds the log (DataDir/ledger) and its key (DataDir/keys).
	DataDir string
	// Origin is the checkpoint origin line and key name. Empty derives it
	// from PublicURL on first start; once a key exists its name is kept.
	Origin    string
	PublicURL string
	Log       *slog.Logger
	// BatchSize is the most events appended per batch.
	BatchSize int
	// PollInterval is how often the sequencer looks for new events when idle.
	PollInterval time.Duration
	// CheckpointInterval is how often a new checkpoint is signed while the log grows.
	CheckpointInterval time.Duration
}

// Service is the ledger of one store. Reads (tiles, receipts, events) work in
// every process; Start runs the sequencer in this one.
type Service struct {
	db  *store.DB
	cfg Config
	log *slog.Logger
	dir string // the Tessera POSIX log

	mu      sync.Mutex
	keys    *keyPair
	stop    context.CancelFunc
	done    chan struct{}
	running bool // holds the sequencer lock
	wake    chan struct{}
}

// New returns the ledger of db. It touches nothing on disk: Start creates the
// key and the log; readers report ErrNoLog until then.
func New(db *store.DB, cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.CheckpointInterval <= 0 {
		cfg.CheckpointInterval = DefaultCheckpointInterval
	}
	return &Service{db: db, cfg: cfg, log: cfg.Log, dir: filepath.Join(cfg.DataDir, "ledger"), wake: make(chan struct{}, 1)}
}

// Dir is the folder of the log's tiles and checkpoint.
func (s *Service) Dir() string { return s.dir }

func (s *Service) keyDir() string { return filepath.Join(s.cfg.DataDir, "keys") }

// Start creates the key pair on first start, then runs the sequencer in the
// background until Stop. On PostgreSQL only the process holding the advisory
// lock sequences; the others wait for it and take over if it goes away.
func (s *Service) Start(ctx context.Context) error {
	kp, err := loadOrCreateKey(s.keyDir(), s.cfg.Origin, s.cfg.PublicURL)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	routeKlog.Do(func() { klog.SetSlogLogger(s.log.With("component", "tessera")) })
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop != nil {
		return errors.New("ledger: already started")
	}
	s.keys = &kp
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stop, s.done = stop, make(chan struct{})
	go s.run(runCtx, s.done)
	s.log.InfoContext(ctx, "ledger started", "origin", kp.signer.Name(), "dir", s.dir)
	return nil
}

// Stop ends the sequencer: the batch in flight is finished and recorded, and
// a checkpoint covering it is published, unless ctx ends first.
func (s *Service) Stop(ctx context.Context) error {
	s.mu.Lock()
	stop, done := s.stop, s.done
	s.stop = nil
	s.mu.Unlock()
	if stop == nil {
		return nil
	}
	stop()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("ledger: stop: %w", ctx.Err())
	}
}

// Notify wakes the sequencer at once instead of at its next poll. Writers
// may call it after committing events; it never blocks.
func (s *Service) Notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Service) setRunning(v bool) {
	s.mu.Lock()
	s.running = v
	s.mu.Unlock()
}

// keyPair returns the loaded key pair, or nil before Start.
func (s *Service) keyPair() *keyPair {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys
}

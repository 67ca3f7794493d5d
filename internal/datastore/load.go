package datastore

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/ingest"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// LoadInput is a file to load into a resource.
type LoadInput struct {
	File     io.Reader
	Name     string // the file's name; its extension helps choose the format
	Size     int64  // the file's size in bytes when known, for progress
	Options  ingest.Options
	Progress func(Progress) // called after each batch; may be nil
	// LoadID continues a load registered with StartLoad (so a status page
	// can follow it); empty registers a new one.
	LoadID string
	// SampleRows, when above 0, says the resource's items were inferred
	// from this file's first SampleRows records (ingest.InferSample), as a
	// first import does: later records that disagree make items optional,
	// widen them or are quarantined (see InferenceReport). Widening reads
	// the file again, so File should then be an io.Seeker; the resource
	// must be editable (a draft).
	SampleRows int64
}

// Progress is how far a load has come.
type Progress struct {
	LoadID     string `json:"load_id"`
	Rows       int64  `json:"rows"`
	Rejected   int64  `json:"rejected"`
	Bytes      int64  `json:"bytes"`
	TotalBytes int64  `json:"total_bytes"`
}

// LoadError is a refused load: the file, or its records under the refuse
// policy, failed the checks. Nothing was changed.
type LoadError struct {
	Reason string            `json:"reason"`
	Errors []ingest.RowError `json:"errors,omitempty"` // the first MaxReportErrors refused values
}

func (e *LoadError) Error() string {
	if len(e.Errors) == 0 {
		return "load refused: " + e.Reason
	}
	return fmt.Sprintf("load refused: %s (first: %s)", e.Reason, e.Errors[0].Error())
}

// Unwrap presents the refusal as field errors ("file", "file.row[12].列名"),
// so that every surface reports it as bad input (422).
func (e *LoadError) Unwrap() error {
	errs := validate.Errors{{Field: "file", Message: e.Reason}}
	for _, fe := range e.Errors {
		field := fmt.Sprintf("file.row[%d]", fe.Row)
		if fe.Column != "" {
			field += "." + fe.Column
		}
		errs = append(errs, validate.FieldError{Field: field, Value: fe.Value, Message: fe.Reason})
	}
	return errs
}

// batchRows is how many records go to the database at once, unless they
// reach batchBytes first (a few long records must not hold gigabytes).
const (
	batchRows  = 20000
	batchBytes = 16 << 20
)

// Load reads a file into a new version of the resource's rows. Editors of
// the providing institution may load. When the load succeeds, the version
// is switched in atomically (unless the legality check holds it back); when
// it fails, nothing is visible and the partial table is dropped.
func (s *Service) Load(ctx context.Context, actor identity.Principal, resourceID string, in LoadInput) (DataVersion, error) {
	l, err := s.prepareLoad(ctx, actor, resourceID, in)
	if err != nil {
		if in.LoadID != "" { // a registered load that never started: say why on its status page
			s.AbandonLoad(ctx, in.LoadID, err)
		}
		return DataVersion{}, err
	}
	defer func() { l.rd.Close() }()
	if err := l.register(ctx); err != nil {
		return DataVersion{}, err
	}
	v, err := l.run(ctx)
	var brk *typeBreak
	if errors.As(err, &brk) {
		var again *loader
		if again, err = l.inferAgain(ctx, brk); err == nil {
			l.rd.Close()
			l = again
			if err = l.register(ctx); err == nil {
				v, err = l.run(ctx)
			}
		}
	}
	if err != nil {
		l.abandon(err)
		return DataVersion{}, err
	}
	return v, nil
}

// prepareLoad checks the actor, the settings and the file's header.
func (s *Service) prepareLoad(ctx context.Context, actor identity.Principal, resourceID string, in LoadInput) (*loader, error) {
	r, st, err := s.loadable(ctx, actor, resourceID)
	if err != nil {
		return nil, err
	}
	rules, err := ingest.CompileRules(r.Items, st.Rules)
	if err != nil {
		return nil, &LoadError{Reason: "the resource's quality rules do not compile with its items: " + err.Error()}
	}
	s.Reap(ctx)
	// An XLSX is hashed by its reader once it has passed the workbook
	// checks (FileInfo.SHA256); other files as they are read.
	src := &countingReader{r: in.File}
	if in.Options.Format != ingest.XLSX && ingest.FormatOf(in.Name) != ingest.XLSX {
		src.h = sha256.New()
	}
	in.Options.Limits = in.Options.Limits.Or(s.limits)
	rd, err := ingest.Open(src, in.Name, in.Options)
	if err != nil {
		return nil, asLoadError(err)
	}
	m, err := ingest.NewMapping(rd.Header(), r.Items, rd.Info())
	if err != nil {
		rd.Close()
		return nil, asLoadError(err)
	}
	l := &loader{s: s, actor: actor, res: r, settings: st, rules: rules, rd: rd, m: m, src: src, in: in,
		report: QualityReport{File: rd.Info(), Policy: st.OnError, Unused: m.Unused, Rules: len(st.Rules)}, started: time.Now()}
	if l.inferring() {
		if err := catalog.Check(actor, r, catalog.ActionEdit); err != nil {
			rd.Close()
			return nil, fmt.Errorf("datastore: items inferred from a sample can change only while the resource is editable: %w", err)
		}
		m.AsInferred()
		l.sampled = slices.Clone(r.Items)
		l.report.Inference = &InferenceReport{SampleRows: in.SampleRows, Changes: []ItemChange{}}
	}
	return l, nil
}

// CanLoad returns nil when actor may load data into the resource now, so
// that a caller can refuse an upload before reading its body.
func (s *Service) CanLoad(ctx context.Context, actor identity.Principal, resourceID string) error {
	_, _, err := s.loadable(ctx, actor, resourceID)
	return err
}

// loadable returns the resource and its settings when actor may load into it.
func (s *Service) loadable(ctx context.Context, actor identity.Principal, resourceID string) (catalog.Resource, LoadSettings, error) {
	r, err := s.cat.Get(ctx, actor, resourceID)
	if err != nil {
		return r, LoadSettings{}, err
	}
	if err := catalog.Check(actor, r, catalog.ActionLoad); err != nil {
		return r, LoadSettings{}, err
	}
	st, err := s.settings(ctx, s.db, resourceID)
	return r, st, err
}

// StartLoad registers a load in tx before its file is read, so that a caller
// can show its progress (the UI's status page) while Load runs with
// in.LoadID, and queue the job that runs it in the same transaction.
func (s *Service) StartLoad(ctx context.Context, tx *store.Tx, actor identity.Principal, resourceID, fileName string, size int64) (string, error) {
	if _, _, err := s.loadable(ctx, actor, resourceID); err != nil {
		return "", err
	}
	id := store.NewID()
	now := store.TS(tx.Now())
	_, err := tx.ExecContext(ctx, `INSERT INTO datastore_loads (id, resource_id, table_name, actor_id, file_name, state,
		total_bytes, started_at, heartbeat_at) VALUES ($1, $2, '', $3, $4, 'loading', $5, $6, $6)`, id, resourceID, actor.UserID, fileName, size, now)
	if err != nil {
		return "", fmt.Errorf("datastore: register load: %w", err)
	}
	return id, nil
}

// asLoadError turns the readers' refusals of a whole file into a LoadError.
func asLoadError(err error) error {
	var fe *ingest.FileError
	if errors.As(err, &fe) {
		return &LoadError{Reason: fe.Reason}
	}
	var le *ingest.LimitError
	if errors.As(err, &le) {
		refusal := &LoadError{Reason: "the file is beyond the platform's limits: " + le.Error()}
		if le.Row > 0 {
			refusal.Errors = []ingest.RowError{le.RowError()}
		}
		return refusal
	}
	return err
}

// countingReader counts and hashes the bytes a load reads.
type countingReader struct {
	r io.Reader
	h hash.Hash
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.h != nil {
		c.h.Write(p[:n])
	}
	c.n.Add(int64(n))
	return n, err
}

// loader is one load in progress.
type loader struct {
	s        *Service
	actor    identity.Principal
	res      catalog.Resource
	settings LoadSettings
	rules    *ingest.Rules
	rd       ingest.Reader
	m        *ingest.Mapping
	src      *countingReader
	in       LoadInput
	id       string
	table    string
	report   QualityReport
	started  time.Time
	sampled  []catalog.Item // the items as inferred from the sample (SampleRows > 0)

	// Filled by the reader goroutine.
	nulls    []int64
	invalid  []int64
	counts   map[[2]string]int64
	samples  [][]string
	refused  bool
	rowsRead int64
	// keys tracks whether the key items' values have ascended so far.
	keys keyOrder
	// keyIndexed says the writer kept the key's unique index while loading.
	keyIndexed bool
	// layout says whether the version's table is partitioned (partition.go).
	layout partitioning
}

// register records the load (state loading) with the name of its table.
func (l *loader) register(ctx context.Context) error {
	l.table = newTableName()
	now := store.TS(time.Now())
	if l.in.LoadID != "" {
		l.id = l.in.LoadID
		return l.resume(ctx, now)
	}
	l.id = store.NewID()
	_, err := l.s.db.ExecContext(ctx, `INSERT INTO datastore_loads (id, resource_id, table_name, actor_id, file_name, state,
		total_bytes, started_at, heartbeat_at) VALUES ($1, $2, $3, $4, $5, 'loading', $6, $7, $7)`,
		l.id, l.res.ID, l.table, l.actor.UserID, l.in.Name, l.in.Size, now)
	if err != nil {
		return fmt.Errorf("datastore: register load: %w", err)
	}
	return nil
}

// resume continues a load registered with StartLoad. A load run again (its
// job is retried after its process stopped or its attempt failed) first
// drops the tables an earlier attempt left and shows as loading again.
func (l *loader) resume(ctx context.Context, now string) error {
	var earlier string
	err := l.s.db.QueryRowContext(ctx, `SELECT table_name FROM datastore_loads WHERE id = $1`, l.id).Scan(&earlier)
	if isNoRows(err) {
		return fmt.Errorf("load %q: %w", l.id, store.ErrNotFound)
	} else if err != nil {
		return fmt.Errorf("datastore: resume load: %w", err)
	}
	if earlier != "" {
		if err := dropTables(ctx, l.s.db, earlier); err != nil {
			return err
		}
	}
	_, err = l.s.db.ExecContext(ctx, `UPDATE datastore_loads SET table_name = $2, state = 'loading', message = '', rows_read = 0,
		bytes_read = 0, finished_at = NULL, heartbeat_at = $3 WHERE id = $1`, l.id, l.table, now)
	return err
}

// AbandonLoad marks a load registered with StartLoad failed with cause and
// drops the tables an earlier attempt of it left, for a load that cannot
// start (its file is refused or gone).
func (s *Service) AbandonLoad(ctx context.Context, loadID string, cause error) {
	l := &loader{s: s, id: loadID}
	err := s.db.QueryRowContext(context.WithoutCancel(ctx), `SELECT table_name FROM datastore_loads WHERE id = $1`, loadID).Scan(&l.table)
	if err != nil {
		s.log.WarnContext(ctx, "datastore: abandon load", "load", loadID, "err", err)
	}
	l.abandon(cause)
}

// batch is a run of converted records and the refused ones among them.
type batch struct {
	vals  []any // n records of 1+len(items) values: the row number, then the items
	n     int
	size  int64 // bytes of text in the batch's records, good and bad
	bad   []badRecord
	rows  int64 // records read so far
	bytes int64
	// keysAscending says every record loaded so far, this batch's
	// included, has a key above the one before it (so none repeats).
	keysAscending bool
}

type badRecord struct {
	row    int64
	errs   []ingest.RowError
	record string // the raw record as a JSON array
}

func (l *loader) run(ctx context.Context) (DataVersion, error) {
	batches := make(chan *batch, 2)
	readErr := make(chan error, 1)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { readErr <- l.read(rctx, batches) }()
	// The tables wait for the first batch: a file refused in its first
	// rows leaves the schema as it was. Creating and dropping tables made
	// every connection of the store re-read the whole schema, which slowed
	// everyone's reads while bad uploads kept coming.
	first, more := <-batches
	if !more {
		if err := <-readErr; err != nil {
			return DataVersion{}, err
		}
		readErr <- nil
	}
	stop := func(err error) (DataVersion, error) {
		cancel()
		for range batches {
		}
		<-readErr
		return DataVersion{}, err
	}
	if more && l.s.db.Dialect == store.Postgres {
		l.layout = l.s.partitionFor(l.in.Size, first.rows, first.bytes)
	}
	if err := createTables(ctx, l.s.db, l.s.db.Dialect, l.table, l.res.Items, l.layout); err != nil {
		return stop(err)
	}
	w, err := l.s.newWriter(ctx, l)
	if err != nil {
		return stop(err)
	}
	var loaded int64
	var werr error
	write := func(b *batch) {
		if werr == nil {
			werr = w.write(ctx, b)
			loaded += int64(b.n)
			l.progress(ctx, b, loaded)
		}
		if werr != nil {
			cancel()
		}
	}
	if more {
		write(first)
	}
	for b := range batches {
		write(b)
	}
	l.keyIndexed = w.keyIndexed()
	if err := w.close(ctx, werr); werr == nil {
		werr = err
	}
	if err := <-readErr; err != nil {
		return DataVersion{}, err
	}
	if werr != nil {
		return DataVersion{}, werr
	}
	l.report.RowsLoaded = loaded
	return l.finish(ctx)
}

// read converts the file's records into batches until EOF, an error, or
// (under the refuse policy) enough refused values to report.
func (l *loader) read(ctx context.Context, out chan<- *batch) error {
	defer close(out)
	items := l.res.Items
	width := 1 + len(items)
	l.nulls, l.invalid = make([]int64, len(items)), make([]int64, len(items))
	l.counts, l.samples = map[[2]string]int64{}, make([][]string, len(items))
	b := &batch{vals: make([]any, 0, batchRows*width)}
	l.keys = newKeyOrder(items)
	var errs []ingest.RowError
	for {
		rec, err := l.rd.Next()
		if err == io.EOF {
			break
		}
		var rowErr *ingest.RowError
		if errors.As(err, &rowErr) {
			errs = append(errs[:0], *rowErr)
		} else if le := asLoadError(err); le != err {
			return le
		} else if err != nil {
			return fmt.Errorf("datastore: read %s: %w", l.in.Name, err)
		}
		l.rowsRead++
		row := l.rd.Row()
		if rowErr == nil {
			start := len(b.vals)
			b.vals = b.vals[:start+width]
			vals := b.vals[start+1:]
			errs = l.m.Convert(row, rec, vals, errs[:0])
			if len(errs) > 0 && l.inferring() {
				if errs, err = l.beyondSample(row, rec, vals, errs); err != nil {
					return err
				}
			}
			if len(errs) == 0 {
				errs = l.rules.Check(row, l.m, vals, errs)
			}
			if len(errs) == 0 {
				b.vals[start] = row
				l.accept(rec, vals)
				l.keys.next(vals)
				b.n++
			} else {
				b.vals = b.vals[:start]
			}
		}
		for _, v := range rec {
			b.size += int64(len(v))
		}
		if len(errs) > 0 {
			l.reject(b, row, rec, errs)
			if l.refused && len(l.report.Errors) >= MaxReportErrors {
				break
			}
		}
		if b.n >= batchRows || len(b.bad) >= batchRows || b.size >= batchBytes {
			if !l.send(ctx, out, b) {
				return ctx.Err()
			}
			b = &batch{vals: make([]any, 0, batchRows*width)}
		}
	}
	if !l.send(ctx, out, b) {
		return ctx.Err()
	}
	return nil
}

func (l *loader) send(ctx context.Context, out chan<- *batch, b *batch) bool {
	if l.refused {
		return true // nothing will be loaded: keep reading only to report
	}
	b.rows, b.bytes, b.keysAscending = l.rowsRead, l.src.n.Load(), l.keys.ascending
	select {
	case out <- b:
		return true
	case <-ctx.Done():
		return false
	}
}

// accept counts the nulls of a good record, keeps samples for the legality
// check, and turns its values into what the store's columns take.
func (l *loader) accept(rec []string, vals []any) {
	d := l.s.db.Dialect
	for i, v := range vals {
		it := l.res.Items[i]
		if v == nil {
			l.nulls[i]++
			continue
		}
		if len(l.samples[i]) < ingest.SampleSize && (it.Type == catalog.TypeText || it.Type == catalog.TypeCode || it.Type == catalog.TypeInteger) {
			l.samples[i] = append(l.samples[i], ingest.FormatValue(it.Type, v))
		}
		if t, ok := v.(time.Time); ok && d == store.SQLite {
			if j := l.m.Column[i]; j >= 0 && j < len(rec) {
				if s := strings.TrimSpace(rec[j]); canonicalTime(it.Type, s, t) {
					vals[i] = s // what storeValue would format, without formatting it
					continue
				}
			}
		}
		vals[i] = storeValue(d, it.Type, v)
	}
}

// canonicalTime says whether s, the text t was read from, is already what
// storeValue makes of t: YYYY-MM-DD for a date, YYYY-MM-DD hh:mm:ss for a
// datetime without fraction, with the same fields as t.
func canonicalTime(typ catalog.ItemType, s string, t time.Time) bool {
	num := func(a, b int) int {
		n := 0
		for k := a; k < b; k++ {
			c := s[k]
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	switch {
	case typ == catalog.TypeDate && len(s) == 10:
	case typ == catalog.TypeDatetime && len(s) == 19 && s[10] == ' ' && s[13] == ':' && s[16] == ':':
		h, m, sec := t.Clock()
		if t.Nanosecond() != 0 || num(11, 13) != h || num(14, 16) != m || num(17, 19) != sec {
			return false
		}
	default:
		return false
	}
	y, mo, d := t.Date()
	return s[4] == '-' && s[7] == '-' && num(0, 4) == y && num(5, 7) == int(mo) && num(8, 10) == d
}

// reject records a refused record in the report and the batch.
func (l *loader) reject(b *batch, row int64, rec []string, errs []ingest.RowError) {
	l.report.RowsRejected++
	for _, e := range errs {
		if len(l.report.Errors) < MaxReportErrors {
			l.report.Errors = append(l.report.Errors, e)
		}
		l.counts[[2]string{e.Column, e.Reason}]++
		for i, j := range l.m.Column {
			if j >= 0 && l.m.Header[j] == e.Column {
				l.invalid[i]++
			}
		}
	}
	if l.settings.OnError == Refuse {
		l.refused = true
		return
	}
	raw, _ := json.Marshal(rec)
	b.bad = append(b.bad, badRecord{row: row, errs: append([]ingest.RowError(nil), errs...), record: string(raw)})
}

// progress tells the caller (the writer has recorded the heartbeat).
func (l *loader) progress(ctx context.Context, b *batch, loaded int64) {
	if l.in.Progress != nil {
		l.in.Progress(Progress{LoadID: l.id, Rows: b.rows, Rejected: l.report.RowsRejected, Bytes: b.bytes, TotalBytes: l.in.Size})
	}
}

// abandon drops the partial tables and marks the load failed.
func (l *loader) abandon(cause error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if l.table != "" {
		if err := dropTables(ctx, l.s.db, l.table); err != nil {
			l.s.log.Error("datastore: drop abandoned load", "table", l.table, "err", err)
		}
	}
	msg := cause.Error()
	var le *LoadError
	if errors.As(cause, &le) {
		lines := []string{le.Reason}
		for _, e := range le.Errors {
			lines = append(lines, e.Error())
		}
		msg = strings.Join(lines, "\n")
	}
	if len(msg) > 4000 {
		msg = strings.ToValidUTF8(msg[:4000], "")
	}
	l.s.db.ExecContext(ctx, `UPDATE datastore_loads SET state = 'failed', message = $2, finished_at = $3 WHERE id = $1`,
		l.id, msg, store.TS(time.Now()))
}

// finish checks the whole table (key uniqueness), builds indexes, runs the
// legality and timeliness checks, and switches the new version in.
func (l *loader) finish(ctx context.Context) (DataVersion, error) {
	l.report.RowsRead = l.rowsRead
	if l.refused {
		return DataVersion{}, &LoadError{Reason: fmt.Sprintf("%d record(s) failed the checks and the resource refuses files with bad records",
			l.report.RowsRejected), Errors: l.report.Errors}
	}
	if l.rowsRead == 0 {
		return DataVersion{}, &LoadError{Reason: "the file has a header but no records"}
	}
	if l.report.RowsLoaded == 0 {
		return DataVersion{}, &LoadError{Reason: fmt.Sprintf("all %d record(s) failed the checks: a version without records would replace the data",
			l.report.RowsRejected), Errors: l.report.Errors}
	}
	rowsDone := time.Now()
	if err := l.keysAndIndexes(ctx); err != nil {
		return DataVersion{}, err
	}
	l.s.log.DebugContext(ctx, "datastore: load phases", "rows_seconds", rowsDone.Sub(l.started).Seconds(),
		"index_seconds", time.Since(rowsDone).Seconds(), "rows", l.report.RowsLoaded)
	l.itemStats()
	l.legality()
	if err := l.timeliness(ctx); err != nil {
		return DataVersion{}, err
	}
	if err := l.saveRelaxed(ctx); err != nil {
		return DataVersion{}, err
	}
	l.report.Seconds = time.Since(l.started).Seconds()
	v, err := l.s.switchIn(ctx, l)
	if err != nil {
		return DataVersion{}, err
	}
	if err := l.s.prune(ctx, l.actor, l.res, l.settings.KeepVersions); err != nil {
		l.s.log.WarnContext(ctx, "datastore: prune old versions", "resource", l.res.ID, "err", err)
	}
	return v, nil
}

func (l *loader) itemStats() {
	total := l.report.RowsLoaded
	for i, it := range l.res.Items {
		st := ItemQuality{Name: it.Name, Label: it.LabelZh, Type: it.Type, Nulls: l.nulls[i], Invalid: l.invalid[i]}
		if j := l.m.Column[i]; j >= 0 {
			st.Mapped = l.m.Header[j]
		} else {
			st.Nulls = total
		}
		if total > 0 {
			st.NullRate = float64(st.Nulls) / float64(total)
		}
		l.report.Items = append(l.report.Items, st)
	}
	for k, n := range l.counts {
		l.report.ErrorCounts = append(l.report.ErrorCounts, RefusalCount{Column: k[0], Reason: k[1], Count: n})
	}
	sort.Slice(l.report.ErrorCounts, func(i, j int) bool {
		a, b := l.report.ErrorCounts[i], l.report.ErrorCounts[j]
		return a.Count > b.Count || (a.Count == b.Count && a.Column+a.Reason < b.Column+b.Reason)
	})
}

// legality runs the personal information check on the samples.
func (l *loader) legality() {
	lg := LegalityCheck{Declared: l.res.PersonalInfo, Findings: []ingest.PIIFinding{}}
	for i, it := range l.res.Items {
		if len(l.samples[i]) > 0 {
			lg.Findings = append(lg.Findings, l.s.pii.CheckColumn(it, l.samples[i])...)
		}
	}
	lg.Blocked = len(lg.Findings) > 0 && !l.res.PersonalInfo
	l.report.Legality = lg
}

// timeliness compares this load with the previous version's age.
func (l *loader) timeliness(ctx context.Context) error {
	t := TimelinessCheck{Frequency: l.res.UpdateFrequency}
	var prev time.Time
	err := l.s.db.QueryRowContext(ctx, `SELECT created_at FROM datastore_versions WHERE resource_id = $1 ORDER BY version DESC LIMIT 1`,
		l.res.ID).Scan(store.ScanTime(&prev))
	if err == nil {
		t.PreviousAt = &prev
		if d := due(t.Frequency, prev); !d.IsZero() {
			t.DueAt, t.Late = &d, time.Now().After(d)
		}
	} else if !isNoRows(err) {
		return err
	}
	l.report.Timeliness = t
	return nil
}

// keysAndIndexes enforces the uniqueness of the key items (refusing the
// file, or quarantining later duplicates) and builds the indexes.
func (l *loader) keysAndIndexes(ctx context.Context) error {
	var keys []string
	for _, it := range l.res.Items {
		if it.Key {
			keys = append(keys, ident(it.Name))
		}
	}
	l.report.Duplicates = KeyDuplicates{Keys: keyNames(l.res.Items)}
	db, t := l.s.db, ident(l.table)
	// One connection builds the indexes. On SQLite it sorts without
	// helper threads (PRAGMA threads): on two cores they added a quarter
	// to an index's CPU time and took nothing off its wall time.
	xc, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("datastore: index connection: %w", err)
	}
	defer xc.Close()
	if len(keys) > 0 && l.layout.Count > 0 {
		if err := l.duplicates(ctx, keys); err != nil {
			return err
		}
	} else if len(keys) > 0 && !l.keyIndexed {
		_, err := xc.ExecContext(ctx, keyIndexSQL(l.table, "_key", l.res.Items, true))
		if err != nil && !store.IsUniqueViolation(err) && !strings.Contains(err.Error(), "could not create unique index") {
			return fmt.Errorf("datastore: key index: %w", err)
		}
		if err != nil {
			if err := l.duplicates(ctx, keys); err != nil {
				return err
			}
		}
	}
	for _, name := range l.settings.Indexes {
		if _, err := xc.ExecContext(ctx, "CREATE INDEX "+ident(l.table+"_"+name)+" ON "+t+" ("+ident(name)+")"); err != nil {
			return fmt.Errorf("datastore: index %s: %w", name, err)
		}
		db.ExecContext(ctx, `UPDATE datastore_loads SET heartbeat_at = $2 WHERE id = $1`, l.id, store.TS(time.Now()))
	}
	if db.Dialect == store.Postgres {
		db.ExecContext(ctx, "VACUUM (ANALYZE) "+t) // sets the visibility map: counts become index-only scans
	}
	return nil
}

func keyNames(items []catalog.Item) []string {
	out := []string{}
	for _, it := range items {
		if it.Key {
			out = append(out, it.Name)
		}
	}
	return out
}

// duplicates reports records whose key repeats an earlier record's. Under
// the refuse policy the load fails; under quarantine the later records are
// moved aside and the unique index is built.
func (l *loader) duplicates(ctx context.Context, keys []string) error {
	db, t, k := l.s.db, ident(l.table), strings.Join(keys, ", ")
	d := &l.report.Duplicates
	err := db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(n - 1), 0) FROM (SELECT COUNT(*) AS n FROM `+t+
		` GROUP BY `+k+` HAVING COUNT(*) > 1) dups`).Scan(&d.Groups, &d.Rows)
	if err != nil {
		return fmt.Errorf("datastore: count duplicates: %w", err)
	}
	if d.Groups == 0 { // a partitioned table's keys, checked by counting
		_, err := db.ExecContext(ctx, keyIndexSQL(l.table, "_key", l.res.Items, l.layout.Count == 0))
		return err
	}
	rows, err := db.QueryContext(ctx, `SELECT MIN(`+ident(rowColumn)+`), MAX(`+ident(rowColumn)+`) FROM `+t+` GROUP BY `+k+
		` HAVING COUNT(*) > 1 ORDER BY 2 LIMIT 20`)
	if err != nil {
		return err
	}
	var examples []ingest.RowError
	keyLabel := strings.Join(d.Keys, ", ")
	for rows.Next() {
		var first, dup int64
		if err := rows.Scan(&first, &dup); err != nil {
			rows.Close()
			return err
		}
		examples = append(examples, ingest.RowError{Row: dup, Column: keyLabel, Reason: fmt.Sprintf("repeats the key of row %d", first)})
	}
	rows.Close()
	if l.settings.OnError == Refuse {
		return &LoadError{Reason: fmt.Sprintf("%d record(s) repeat the key (%s) of an earlier record", d.Rows, keyLabel), Errors: examples}
	}
	l.report.Errors = append(l.report.Errors, examples...)
	keep := `SELECT MIN(` + ident(rowColumn) + `) FROM ` + t + ` GROUP BY ` + k
	err = db.Transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+ident(l.table+"_q")+` ("row", "column", "value", "reason", "record") SELECT `+
			ident(rowColumn)+`, $1, '', 'repeats the key of an earlier record', '' FROM `+t+` WHERE `+ident(rowColumn)+` NOT IN (`+keep+`)`, keyLabel); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE `+ident(rowColumn)+` NOT IN (`+keep+`)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("datastore: quarantine duplicates: %w", err)
	}
	l.report.RowsRejected += d.Rows
	l.report.RowsLoaded -= d.Rows
	l.counts[[2]string{keyLabel, "repeats the key of an earlier record"}] += d.Rows
	_, err = db.ExecContext(ctx, keyIndexSQL(l.table, "_key", l.res.Items, l.layout.Count == 0))
	return err
}

// keyIndexSQL creates the unique index of the table's key items, named
// table+suffix; "" when no item is a key. On a partitioned table
// (partition.go) the index is a plain one, as unique says.
func keyIndexSQL(table, suffix string, items []catalog.Item, unique bool) string {
	var keys []string
	for _, it := range items {
		if it.Key {
			keys = append(keys, ident(it.Name))
		}
	}
	if len(keys) == 0 {
		return ""
	}
	create := "CREATE UNIQUE INDEX "
	if !unique {
		create = "CREATE INDEX "
	}
	return create + ident(table+suffix) + " ON " + ident(table) + " (" + strings.Join(keys, ", ") + ")"
}

// keyOrder follows whether a load's keys ascend strictly, as SQLite orders
// the stored values (BINARY text, numbers): while they do, no key repeats,
// and the key's unique index is cheaper kept while loading (each entry goes
// after the last) than sorted and built afterwards.
type keyOrder struct {
	cols      []int // the key items' positions
	prev      []any // the previous record's key values
	ascending bool
}

func newKeyOrder(items []catalog.Item) keyOrder {
	var k keyOrder
	for i, it := range items {
		if it.Key {
			k.cols = append(k.cols, i)
		}
	}
	k.ascending = len(k.cols) > 0
	return k
}

// next takes the stored values of the next loaded record.
func (k *keyOrder) next(vals []any) {
	if !k.ascending {
		return
	}
	if k.prev == nil {
		k.prev = make([]any, len(k.cols))
		for n, i := range k.cols {
			k.prev[n] = vals[i]
		}
		k.ascending = !slices.Contains(k.prev, nil)
		return
	}
	k.ascending = false
	for n, i := range k.cols {
		c, ok := compareStored(k.prev[n], vals[i])
		if !ok || c > 0 {
			return
		}
		if c < 0 {
			k.ascending = true
			break
		}
	}
	if k.ascending {
		for n, i := range k.cols {
			k.prev[n] = vals[i]
		}
	}
}

// compareStored orders two stored values of one column as SQLite does;
// ok is false for values it does not compare (NULL, mixed types).
func compareStored(a, b any) (c int, ok bool) {
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), true
		}
	case int64:
		if y, ok := b.(int64); ok {
			return cmp.Compare(x, y), true
		}
	case float64:
		if y, ok := b.(float64); ok && x == x && y == y {
			return cmp.Compare(x, y), true
		}
	}
	return 0, false
}

// fileHash is the SHA-256 of every byte read.
func (l *loader) fileHash() string {
	if sum := l.rd.Info().SHA256; sum != "" {
		return sum
	}
	if l.src.h == nil { // named .xlsx but read as another format
		return ""
	}
	return hex.EncodeToString(l.src.h.Sum(nil))
}

package harvest

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// Frequency is how often a source is harvested on its own.
type Frequency string

// Frequencies.
const (
	Manual Frequency = "manual" // only when someone asks
	Daily  Frequency = "daily"
	Weekly Frequency = "weekly"
)

// Frequencies lists them all.
var Frequencies = []Frequency{Manual, Daily, Weekly}

// period is how long after a run the next one is due (0: never by itself).
func (f Frequency) period() time.Duration {
	switch f {
	case Daily:
		return 24 * time.Hour
	case Weekly:
		return 7 * 24 * time.Hour
	}
	return 0
}

// Run statuses of a source.
const (
	RunQueued    = "queued"
	RunRunning   = "running"
	RunSucceeded = "succeeded"
	RunPartial   = "partial" // some records failed; the next run retries them
	RunFailed    = "failed"  // the source could not be read
)

// Source is another portal's catalog registered for an institution and
// harvested by the job runner: on its schedule, or when someone asks.
type Source struct {
	ID             string     `json:"id"`
	OrganizationID string     `json:"organization_id"`
	Kind           Kind       `json:"kind"`
	URL            string     `json:"url"`
	Subject        string     `json:"subject,omitempty"`
	Frequency      Frequency  `json:"frequency"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	NextRunAt      *time.Time `json:"next_run_at"`
	RunStatus      string     `json:"run_status,omitempty"` // "" never run
	RunError       string     `json:"run_error,omitempty"`
	LastReport     *RunReport `json:"last_report,omitempty"`
}

// SourceInput is what registers a source.
type SourceInput struct {
	OrganizationID string    `json:"organization_id"`
	Kind           Kind      `json:"kind" enum:"ckan,dcat"`
	URL            string    `json:"url" maxLength:"2000" doc:"A CKAN portal's address, or a DCAT-AP catalog in JSON-LD"`
	Subject        string    `json:"subject,omitempty" required:"false" doc:"Subject code for datasets whose subject the source does not tell"`
	Frequency      Frequency `json:"frequency" enum:"manual,daily,weekly"`
}

// SourceID is the id of source url of kind harvested into orgID: the same
// key its runs' events carry.
func SourceID(kind Kind, rawURL, orgID string) string {
	return sourceKey(kind, strings.TrimRight(strings.TrimSpace(rawURL), "/"), orgID)
}

// Queue queues a harvest of source id in tx (the job runner's, given by the
// wiring); full reads every record.
type Queue func(ctx context.Context, tx *store.Tx, id string, full bool) error

// Sources keeps the registered sources.
type Sources struct {
	db    *store.DB
	ids   *identity.Service
	queue Queue
}

// NewSources returns the source registry; queue runs harvests.
func NewSources(db *store.DB, ids *identity.Service, queue Queue) *Sources {
	return &Sources{db: db, ids: ids, queue: queue}
}

// CanManage: the platform operators and sysadmins register, change, run and
// remove sources (a source makes the server fetch a URL; they decide which).
func CanManage(p identity.Principal) bool {
	return p.Has(identity.PlatformOperator) || p.Has(identity.PlatformSysadmin)
}

// canView: platform staff, and the members of the institution harvested into.
func canView(p identity.Principal, s Source) bool {
	return p.IsPlatformStaff() || p.RoleIn(s.OrganizationID) != ""
}

func (in *SourceInput) normalize() {
	in.URL = strings.TrimRight(strings.TrimSpace(in.URL), "/")
	in.Subject = strings.TrimSpace(in.Subject)
	in.Kind = Kind(strings.ToLower(string(in.Kind)))
	if in.Frequency == "" {
		in.Frequency = Manual
	}
}

func (s *Sources) validate(ctx context.Context, in SourceInput) error {
	var errs validate.Errors
	validate.OneOf(&errs, "kind", in.Kind, CKAN, DCAT)
	validate.OneOf(&errs, "frequency", in.Frequency, Frequencies...)
	if errs.Required("url", in.URL) {
		errs.MaxLen("url", in.URL, 2000)
		if u, err := url.Parse(in.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			errs.Add("url", in.URL, validate.CodeFormat, "must be an http or https address without credentials")
		}
	}
	errs.MaxLen("subject", in.Subject, 64)
	if errs.Required("organization_id", in.OrganizationID) {
		org, err := s.ids.Organization(ctx, in.OrganizationID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			errs.Add("organization_id", in.OrganizationID, validate.CodeUnknown, "no such organization")
		case err != nil:
			return err
		case org.Kind != identity.KindInstitution:
			errs.Add("organization_id", in.OrganizationID, validate.CodeFormat, "is not a public institution (only institutions catalog public data)")
		}
	}
	return errs.Err()
}

// Create registers a source; a scheduled one is first harvested at once.
func (s *Sources) Create(ctx context.Context, actor identity.Principal, in SourceInput) (Source, error) {
	if actor.IsAnonymous() {
		return Source{}, identity.ErrUnauthenticated
	}
	if !CanManage(actor) {
		return Source{}, identity.ErrForbidden
	}
	in.normalize()
	if err := s.validate(ctx, in); err != nil {
		return Source{}, err
	}
	src := Source{ID: SourceID(in.Kind, in.URL, in.OrganizationID), OrganizationID: in.OrganizationID, Kind: in.Kind, URL: in.URL,
		Subject: in.Subject, Frequency: in.Frequency}
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		now := tx.Now()
		src.CreatedAt, src.UpdatedAt = now, now
		if src.Frequency != Manual {
			src.NextRunAt = &now
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO harvest_sources (id, organization_id, kind, url, subject, frequency, created_by, created_at, updated_at, next_run_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)`, src.ID, src.OrganizationID, string(src.Kind), src.URL, src.Subject,
			string(src.Frequency), actor.UserID, store.TS(now), store.NullTSPtr(src.NextRunAt))
		if store.IsUniqueViolation(err) {
			var errs validate.Errors
			errs.Add("url", in.URL, validate.CodeDuplicate, "is already a source of this institution")
			return errs
		}
		if err != nil {
			return err
		}
		return s.emit(ctx, tx, actor, "harvest_source.created", src)
	})
	return src, err
}

// Update changes a source's subject code and frequency (its kind, URL and
// institution are its identity: register another source to change them).
func (s *Sources) Update(ctx context.Context, actor identity.Principal, id, subject string, freq Frequency) (Source, error) {
	var src Source
	err := s.change(ctx, actor, id, func(tx *store.Tx, cur *Source) error {
		in := SourceInput{OrganizationID: cur.OrganizationID, Kind: cur.Kind, URL: cur.URL, Subject: subject, Frequency: freq}
		in.normalize()
		if err := s.validate(ctx, in); err != nil {
			return err
		}
		cur.Subject, cur.Frequency = in.Subject, in.Frequency
		if p := cur.Frequency.period(); p == 0 {
			cur.NextRunAt = nil
		} else if cur.NextRunAt == nil {
			next := tx.Now()
			cur.NextRunAt = &next
		}
		if _, err := tx.ExecContext(ctx, `UPDATE harvest_sources SET subject = $1, frequency = $2, next_run_at = $3, updated_at = $4 WHERE id = $5`,
			cur.Subject, string(cur.Frequency), store.NullTSPtr(cur.NextRunAt), store.TS(tx.Now()), cur.ID); err != nil {
			return err
		}
		src = *cur
		return s.emit(ctx, tx, actor, "harvest_source.updated", *cur)
	})
	return src, err
}

// RunNow queues a harvest of the source at once (full: every record, not
// only what changed). A source already queued or running is not queued twice.
func (s *Sources) RunNow(ctx context.Context, actor identity.Principal, id string, full bool) (Source, error) {
	var src Source
	err := s.change(ctx, actor, id, func(tx *store.Tx, cur *Source) error {
		src = *cur
		if cur.RunStatus == RunQueued || cur.RunStatus == RunRunning {
			return nil
		}
		src.RunStatus = RunQueued
		if err := s.setStatus(ctx, tx, id, RunQueued); err != nil {
			return err
		}
		if err := s.queue(ctx, tx, id, full); err != nil {
			return err
		}
		return s.emit(ctx, tx, actor, "harvest_source.run_requested", src)
	})
	return src, err
}

// Delete removes a source; what it harvested stays in the catalog.
func (s *Sources) Delete(ctx context.Context, actor identity.Principal, id string) error {
	return s.change(ctx, actor, id, func(tx *store.Tx, cur *Source) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM harvest_sources WHERE id = $1`, id); err != nil {
			return err
		}
		return s.emit(ctx, tx, actor, "harvest_source.deleted", *cur)
	})
}

// change runs fn on source id, locked, for a manager.
func (s *Sources) change(ctx context.Context, actor identity.Principal, id string, fn func(tx *store.Tx, cur *Source) error) error {
	if actor.IsAnonymous() {
		return identity.ErrUnauthenticated
	}
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		cur, err := s.read(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if !CanManage(actor) {
			if canView(actor, cur) {
				return identity.ErrForbidden
			}
			return fmt.Errorf("harvest source %s: %w", id, store.ErrNotFound)
		}
		return fn(tx, &cur)
	})
}

// Get returns a source with its last report, if p may see it.
func (s *Sources) Get(ctx context.Context, p identity.Principal, id string) (Source, error) {
	src, err := s.read(ctx, s.db, id, false)
	if err != nil {
		return Source{}, err
	}
	if !canView(p, src) {
		return Source{}, fmt.Errorf("harvest source %s: %w", id, store.ErrNotFound)
	}
	return src, nil
}

// List returns the sources p may see (every one for platform staff; their
// institutions' for others), by institution and URL, without reports.
func (s *Sources) List(ctx context.Context, p identity.Principal) ([]Source, error) {
	if p.IsAnonymous() {
		return nil, identity.ErrUnauthenticated
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+sourceColumns+`, '' FROM harvest_sources ORDER BY organization_id, url`)
	if err != nil {
		return nil, fmt.Errorf("harvest: sources: %w", err)
	}
	defer rows.Close()
	var out []Source
	for rows.Next() {
		src, err := scanSource(rows)
		if err != nil {
			return nil, err
		}
		if canView(p, src) {
			out = append(out, src)
		}
	}
	return out, rows.Err()
}

// QueueDue queues the scheduled sources due at now, each once, moving its
// next run on by its period; the job runner's periodic work calls it.
func (s *Sources) QueueDue(ctx context.Context, now time.Time) (int, error) {
	ids, err := store.Strings(ctx, s.db, `SELECT id FROM harvest_sources WHERE next_run_at IS NOT NULL AND next_run_at <= $1
		AND run_status NOT IN ($2, $3) ORDER BY next_run_at`, store.TS(now), RunQueued, RunRunning)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		err := s.db.Transact(ctx, func(tx *store.Tx) error {
			cur, err := s.read(ctx, tx, id, true)
			if err != nil || cur.NextRunAt == nil || cur.NextRunAt.After(now) || cur.RunStatus == RunQueued || cur.RunStatus == RunRunning {
				return err // gone, changed or taken by another node meanwhile
			}
			next := now.Add(cur.Frequency.period())
			if _, err := tx.ExecContext(ctx, `UPDATE harvest_sources SET next_run_at = $1, run_status = $2 WHERE id = $3`,
				store.TS(next), RunQueued, id); err != nil {
				return err
			}
			n++
			return s.queue(ctx, tx, id, false)
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return n, err
		}
	}
	return n, nil
}

// Run harvests source id with h, keeping the outcome on the source: the
// job runner's harvest job calls it. A source that cannot be read at all
// returns the error (the job is retried); failed records do not.
func (s *Sources) Run(ctx context.Context, h *Harvester, id string, full bool) (RunReport, error) {
	src, err := s.read(ctx, s.db, id, false)
	if err != nil {
		return RunReport{}, err
	}
	if err := s.db.Transact(ctx, func(tx *store.Tx) error { return s.setStatus(ctx, tx, id, RunRunning) }); err != nil {
		return RunReport{}, err
	}
	rep, runErr := h.Run(ctx, src.Kind, src.URL, src.OrganizationID, Options{Full: full, Subject: src.Subject})
	status, why := RunSucceeded, ""
	switch {
	case runErr != nil:
		status, why = RunFailed, reason(runErr)
	case len(rep.Failed) > 0:
		status = RunPartial
	}
	report, err := json.Marshal(capped(rep))
	if err != nil {
		return rep, err
	}
	// A canceled job's context is done; its outcome is still recorded.
	done := context.WithoutCancel(ctx)
	err = s.db.Transact(done, func(tx *store.Tx) error {
		_, err := tx.ExecContext(done, `UPDATE harvest_sources SET run_status = $1, run_error = $2, last_report = $3 WHERE id = $4`,
			status, why, string(report), id)
		return err
	})
	if runErr != nil {
		return rep, runErr
	}
	return rep, err
}

// Failed records that the source's harvest job gave up (after its last
// attempt), so that the source does not stay "running".
func (s *Sources) Failed(ctx context.Context, id string, cause error) error {
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE harvest_sources SET run_status = $1, run_error = $2 WHERE id = $3`, RunFailed, reason(cause), id)
		return err
	})
}

// reportCap is how many outcomes of each list a source keeps from its last run.
const reportCap = 500

// capped is rep with each list of outcomes cut to reportCap.
func capped(rep RunReport) RunReport {
	for _, l := range []*[]Outcome{&rep.Created, &rep.Updated, &rep.Skipped, &rep.Failed} {
		*l = (*l)[:min(len(*l), reportCap)]
	}
	return rep
}

func (s *Sources) setStatus(ctx context.Context, tx *store.Tx, id, status string) error {
	_, err := tx.ExecContext(ctx, `UPDATE harvest_sources SET run_status = $1, run_error = '' WHERE id = $2`, status, id)
	return err
}

// emit writes a source's event: identifiers and the source's address, no
// personal data.
func (s *Sources) emit(ctx context.Context, tx *store.Tx, actor identity.Principal, typ string, src Source) error {
	return tx.Emit(ctx, store.Event{Type: typ, ActorUserID: actor.UserID, ActorOrgID: src.OrganizationID, SubjectKind: "harvest_source",
		SubjectID: src.ID}, map[string]any{"kind": src.Kind, "url": src.URL, "organization_id": src.OrganizationID, "frequency": src.Frequency,
		"subject": src.Subject})
}

const sourceColumns = `id, organization_id, kind, url, subject, frequency, created_at, updated_at, next_run_at, run_status, run_error`

func (s *Sources) read(ctx context.Context, q store.Querier, id string, lock bool) (Source, error) {
	query := `SELECT ` + sourceColumns + `, last_report FROM harvest_sources WHERE id = $1`
	if lock && s.db.Dialect == store.Postgres {
		query += ` FOR UPDATE`
	}
	src, err := scanSource(q.QueryRowContext(ctx, query, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Source{}, fmt.Errorf("harvest source %s: %w", id, store.ErrNotFound)
	}
	return src, err
}

func scanSource(row interface{ Scan(...any) error }) (Source, error) {
	var src Source
	var kind, freq, report string
	var next time.Time
	err := row.Scan(&src.ID, &src.OrganizationID, &kind, &src.URL, &src.Subject, &freq, store.ScanTime(&src.CreatedAt),
		store.ScanTime(&src.UpdatedAt), store.ScanTime(&next), &src.RunStatus, &src.RunError, &report)
	if err != nil {
		return Source{}, err
	}
	src.Kind, src.Frequency = Kind(kind), Frequency(freq)
	if !next.IsZero() {
		src.NextRunAt = &next
	}
	if report != "" {
		var rep RunReport
		if err := json.Unmarshal([]byte(report), &rep); err != nil {
			return Source{}, fmt.Errorf("harvest source %s: report: %w", src.ID, err)
		}
		src.LastReport = &rep
	}
	return src, nil
}

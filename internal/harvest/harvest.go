// Package harvest imports another portal's catalog into one institution of
// this one: from a CKAN Action API (the call pattern of ckanext-harvest's
// CKAN harvester) or from a DCAT-AP catalog in JSON-LD, incrementally (only
// what changed since the last complete run), with a report of what was
// created, updated, skipped and failed, and why.
//
// Records keep their source identity: a CKAN package keeps its id (as
// ckanext-harvest does), a DCAT dataset gets an id derived from its IRI, so
// that a second run updates what the first created. Harvested resources are
// published by the platform itself (identity.System), each version noting
// the source; each run ends with a harvest.completed event.
package harvest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"

	"github.com/google/uuid"
)

// Kind is the protocol of a source.
type Kind string

// Source protocols.
const (
	CKAN Kind = "ckan"
	DCAT Kind = "dcat"
)

// Record is one dataset read from a source.
type Record struct {
	RemoteID string    // the source's id (CKAN) or IRI (DCAT)
	Name     string    // a name to report it by
	Modified time.Time // when the source last changed it
	Input    catalog.Input
	Err      error // why it could not be read, if it could not
	// Placeholder is set when the source described no data items and one
	// was added so the record meets the catalog spec.
	Placeholder bool
}

// Options tune a run.
type Options struct {
	// Full harvests every record, not just those changed since the last run.
	Full bool
	// Subject is the subject code for records whose own cannot be told.
	Subject string
}

// Outcome is what happened to one record.
type Outcome struct {
	Name     string `json:"name"`
	RemoteID string `json:"remote_id"`
	LocalID  string `json:"local_id,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// RunReport is the result of one run.
type RunReport struct {
	Kind         Kind      `json:"kind"`
	Source       string    `json:"source"`
	Organization string    `json:"organization_id"`
	Since        time.Time `json:"since"` // zero: everything was asked for
	Started      time.Time `json:"started"`
	Finished     time.Time `json:"finished"`
	Created      []Outcome `json:"created"`
	Updated      []Outcome `json:"updated"`
	Skipped      []Outcome `json:"skipped"`
	Failed       []Outcome `json:"failed"`
	Placeholders int       `json:"placeholder_items"` // records given a placeholder data item
}

// Harvester runs harvests into the catalog.
type Harvester struct {
	DB       *store.DB
	Catalog  *catalog.Service
	Identity *identity.Service
	Client   *http.Client
	Log      *slog.Logger
}

// Run harvests source (a portal's base URL for CKAN, a catalog URL for DCAT)
// into the institution orgID.
func (h *Harvester) Run(ctx context.Context, kind Kind, source, orgID string, opts Options) (RunReport, error) {
	source = strings.TrimRight(strings.TrimSpace(source), "/")
	rep := RunReport{Kind: kind, Source: source, Organization: orgID, Started: time.Now().UTC()}
	if _, err := h.Identity.Organization(ctx, orgID); err != nil {
		return rep, fmt.Errorf("harvest: institution %s: %w", orgID, err)
	}
	last, err := h.lastRun(ctx, kind, source, orgID)
	if err != nil {
		return rep, err
	}
	if !opts.Full && !last.IsZero() {
		rep.Since = last.Add(-time.Minute) // clocks differ a little; unchanged records are skipped anyway
	}
	records, err := h.fetch(ctx, kind, source, rep.Since, opts)
	if err != nil {
		return rep, err
	}
	for _, r := range records {
		h.apply(ctx, &rep, source, orgID, r)
	}
	for _, list := range [][]Outcome{rep.Created, rep.Updated, rep.Skipped, rep.Failed} {
		sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	}
	rep.Finished = time.Now().UTC()
	return rep, h.record(ctx, rep, last)
}

func (h *Harvester) fetch(ctx context.Context, kind Kind, source string, since time.Time, opts Options) ([]Record, error) {
	client := h.Client
	if client == nil {
		client = &http.Client{Timeout: time.Minute}
	}
	switch kind {
	case CKAN:
		return fetchCKAN(ctx, client, source, since, opts)
	case DCAT:
		return fetchDCAT(ctx, client, source, since, opts)
	}
	return nil, fmt.Errorf("harvest: unknown source kind %q (want ckan or dcat)", kind)
}

// apply creates, updates or skips one record, noting the outcome.
func (h *Harvester) apply(ctx context.Context, rep *RunReport, source, orgID string, r Record) {
	out := Outcome{Name: r.Name, RemoteID: r.RemoteID}
	fail := func(err error) {
		out.Reason = reason(err)
		rep.Failed = append(rep.Failed, out)
	}
	if r.Err != nil {
		fail(r.Err)
		return
	}
	if r.Placeholder {
		rep.Placeholders++
	}
	out.LocalID = LocalID(source, r.RemoteID)
	local, err := h.Catalog.Get(ctx, identity.System, out.LocalID)
	note := "harvested from " + source
	switch {
	case errors.Is(err, store.ErrNotFound):
		created, err := h.Catalog.CreateWithID(ctx, identity.System, orgID, out.LocalID, r.Input)
		if err == nil {
			err = h.publish(ctx, created.ID, note)
		}
		if err != nil {
			fail(err)
			return
		}
		rep.Created = append(rep.Created, out)
	case err != nil:
		fail(err)
	case local.OrganizationID != orgID:
		fail(fmt.Errorf("already harvested into another institution (%s)", local.OrganizationID))
	case local.Status == catalog.StatusRetired:
		out.Reason = "retired here; not brought back"
		rep.Skipped = append(rep.Skipped, out)
	case unchanged(local, r.Input):
		out.Reason = "unchanged"
		rep.Skipped = append(rep.Skipped, out)
	default:
		if err := h.update(ctx, local, r.Input, note); err != nil {
			fail(err)
			return
		}
		rep.Updated = append(rep.Updated, out)
	}
}

// LocalID is the id a record gets here: the source's own when it is a UUID
// (as ckanext-harvest keeps CKAN ids), else a UUID derived from the source
// and its identifier, the same on every run.
func LocalID(source, remoteID string) string {
	if u, err := uuid.Parse(remoteID); err == nil {
		return u.String()
	}
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte(source+"#"+remoteID)).String()
}

func unchanged(local catalog.Resource, in catalog.Input) bool {
	in.Normalize()
	next := local
	next.Input = in
	return len(catalog.Diff(local, next)) == 0
}

// update brings a harvested resource in line with its source: a published
// one is revised in place, a draft or returned one edited and published.
func (h *Harvester) update(ctx context.Context, local catalog.Resource, in catalog.Input, note string) error {
	switch acts := catalog.Actions(identity.System, local); {
	case acts.Has(catalog.ActionRevise):
		_, err := h.Catalog.Revise(ctx, identity.System, local.ID, in, note)
		return err
	case acts.Has(catalog.ActionEdit):
		if _, err := h.Catalog.Update(ctx, identity.System, local.ID, in); err != nil {
			return err
		}
	}
	return h.publish(ctx, local.ID, note)
}

// publish submits and approves a harvested resource.
func (h *Harvester) publish(ctx context.Context, id, note string) error {
	r, err := h.Catalog.Get(ctx, identity.System, id)
	if err != nil {
		return err
	}
	if catalog.Actions(identity.System, r).Has(catalog.ActionSubmit) {
		if r, err = h.Catalog.Submit(ctx, identity.System, id); err != nil {
			return err
		}
	}
	if catalog.Actions(identity.System, r).Has(catalog.ActionReview) {
		_, err = h.Catalog.Review(ctx, identity.System, id, catalog.Approve, note)
	}
	return err
}

// reason is an error as a report line: field problems listed by field.
func reason(err error) string {
	var verrs validate.Errors
	if errors.As(err, &verrs) {
		parts := make([]string, len(verrs))
		for i, fe := range verrs {
			parts[i] = fe.Field + " " + fe.Message
		}
		return strings.Join(parts, "; ")
	}
	return err.Error()
}

// sourceKey identifies a source harvested into an institution.
func sourceKey(kind Kind, source, orgID string) string {
	sum := sha256.Sum256([]byte(string(kind) + " " + source + " " + orgID))
	return hex.EncodeToString(sum[:16])
}

// runPayload is the harvest.completed event's payload.
type runPayload struct {
	Kind    Kind      `json:"kind"`
	Source  string    `json:"source"`
	Org     string    `json:"organization_id"`
	Started time.Time `json:"started"`
	// Since is where the next run starts: this run's start when every
	// record went through, else the previous run's, so failures are retried.
	NextSince time.Time `json:"next_since"`
	Created   int       `json:"created"`
	Updated   int       `json:"updated"`
	Skipped   int       `json:"skipped"`
	Failed    int       `json:"failed"`
}

// lastRun returns where this run starts: the next_since of the last run of
// the same source into the same institution (zero when none).
func (h *Harvester) lastRun(ctx context.Context, kind Kind, source, orgID string) (time.Time, error) {
	evs, err := h.DB.Events(ctx, store.EventFilter{SubjectKind: "harvest_source", SubjectID: sourceKey(kind, source, orgID),
		Type: "harvest.completed", Limit: 1})
	if err != nil || len(evs) == 0 {
		return time.Time{}, err
	}
	var p runPayload
	if err := json.Unmarshal(evs[0].Payload, &p); err != nil {
		return time.Time{}, fmt.Errorf("harvest: last run: %w", err)
	}
	return p.NextSince, nil
}

// record writes the run's event, so the next run knows where to start.
func (h *Harvester) record(ctx context.Context, rep RunReport, last time.Time) error {
	next := rep.Started
	if len(rep.Failed) > 0 {
		next = last
	}
	p := runPayload{Kind: rep.Kind, Source: rep.Source, Org: rep.Organization, Started: rep.Started, NextSince: next,
		Created: len(rep.Created), Updated: len(rep.Updated), Skipped: len(rep.Skipped), Failed: len(rep.Failed)}
	return h.DB.Transact(ctx, func(tx *store.Tx) error {
		return tx.Emit(ctx, store.Event{Type: "harvest.completed", ActorUserID: identity.System.UserID, ActorOrgID: rep.Organization,
			SubjectKind: "harvest_source", SubjectID: sourceKey(rep.Kind, rep.Source, rep.Organization)}, p)
	})
}

// placeholderItem stands for the data items a source did not describe.
var placeholderItem = catalog.Item{Name: "record", LabelZh: "数据记录（来源目录未列出数据项）", Type: catalog.TypeText,
	Description: "The source catalog does not describe this dataset's columns."}

// defaults fills what a generic open data source does not say, with the
// values that fit data another portal already publishes openly.
func defaults(in *catalog.Input, source string, opts Options) (placeholder bool) {
	if in.Subject == "" {
		in.Subject = opts.Subject
	}
	if in.OpenType == "" {
		in.OpenType = catalog.OpenUnconditional
	}
	if in.ShareType == "" {
		in.ShareType = catalog.ShareType(in.OpenType) // open to the public: at least as open to institutions
	}
	basis := "依来源目录的规定（" + source + "）"
	if in.OpenType != catalog.OpenUnconditional && in.OpenBasis == "" {
		in.OpenBasis = basis
	}
	if in.ShareType != catalog.ShareUnconditional && in.ShareBasis == "" {
		in.ShareBasis = basis
	}
	if in.Classification == "" {
		in.Classification, in.Level = catalog.ClassGeneral, 1
	}
	if in.Level == 0 {
		in.Level = 1
	}
	if in.UpdateFrequency == "" {
		in.UpdateFrequency = catalog.FreqIrregular
	}
	if len(in.Items) == 0 {
		in.Items = []catalog.Item{placeholderItem}
		return true
	}
	return false
}

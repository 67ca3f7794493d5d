package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"dataport/internal/identity"
	"dataport/internal/store"
)

// Change is one field that differs between two versions of a resource.
// Items are addressed by name ("items.phone.label_zh").
type Change struct {
	Field string `json:"field"`
	From  any    `json:"from"`
	To    any    `json:"to"`
}

// Version is one recorded state of a resource: who did what, when, and what changed.
type Version struct {
	Version int       `json:"version"`
	Action  string    `json:"action"`
	ActorID string    `json:"actor_id"`
	At      time.Time `json:"at"`
	Comment string    `json:"comment"`
	Changes []Change  `json:"changes"`
}

// record writes the new version of r with its diff from before (nil when
// created) and the event for the action, in tx.
func record(ctx context.Context, tx *store.Tx, actor identity.Principal, before *Resource, r Resource, action, comment string) error {
	var changes []Change
	if before != nil {
		changes = Diff(*before, r)
	} else {
		changes = Diff(Resource{}, r)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO resource_versions (resource_id, version, action, actor_id, at, comment, changes, snapshot)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`, r.ID, r.Version, action, actor.UserID, store.TS(tx.Now()), comment, jsonText(changes), jsonText(r))
	if err != nil {
		return fmt.Errorf("catalog: record version: %w", err)
	}
	fields := make([]string, len(changes))
	for i, c := range changes {
		fields[i] = c.Field
	}
	return tx.Emit(ctx, store.Event{Type: "resource." + action, ActorUserID: actor.UserID, ActorOrgID: r.OrganizationID,
		SubjectKind: "resource", SubjectID: r.ID},
		map[string]any{"code": r.Code, "version": r.Version, "status": r.Status, "changed_fields": fields, "snapshot_sha256": snapshotHash(r)})
}

func snapshotHash(r Resource) string {
	return store.SHA256Hex(jsonText(r))
}

// History lists every version of a resource, newest first.
func (s *Service) History(ctx context.Context, actor identity.Principal, id string) ([]Version, error) {
	if _, err := s.Get(ctx, actor, id); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT version, action, actor_id, at, comment, changes FROM resource_versions
		WHERE resource_id = $1 ORDER BY version DESC`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Version{}
	for rows.Next() {
		var v Version
		var changes []byte
		if err := rows.Scan(&v.Version, &v.Action, &v.ActorID, store.ScanTime(&v.At), &v.Comment, &changes); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(changes, &v.Changes); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Diff lists the fields whose values differ between a and b, bookkeeping
// fields (version, timestamps) excluded, sorted by field.
func Diff(a, b Resource) []Change {
	fa, fb := flatten(a), flatten(b)
	changes := []Change{}
	for k, vb := range fb {
		if va, ok := fa[k]; !ok || !reflect.DeepEqual(va, vb) {
			changes = append(changes, Change{Field: k, From: fa[k], To: vb})
		}
	}
	for k, va := range fa {
		if _, ok := fb[k]; !ok {
			changes = append(changes, Change{Field: k, From: va, To: nil})
		}
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Field < changes[j].Field })
	return changes
}

var bookkeeping = map[string]bool{"version": true, "created_at": true, "updated_at": true, "published_at": true, "id": true, "created_by": true}

func flatten(r Resource) map[string]any {
	var m map[string]any
	json.Unmarshal([]byte(jsonText(r)), &m)
	out := map[string]any{}
	for k, v := range m {
		if bookkeeping[k] || k == "items" {
			continue
		}
		if isZero(v) {
			continue
		}
		out[k] = v
	}
	for _, it := range r.Items {
		var im map[string]any
		json.Unmarshal([]byte(jsonText(it)), &im)
		for k, v := range im {
			if k != "name" && !isZero(v) {
				out["items."+it.Name+"."+k] = v
			}
		}
		out["items."+it.Name] = true
	}
	return out
}

func isZero(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case float64:
		return x == 0
	case bool:
		return !x
	case []any:
		return len(x) == 0
	}
	return false
}

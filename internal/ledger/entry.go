package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"dataport/internal/store"
)

// Entry is what the log holds for one event: identifiers, the time and the
// SHA-256 of the payload, never the payload itself (log entries cannot be
// deleted, so they must carry no personal data). Its fields are declared in
// key order, so its JSON is canonical.
type Entry struct {
	Actor         Actor   `json:"actor"`
	At            string  `json:"at"` // RFC 3339, UTC, microseconds, as stored
	ID            string  `json:"id"`
	PayloadSHA256 string  `json:"payload_sha256"` // hex
	Subject       Subject `json:"subject"`
	Type          string  `json:"type"`
}

// Actor is who caused an event: a user and the organization they acted for
// (either may be empty).
type Actor struct {
	Organization string `json:"organization"`
	User         string `json:"user"`
}

// Subject is what an event is about.
type Subject struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
}

// EntryFor returns the log entry of ev. The payload hash is computed from the
// payload the row holds, so a payload edited after the fact no longer matches.
func EntryFor(ev store.Event) Entry {
	sum := sha256.Sum256(ev.Payload)
	return Entry{
		Actor:         Actor{Organization: ev.ActorOrgID, User: ev.ActorUserID},
		At:            store.TS(ev.At),
		ID:            ev.ID,
		PayloadSHA256: hex.EncodeToString(sum[:]),
		Subject:       Subject{ID: ev.SubjectID, Kind: ev.SubjectKind},
		Type:          ev.Type,
	}
}

// Marshal returns the canonical JSON of e: UTF-8, keys sorted, no
// insignificant whitespace, no HTML escaping. Equal entries give equal bytes.
func (e Entry) Marshal() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		panic(fmt.Sprintf("ledger: encode entry: %v", err)) // only strings: cannot fail
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// ParseEntry decodes a leaf of the log. It refuses leaves that are not in
// canonical form, so a leaf and its parsed entry always correspond one to one.
func ParseEntry(leaf []byte) (Entry, error) {
	var e Entry
	dec := json.NewDecoder(bytes.NewReader(leaf))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Entry{}, fmt.Errorf("ledger: entry is not an event: %w", err)
	}
	if !bytes.Equal(e.Marshal(), leaf) {
		return Entry{}, fmt.Errorf("ledger: entry is not in canonical form")
	}
	return e, nil
}

// diff names the fields in which e and other differ.
func (e Entry) diff(other Entry) []string {
	var fields []string
	add := func(name string, x, y string) {
		if x != y {
			fields = append(fields, name)
		}
	}
	add("id", e.ID, other.ID)
	add("type", e.Type, other.Type)
	add("at", e.At, other.At)
	add("actor.user", e.Actor.User, other.Actor.User)
	add("actor.organization", e.Actor.Organization, other.Actor.Organization)
	add("subject.kind", e.Subject.Kind, other.Subject.Kind)
	add("subject.id", e.Subject.ID, other.Subject.ID)
	add("payload", e.PayloadSHA256, other.PayloadSHA256)
	return fields
}

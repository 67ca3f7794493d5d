package ledger_test

import (
	"encoding/json"
	"testing"
	"time"

	"dataport/internal/ledger"
	"dataport/internal/store"
)

func TestEntryIsCanonical(t *testing.T) {
	ev := store.Event{ID: "e1", Type: "resource.published", At: time.Date(2026, 3, 1, 8, 0, 0, 1000, time.UTC),
		ActorUserID: "u1", ActorOrgID: "o1", SubjectKind: "resource", SubjectID: "<北京>&", Payload: []byte(`{"a":1}`)}
	got := string(ledger.EntryFor(ev).Marshal())
	want := `{"actor":{"organization":"o1","user":"u1"},"at":"2026-03-01T08:00:00.000001Z","id":"e1",` +
		`"payload_sha256":"015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862",` +
		`"subject":{"id":"<北京>&","kind":"resource"},"type":"resource.published"}`
	if got != want {
		t.Fatalf("entry\n got %s\nwant %s", got, want)
	}
	for _, test := range []struct {
		name, leaf string
		ok         bool
	}{
		{"canonical", want, true},
		{"whitespace", `{"actor": {"organization":"o1","user":"u1"},"at":"x","id":"e1","payload_sha256":"","subject":{"id":"","kind":""},"type":""}`, false},
		{"keys out of order", `{"id":"e1","actor":{"organization":"","user":""},"at":"","payload_sha256":"","subject":{"id":"","kind":""},"type":""}`, false},
		{"unknown key", `{"actor":{"organization":"","user":""},"at":"","extra":1,"id":"e1","payload_sha256":"","subject":{"id":"","kind":""},"type":""}`, false},
		{"not JSON", `hello`, false},
	} {
		t.Run(test.name, func(t *testing.T) {
			e, err := ledger.ParseEntry([]byte(test.leaf))
			if (err == nil) != test.ok {
				t.Fatalf("ParseEntry err = %v, want ok %v", err, test.ok)
			}
			if test.ok && e.Subject.ID != "<北京>&" {
				t.Errorf("parsed %+v", e)
			}
		})
	}
	// Keys sorted: a generic re-encoding (maps sort keys) gives the same bytes,
	// apart from encoding/json's HTML escaping.
	var m map[string]any
	json.Unmarshal([]byte(want), &m)
	plain := ev
	plain.SubjectID = "plain"
	again, _ := json.Marshal(map[string]any{"actor": m["actor"], "at": m["at"], "id": m["id"], "payload_sha256": m["payload_sha256"],
		"subject": map[string]any{"id": "plain", "kind": "resource"}, "type": m["type"]})
	if string(again) != string(ledger.EntryFor(plain).Marshal()) {
		t.Errorf("generic encoding %s differs", again)
	}
}

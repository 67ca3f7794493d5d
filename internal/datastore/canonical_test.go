package datastore

import (
	"testing"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/store"
)

// canonicalTime must agree with storeValue: the raw text stands in for the
// formatted value only when they are equal (it may decline an equal one,
// which is then formatted as before).
func TestCanonicalTime(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	for _, c := range []struct {
		typ  catalog.ItemType
		s    string
		t    time.Time
		want bool
	}{
		{catalog.TypeDate, "2020-01-02", time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC), true},
		{catalog.TypeDate, "2020-1-02", time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC), false},
		{catalog.TypeDate, "2020/01/02", time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC), false},
		{catalog.TypeDate, "0999-12-31", time.Date(999, 12, 31, 0, 0, 0, 0, time.UTC), true},
		{catalog.TypeDate, "2020-02-30", time.Date(2020, 3, 1, 0, 0, 0, 0, time.UTC), false},
		{catalog.TypeDatetime, "2020-01-02 03:04:05", time.Date(2020, 1, 2, 3, 4, 5, 0, loc), true},
		{catalog.TypeDatetime, "2020-01-02 03:04:05", time.Date(2020, 1, 2, 3, 4, 5, 500, loc), false},
		{catalog.TypeDatetime, "2020-01-02T03:04:05", time.Date(2020, 1, 2, 3, 4, 5, 0, loc), false},
		{catalog.TypeDatetime, "2020-01-02 24:00:00", time.Date(2020, 1, 3, 0, 0, 0, 0, loc), false},
		{catalog.TypeDatetime, "2020-01-02", time.Date(2020, 1, 2, 0, 0, 0, 0, loc), false},
		{catalog.TypeText, "2020-01-02", time.Date(2020, 1, 2, 0, 0, 0, 0, loc), false},
	} {
		same := c.typ != catalog.TypeText && storeValue(store.SQLite, c.typ, c.t) == c.s
		got := canonicalTime(c.typ, c.s, c.t)
		if got && !same || c.want && !got {
			t.Errorf("canonicalTime(%s, %q, %v) = %v, want %v", c.typ, c.s, c.t, got, c.want)
		}
	}
}

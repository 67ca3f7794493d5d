package store

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// timeLayout is fixed-width so that SQLite's text timestamps sort as times do.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// TS formats t for a timestamp column in either dialect (UTC, microseconds).
func TS(t time.Time) string { return t.UTC().Format(timeLayout) }

// NullTS formats t, or returns nil for the zero time.
func NullTS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return TS(t)
}

// TimeScanner scans a timestamp column (TEXT in SQLite, timestamptz in
// PostgreSQL) into *T; NULL leaves the zero time.
type TimeScanner struct{ T *time.Time }

// ScanTime returns a scanner that stores a timestamp column into t.
func ScanTime(t *time.Time) TimeScanner { return TimeScanner{t} }

// Scan implements sql.Scanner.
func (s TimeScanner) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s.T = time.Time{}
	case time.Time:
		*s.T = v.UTC()
	case string:
		return s.parse(v)
	case []byte:
		return s.parse(string(v))
	default:
		return fmt.Errorf("store: cannot scan %T into time", src)
	}
	return nil
}

func (s TimeScanner) parse(v string) error {
	for _, layout := range []string{timeLayout, time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00"} {
		if t, err := time.Parse(layout, v); err == nil {
			*s.T = t.UTC()
			return nil
		}
	}
	return fmt.Errorf("store: bad timestamp %q", v)
}

// Value implements driver.Valuer so a TimeScanner can also be written.
func (s TimeScanner) Value() (driver.Value, error) { return NullTS(*s.T), nil }

// NullTSPtr formats *t for a nullable timestamp column, or returns nil.
func NullTSPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return TS(*t)
}

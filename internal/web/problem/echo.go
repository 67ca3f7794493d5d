package problem

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Limits on what an error response echoes of the request, so that a large
// invalid body (a 900 KB field, a thousand bad rows) gets a small answer.
// Every error path — the native API, uploads, the CKAN API — caps with
// these, through Value, Text and Count.
const (
	// MaxValueBytes caps each echoed value (a field's value, a cell).
	MaxValueBytes = 200
	// MaxTextBytes caps a message, a detail or a location, which may quote
	// the request (a property name, a bad token).
	MaxTextBytes = 1000
	// MaxErrors caps the entries of one response; a final entry says how
	// many more there were.
	MaxErrors = 100
)

// Ellipsis ends a value that was cut.
const Ellipsis = "…"

// Text returns s cut to at most max bytes (on a character boundary) and
// ended with Ellipsis when it was longer.
func Text(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + Ellipsis
}

// Value returns v as an error response may echo it: strings and byte
// slices cut at MaxValueBytes; lists, objects and other values that encode
// to more than MaxValueBytes of JSON become their JSON text, cut; small
// values unchanged.
func Value(v any) any {
	switch x := v.(type) {
	case nil, bool, int, int64, float64, json.Number:
		return v
	case string:
		return Text(x, MaxValueBytes)
	case []byte:
		return Text(string(x), MaxValueBytes)
	case fmt.Stringer:
		return Text(x.String(), MaxValueBytes)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return Text(fmt.Sprint(v), MaxValueBytes)
	}
	if len(raw) <= MaxValueBytes {
		return v
	}
	return Text(string(raw), MaxValueBytes)
}

// Count returns how many of n entries a response keeps, and the sentence
// of the final entry that stands for the rest ("" when none was dropped).
func Count(n int) (keep int, more string) {
	if n <= MaxErrors {
		return n, ""
	}
	keep = MaxErrors - 1
	return keep, fmt.Sprintf("and %d more", n-keep)
}

// Values returns vs (a field problem's arguments) with each value cut as
// Value cuts it; nil when there are none.
func Values(vs []any) []any {
	if len(vs) == 0 {
		return nil
	}
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = Value(v)
	}
	return out
}

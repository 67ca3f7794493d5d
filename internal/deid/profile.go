// Package deid de-identifies tables (GB/T 37964): column operators (mask,
// redact, keyed pseudonyms, generalisation by hierarchy, suppression,
// top/bottom coding, date shifting), an optimal search over the
// generalisation lattice for k-anonymity, distinct l-diversity and
// t-closeness under a record-suppression limit, and the re-identification
// risk of a table before and after (prosecutor, journalist, marketer).
package deid

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"dataport/internal/validate"
)

// Profile says how to de-identify a table. It is the JSON document of
// `dataport deid --profile` and of the profiles stored per resource.
type Profile struct {
	// QuasiIdentifiers are generalised together until the privacy model holds.
	QuasiIdentifiers []string `json:"quasi_identifiers"`
	// Sensitive attributes are kept as they are; l and t constrain them.
	Sensitive []string `json:"sensitive,omitempty"`
	// K: every combination of quasi-identifier values in the output is shared by at least K rows.
	K int `json:"k"`
	// L: distinct l-diversity, at least L distinct values of each sensitive attribute per class (0: off).
	L int `json:"l,omitempty"`
	// T: t-closeness, each class's distribution of each sensitive attribute is
	// within earth mover's distance T of the whole table's (0: off).
	T float64 `json:"t,omitempty"`
	// MaxSuppression is the largest share of rows that may be removed (0–1).
	MaxSuppression float64 `json:"max_suppression"`
	// Columns apply an operator to a column; columns not named are kept as they are.
	Columns map[string]ColumnOp `json:"columns,omitempty"`
	// Hierarchies give each quasi-identifier its generalisation levels.
	Hierarchies map[string]HierarchySpec `json:"hierarchies,omitempty"`
	// SamplingFraction is the share of the population the table covers, for
	// the journalist and marketer risk models (default 1: the table is the population).
	SamplingFraction float64 `json:"sampling_fraction,omitempty"`
	// RiskThreshold is the record risk above which a record counts as at
	// risk (default 1/K, or 0.2 without K).
	RiskThreshold float64 `json:"risk_threshold,omitempty"`
	// Metric is what the search minimises, one of Metrics (ARX's loss,
	// precision, discernibility, non-uniform entropy); default "loss".
	Metric string `json:"metric,omitempty"`
}

// Column operators.
const (
	OpKeep         = "keep"
	OpDrop         = "drop"         // remove the column
	OpRedact       = "redact"       // replace every value (by With, default "")
	OpMask         = "mask"         // keep KeepFirst and KeepLast characters, mask the rest
	OpPseudonymize = "pseudonymize" // keyed HMAC: same input, same pseudonym, within one profile's key
	OpGeneralize   = "generalize"   // a fixed level of the column's hierarchy
	OpSuppress     = "suppress"     // replace every value by "*"
	OpTopBottom    = "top_bottom"   // numbers above Top become Top, below Bottom become Bottom
	OpDateShift    = "date_shift"   // shift dates by a keyed offset of at most MaxDays, per value of By
)

// Ops lists the column operators.
var Ops = []string{OpKeep, OpDrop, OpRedact, OpMask, OpPseudonymize, OpGeneralize, OpSuppress, OpTopBottom, OpDateShift}

// ColumnOp is one column's operator and its parameters.
type ColumnOp struct {
	Op        string   `json:"op"`
	KeepFirst int      `json:"keep_first,omitempty"`
	KeepLast  int      `json:"keep_last,omitempty"`
	Char      string   `json:"char,omitempty"`      // mask character, default "*"
	With      string   `json:"with,omitempty"`      // redact replacement
	Algorithm string   `json:"algorithm,omitempty"` // pseudonymize: "hmac-sha256" (default) or "hmac-sm3"
	Length    int      `json:"length,omitempty"`    // pseudonymize: hex characters kept, default 16
	Level     int      `json:"level,omitempty"`     // generalize
	Top       *float64 `json:"top,omitempty"`
	Bottom    *float64 `json:"bottom,omitempty"`
	MaxDays   int      `json:"max_days,omitempty"` // date_shift, default 30
	By        string   `json:"by,omitempty"`       // date_shift: the column whose value keys the offset
}

// HierarchySpec gives a column's generalisation hierarchy: a file in ARX's
// CSV format (one line per value: value;level1;level2;...), the same text
// inline, or a built-in builder. In JSON it is either a string (a file
// name) or an object.
type HierarchySpec struct {
	File string `json:"file,omitempty"`
	CSV  string `json:"csv,omitempty"`
	// Type is a built-in builder: "interval" (numbers, Widths), "date"
	// (day → month → year → decade), "region" (GB/T 2260 codes: county →
	// prefecture → province), "mask" (mask Levels trailing characters, one
	// more per level) or "values" (each value → "*").
	Type   string    `json:"type,omitempty"`
	Widths []float64 `json:"widths,omitempty"`
	Levels int       `json:"levels,omitempty"`
}

// UnmarshalJSON accepts a file name as a bare string.
func (h *HierarchySpec) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*h = HierarchySpec{File: s}
		return nil
	}
	type plain HierarchySpec
	return json.Unmarshal(b, (*plain)(h))
}

// MarshalJSON writes a file-only spec back as a bare string.
func (h HierarchySpec) MarshalJSON() ([]byte, error) {
	if h.File != "" && h.CSV == "" && h.Type == "" {
		return json.Marshal(h.File)
	}
	type plain HierarchySpec
	return json.Marshal(plain(h))
}

// ParseProfile reads a profile and checks it, reporting every problem.
func ParseProfile(data []byte) (Profile, error) {
	var p Profile
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, validate.Errors{{Field: "profile", Message: "is not a valid profile document: " + err.Error()}}
	}
	return p, p.Validate(nil)
}

// Validate checks the profile, and its column names against header when
// header is not nil, and returns every problem as validate.Errors.
func (p Profile) Validate(header []string) error {
	var errs validate.Errors
	known := func(field, col string) {
		if header != nil && !slices.Contains(header, col) {
			errs.Add(field, col, "not_column", "is not a column of the table (columns: %s)", strings.Join(header, ", "))
		}
	}
	seen := map[string]string{}
	for i, c := range p.QuasiIdentifiers {
		known(fmt.Sprintf("quasi_identifiers[%d]", i), c)
		if seen[c] != "" {
			errs.Add(fmt.Sprintf("quasi_identifiers[%d]", i), c, validate.CodeDuplicate, "is listed twice")
		}
		seen[c] = "quasi_identifiers"
	}
	for i, c := range p.Sensitive {
		known(fmt.Sprintf("sensitive[%d]", i), c)
		if seen[c] != "" {
			errs.Add(fmt.Sprintf("sensitive[%d]", i), c, "in_other_role", "is already in %s", seen[c])
			continue
		}
		seen[c] = "sensitive"
	}
	if p.K < 0 || p.K > 1000 {
		errs.Add("k", p.K, validate.CodeRange, "must be between %d and %d", 0, 1000)
	}
	if p.L < 0 || p.L > 100 {
		errs.Add("l", p.L, validate.CodeRange, "must be between %d and %d", 0, 100)
	}
	if (p.L > 0 || p.T > 0) && len(p.Sensitive) == 0 {
		errs.Add("sensitive", nil, "sensitive_required", "l-diversity and t-closeness need at least one sensitive attribute")
	}
	if p.T < 0 || p.T >= 1 {
		errs.Add("t", p.T, "range_below", "must be at least %d and below %d", 0, 1)
	}
	if p.MaxSuppression < 0 || p.MaxSuppression > 1 {
		errs.Add("max_suppression", p.MaxSuppression, validate.CodeRange, "must be between %d and %d", 0, 1)
	}
	if p.SamplingFraction < 0 || p.SamplingFraction > 1 {
		errs.Add("sampling_fraction", p.SamplingFraction, validate.CodeRange, "must be between %d and %d", 0, 1)
	}
	if p.RiskThreshold < 0 || p.RiskThreshold > 1 {
		errs.Add("risk_threshold", p.RiskThreshold, validate.CodeRange, "must be between %d and %d", 0, 1)
	}
	if p.Metric != "" {
		validate.OneOf(&errs, "metric", p.Metric, Metrics...)
	}
	for _, col := range sortedKeys(p.Columns) {
		p.Columns[col].validate(&errs, "columns."+col, seen[col])
		known("columns."+col, col)
	}
	for _, col := range sortedKeys(p.Hierarchies) {
		p.Hierarchies[col].validate(&errs, "hierarchies."+col)
		known("hierarchies."+col, col)
	}
	return errs.Err()
}

func (op ColumnOp) validate(errs *validate.Errors, at, role string) {
	validate.OneOf(errs, at+".op", op.Op, Ops...)
	if role == "quasi_identifiers" && op.Op != OpKeep {
		errs.Add(at+".op", op.Op, "qi_operator", "a quasi-identifier is generalised by the search; give it a hierarchy instead of an operator")
	}
	if op.KeepFirst < 0 || op.KeepLast < 0 {
		errs.Add(at, nil, "keep_negative", "keep_first and keep_last cannot be negative")
	}
	if op.Op == OpPseudonymize && op.Algorithm != "" {
		validate.OneOf(errs, at+".algorithm", op.Algorithm, "hmac-sha256", "hmac-sm3")
	}
	if op.Length < 0 || op.Length > 64 {
		errs.Add(at+".length", op.Length, "hex_length", "must be between %d and %d hex characters", 8, 64)
	}
	if op.Op == OpTopBottom && op.Top == nil && op.Bottom == nil {
		errs.Add(at, nil, "top_bottom", "top_bottom needs top, bottom or both")
	}
	if op.Op == OpDateShift && (op.MaxDays < 0 || op.MaxDays > 3650) {
		errs.Add(at+".max_days", op.MaxDays, validate.CodeRange, "must be between %d and %d", 1, 3650)
	}
	if op.Op == OpGeneralize && op.Level < 1 {
		errs.Add(at+".level", op.Level, validate.CodeAtLeast, "must be at least %d", 1)
	}
}

func (h HierarchySpec) validate(errs *validate.Errors, at string) {
	set := 0
	for _, s := range []string{h.File, h.CSV, h.Type} {
		if s != "" {
			set++
		}
	}
	if set != 1 {
		errs.Add(at, nil, "hierarchy_one", "give exactly one of a file name, csv text or a type")
		return
	}
	if h.Type != "" {
		validate.OneOf(errs, at+".type", h.Type, "interval", "date", "region", "mask", "values")
	} else if len(h.Widths) > 0 || h.Levels != 0 {
		errs.Add(at, nil, "hierarchy_widths", "widths and levels belong to the interval and mask types: a hierarchy file or csv text has its own levels")
	}
	for i, w := range h.Widths {
		if w <= 0 || (i > 0 && w <= h.Widths[i-1]) {
			errs.Add(at+".widths", h.Widths, "increasing", "must be positive and increasing")
			break
		}
	}
	if h.Levels < 0 || h.Levels > 20 {
		errs.Add(at+".levels", h.Levels, validate.CodeRange, "must be between %d and %d", 1, 20)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

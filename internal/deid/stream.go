package deid

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"dataport/internal/store"
)

// ErrNeedsTable means a profile's privacy model (k-anonymity, l-diversity,
// t-closeness over quasi-identifiers) is a property of the whole table, so
// its rows cannot be de-identified one at a time as they stream out.
var ErrNeedsTable = errors.New("the profile's privacy model needs the whole table")

// RowTransformer de-identifies rows one at a time with a profile's
// record-level operators (mask, redact, keyed pseudonyms, generalisation
// at a fixed level, suppression, top/bottom coding, date shifting, drop).
// It holds no rows, so a read of any size streams through it in constant
// memory. It is not safe for concurrent use: build one per read.
type RowTransformer struct {
	ops   []operator // by column; nil keeps the value
	names []string   // operator name by column; "" keeps
	reads []int      // columns an operator reads: its own and date_shift's By
}

// NewRowTransformer builds the streaming form of profile p for rows with
// the given header, under key. Profiles whose privacy model needs the
// whole table (quasi-identifiers with k > 1, l or t) are refused with
// ErrNeedsTable, as are generalisations whose hierarchy would be derived
// from the whole column (no type, or intervals without widths).
func NewRowTransformer(p Profile, header []string, key []byte) (*RowTransformer, error) {
	if err := p.Validate(header); err != nil {
		return nil, err
	}
	if len(p.QuasiIdentifiers) > 0 && (p.K > 1 || p.L > 0 || p.T > 0) {
		return nil, fmt.Errorf("%w: k=%d, l=%d, t=%g over quasi-identifiers %s cannot be guaranteed row by row; "+
			"release a de-identified version instead, or give the columns fixed operators",
			ErrNeedsTable, p.K, p.L, p.T, strings.Join(p.QuasiIdentifiers, ", "))
	}
	col := func(name string) int { return slices.Index(header, name) }
	rt := &RowTransformer{ops: make([]operator, len(header)), names: make([]string, len(header))}
	reads := map[int]bool{}
	for c, name := range header {
		op, ok := p.Columns[name]
		if !ok || op.Op == OpKeep || op.Op == "" {
			continue
		}
		rt.names[c] = op.Op
		reads[c] = true
		if op.Op == OpDrop {
			continue
		}
		var f operator
		var err error
		if op.Op == OpGeneralize {
			f, err = streamGeneralizer(name, op.Level, p.Hierarchies[name])
		} else {
			f, err = newOperator(op, key, nil, col)
		}
		if err != nil {
			return nil, fmt.Errorf("columns.%s: %w", name, err)
		}
		if op.Op == OpDateShift && op.By != "" {
			reads[col(op.By)] = true
		}
		rt.ops[c] = f
	}
	for c := range reads {
		rt.reads = append(rt.reads, c)
	}
	slices.Sort(rt.reads)
	return rt, nil
}

// Reads lists the columns the operators read (in header order): a caller
// converting typed rows to text needs only these.
func (rt *RowTransformer) Reads() []int { return rt.reads }

// Op names the operator applied to column c ("" when the column is kept).
func (rt *RowTransformer) Op(c int) string { return rt.names[c] }

// Rewrites lists the columns (in header order) whose served values are not
// the stored ones: every column with an operator other than keep, dropped
// columns included. A column only read by another's operator (date_shift's
// By) is not among them. A reader must not filter, sort or search on the
// stored values of these columns: matches would reveal what they hide.
func (rt *RowTransformer) Rewrites() []int {
	var out []int
	for c, name := range rt.names {
		if name != "" {
			out = append(out, c)
		}
	}
	return out
}

// Transform de-identifies row in place. Dropped columns become "": a
// caller serving typed values serves them as nulls (see Op).
func (rt *RowTransformer) Transform(row []string) {
	// Operators may read other columns (date_shift's By), so compute every
	// output from the original row before writing any of them.
	var out [16]string
	vals := out[:0]
	for _, c := range rt.reads {
		switch {
		case rt.names[c] == OpDrop:
			vals = append(vals, "")
		case rt.ops[c] != nil:
			vals = append(vals, rt.ops[c](row[c], row))
		default:
			vals = append(vals, row[c])
		}
	}
	for k, c := range rt.reads {
		row[c] = vals[k]
	}
}

// streamGeneralizer generalises one value at a time to level of the
// column's hierarchy: inline ARX text is read once; the built-in region,
// date, mask and values builders and intervals with explicit widths work
// per value. Values the hierarchy does not know become "*".
func streamGeneralizer(col string, level int, spec HierarchySpec) (operator, error) {
	switch {
	case spec.File != "":
		return nil, fmt.Errorf("the hierarchy is a file (%s), which a stored profile cannot read", spec.File)
	case spec.CSV != "":
		h, err := ReadARX(strings.NewReader(spec.CSV))
		if err != nil {
			return nil, err
		}
		lvl := min(level, h.Height()-1)
		return func(v string, _ []string) string {
			if g, ok := h.Generalize(v, lvl); ok {
				return g
			}
			return "*"
		}, nil
	case spec.Type == "" || (spec.Type == "interval" && len(spec.Widths) == 0):
		return nil, fmt.Errorf("%w: the hierarchy of %s is derived from the whole column; give its type (and widths for intervals)", ErrNeedsTable, col)
	}
	return func(v string, _ []string) string {
		rows, err := buildRows(spec.Type, spec, []string{v})
		if err != nil || len(rows) != 1 {
			return "*"
		}
		return rows[0][min(level, len(rows[0])-1)]
	}, nil
}

// RowTransformer returns the streaming form of stored profile id for rows
// with the given header, under the profile's own key: what the open paths
// apply to each row a Requirement names the profile for.
func (s *Service) RowTransformer(ctx context.Context, id string, header []string) (*RowTransformer, error) {
	sp, err := s.current(ctx, id)
	if err != nil {
		return nil, err
	}
	return NewRowTransformer(sp.Profile, header, sp.secret)
}

// parsedProfile is a profile as read at a version.
type parsedProfile struct {
	version int
	updated time.Time
	sp      StoredProfile
}

// current returns profile id as stored now. Every read asks the store for
// the profile's version and update time, and decodes the profile only when
// they differ from the last decoded one (decoding a profile with its
// hierarchies took a tenth of the server's time on busy data reads). The
// decoded profile is shared: readers must not change it.
func (s *Service) current(ctx context.Context, id string) (StoredProfile, error) {
	var version int
	var updated time.Time
	err := s.db.QueryRowContext(ctx, `SELECT version, updated_at FROM deid_profiles WHERE id = $1`, id).Scan(&version, store.ScanTime(&updated))
	if errors.Is(err, sql.ErrNoRows) {
		s.parsed.Delete(id)
		return StoredProfile{}, fmt.Errorf("profile %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return StoredProfile{}, err
	}
	if c, ok := s.parsed.Load(id); ok {
		if pp := c.(*parsedProfile); pp.version == version && pp.updated.Equal(updated) {
			return pp.sp, nil
		}
	}
	sp, err := getProfile(ctx, s.db, id)
	if err != nil {
		return StoredProfile{}, err
	}
	s.parsed.Store(id, &parsedProfile{version: sp.Version, updated: sp.UpdatedAt, sp: sp})
	return sp, nil
}

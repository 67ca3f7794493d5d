// Package zsql is the query guard and planner of the public data zones'
// sandbox: it parses an operator's SQL with the datastore's parser
// (github.com/rqlite/sql through datastore.CheckSQL), accepts only
// aggregate queries over zone resources — COUNT, SUM, AVG, and MIN/MAX of
// clamped values, grouped by attributes, filtered by attributes, joined on
// key items — and refuses everything that could return row-level values,
// with the line, column and fragment of the refusal. It then writes the
// statements the sandbox runs: the cells with what disclosure control needs
// (CellsSQL), the largest contributions of one cell (TopSQL) and the
// overlap of two queries' cells for the difference check (OverlapSQL over
// the same rows, CrossOverlapSQL over joins sharing a resource). All
// are plain SELECTs over the zone's resources named by id, which the
// datastore checks again (CheckSQL with Policy) before it runs them
// read-only on the resources' current version tables.
//
// One row of a zone resource is one person: the resource's key items are
// unique per row (the datastore enforces it), and joins are allowed only
// on all key items of both sides, so a joined row is one person too.
//
// Every statement means the same on SQLite and PostgreSQL, and none can
// fail on some rows only (which rows made it fail would tell what no
// released cell may): expressions are typed against the items (text is
// not compared with numbers, dates are written 'YYYY-MM-DD'), LIKE is
// printed as lower(x) LIKE lower(pattern) (SQLite's LIKE ignores case),
// round(x, n) as CAST(round(CAST(x AS numeric), n) AS float), products are
// computed in double precision and divisions are by non-zero numbers
// written in the statement.
package zsql

import (
	"dataport/internal/catalog"
)

// Role is what a zone lets a statement do with an item.
type Role string

// Item roles.
const (
	RoleKey       Role = "key"       // identifies a person: only in JOIN ... ON
	RoleAttribute Role = "attribute" // may be grouped on, filtered on and (numeric) aggregated
	RoleText      Role = "text"      // free text: never named
)

// Item is one item of a zone resource as the guard sees it.
type Item struct {
	Name string
	Type catalog.ItemType
	Role Role
	// Lower and Upper are declared clamping bounds of a numeric item, when
	// the zone sets them: SUM, AVG, MIN and MAX of the item are clamped to
	// them without clamp() in the statement.
	Lower, Upper *float64
}

// Table is one zone resource.
type Table struct {
	ID    string // resource id: statements name it in double quotes
	Items []Item
}

// Schema is what a statement may read: the zone's resources the operator
// is authorised on.
type Schema struct {
	Tables []Table
}

// Mechanism is how released numbers are protected.
type Mechanism string

// Mechanisms.
const (
	SDC Mechanism = "sdc" // statistical disclosure control: suppression, dominance, secondary suppression
	DP  Mechanism = "dp"  // differential privacy (with disclosure control's minimum cell size too)
)

// AggFunc is an aggregate a statement may compute.
type AggFunc string

// Aggregates.
const (
	Count AggFunc = "count"
	Sum   AggFunc = "sum"
	Avg   AggFunc = "avg"
	Min   AggFunc = "min"
	Max   AggFunc = "max"
)

// Group is one GROUP BY expression, which the statement also selects.
type Group struct {
	Name string `json:"name"` // the output column's name
	Expr string `json:"expr"` // rendered with canonical table aliases
	// Type is the type of the group's values: an item's type, or what the
	// expression computes (integer, decimal, text, boolean, date,
	// datetime; "" when only NULL).
	Type catalog.ItemType `json:"type,omitempty"`
}

// Aggregate is one aggregate the statement selects.
type Aggregate struct {
	Name string  `json:"name"` // the output column's name
	Func AggFunc `json:"func"`
	// Arg is the rendered argument, already clamped when Bounded ("" for COUNT(*)).
	Arg string `json:"arg,omitempty"`
	// Item is the item aggregated ("" for COUNT(*)), and Table the
	// resource it belongs to.
	Item  string `json:"item,omitempty"`
	Table string `json:"table,omitempty"`
	// Lower and Upper are the clamping bounds when Bounded: from clamp()
	// in the statement, or the zone's declared bounds of the item.
	Bounded  bool    `json:"bounded"`
	itemExpr string  // the item qualified, while checking
	Lower    float64 `json:"lower,omitempty"`
	Upper    float64 `json:"upper,omitempty"`
	// CellMax and CellMin compute, once per cell, the largest and the
	// smallest clamped value of a bounded aggregate: clamping is
	// monotone, so they clamp max() and min() of the item itself rather
	// than clamping every row ("" when not bounded).
	CellMax string `json:"cell_max,omitempty"`
	CellMin string `json:"cell_min,omitempty"`
}

// nonNegative reports whether every contribution to a is at least 0
// (bounded below by 0), so that its absolute contributions are its
// contributions.
func (a Aggregate) nonNegative() bool { return a.Bounded && a.Lower >= 0 && a.CellMax != "" }

// OrderTerm orders released rows by an output column.
type OrderTerm struct {
	Column int  `json:"column"` // index into Plan.Columns
	Desc   bool `json:"desc"`
}

// Plan is a statement the guard accepted, in the canonical form the
// engine runs and the difference check compares: tables get aliases
// t1, t2, … in the order of their resource ids, every column is
// qualified, and the complete-case conditions (every aggregated item IS
// NOT NULL) are part of Where, so the cells' person sets are exactly the
// rows the aggregates read.
type Plan struct {
	SQL        string      `json:"sql"`    // the statement as given
	Tables     []string    `json:"tables"` // resource ids read, sorted
	From       string      `json:"from"`   // canonical FROM clause (with joins); equal From = same rows
	Where      string      `json:"where"`  // canonical predicate ("" none)
	Groups     []Group     `json:"groups"`
	Aggregates []Aggregate `json:"aggregates"`
	Columns    []string    `json:"columns"` // output columns in the order selected
	// Select maps each output column to a group (index) or an aggregate
	// (index + len(Groups)).
	Select []int       `json:"select"`
	Order  []OrderTerm `json:"order,omitempty"`
	Limit  int         `json:"limit,omitempty"` // 0: none
}

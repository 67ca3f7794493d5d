package access

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"

	"dataport/internal/catalog"
)

// RowFilter is a compiled row filter: a CEL expression over one row whose
// variables are the resource's data items, typed by item type (integer →
// int, decimal → double, boolean → bool, everything else → string; dates as
// "2006-01-02"). Example: `district == "110101" && year >= 2023`.
type RowFilter struct {
	expr  string
	prg   cel.Program
	types map[string]catalog.ItemType
}

// maxFilterCost bounds the work one row's evaluation may do, so that no
// filter can stall a data path.
const maxFilterCost = 10_000

// CompileRowFilter type-checks expr against items. It fails when expr is not
// CEL, names something other than an item, or does not yield a bool.
func CompileRowFilter(expr string, items []catalog.Item) (*RowFilter, error) {
	opts := make([]cel.EnvOption, 0, len(items))
	kinds := make(map[string]catalog.ItemType, len(items))
	for _, it := range items {
		opts = append(opts, cel.Variable(it.Name, celType(it.Type)))
		kinds[it.Name] = it.Type
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, fmt.Errorf("row filter: %w", err)
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, fmt.Errorf("row filter: %w", iss.Err())
	}
	if ast.OutputType() != cel.BoolType {
		return nil, fmt.Errorf("row filter: must be true or false for a row, not %s", ast.OutputType())
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize), cel.CostLimit(maxFilterCost))
	if err != nil {
		return nil, fmt.Errorf("row filter: %w", err)
	}
	return &RowFilter{expr: expr, prg: prg, types: kinds}, nil
}

func celType(t catalog.ItemType) *cel.Type {
	switch t {
	case catalog.TypeInteger:
		return cel.IntType
	case catalog.TypeDecimal:
		return cel.DoubleType
	case catalog.TypeBoolean:
		return cel.BoolType
	}
	return cel.StringType
}

// String returns the filter's expression.
func (f *RowFilter) String() string { return f.expr }

// Match reports whether row passes the filter. Values are converted to the
// item's type; a row whose referenced values are missing, null or
// unconvertible does not pass (deny by default).
func (f *RowFilter) Match(row map[string]any) bool {
	vars := make(map[string]any, len(row))
	for name, v := range row {
		t, ok := f.types[name]
		if !ok || v == nil {
			continue
		}
		cv, err := convert(t, v)
		if err != nil {
			continue
		}
		vars[name] = cv
	}
	out, _, err := f.prg.Eval(vars)
	if err != nil {
		return false
	}
	return out == types.True
}

var errConvert = errors.New("cannot convert")

// convert turns a datastore value into the Go type CEL expects for t.
func convert(t catalog.ItemType, v any) (any, error) {
	switch t {
	case catalog.TypeInteger:
		return toInt(v)
	case catalog.TypeDecimal:
		return toFloat(v)
	case catalog.TypeBoolean:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			return strconv.ParseBool(x)
		}
		return nil, errConvert
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case time.Time:
		if t == catalog.TypeDate {
			return x.Format("2006-01-02"), nil
		}
		return x.Format(time.RFC3339), nil
	case []byte:
		return string(x), nil
	}
	return fmt.Sprint(v), nil
}

func toInt(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<62 {
			return int64(x), nil
		}
	case string:
		return strconv.ParseInt(x, 10, 64)
	}
	return 0, errConvert
}

func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case int:
		return float64(x), nil
	case string:
		return strconv.ParseFloat(x, 64)
	}
	return 0, errConvert
}

// Permits reports whether row may be served under d: true when d has no row
// filter, else whether the filter matches. A deny decision permits nothing.
func (d Decision) Permits(row map[string]any) bool {
	if !d.Allow {
		return false
	}
	if d.filter == nil {
		return d.Constraints.RowFilter == "" // a filter that did not compile permits nothing
	}
	return d.filter.Match(row)
}

// Project returns the part of row that d permits: the constrained fields
// only, or row itself when d has no field constraint.
func (d Decision) Project(row map[string]any) map[string]any {
	if d.Constraints.Fields == nil {
		return row
	}
	out := make(map[string]any, len(d.Constraints.Fields))
	for _, f := range d.Constraints.Fields {
		if v, ok := row[f]; ok {
			out[f] = v
		}
	}
	return out
}

// AllowsField reports whether d lets item name be read.
func (d Decision) AllowsField(name string) bool {
	if !d.Allow {
		return false
	}
	if d.Constraints.Fields == nil {
		return true
	}
	for _, f := range d.Constraints.Fields {
		if f == name {
			return true
		}
	}
	return false
}

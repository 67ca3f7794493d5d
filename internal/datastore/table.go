package datastore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/store"
)

// Tables of versions are named ds_<16 hex>; their quarantine tables add _q.
var tableName = regexp.MustCompile(`^ds_[0-9a-f]{16}(_q)?$`)

func newTableName() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "ds_" + hex.EncodeToString(b)
}

// ident quotes a name checked to be a table or item name.
func ident(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// rowColumn is the source row of each record (its primary key); items are
// named after catalog items, which start with a letter, so they cannot clash.
const rowColumn = "_row"

func columnType(d store.Dialect, t catalog.ItemType) string {
	if d == store.Postgres {
		switch t {
		case catalog.TypeInteger:
			return "BIGINT"
		case catalog.TypeDecimal:
			return "DOUBLE PRECISION"
		case catalog.TypeDate:
			return "DATE"
		case catalog.TypeDatetime:
			return "TIMESTAMP"
		case catalog.TypeBoolean:
			return "BOOLEAN"
		}
		return "TEXT"
	}
	switch t {
	case catalog.TypeInteger, catalog.TypeBoolean:
		return "INTEGER"
	case catalog.TypeDecimal:
		return "REAL"
	}
	return "TEXT"
}

// createTables creates a version's table, laid out as p (partition.go;
// PostgreSQL only), and its quarantine table.
func createTables(ctx context.Context, q store.Querier, d store.Dialect, table string, items []catalog.Item, p partitioning) error {
	cols := []string{ident(rowColumn) + " BIGINT PRIMARY KEY"}
	if d == store.SQLite {
		cols[0] = ident(rowColumn) + " INTEGER PRIMARY KEY"
	}
	for _, it := range items {
		cols = append(cols, ident(it.Name)+" "+columnType(d, it.Type))
	}
	clause, parts := p.partitionSQL(table)
	stmts := append([]string{"CREATE TABLE " + ident(table) + " (" + strings.Join(cols, ", ") + ")" + clause}, parts...)
	stmts = append(stmts,
		"CREATE TABLE "+ident(table+"_q")+` ("row" BIGINT NOT NULL, "column" TEXT NOT NULL, "value" TEXT NOT NULL, "reason" TEXT NOT NULL, "record" TEXT NOT NULL)`)
	for _, stmt := range stmts {
		if _, err := q.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("datastore: create table: %w", err)
		}
	}
	return grantSQLReader(ctx, q, d, table)
}

// dropTables removes a version's table and its quarantine table.
func dropTables(ctx context.Context, q store.Querier, table string) error {
	if !tableName.MatchString(table) {
		return fmt.Errorf("datastore: refusing to drop %q", table)
	}
	for _, t := range []string{table, table + "_q"} {
		if _, err := q.ExecContext(ctx, "DROP TABLE IF EXISTS "+ident(t)); err != nil {
			return fmt.Errorf("datastore: drop %s: %w", t, err)
		}
	}
	return nil
}

// storeValue turns a converted value into what the dialect's column takes.
func storeValue(d store.Dialect, t catalog.ItemType, v any) any {
	if d == store.Postgres || v == nil {
		return v
	}
	switch x := v.(type) {
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	case time.Time:
		if t == catalog.TypeDate {
			return x.Format("2006-01-02")
		}
		return x.Format("2006-01-02 15:04:05.999999")
	}
	return v
}

// outValue turns a scanned column into the JSON value served for an item:
// int64, float64, bool, or text (dates as YYYY-MM-DD, datetimes as
// YYYY-MM-DDThh:mm:ss).
func outValue(t catalog.ItemType, v any) any {
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	if v == nil {
		return nil
	}
	switch t {
	case catalog.TypeBoolean:
		switch x := v.(type) {
		case int64:
			return x != 0
		case bool:
			return x
		}
	case catalog.TypeDate:
		if x, ok := v.(time.Time); ok {
			return x.Format("2006-01-02")
		}
		if s, ok := v.(string); ok && len(s) > 10 {
			return s[:10]
		}
	case catalog.TypeDatetime:
		switch x := v.(type) {
		case time.Time:
			return x.Format("2006-01-02T15:04:05.999999")
		case string:
			return strings.Replace(x, " ", "T", 1)
		}
	case catalog.TypeDecimal:
		if x, ok := v.(int64); ok {
			return float64(x)
		}
	case catalog.TypeInteger:
		if x, ok := v.(float64); ok {
			return int64(x)
		}
	}
	return v
}

// argValue converts a filter value given as text to what the column compares with.
func argValue(d store.Dialect, it catalog.Item, s string) (any, error) {
	s = strings.TrimSpace(s)
	switch it.Type {
	case catalog.TypeInteger:
		var n int64
		if _, err := fmt.Sscan(s, &n); err != nil {
			return nil, fmt.Errorf("%q is not an integer", s)
		}
		return n, nil
	case catalog.TypeDecimal:
		var f float64
		if _, err := fmt.Sscan(s, &f); err != nil {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		return f, nil
	case catalog.TypeBoolean:
		switch strings.ToLower(s) {
		case "true", "1", "t", "yes", "是":
			return storeValue(d, it.Type, true), nil
		case "false", "0", "f", "no", "否":
			return storeValue(d, it.Type, false), nil
		}
		return nil, fmt.Errorf("%q is not a boolean", s)
	case catalog.TypeDate:
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
		}
		return storeValue(d, it.Type, t), nil
	case catalog.TypeDatetime:
		for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02"} {
			if t, err := time.Parse(layout, s); err == nil {
				return storeValue(d, it.Type, t), nil
			}
		}
		return nil, fmt.Errorf("%q is not a date and time (YYYY-MM-DDThh:mm:ss)", s)
	}
	return s, nil
}

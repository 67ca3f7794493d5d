package zsql_test

import (
	"strings"

	"dataport/internal/catalog"
	"dataport/internal/zones/zsql"
)

// Resource ids of the test schema: visits (V), insurance (I) and
// prescriptions (X), one row a patient; episodes (E) and wards (F), one
// row a patient's episode. Their ids sort as E < I < F < V < X.
const (
	idE = "0e000000-0000-4000-8000-000000000000"
	idI = "1a000000-0000-4000-8000-000000000000"
	idF = "3c000000-0000-4000-8000-000000000000"
	idV = "5f000000-0000-4000-8000-000000000000"
	idX = "7b000000-0000-4000-8000-000000000000"
)

func bound(f float64) *float64 { return &f }

// testSchema is a zone over visits (one row a patient), the patients'
// insurance, and episodes keyed by patient and number.
func testSchema() zsql.Schema {
	return zsql.Schema{Tables: []zsql.Table{
		{ID: idV, Items: []zsql.Item{
			{Name: "patient_key", Type: catalog.TypeText, Role: zsql.RoleKey},
			{Name: "age", Type: catalog.TypeInteger, Role: zsql.RoleAttribute},
			{Name: "sex", Type: catalog.TypeCode, Role: zsql.RoleAttribute},
			{Name: "district", Type: catalog.TypeCode, Role: zsql.RoleAttribute},
			{Name: "cost", Type: catalog.TypeDecimal, Role: zsql.RoleAttribute, Lower: bound(0), Upper: bound(50000)},
			{Name: "insured", Type: catalog.TypeBoolean, Role: zsql.RoleAttribute},
			{Name: "visit_date", Type: catalog.TypeDate, Role: zsql.RoleAttribute},
			{Name: "note", Type: catalog.TypeText, Role: zsql.RoleText},
		}},
		{ID: idI, Items: []zsql.Item{
			{Name: "patient_key", Type: catalog.TypeText, Role: zsql.RoleKey},
			{Name: "income", Type: catalog.TypeInteger, Role: zsql.RoleAttribute},
		}},
		{ID: idE, Items: []zsql.Item{
			{Name: "patient_key", Type: catalog.TypeText, Role: zsql.RoleKey},
			{Name: "episode", Type: catalog.TypeInteger, Role: zsql.RoleKey},
			{Name: "days", Type: catalog.TypeInteger, Role: zsql.RoleAttribute},
		}},
		{ID: idF, Items: []zsql.Item{
			{Name: "patient_key", Type: catalog.TypeText, Role: zsql.RoleKey},
			{Name: "episode", Type: catalog.TypeInteger, Role: zsql.RoleKey},
			{Name: "ward", Type: catalog.TypeCode, Role: zsql.RoleAttribute},
		}},
		{ID: idX, Items: []zsql.Item{
			{Name: "patient_key", Type: catalog.TypeText, Role: zsql.RoleKey},
			{Name: "drugs", Type: catalog.TypeInteger, Role: zsql.RoleAttribute},
		}},
	}}
}

// q writes a statement with %V, %I, %E, %F and %X standing for the quoted resource ids.
func q(s string) string {
	out := []byte{}
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '%' && i+1 < len(s) && strings.IndexByte("VIEFX", s[i+1]) >= 0:
			out = append(out, '"')
			out = append(out, map[byte]string{'V': idV, 'I': idI, 'E': idE, 'F': idF, 'X': idX}[s[i+1]]...)
			out = append(out, '"')
			i++
		default:
			out = append(out, s[i])
		}
	}
	return string(out)
}

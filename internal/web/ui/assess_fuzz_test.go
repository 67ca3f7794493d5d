package ui

import (
	"net/url"
	"testing"
)

// FuzzAssessmentRows reads an assessment form's posted rows (any query
// string) as the page does: never a panic, a row kept only when one of its
// text columns is filled, and the rows' items as many as the rows.
func FuzzAssessmentRows(f *testing.F) {
	f.Add("asset_code=A1&asset_name=数据&asset_kind=data&asset_value=4&asset_code=&asset_name=")
	f.Add("vuln_code=V1&vuln_asset=A1&vuln_threat=T1&vuln_severity=x&measure_code=M1&measure_vulnerabilities=V1，V2；V3&measure_effective=yes")
	f.Add("finding_code=F1&finding_text=&finding_risks=V1 V2&finding_treatment=reduce&finding_code=&finding_risks=、")
	f.Fuzz(func(t *testing.T, query string) {
		form, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		rows := rowsFromForm(form)
		if len(rows.Assets) > len(form["asset_code"]) || len(rows.Findings) > len(form["finding_code"]) {
			t.Fatalf("more rows than posted: %+v", rows)
		}
		it := rows.items()
		if len(it.Measures) != len(rows.Measures) || len(it.Findings) != len(rows.Findings) {
			t.Fatalf("items %+v of rows %+v", it, rows)
		}
		for _, m := range it.Measures {
			for _, c := range m.Vulnerabilities {
				if c == "" {
					t.Fatalf("an empty code from %q", query)
				}
			}
		}
	})
}

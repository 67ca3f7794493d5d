package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dataport/internal/classify"
)

// The scan and deid commands keep the JSON contracts later checks rely on.

func runDataport(t *testing.T, args ...string) string {
	t.Helper()
	root := rootCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		t.Fatalf("dataport %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

func TestScanCommandJSON(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "people.csv")
	check, _ := classify.ResidentIDCheckChar("11010519900307001")
	bad := "110105199003070019"
	if bad[17] == check {
		bad = "110105199003070018"
	}
	rows := "姓名,身份证号,手机号码,金额\n"
	for i := range 20 {
		id := "11010519900307001" + string(check)
		if i == 0 {
			id = bad // a wrong check character: not counted
		}
		rows += fmt.Sprintf("张%c,%s,1380013%04d,%d.50\n", '伟'+rune(i), id, i, i)
	}
	os.WriteFile(path, []byte("\uFEFF"+rows), 0o600)
	var res struct {
		Rows    int `json:"rows"`
		Columns []struct {
			Name       string         `json:"name"`
			Detected   *string        `json:"detected"`
			Matches    map[string]int `json:"matches"`
			Confidence float64        `json:"confidence"`
		} `json:"columns"`
		Classification struct {
			Class   string            `json:"class"`
			Level   int               `json:"level"`
			PI      bool              `json:"personal_information"`
			SPI     bool              `json:"sensitive_personal_information"`
			Reasons []json.RawMessage `json:"reasons"`
		} `json:"classification"`
	}
	if err := json.Unmarshal([]byte(runDataport(t, "scan", path, "--json")), &res); err != nil {
		t.Fatal(err)
	}
	if res.Rows != 20 || len(res.Columns) != 4 {
		t.Fatalf("%+v", res)
	}
	want := []string{"PERSON_NAME", "CN_RESIDENT_ID", "CN_MOBILE", ""}
	for i, c := range res.Columns {
		got := ""
		if c.Detected != nil {
			got = *c.Detected
		}
		if got != want[i] {
			t.Errorf("column %s detected %q, want %q", c.Name, got, want[i])
		}
	}
	if n := res.Columns[1].Matches["CN_RESIDENT_ID"]; n != 19 {
		t.Errorf("matches counted %d identity numbers, want the 19 valid ones", n)
	}
	if c := res.Classification; c.Class != "general" || c.Level != 3 || !c.PI || !c.SPI || len(c.Reasons) == 0 {
		t.Errorf("classification %+v", c)
	}
}

func TestDeidCommand(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"姓名", "年龄", "性别", "邮编", "诊断"})
	for i := range 300 {
		w.Write([]string{fmt.Sprintf("人员%03d", i), fmt.Sprint(20 + i%50), []string{"男", "女"}[i%2], fmt.Sprintf("1000%02d", i%37), []string{"感冒", "高血压", "糖尿病"}[i%3]})
	}
	w.Flush()
	os.WriteFile(filepath.Join(dir, "in.csv"), buf.Bytes(), 0o600)
	os.WriteFile(filepath.Join(dir, "sex.csv"), []byte("男;*\n女;*\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "p.json"), []byte(`{"quasi_identifiers":["年龄","性别","邮编"],"sensitive":["诊断"],"k":5,"l":2,
		"max_suppression":0.05,"columns":{"姓名":{"op":"pseudonymize"}},
		"hierarchies":{"性别":"sex.csv","年龄":{"type":"interval","widths":[5,10,20]},"邮编":{"type":"mask","levels":3}}}`), 0o600)
	t.Setenv("DATAPORT_DEID_KEY", "a test key that is long enough")
	runDataport(t, "deid", filepath.Join(dir, "in.csv"), "--profile", filepath.Join(dir, "p.json"),
		"--out", filepath.Join(dir, "out.csv"), "--report", filepath.Join(dir, "r.json"))
	var rep map[string]any
	raw, _ := os.ReadFile(filepath.Join(dir, "r.json"))
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"rows_in", "rows_out", "suppressed", "k_achieved", "l_achieved", "transformation", "risk_before", "risk_after", "information_loss"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("report has no %s: %s", k, raw)
		}
	}
	if rep["k_achieved"].(float64) < 5 || rep["l_achieved"].(float64) < 2 || rep["rows_in"].(float64) != 300 {
		t.Errorf("report %s", raw)
	}
	out, _ := os.ReadFile(filepath.Join(dir, "out.csv"))
	if strings.Contains(string(out), "人员001") {
		t.Error("names were not pseudonymised")
	}
	// Each metric is minimised and named in the report, which carries all of them.
	profile, _ := os.ReadFile(filepath.Join(dir, "p.json"))
	fields := map[string]string{"loss": "granularity", "precision": "generalization_intensity", "discernibility": "discernibility", "entropy": "entropy"}
	for metric, field := range fields {
		os.WriteFile(filepath.Join(dir, "m.json"), []byte(strings.Replace(string(profile), `"k":5`, `"k":5,"metric":"`+metric+`"`, 1)), 0o600)
		printed := runDataport(t, "deid", filepath.Join(dir, "in.csv"), "--profile", filepath.Join(dir, "m.json"),
			"--out", filepath.Join(dir, "out.csv"), "--report", filepath.Join(dir, "r.json"))
		raw, _ := os.ReadFile(filepath.Join(dir, "r.json"))
		var r struct {
			Loss map[string]any `json:"information_loss"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		if r.Loss["metric"] != metric || r.Loss["value"] != r.Loss[field] || len(r.Loss) != 6 || !strings.Contains(printed, "information loss ("+metric+")") {
			t.Errorf("%s: information_loss %v, printed %s", metric, r.Loss, printed)
		}
	}
}

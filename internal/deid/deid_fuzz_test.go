package deid

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"dataport/internal/fuzztest"
	"dataport/internal/validate"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// arxForms are hierarchy files in ARX's CSV format, good and bad, as the
// tests and operators write them; testdata/fuzz/FuzzReadARX holds what the
// fuzz target found.
var arxForms = []string{
	"男;*\n女;*\n", "a;x;*\nb;x;*\nc;y;*\nd;y;z\n", "a;x;*\nb;*\n",
	"\uFEFF110101;110100;110000;*\n110102;110100;110000;*\n120101;120100;120000;*\n",
	"20,[20, 25),[20, 30),*\n21,[20, 25),[20, 30),*\n27,[25, 30),[20, 30),*\n",
	"a\tx\t*\nb\tx\t*\n", "\"a;b\";x;*\n\"c\"\"d\";x;*\n", "\"a\nb\";x;*\n", "", "\n\n", ";\n", "a\n",
}

// FuzzReadARX checks that ReadARX returns within three seconds and, when it
// accepts a file, that the hierarchy is a tree of one height where every
// value generalises at every level, and that it reads back the same when
// written out again in ARX's form.
func FuzzReadARX(f *testing.F) {
	for _, s := range arxForms {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var h *Hierarchy
		var err error
		fuzztest.Within(t, "ReadARX", func() { h, err = ReadARX(bytes.NewReader(data)) })
		if err != nil {
			return
		}
		checkHierarchy(t, h)
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Comma = ';'
		for _, v := range sortedKeys(h.levels) {
			if strings.ContainsRune(v, '\r') || slices.ContainsFunc(h.levels[v], func(g string) bool { return strings.ContainsRune(g, '\r') }) {
				return // encoding/csv reads \r\n in a quoted field as \n: such a file cannot be written back exactly
			}
			w.Write(append([]string{v}, h.levels[v]...))
		}
		w.Flush()
		again, err := ReadARX(&buf)
		if err != nil {
			t.Fatalf("the hierarchy, written back, is refused: %v\n%s", err, buf.Bytes())
		}
		if !cmp.Equal(h.levels, again.levels) || h.height != again.height {
			t.Fatalf("the hierarchy reads back differently:\n%s", cmp.Diff(h.levels, again.levels))
		}
	})
}

// checkHierarchy checks a hierarchy's invariants.
func checkHierarchy(t *testing.T, h *Hierarchy) {
	t.Helper()
	if h.Height() < 2 {
		t.Fatalf("height %d", h.Height())
	}
	parent := make([]map[string]string, h.height)
	for v, g := range h.levels {
		if len(g) != h.height-1 {
			t.Fatalf("value %q has %d levels, the hierarchy %d", v, len(g)+1, h.height)
		}
		for lvl := range h.height {
			got, ok := h.Generalize(v, lvl)
			want := v
			if lvl > 0 {
				want = g[lvl-1]
			}
			if !ok || got != want {
				t.Fatalf("Generalize(%q, %d) = %q, %v; want %q", v, lvl, got, ok, want)
			}
			if lvl+1 < h.height {
				next, _ := h.Generalize(v, lvl+1)
				if parent[lvl] == nil {
					parent[lvl] = map[string]string{}
				}
				if p, seen := parent[lvl][got]; seen && p != next && lvl > 0 {
					t.Fatalf("not a tree: %q at level %d goes to %q and %q", got, lvl, p, next)
				}
				parent[lvl][got] = next
			}
		}
		if _, ok := h.Generalize(v, h.height); ok {
			t.Fatalf("Generalize(%q, height) succeeds", v)
		}
	}
}

// profileForms are de-identification profiles, good and bad;
// testdata/fuzz/FuzzParseProfile holds what the fuzz target found.
var profileForms = []string{
	`{"k":5,"quasi_identifiers":["a"],"max_suppression":0.05,"hierarchies":{"a":"a.csv"}}`,
	`{"quasi_identifiers":["age","age"],"sensitive":["age"],"k":-1,"l":2,"max_suppression":2,"columns":{"age":{"op":"mask"},"x":{"op":"explode"}},"hierarchies":{"age":{"type":"spiral"}}}`,
	`{"quasi_identifiers":["age","sex","zip"],"sensitive":["diagnosis"],"k":5,"l":2,"t":0.3,"max_suppression":0.02,"sampling_fraction":0.1,"risk_threshold":0.2,"metric":"entropy",` +
		`"columns":{"id":{"op":"pseudonymize","algorithm":"hmac-sm3","length":32},"phone":{"op":"mask","keep_first":3,"keep_last":4,"char":"#"},` +
		`"visit":{"op":"date_shift","by":"id","max_days":10},"income":{"op":"top_bottom","top":90,"bottom":18},"note":{"op":"drop"},"name":{"op":"redact","with":"某"},"birth":{"op":"generalize","level":2}},` +
		`"hierarchies":{"age":{"type":"interval","widths":[5,10,20]},"sex":{"csv":"男;*\n女;*"},"zip":{"type":"mask","levels":3},"birth":{"type":"date"}}}`,
	`{"k":1}`, `{}`, `[]`, `null`, `{"k":1e400}`, `{"bogus":1}`, `{"k":2,"metric":"precision"}`, `{"k":2,"metric":"Loss"}`,
}

// FuzzParseProfile checks that ParseProfile returns within three seconds,
// refuses only with validate.Errors that name a field, and that what it
// accepts validates and reads back the same from its JSON form.
func FuzzParseProfile(f *testing.F) {
	for _, s := range profileForms {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Profile
		var err error
		fuzztest.Within(t, "ParseProfile", func() { p, err = ParseProfile(data) })
		if err != nil {
			var verrs validate.Errors
			if !errors.As(err, &verrs) || len(verrs) == 0 {
				t.Fatalf("ParseProfile: %v is not validate.Errors", err)
			}
			for _, fe := range verrs {
				if fe.Field == "" || fe.Message == "" {
					t.Fatalf("ParseProfile: error %+v names no field", fe)
				}
			}
			return
		}
		text, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		again, err := ParseProfile(text)
		if err != nil {
			t.Fatalf("the accepted profile, written as JSON, is refused: %v\n%s", err, text)
		}
		if diff := cmp.Diff(p, again, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("the accepted profile reads back differently (-first +second):\n%s\n%s", diff, text)
		}
	})
}

// FuzzBuildHierarchy builds hierarchies from a valid spec (not a file) and
// a column's values (one a line): within three seconds, either an error or
// a tree that covers every value.
func FuzzBuildHierarchy(f *testing.F) {
	for _, s := range []struct{ spec, values string }{
		{`{"type":"interval","widths":[5,10,20]}`, "20\n21\n37\n-4.5\n1e300"},
		{`{"type":"interval"}`, "1\n2\n3\n1000"},
		{`{"type":"date"}`, "2024-03-01\n2024/05/06\n19491231"},
		{`{"type":"region"}`, "110101\n110102\n310115"},
		{`{"type":"mask","levels":3}`, "100083\n张三\n\n"},
		{`{"type":"values"}`, "a\nb\na"},
		{`{}`, "110101\n110105"},
		{`{}`, "2024-01-01\n2024-02-02"},
		{`{"csv":"男;*\n女;*"}`, "男\n女"},
		{`{"type":"interval","widths":[3,5]}`, "2\n4\n5"},
	} {
		f.Add([]byte(s.spec), s.values)
	}
	f.Fuzz(func(t *testing.T, specJSON []byte, column string) {
		var spec HierarchySpec
		if json.Unmarshal(specJSON, &spec) != nil || spec.File != "" {
			return
		}
		var errs validate.Errors
		if spec.CSV != "" || spec.Type != "" {
			spec.validate(&errs, "h")
		}
		if len(errs) > 0 {
			return
		}
		values := strings.Split(column, "\n")
		var h *Hierarchy
		var err error
		fuzztest.Within(t, "BuildHierarchy", func() { h, err = BuildHierarchy(spec, values, t.TempDir()) })
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an empty error")
			}
			return
		}
		checkHierarchy(t, h)
		if spec.CSV == "" {
			if err := missingValues("c", h, values); err != nil {
				t.Fatalf("the built hierarchy misses values: %v", err)
			}
		}
	})
}

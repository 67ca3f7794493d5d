package ckan

import (
	"errors"
	"strings"
	"testing"
	"time"

	"dataport/internal/search"

	"github.com/google/go-cmp/cmp"
)

// tokenizeWithin runs tokenize in a goroutine and fails the test when it
// has not returned within two seconds, so a tokenizer that loops fails
// rather than hangs (the looping goroutine is left behind).
func tokenizeWithin(t *testing.T, q string) ([]term, error) {
	t.Helper()
	type answer struct {
		terms []term
		err   error
	}
	done := make(chan answer, 1)
	go func() {
		terms, err := tokenize(q)
		done <- answer{terms, err}
	}()
	select {
	case a := <-done:
		return a.terms, a.err
	case <-time.After(2 * time.Second):
		t.Fatalf("tokenize(%.80q) has not returned after 2 s", q)
		return nil, nil
	}
}

// TestTokenizeColonWithoutField is the regression test for q=: and
// fq="x :", which looped forever: a colon with no field before it is a
// Search Query Error naming its position.
func TestTokenizeColonWithoutField(t *testing.T) {
	for _, q := range []string{":", "x :", "-:", "+:", "a:b :c", " : ", "::", `"a" :`} {
		t.Run(q, func(t *testing.T) {
			terms, err := tokenizeWithin(t, q)
			if !errors.Is(err, search.ErrBadQuery) || !strings.Contains(err.Error(), `":" has no field name before it`) {
				t.Fatalf("tokenize(%q) = %+v, %v; want a bad query naming the colon", q, terms, err)
			}
		})
	}
}

// TestTokenizeAdversarial feeds malformed and hostile queries: each returns
// promptly, either terms or a bad-query error that says what is wrong.
func TestTokenizeAdversarial(t *testing.T) {
	long := strings.Repeat("公交 ", 1024)
	for _, test := range []struct {
		name, q string
		want    string // part of the error; "" means accepted
	}{
		{"field without value", "tags:", "tags: has no value"},
		{"field then spaces", "tags:   ", "tags: has no value"},
		{"value without field", ":value", `":" has no field name before it`},
		{"unclosed quote", `"公交`, "quote is not closed"},
		{"unclosed quote after field", `tags:"公交`, "quote is not closed"},
		{"lone quote", `"`, "quote is not closed"},
		{"unclosed range", "metadata_modified:[* TO", "range is not closed"},
		{"range without TO", "metadata_modified:[a b c]", "a range is [FROM TO UNTIL]"},
		{"empty range", "metadata_modified:[]", "a range is [FROM TO UNTIL]"},
		{"unclosed parenthesis", "tags:(a OR b", "parenthesis is not closed"},
		{"nested parentheses", "tags:((a))", "parentheses do not nest"},
		{"empty parentheses", "tags:()", "tags: has no value"},
		{"AND in parentheses", "tags:(a AND b)", "joined by OR"},
		{"unclosed quote in parentheses", `tags:("a OR b)`, "quote is not closed"},
		{"invalid UTF-8", "tags:\xff\xfe", "not valid UTF-8"},
		{"too many terms", long + "x", "at most 1024 terms"},
		{"too many alternatives", "tags:(" + strings.Repeat("a ", 1025) + ")", "at most 1024 values"},
		{"lone minus", "-", ""},
		{"lone plus", "+", ""},
		{"lone OR", "OR", ""},
		{"lone AND", "AND", ""},
		{"operators only", "OR AND || && - +", ""},
		{"closing parenthesis", ")", ""},
		{"closing bracket", "]", ""},
		{"most terms", long, ""},
		{"deep parentheses as words", strings.Repeat("(", 5000) + strings.Repeat(")", 5000), ""},
		{"long word", strings.Repeat("字", 100000), ""},
	} {
		t.Run(test.name, func(t *testing.T) {
			_, err := tokenizeWithin(t, test.q)
			switch {
			case test.want == "" && err != nil:
				t.Errorf("tokenize: %v", err)
			case test.want != "" && (!errors.Is(err, search.ErrBadQuery) || !strings.Contains(err.Error(), test.want)):
				t.Errorf("tokenize: %v; want a bad query with %q", err, test.want)
			}
		})
	}
}

// TestTokenizeForms checks what the forms clients send are read as.
func TestTokenizeForms(t *testing.T) {
	for _, test := range []struct {
		q    string
		want []term
	}{
		{"公交 arrivals", []term{{value: "公交"}, {value: "arrivals"}}},
		{"tags:线路", []term{{field: "tags", value: "线路"}}},
		{"tags: 线路", []term{{field: "tags", value: "线路"}}},
		{`tags:"实时 到站"`, []term{{field: "tags", value: "实时 到站", quoted: true}}},
		{`"bus stop"`, []term{{value: "bus stop", quoted: true}}},
		{"organization:wjw OR res_format:API", []term{{field: "organization", value: "wjw", isOr: true}, {field: "res_format", value: "API"}}},
		{"-organization:jtw", []term{{field: "organization", value: "jtw", not: true}}},
		{"+groups:transport AND res_format:json", []term{{field: "groups", value: "transport"}, {field: "res_format", value: "json"}}},
		{"metadata_modified:[2000-01-01T00:00:00Z TO *]", []term{{field: "metadata_modified", isRange: true, from: "2000-01-01T00:00:00Z", to: "*"}}},
		{"metadata_modified:{NOW-1DAY TO NOW}", []term{{field: "metadata_modified", isRange: true, from: "NOW-1DAY", to: "NOW", exclFrom: true, exclTo: true}}},
		{"metadata_modified:2024-01-01T00:00:00Z", []term{{field: "metadata_modified", value: "2024-01-01T00:00:00Z"}}},
		{`res_format:(CSV OR "JSON LD" || API)`, []term{{field: "res_format", alternatives: []string{"CSV", "JSON LD", "API"}}}},
		{"*:*", []term{{field: "*", value: "*"}}},
	} {
		t.Run(test.q, func(t *testing.T) {
			got, err := tokenizeWithin(t, test.q)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(test.want, got, cmp.AllowUnexported(term{})); diff != "" {
				t.Errorf("tokenize(%q) (-want +got):\n%s", test.q, diff)
			}
		})
	}
}

package ckan

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"dataport/internal/fuzztest"
	"dataport/internal/search"

	"github.com/google/go-cmp/cmp"
)

// queryForms are the q and fq forms the package's tests and CKAN clients
// send, and the ones that once looped.
var queryForms = []string{
	"公交", "arrivals", "tags:线路", `tags:"实时到站"`, "organization:wjw OR res_format:API",
	"-organization:jtw", "groups:transport res_format:json", "extras_update_frequency:realtime",
	"metadata_modified:[2000-01-01T00:00:00Z TO *]", "metadata_modified:[NOW+1DAY TO *]",
	"metadata_modified:{NOW/DAY-7DAYS TO NOW}", `res_format:(CSV OR "JSON LD")`, "*:*",
	"+dataset_type:dataset", "name:jtw-04-00002 AND state:active", "tags: 线路", "text:公交 || code:JTW",
	":", "x :", "-:", "tags:", `"公交`, "metadata_modified:[* TO", "tags:(a OR b", "tags:((a))", "tags:\xff",
}

// FuzzTokenize checks that tokenize returns for any input (within 3
// seconds), fails only with ErrBadQuery, and that what it accepts reads the
// same when written back in canonical form.
func FuzzTokenize(f *testing.F) {
	for _, q := range queryForms {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		terms, err := tokenizeWithin3s(t, q)
		if err != nil {
			if !errors.Is(err, search.ErrBadQuery) {
				t.Fatalf("tokenize(%q): %v is not a bad query", q, err)
			}
			return
		}
		if len(terms) > maxTerms {
			t.Fatalf("tokenize(%q): %d terms", q, len(terms))
		}
		canonical := render(terms)
		again, err := tokenize(canonical)
		if err != nil {
			t.Fatalf("tokenize(%q) accepted, but its canonical form %q is refused: %v", q, canonical, err)
		}
		if diff := cmp.Diff(terms, again, cmp.AllowUnexported(term{})); diff != "" {
			t.Fatalf("tokenize(%q) then %q reads differently (-first +second):\n%s", q, canonical, diff)
		}
	})
}

func tokenizeWithin3s(t *testing.T, q string) (terms []term, err error) {
	fuzztest.Within(t, fmt.Sprintf("tokenize(%q)", q), func() { terms, err = tokenize(q) })
	return terms, err
}

// render writes terms back as a query in one canonical form.
func render(terms []term) string {
	var b strings.Builder
	for i, t := range terms {
		if i > 0 {
			b.WriteByte(' ')
		}
		head := t.field
		if head == "" {
			head = t.value
		}
		switch {
		case t.not:
			b.WriteByte('-')
		case strings.HasPrefix(head, "-") || strings.HasPrefix(head, "+"):
			b.WriteByte('+')
		}
		if t.field != "" {
			b.WriteString(t.field + ":")
		}
		switch {
		case t.isRange:
			open, end := "[", "]"
			if t.exclFrom {
				open = "{"
			}
			if t.exclTo {
				end = "}"
			}
			b.WriteString(open + t.from + " TO " + t.to + end)
		case t.alternatives != nil:
			b.WriteString(`("` + strings.Join(t.alternatives, `" OR "`) + `")`)
		case t.quoted:
			b.WriteString(`"` + t.value + `"`)
		default:
			b.WriteString(t.value)
		}
		if t.isOr {
			b.WriteString(" OR")
		}
	}
	return b.String()
}

package corpus

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"testing"

	"dataport/internal/classify"
	"dataport/internal/ingest"
)

// scanFile reads a generated file the way `dataport scan` does (encoding
// detected by internal/ingest) and scans it.
func scanFile(t testing.TB, data []byte) classify.Result {
	r, err := ingest.Open(bytes.NewReader(data), "export.csv", ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s := classify.NewScanner(r.Header())
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		var rowErr *ingest.RowError
		if errors.As(err, &rowErr) || err != nil {
			t.Fatalf("row: %v", err)
		}
		s.Add(rec)
	}
	return s.Result()
}

// Figures are the column-level quality of a scan over a corpus, per type.
type Figures struct {
	Columns, TP, FP, FN map[classify.Type]int
	// Pairs and Exact count (column, type) pairs where the truth or the scan
	// has matches, and those where the two agree exactly; by type.
	Pairs, Exact map[classify.Type]int
	Misses       []string
}

func newFigures() *Figures {
	return &Figures{Columns: map[classify.Type]int{}, TP: map[classify.Type]int{}, FP: map[classify.Type]int{}, FN: map[classify.Type]int{},
		Pairs: map[classify.Type]int{}, Exact: map[classify.Type]int{}}
}

func (f *Figures) add(table Table, res classify.Result) {
	for i, c := range table.Columns {
		got := res.Columns[i]
		detected := classify.Type("")
		if got.Detected != nil {
			detected = *got.Detected
		}
		if c.Type != "" {
			f.Columns[c.Type]++
		}
		switch {
		case detected == c.Type && detected != "":
			f.TP[detected]++
		case detected != c.Type:
			if detected != "" {
				f.FP[detected]++
			}
			if c.Type != "" {
				f.FN[c.Type]++
			}
			f.Misses = append(f.Misses, fmt.Sprintf("%s %s [%s]: detected %q, want %q (e.g. %q)", table.Name, table.Encoding, c.Header, detected, c.Type, c.Values[:3]))
		}
		types := map[classify.Type]bool{}
		for t, n := range c.Matches {
			types[t] = n > 0
		}
		for t, n := range got.Matches {
			types[t] = types[t] || n > 0
		}
		for _, t := range slices.Sorted(maps.Keys(types)) {
			if !types[t] {
				continue
			}
			f.Pairs[t]++
			if c.Matches[t] == got.Matches[t] {
				f.Exact[t]++
			} else {
				f.Misses = append(f.Misses, fmt.Sprintf("%s %s [%s] (%s): matches[%s] = %d, want %d", table.Name, table.Encoding, c.Header, c.Type, t, got.Matches[t], c.Matches[t]))
			}
		}
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// TestCorpus scans the corpus of three seeds, every table written as an
// institution's export (UTF-8, UTF-8 with BOM and CRLF, GB18030 with CRLF)
// and read back through internal/ingest, and requires column-level
// precision and recall of at least 0.99 for every type and exact matches
// counts for at least 97% of (column, type) pairs.
func TestCorpus(t *testing.T) {
	f := newFigures()
	encodings := map[Encoding]int{}
	for _, seed := range []uint64{1, 2, 3} {
		for _, table := range Generate(seed, Options{}) {
			data, err := table.File()
			if err != nil {
				t.Fatal(err)
			}
			encodings[table.Encoding]++
			f.add(table, scanFile(t, data))
		}
	}
	if len(encodings) != int(numEncodings) {
		t.Errorf("encodings covered: %v", encodings)
	}
	pairs, exact := 0, 0
	for _, typ := range classify.Types {
		precision := ratio(f.TP[typ], f.TP[typ]+f.FP[typ])
		recall := ratio(f.TP[typ], f.TP[typ]+f.FN[typ])
		pairs += f.Pairs[typ]
		exact += f.Exact[typ]
		t.Logf("%-17s columns=%3d tp=%3d fp=%2d fn=%2d precision=%.4f recall=%.4f exact=%d/%d", typ, f.Columns[typ], f.TP[typ], f.FP[typ], f.FN[typ],
			precision, recall, f.Exact[typ], f.Pairs[typ])
		if f.Columns[typ] < 10 {
			t.Errorf("%s: only %d columns generated", typ, f.Columns[typ])
		}
		if precision < 0.99 || recall < 0.99 {
			t.Errorf("%s: precision %.4f, recall %.4f (want ≥ 0.99)", typ, precision, recall)
		}
	}
	t.Logf("exact matches: %d of %d (column, type) pairs = %.4f", exact, pairs, ratio(exact, pairs))
	if ratio(exact, pairs) < 0.97 {
		t.Errorf("exact matches for %.4f of pairs, want ≥ 0.97", ratio(exact, pairs))
	}
	if t.Failed() || testing.Verbose() {
		for _, m := range f.Misses[:min(40, len(f.Misses))] {
			t.Log(m)
		}
	}
}

// TestCorpusDeterministic: the same seed gives the same files.
func TestCorpusDeterministic(t *testing.T) {
	a, b := Generate(9, Options{Tables: 3}), Generate(9, Options{Tables: 3})
	for i := range a {
		fa, _ := a[i].File()
		fb, _ := b[i].File()
		if !bytes.Equal(fa, fb) {
			t.Fatalf("table %d differs between two generations of one seed", i)
		}
	}
}

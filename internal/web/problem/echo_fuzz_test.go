package problem_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"dataport/internal/web/problem"
)

// FuzzText checks the cut every error response applies to what it echoes:
// never longer than the limit plus the ellipsis, a prefix of the input, and
// valid UTF-8 whenever the input is.
func FuzzText(f *testing.F) {
	for _, seed := range []string{"", "short", strings.Repeat("长", 300), strings.Repeat("a", 199) + "长长", "\xff\xfe" + strings.Repeat("x", 300)} {
		f.Add(seed, 200)
	}
	f.Add("abc", 0)
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 0 || max > 1<<16 {
			return
		}
		out := problem.Text(s, max)
		if len(s) <= max {
			if out != s {
				t.Fatalf("Text(%q, %d) = %q, want it unchanged", s, max, out)
			}
			return
		}
		cut, ok := strings.CutSuffix(out, problem.Ellipsis)
		if !ok || len(cut) > max || !strings.HasPrefix(s, cut) {
			t.Fatalf("Text(%q, %d) = %q: want a prefix of at most %d bytes and the ellipsis", s, max, out, max)
		}
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("Text(%q, %d) = %q is not valid UTF-8", s, max, out)
		}
	})
}

// TestValueAndCount: long values are cut, small ones kept as they are, and a
// long list keeps 99 entries and a sentence for the rest.
func TestValueAndCount(t *testing.T) {
	long := strings.Repeat("x", 1000)
	if v := problem.Value(long).(string); len(v) != problem.MaxValueBytes+len(problem.Ellipsis) {
		t.Errorf("a 1000-byte string is echoed as %d bytes", len(v))
	}
	if v := problem.Value([]any{long, long}).(string); len(v) > problem.MaxValueBytes+len(problem.Ellipsis) {
		t.Errorf("a large list is echoed as %d bytes", len(v))
	}
	if v, ok := problem.Value(map[string]any{"a": 1.0}).(map[string]any); !ok || v["a"] != 1.0 {
		t.Errorf("a small object is not echoed as it is: %v", v)
	}
	if keep, more := problem.Count(100); keep != 100 || more != "" {
		t.Errorf("Count(100) = %d %q", keep, more)
	}
	if keep, more := problem.Count(1000); keep != 99 || more != "and 901 more" {
		t.Errorf("Count(1000) = %d %q", keep, more)
	}
}

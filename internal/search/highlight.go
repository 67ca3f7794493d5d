package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Segment is a piece of text, marked when it matches the words searched for.
type Segment struct {
	Text string
	Mark bool
}

// Highlight splits text into segments, marking every place where a word of
// the query occurs (ignoring case). A Chinese word also marks its
// two-character pieces, since the index finds a word by them. When max > 0
// the text is first cut to about max characters around the first match.
func Highlight(text, q string, max int) []Segment {
	terms := highlightTerms(q)
	lower := strings.ToLower(text)
	marks := make([]bool, len(text)) // by byte
	if len(lower) != len(text) {     // a rare letter whose lower case is longer: show it unmarked
		terms = nil
	}
	for _, t := range terms {
		for from := 0; ; {
			i := strings.Index(lower[from:], t)
			if i < 0 {
				break
			}
			for j := from + i; j < from+i+len(t); j++ {
				marks[j] = true
			}
			from += i + len(t)
		}
	}
	start, end := window(text, marks, max)
	var out []Segment
	if start > 0 {
		out = append(out, Segment{Text: "…"})
	}
	for i := start; i < end; {
		j := i
		for j < end && marks[j] == marks[i] {
			j++
		}
		out = append(out, Segment{Text: text[i:j], Mark: marks[i]})
		i = j
	}
	if end < len(text) {
		out = append(out, Segment{Text: "…"})
	}
	return out
}

// highlightTerms are the lower-case strings to mark for query q.
func highlightTerms(q string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(q), func(r rune) bool { return unicode.IsSpace(r) || r == '，' || r == '、' }) {
		if w == "*" || w == "*:*" || strings.Contains(w, ":") {
			continue
		}
		out = append(out, w)
		runes := []rune(w)
		if len(runes) > 2 && unicode.Is(unicode.Han, runes[0]) {
			for i := 0; i+2 <= len(runes); i++ {
				out = append(out, string(runes[i:i+2]))
			}
		}
	}
	return out
}

// window picks the byte range of text to show: all of it, or about max
// characters starting a little before the first mark.
func window(text string, marks []bool, max int) (int, int) {
	if max <= 0 || utf8.RuneCountInString(text) <= max {
		return 0, len(text)
	}
	first := 0
	for i, m := range marks {
		if m {
			first = i
			break
		}
	}
	start := first
	for back := 0; start > 0 && back < max/4; back++ { // a little context before the match
		_, size := utf8.DecodeLastRuneInString(text[:start])
		start -= size
	}
	end, count := start, 0
	for end < len(text) && count < max {
		_, size := utf8.DecodeRuneInString(text[end:])
		end += size
		count++
	}
	return start, end
}

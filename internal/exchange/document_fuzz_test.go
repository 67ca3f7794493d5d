package exchange

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"dataport/internal/fuzztest"
	"dataport/internal/validate"
)

// FuzzDocumentInput: the kind and file name an uploader sends (query
// parameters) are accepted only as one of the kinds and a plain file name —
// no directory, no control line breaks or NUL, valid UTF-8, at most 200
// characters — and otherwise refused at their field; checking never panics
// or hangs, and an accepted input checks again to itself.
func FuzzDocumentInput(f *testing.F) {
	for _, seed := range [][2]string{{"business_licence", "执照.pdf"}, {"other", "../../etc/passwd"}, {"source_evidence", `C:\证明\扫描件.jpg`},
		{"qualification", "a\x00b"}, {"authorisation", "/"}, {"bogus", "x"}, {"other", "\xff\xfe"}, {"other", strings.Repeat("长", 201)},
		{"other", " . "}, {"other", "report\r\n.pdf"}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, kind, name string) {
		in := DocumentInput{Kind: kind, Name: name}
		var err error
		fuzztest.Within(t, "DocumentInput.check", func() { err = in.check(ParticipantDocumentKinds) })
		if err != nil {
			var errs validate.Errors
			if !errors.As(err, &errs) || !(errs.Has("kind") || errs.Has("name")) {
				t.Fatalf("check(%q, %q) = %v, want a field error at kind or name", kind, name, err)
			}
			return
		}
		switch {
		case !slices.Contains(ParticipantDocumentKinds, in.Kind):
			t.Fatalf("kind %q accepted", in.Kind)
		case in.Name == "" || strings.ContainsAny(in.Name, "/\\\x00\r\n") || !utf8.ValidString(in.Name) || utf8.RuneCountInString(in.Name) > 200:
			t.Fatalf("name %q accepted from %q", in.Name, name)
		}
		again := in
		if err := again.check(ParticipantDocumentKinds); err != nil || again != in {
			t.Fatalf("an accepted input %+v checks to %+v (%v)", in, again, err)
		}
	})
}

package vocab

import (
	"testing"

	"dataport/internal/catalog"
)

// TestEveryTermHasLabels checks that every EU term a catalog code maps to
// has a Chinese and an English label: DCAT-AP requires a skos:prefLabel on
// every skos:Concept a document types.
func TestEveryTermHasLabels(t *testing.T) {
	uses := map[string][]string{TableLanguage: Languages}
	for _, code := range Themes {
		uses[TableTheme] = append(uses[TableTheme], code)
	}
	for _, code := range Frequencies {
		uses[TableFrequency] = append(uses[TableFrequency], code)
	}
	for _, code := range AccessRights {
		uses[TableAccessRight] = append(uses[TableAccessRight], code)
	}
	for _, code := range FileTypes {
		uses[TableFileType] = append(uses[TableFileType], code)
	}
	for table, codes := range uses {
		for _, code := range codes {
			if l, ok := TermLabel(table, code); !ok || l.Zh == "" || l.En == "" {
				t.Errorf("%s: label %+v, %v", TermIRI(table, code), l, ok)
			}
		}
	}
	// Every catalog subject, frequency and open type maps to a term.
	for _, s := range catalog.Subjects {
		if _, ok := Themes[s.Code]; !ok {
			t.Errorf("subject %s has no EU data theme", s.Code)
		}
	}
	for _, f := range catalog.Frequencies {
		if _, ok := Frequencies[f]; !ok {
			t.Errorf("frequency %s has no EU frequency", f)
		}
	}
	for _, o := range catalog.OpenTypes {
		if _, ok := AccessRights[o]; !ok {
			t.Errorf("open type %s has no EU access right", o)
		}
	}
	if _, ok := TermLabel(TableTheme, "NOPE"); ok {
		t.Error("an unknown theme has a label")
	}
}

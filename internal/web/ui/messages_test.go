package ui

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/validate"
	"dataport/internal/web/ui/i18n"
)

// TestTemplateKeysAreTranslated finds every literal message key the
// templates use and checks the table has it in both languages.
func TestTemplateKeysAreTranslated(t *testing.T) {
	keyUse := regexp.MustCompile(`\{\{-?\s*(?:t|field|code)\s+"([a-z_.0-9]+)"`)
	hintUse := regexp.MustCompile(`"hint" "([a-z_.]+)"`)
	err := fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		text, err := fs.ReadFile(templateFS, path)
		if err != nil {
			return err
		}
		for _, m := range append(keyUse.FindAllStringSubmatch(string(text), -1), hintUse.FindAllStringSubmatch(string(text), -1)...) {
			key := m[1]
			if strings.HasPrefix(m[0], "{{field") || strings.HasPrefix(m[0], "{{- field") {
				key = "field." + key
			}
			if strings.Contains(m[0], "code ") {
				continue // a code list name, checked below
			}
			checkMessage(t, path, key)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCodeListsAreTranslated checks every code of every translated list.
func TestCodeListsAreTranslated(t *testing.T) {
	lists := map[string][]string{
		"status":   stringsOf(catalog.Statuses),
		"share":    stringsOf(catalog.ShareTypes),
		"open":     stringsOf(catalog.OpenTypes),
		"class":    stringsOf(catalog.Classifications),
		"freq":     stringsOf(catalog.Frequencies),
		"itemtype": stringsOf(catalog.ItemTypes),
		"kind":     stringsOf(identity.OrgKinds),
		"role":     stringsOf(identity.Roles),
		"platform": stringsOf(identity.PlatformRoles),
		"history":  {"created", "updated", "submitted", "published", "returned", "retired"},
		"done":     {"created", "updated", "submitted", "published", "returned", "retired", "token_revoked", "signed_out"},
		"token":    {"active", "revoked", "expired"},
		"error":    {"403.title", "404.title", "409.title", "413.title", "422.title", "429.title", "500.title", "500.text"},
	}
	for list, codes := range lists {
		for _, code := range codes {
			checkMessage(t, list, list+"."+code)
		}
	}
	for _, l := range append(catalog.Subjects, catalog.Industries...) {
		if l.Zh == "" || l.En == "" {
			t.Errorf("catalog label %s lacks a translation", l.Code)
		}
	}
}

func checkMessage(t *testing.T, where, key string) {
	t.Helper()
	zh, en, ok := i18n.Lookup(key)
	if !ok {
		t.Errorf("%s: message %q is missing", where, key)
		return
	}
	if strings.TrimSpace(zh) == "" || strings.TrimSpace(en) == "" {
		t.Errorf("%s: message %q lacks a language", where, key)
	}
}

func TestFieldKey(t *testing.T) {
	for _, test := range []struct{ field, key, id string }{
		{"title_zh", "title_zh", "field-title_zh"},
		{"items[1].name", "items.1.name", "field-items-1-name"},
		{"items[12].code_list[0].code", "items.12.code_list", "field-items-12-code_list"},
		{"keywords[3]", "keywords", "field-keywords"},
		{"formats[0]", "formats", "field-formats"},
		{"items", "items", "field-items"},
	} {
		t.Run(test.field, func(t *testing.T) {
			key := fieldKey(test.field)
			if key != test.key || fieldID(key) != test.id {
				t.Errorf("fieldKey(%q) = %q (id %q), want %q (id %q)", test.field, key, fieldID(key), test.key, test.id)
			}
		})
	}
}

// TestCatalogMessagesAreTranslated runs the catalog's real validation and
// checks that every problem it reports has a code the catalog translates.
func TestCatalogMessagesAreTranslated(t *testing.T) {
	long := strings.Repeat("长", 201)
	in := catalog.Input{TitleZh: long, Subject: "99", Industry: "Z", Keywords: make([]string, 21), Formats: []string{"DOC"},
		UpdateFrequency: "hourly", ShareType: catalog.ShareNone, OpenType: catalog.OpenUnconditional,
		Classification: catalog.ClassCore, Level: 9, ContactEmail: "nobody",
		Items: []catalog.Item{{Name: "Bad"}, {Name: "a", LabelZh: "甲", Type: catalog.TypeCode}, {Name: "a", LabelZh: "乙", Type: catalog.TypeText, Precision: 2, Length: -1}}}
	errs := fieldErrors(in.Validate())
	if len(errs) < 10 {
		t.Fatalf("expected many problems, got %v", errs)
	}
	for _, e := range append(errs, fieldErrors(catalog.Input{}.Validate())...) {
		if _, ok := i18n.Problem(langZh, e.Code, e.Args); !ok {
			t.Errorf("%s: %q (code %q) has no Chinese translation", e.Field, e.Message, e.Code)
		}
	}
	dup := validate.FieldError{Field: "items[2].name", Code: "duplicate_name", Args: []any{0}, Message: "duplicates the name of items[0]"}
	if got := fieldText(langZh, "items.2.name", dup); !strings.HasSuffix(got, "与第 1 行的字段名重复") {
		t.Errorf("duplicate message = %q", got)
	}
	required := validate.FieldError{Field: "title_zh", Code: validate.CodeRequired, Message: "is required"}
	if got := fieldText(langEn, "title_zh", required); got != "Title (Chinese) is required" {
		t.Errorf("English field text = %q", got)
	}
	if got := fieldText(langZh, "title_zh", validate.FieldError{Message: "an uncoded problem"}); !strings.HasSuffix(got, "：an uncoded problem") {
		t.Errorf("a problem without a code = %q, want its English message", got)
	}
}

func TestLocalPath(t *testing.T) {
	for next, want := range map[string]string{
		"/catalog?q=a":         "/catalog?q=a",
		"/":                    "/",
		"":                     "-",
		"catalog":              "-",
		"//evil.example":       "-",
		`/\evil.example`:       "-",
		"https://evil.example": "-",
		"/a\nb":                "-",
	} {
		if got := localPath(next, "-"); got != want {
			t.Errorf("localPath(%q) = %q, want %q", next, got, want)
		}
	}
}

package ui

import (
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/search"
	"dataport/internal/web/ui/i18n"
)

// beijing is the time zone dates are shown in (China has no daylight saving).
var beijing = time.FixedZone("CST", 8*60*60)

// funcs are the template functions for pages in lang.
func funcs(lang string, a *assets) template.FuncMap {
	return template.FuncMap{
		"t":           func(key string, args ...any) string { return i18n.T(lang, key, args...) },
		"code":        func(list string, v any) string { return codeLabel(lang, list, fmt.Sprint(v)) },
		"choices":     choices,
		"subjects":    func() []catalog.Label { return catalog.Subjects },
		"industries":  func() []catalog.Label { return catalog.Industries },
		"label":       func(l catalog.Label) string { return pick(lang, l.Zh, l.En) },
		"subject":     func(code string) string { return labelOr(lang, catalog.SubjectLabel(code), code) },
		"industry":    func(code string) string { return labelOr(lang, catalog.IndustryLabel(code), code) },
		"title":       func(r catalog.Resource) string { return pick(lang, r.TitleZh, r.TitleEn) },
		"description": func(r catalog.Resource) string { return pick(lang, r.DescriptionZh, r.DescriptionEn) },
		"orgName":     func(o identity.Organization) string { return pick(lang, o.NameZh, o.NameEn) },
		"orgNameOf":   func(o search.Org) string { return pick(lang, o.NameZh, o.NameEn) },
		"day":         day,
		"lower":       strings.ToLower,
		"field":       func(key string) string { return fieldLabel(lang, key) },
		"change":      func(field string) string { return changeLabel(lang, field) },
		"fieldID":     fieldID,
		"date":        date,
		"yesno":       func(b bool) string { return i18n.T(lang, map[bool]string{true: "yes", false: "no"}[b]) },
		"join":        strings.Join,
		"has":         slices.Contains[[]string],
		"codeList":    formatCodeList,
		"inc":         func(i int) int { return i + 1 },
		"dict":        dict,
		"asset":       a.url,
		"htmlLang":    func() string { return map[string]string{langZh: "zh-CN", langEn: "en"}[lang] },
		"errorTitle":  func(status int) string { return errorText(lang, status, "title") },
		"errorText":   func(status int) string { return errorText(lang, status, "text") },
	}
}

// pick returns the English text in English when there is one, else the Chinese.
func pick(lang, zh, en string) string {
	if lang == langEn && strings.TrimSpace(en) != "" {
		return en
	}
	return zh
}

// labelOr returns l in lang, or the bare code when l is unknown.
func labelOr(lang string, l catalog.Label, code string) string {
	if l.Code == "" {
		return code
	}
	return pick(lang, l.Zh, l.En)
}

// codeLabel translates value of a code list ("status", "share", ...).
func codeLabel(lang, list, value string) string {
	if value == "" {
		return i18n.T(lang, "none")
	}
	if key := list + "." + value; i18n.Has(key) {
		return i18n.T(lang, key)
	}
	return value
}

// choices returns the codes of a code list, in display order.
func choices(list string) []string {
	switch list {
	case "share":
		return stringsOf(catalog.ShareTypes)
	case "open":
		return stringsOf(catalog.OpenTypes)
	case "class":
		return stringsOf(catalog.Classifications)
	case "freq":
		return stringsOf(catalog.Frequencies)
	case "itemtype":
		return stringsOf(catalog.ItemTypes)
	case "status":
		return stringsOf(catalog.Statuses)
	case "kind":
		return stringsOf(identity.OrgKinds)
	case "format":
		return catalog.Formats
	case "level":
		return []string{"1", "2", "3", "4"}
	}
	panic("ui: no code list " + list)
}

func stringsOf[T ~string](list []T) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = string(v)
	}
	return out
}

// date shows a time (or *time.Time; nil and zero show a dash) in Beijing time.
func date(v any) string {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x != nil {
			t = *x
		}
	}
	if t.IsZero() {
		return "—"
	}
	return t.In(beijing).Format("2006-01-02 15:04")
}

// day shows the date of a time in Beijing.
func day(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(beijing).Format("2006-01-02")
}

// changeLabel names a changed field of a history entry: "title_zh", or
// "items.phone.label_zh" as "phone · 中文名称".
func changeLabel(lang, field string) string {
	name, ok := strings.CutPrefix(field, "items.")
	if !ok {
		return fieldLabel(lang, field)
	}
	if item, col, ok := strings.Cut(name, "."); ok {
		return item + " · " + i18n.T(lang, "item."+col)
	}
	return name
}

// errorText is the title or explanation of an error status.
func errorText(lang string, status int, part string) string {
	key := fmt.Sprintf("error.%d.%s", status, part)
	if i18n.Has(key) {
		return i18n.T(lang, key)
	}
	if part == "text" {
		return ""
	}
	return i18n.T(lang, "error.500.title")
}

// dict builds a map from key, value pairs, to pass several values to a partial.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

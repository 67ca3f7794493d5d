package ui

import (
	"regexp"
	"strconv"
	"strings"

	"dataport/internal/validate"
	"dataport/internal/web/problem"
	"dataport/internal/web/ui/i18n"
)

// formErrors are a form's field problems, translated and keyed by the input
// they belong to, kept in the order the domain reported them.
type formErrors struct {
	list  []formError
	byKey map[string][]string
}

// formError is one problem as the error summary shows it.
type formError struct {
	ID   string // the HTML id of the input, for the summary's link
	Text string // label and message, translated
}

// newFormErrors translates errs into lang and attaches each to its input.
func newFormErrors(lang string, errs validate.Errors) formErrors {
	fe := formErrors{byKey: map[string][]string{}}
	for _, e := range errs {
		key := fieldKey(e.Field)
		text := fieldText(lang, key, e)
		fe.list = append(fe.list, formError{ID: fieldID(key), Text: text})
		fe.byKey[key] = append(fe.byKey[key], text)
	}
	return fe
}

// Any reports whether there are problems.
func (fe formErrors) Any() bool { return len(fe.list) > 0 }

// Summary lists every problem, for the error summary at the top of the page.
func (fe formErrors) Summary() []formError { return fe.list }

// For returns the problems of the input key ("title_zh", "items.1.name").
func (fe formErrors) For(key string) []string { return fe.byKey[key] }

// summarize returns the translated texts of errs, for pages without a form.
func summarize(lang string, errs validate.Errors) []string {
	var out []string
	for _, e := range newFormErrors(lang, errs).list {
		out = append(out, e.Text)
	}
	return out
}

var indexed = regexp.MustCompile(`^items\[(\d+)\]\.([a-z_]+)`)

// fieldKey maps a domain field path to the key of the form input that holds
// it: "items[1].name" → "items.1.name", "items[1].code_list[0].code" →
// "items.1.code_list", "keywords[3]" → "keywords".
func fieldKey(field string) string {
	if m := indexed.FindStringSubmatch(field); m != nil {
		return "items." + m[1] + "." + m[2]
	}
	if i := strings.IndexAny(field, "[."); i > 0 {
		return field[:i]
	}
	return field
}

// fieldID is the HTML id of the input with key.
func fieldID(key string) string { return "field-" + strings.ReplaceAll(key, ".", "-") }

// fieldLabel names the input with key in lang.
func fieldLabel(lang, key string) string {
	if parts := strings.Split(key, "."); len(parts) == 3 && parts[0] == "items" {
		row, _ := strconv.Atoi(parts[1])
		sep := "，"
		if lang == langEn {
			sep = ", "
		}
		return i18n.T(lang, "item.row", row+1) + sep + i18n.T(lang, "item."+parts[2])
	}
	if i18n.Has("field." + key) {
		return i18n.T(lang, "field."+key)
	}
	return key
}

// fieldText is the sentence shown for a problem: the input's label and the
// problem's text in lang.
func fieldText(lang, key string, fe validate.FieldError) string {
	return labelled(lang, fieldLabel(lang, key), problemText(lang, fe.Code, fe.Args, fe.Message))
}

// labelled joins a label and a problem's text as a sentence of lang:
// "标题：不能为空", "Title is required", "Keywords: at most 20".
func labelled(lang, label, msg string) string {
	if lang != langEn {
		return label + "：" + msg
	}
	for _, verb := range []string{"is ", "must ", "cannot ", "duplicates ", "applies ", "does ", "belongs ", "has "} {
		if strings.HasPrefix(msg, verb) {
			return label + " " + msg
		}
	}
	return label + ": " + msg
}

// problemText is the text of the problem code with args in lang; a problem
// without a known code keeps the domain's English message.
func problemText(lang, code string, args []any, message string) string {
	if text, ok := i18n.Problem(lang, code, args); ok {
		return text
	}
	return message
}

// refusalText is the text of an error that is no field's (a state
// conflict, a privacy model no generalisation meets), by its code.
func refusalText(lang string, err error) string {
	code, args := problem.CodeOf(err)
	return problemText(lang, code, args, err.Error())
}

package ui

import (
	"regexp"
	"strconv"
	"strings"

	"dataport/internal/validate"
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
		text := fieldText(lang, key, e.Message)
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
		return tr(lang, "item.row", row+1) + sep + tr(lang, "item."+parts[2])
	}
	if hasMessage("field." + key) {
		return tr(lang, "field."+key)
	}
	return key
}

// fieldText is the sentence shown for a problem: the input's label and the
// message, translated.
func fieldText(lang, key, message string) string {
	msg := translateMessage(lang, message)
	if lang == langZh {
		return fieldLabel(lang, key) + "：" + msg
	}
	for _, verb := range []string{"is ", "must ", "cannot ", "duplicates ", "applies ", "no such "} {
		if strings.HasPrefix(msg, verb) {
			return fieldLabel(lang, key) + " " + msg
		}
	}
	return fieldLabel(lang, key) + ": " + msg
}

// messageRule translates one kind of domain message. In zh and en, $1, $2
// stand for the pattern's groups; row marks $1 as a 0-based item row shown
// 1-based. An empty en keeps the domain's English.
type messageRule struct {
	pattern *regexp.Regexp
	zh, en  string
	row     bool
}

func rule(pattern, zh, en string) messageRule {
	return messageRule{pattern: regexp.MustCompile(pattern), zh: zh, en: en}
}

// messageRules covers the messages of catalog, identity and this package.
var messageRules = []messageRule{
	rule(`^is required$`, "不能为空", ""),
	rule(`^is required when share_type is none`, "不予共享时必须填写依据：引用禁止共享的法律、法规或政策", ""),
	rule(`^is required when open_type is none`, "不予开放时必须填写不予开放的依据", ""),
	rule(`^is required when returning`, "退回时必须填写意见，说明需要修改的内容", ""),
	rule(`^is required: say why the resource is retired`, "必须说明下线原因", ""),
	rule(`^is required for an item of type code`, "代码型数据项必须填写代码表", ""),
	rule(`^is required for a`, "该类机构必须填写", ""),
	rule(`^must be at most (\d+) characters \(got (\d+)\)`, "不能超过 $1 个字符（现有 $2 个）", ""),
	rule(`^must be one of`, "请从给定选项中选择", "must be one of the choices offered"),
	rule(`^must start with a lower-case letter`, "必须以小写字母开头，只含小写字母、数字和下划线（最多 63 个字符）", ""),
	{pattern: regexp.MustCompile(`^duplicates the name of items\[(\d+)\]`), zh: "与第 $1 行的字段名重复", en: "duplicates the name in row $1", row: true},
	rule(`^must be between (\d+) and (\d+) days`, "必须在 $1 到 $2 天之间", ""),
	rule(`^must be between (\d+) and (\d+)`, "必须在 $1 到 $2 之间", ""),
	rule(`^applies only to decimal items`, "只适用于小数类型，且不能为负数", ""),
	rule(`^must be non-empty and unique`, "代码不能为空，也不能重复", ""),
	rule(`^at least one data item is required`, "至少需要一个数据项", ""),
	rule(`^at most (\d+) data items`, "最多 $1 个数据项", ""),
	rule(`^at most (\d+) keywords`, "最多 $1 个关键词", ""),
	rule(`^is not an email address`, "不是有效的电子邮箱地址", ""),
	rule(`^cannot be more open to the public than share_type`, "开放程度不能高于共享程度", "cannot be more open to the public than the resource is shared between institutions"),
	rule(`^must be none for core data`, "核心数据必须不予开放", ""),
	rule(`^cannot change after creation: it is part of the catalog code (\S+)`, "创建后不能修改：它是目录编码 $1 的一部分", ""),
	rule(`^no such organization`, "机构不存在", ""),
	rule(`^is not a cursor from a previous page`, "分页参数无效，请回到第一页", ""),
	rule(`^must be a whole number`, "必须是整数", ""),
	rule(`^too many failed sign-ins`, "登录失败次数过多", ""),
	rule(`^not allowed in the resource's current status`, "数据资源的当前状态不允许此操作", ""),
}

// translateMessage returns a domain message in lang; messages no rule knows
// stay in the domain's English.
func translateMessage(lang, message string) string {
	for _, r := range messageRules {
		m := r.pattern.FindStringSubmatchIndex(message)
		if m == nil {
			continue
		}
		tmpl := r.zh
		if lang == langEn {
			tmpl = r.en
		}
		if tmpl == "" {
			return message
		}
		if r.row {
			n, _ := strconv.Atoi(message[m[2]:m[3]])
			tmpl = strings.ReplaceAll(tmpl, "$1", strconv.Itoa(n+1))
		}
		return string(r.pattern.ExpandString(nil, tmpl, message, m))
	}
	return message
}

package ui

import (
	"testing"

	"dataport/internal/access"
	"dataport/internal/opening"
	"dataport/internal/sharing"
	"dataport/internal/validate"
)

// TestAccessCodesAreTranslated checks every code the sharing, opening and
// grant pages translate with {{code ...}}.
func TestAccessCodesAreTranslated(t *testing.T) {
	lists := map[string][]string{
		"request":    append(stringsOf(sharing.Statuses), stringsOf(opening.Statuses)...),
		"step":       {"submitted", "approved", "to_operator", "granted", "rejected", "refused", "withdrawn", "escalated"},
		"grantstate": stringsOf([]access.GrantStatus{access.GrantActive, access.GrantPending, access.GrantExpired, access.GrantRevoked}),
		"grantee":    stringsOf([]access.GranteeKind{access.GranteeOrganization, access.GranteeUser, access.GranteeGroup}),
		"origin":     stringsOf(access.Origins),
		"action":     stringsOf(access.Actions),
		"itemstate":  stringsOf([]opening.ItemState{opening.ItemPlanned, opening.ItemOpened, opening.ItemLate}),
		"notify": {"share.submitted", "share.operator_review", "share.granted", "share.rejected", "share.escalated",
			"open.submitted", "open.operator_review", "open.granted", "open.rejected", "open.escalated", "grant.revoked"},
		"done": {"request_sent", "request_granted", "request_rejected", "request_operator_review", "request_withdrawn",
			"grant_revoked", "key_revoked", "notifications_read",
			"open_list_saved", "open_list_item_added", "open_list_item_linked", "open_list_published"},
		"liststatus": stringsOf([]opening.ListStatus{opening.ListDraft, opening.ListPublished}),
	}
	for list, codes := range lists {
		for _, code := range codes {
			checkMessage(t, list, list+"."+code)
		}
	}
}

// TestOpenListMessagesAreTranslated checks the open list's field and state
// problems in both languages, by their codes; the state ones must win over
// the catalog's text for the same error.
func TestOpenListMessagesAreTranslated(t *testing.T) {
	published := validate.Refuse(opening.ErrState, "list_published", "the %d list is published", 2026)
	for _, test := range []struct {
		name   string
		code   string
		args   []any
		err    error
		zh, en string
	}{
		{name: "resource", code: "not_own_resource", zh: "不是本单位的数据资源", en: "is not a resource of this institution"},
		{name: "date", code: validate.CodeDate, zh: "不是有效日期，格式为 YYYY-MM-DD", en: "must be a date written YYYY-MM-DD"},
		{name: "year", code: "within_year", args: []any{2026}, zh: "必须在 2026 年内", en: "must fall within 2026"},
		{name: "empty", code: "list_empty", zh: "公布前清单至少需要一个计划项", en: "a list needs at least one item before it is published"},
		{name: "published", err: published, zh: "2026 年度开放清单已公布，不能再修改", en: "the 2026 open list is published and can no longer be changed"},
		{name: "draft only", err: validate.Refuse(opening.ErrState, "list_items_draft", "items are added to a draft list only"), zh: "开放清单已公布，不能再添加计划项", en: "the open list is published: items can no longer be added"},
		{name: "already", err: validate.Refuse(opening.ErrState, "list_already_published", "the list is already published"), zh: "开放清单已经公布", en: "the open list is already published"},
	} {
		t.Run(test.name, func(t *testing.T) {
			for lang, want := range map[string]string{langZh: test.zh, langEn: test.en} {
				got := problemText(lang, test.code, test.args, "untranslated")
				if test.err != nil {
					got = refusalText(lang, test.err)
				}
				if got != want {
					t.Errorf("%s = %q, want %q", lang, got, want)
				}
			}
		})
	}
	within := validate.FieldError{Field: "planned_date", Code: "within_year", Args: []any{2026}, Message: "must fall within 2026"}
	if got := fieldText(langEn, "planned_date", within); got != "Planned opening date must fall within 2026" {
		t.Errorf("English field text = %q", got)
	}
}

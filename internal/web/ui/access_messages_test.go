package ui

import (
	"testing"

	"dataport/internal/access"
	"dataport/internal/opening"
	"dataport/internal/sharing"
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
// messages in both languages; the state ones must win over the catalog's
// rule for the same error.
func TestOpenListMessagesAreTranslated(t *testing.T) {
	state := "not allowed in the resource's current status: "
	for _, test := range []struct{ message, zh, en string }{
		{"is not a resource of this institution", "不是本单位的数据资源", "is not a resource of this institution"},
		{"must be a date written YYYY-MM-DD", "必须是日期，格式为 YYYY-MM-DD", "must be a date written YYYY-MM-DD"},
		{"must fall within 2026", "必须在 2026 年内", "must fall within 2026"},
		{"a list needs at least one item before it is published", "公布前清单至少需要一个计划项", "a list needs at least one item before it is published"},
		{state + "the 2026 list is published", "2026 年度开放清单已公布，不能再修改", "the 2026 open list is published and can no longer be changed"},
		{state + "items are added to a draft list only", "开放清单已公布，不能再添加计划项", "the open list is published: items can no longer be added"},
		{state + "the list is already published", "开放清单已经公布", "the open list is already published"},
	} {
		if got := translateMessage(langZh, test.message); got != test.zh {
			t.Errorf("zh %q = %q, want %q", test.message, got, test.zh)
		}
		if got := translateMessage(langEn, test.message); got != test.en {
			t.Errorf("en %q = %q, want %q", test.message, got, test.en)
		}
	}
	if got := fieldText(langEn, "planned_date", "must fall within 2026"); got != "Planned opening date must fall within 2026" {
		t.Errorf("English field text = %q", got)
	}
}

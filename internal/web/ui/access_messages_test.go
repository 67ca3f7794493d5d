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
			"grant_revoked", "key_revoked", "notifications_read"},
	}
	for list, codes := range lists {
		for _, code := range codes {
			checkMessage(t, list, list+"."+code)
		}
	}
}

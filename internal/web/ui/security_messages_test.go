package ui

import (
	"testing"

	"dataport/internal/monitor"
	"dataport/internal/web/ui/i18n"
)

// TestSecurityCodeListsAreTranslated checks every code the security pages
// translate, in both languages, from the monitor's own lists, and the
// problems its rules and alerts report.
func TestSecurityCodeListsAreTranslated(t *testing.T) {
	lists := map[string][]string{
		"security.severity":      stringsOf(monitor.Severities),
		"security.state":         stringsOf(monitor.States),
		"security.source":        monitor.Sources,
		"security.evidence_kind": {"decision", "rows", "signin", "event"},
		"security.subject":       {"user", "key", "grant", "address", "anonymous"},
		"done":                   {"security_acknowledged", "security_assigned", "security_closed", "security_rule_saved"},
		"field":                  {"ack_note", "owner", "verdict", "close_note", "body", "alert_state"},
	}
	for list, codes := range lists {
		for _, code := range codes {
			checkMessage(t, list, list+"."+code)
		}
	}
	for _, code := range []string{"rule_line", "rule_body", "code_fixed", "alert_not_new", "alert_settled", "not_security_officer"} {
		for _, lang := range []string{langZh, langEn} {
			if _, ok := i18n.Problem(lang, code, []any{3, "x"}); !ok {
				t.Errorf("problem %s has no %s text", code, lang)
			}
		}
	}
}

package ui

import (
	"strings"
	"testing"

	"dataport/internal/datastore"
	"dataport/internal/validate"
	"dataport/internal/web/ui/i18n"
	"dataport/internal/zones"
	"dataport/internal/zones/zsql"
)

// TestZoneCodeListsAreTranslated checks every code the zones' pages
// translate, in both languages, from the domain's own lists where it has
// them.
func TestZoneCodeListsAreTranslated(t *testing.T) {
	lists := map[string][]string{
		"zones.domain":      stringsOf(zones.Domains),
		"zones.zone_status": {zones.ZoneActive, zones.ZoneClosed},
		"zones.role":        stringsOf([]zsql.Role{zsql.RoleKey, zsql.RoleAttribute, zsql.RoleText}),
		"zones.mechanism":   stringsOf([]zsql.Mechanism{zsql.SDC, zsql.DP}),
		"zones.noise":       {"laplace", "gaussian"},
		"zones.status":      {zones.QueryQueued, zones.QueryRunning, zones.QueryReleased, zones.QueryRefused, zones.QueryReview, zones.QueryFailed},
		"zones.status_long": {zones.QueryQueued, zones.QueryRunning, zones.QueryReleased, zones.QueryRefused, zones.QueryReview, zones.QueryFailed},
		"zones.app_status":  {"steward_review", "operator_review", "approved", "rejected", "withdrawn", "more_info", "expired"},
		"zones.auth_status": {zones.AuthActive, zones.AuthPending, zones.AuthExpired, zones.AuthRevoked},
		"zones.reason": {zones.ReasonSQL, zones.ReasonBudget, zones.ReasonDifference, zones.ReasonRows, zones.ReasonCells, zones.ReasonTimeout,
			zones.ReasonRejected, zones.ReasonUser, zones.ReasonPlatform},
		"done": {"zone_applied", "zone_application_operator_review", "zone_application_approved", "zone_application_rejected",
			"zone_release_released", "zone_release_refused", "zone_output_kept", "zone_revoked"},
	}
	for list, codes := range lists {
		for _, code := range codes {
			checkMessage(t, list, list+"."+code)
		}
	}
	for _, key := range []string{"org_id", "scenario", "document_no", "document_title", "zone_resources", "valid_from", "valid_until",
		"epsilon_budget", "sql", "mechanism", "epsilon", "name_zh", "name_en", "description", "revoke_reason", "decision", "comment"} {
		checkMessage(t, "zone forms", "field."+key)
	}
	for _, use := range []string{"key", "text", "attribute", "numeric", "bounded"} {
		checkMessage(t, "schema", "zones.use."+use)
	}
}

// TestZoneRulesInWords checks that a zone's rules read as sentences with
// its figures in both languages: no verb left unfilled.
func TestZoneRulesInWords(t *testing.T) {
	for _, lang := range []string{langZh, langEn} {
		words := ruleWords(lang, zones.DefaultRules)
		text := strings.Join(words, "\n")
		if strings.Contains(text, "%!") || strings.Contains(text, "zones.") {
			t.Errorf("%s: the rules have a broken sentence:\n%s", lang, text)
		}
		for _, want := range []string{"10", "85", "3", "50,000,000", "120"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: the rules do not say %s:\n%s", lang, want, text)
			}
		}
	}
	off := zones.DefaultRules
	off.DominanceOff, off.Mechanisms = true, []zsql.Mechanism{zsql.SDC}
	if text := strings.Join(ruleWords(langEn, off), "\n"); strings.Contains(text, "dominance") || strings.Contains(text, "budget") {
		t.Errorf("a zone without dominance and DP still states them:\n%s", text)
	}
}

// TestRefusalLocated reads the guard's refusal both as it is and as the
// 422 on the field "sql" the service makes of it, and points the caret at
// its column, also after Chinese characters (two columns wide).
func TestRefusalLocated(t *testing.T) {
	stmt := "SELECT district,\n       * FROM \"r1\""
	ref := &datastore.SQLRefusal{Line: 2, Column: 8, Fragment: "*", Reason: "SELECT * returns rows"}
	for name, err := range map[string]error{
		"refusal": ref,
		"422":     validate.Errors{{Field: "sql", Value: "*", Code: "sql_refused", Message: ref.Error()}},
	} {
		t.Run(name, func(t *testing.T) {
			got := refusalOf(err, stmt)
			if got == nil || got.Line != 2 || got.Column != 8 || got.Fragment != "*" || got.Reason != "SELECT * returns rows" {
				t.Fatalf("refusal = %+v", got)
			}
			if got.Text != "       * FROM \"r1\"" || got.Caret != "       ^" {
				t.Errorf("line %q, caret %q", got.Text, got.Caret)
			}
		})
	}
	if got := refusalOf(validate.Errors{{Field: "epsilon", Message: "must be a number"}}, stmt); got != nil {
		t.Errorf("a problem of another field is no refusal: %+v", got)
	}
	wide := locate(&sqlRefusal{Line: 1, Column: 4}, "病种 x")
	if wide.Caret != "\u3000\u3000 ^" {
		t.Errorf("caret after Chinese = %q", wide.Caret)
	}
	if msg := i18n.T(langZh, "zones.refusal.at", 2, 8); !strings.Contains(msg, "2") || !strings.Contains(msg, "8") {
		t.Errorf("located refusal in Chinese = %q", msg)
	}
}

// TestResultTableMarksWithheldCells shows the null aggregates of the
// suppressed rows as withheld and keeps their group values, labelling
// codes but never numbers.
func TestResultTableMarksWithheldCells(t *testing.T) {
	q := zones.Query{Columns: []string{"district", "persons", "average"},
		Rows: [][]any{{"东城区", float64(1234), 812.456}, {"西城区", nil, nil}, {"朝阳区", float64(15), nil}}, Suppressed: []int{1}}
	tab := newResultTable(q, map[string]map[string]string{"district": {"东城区": "Dongcheng"}, "persons": {"15": "no"}})
	if tab.Suppressed != 1 {
		t.Errorf("suppressed rows = %d, want 1", tab.Suppressed)
	}
	want := [][]resultCell{
		{{Text: "东城区 Dongcheng"}, {Text: "1,234"}, {Text: "812.46"}},
		{{Text: "西城区"}, {Suppressed: true}, {Suppressed: true}},
		{{Text: "朝阳区"}, {Text: "15"}, {Text: ""}},
	}
	for i := range want {
		for j := range want[i] {
			if tab.Rows[i][j] != want[i][j] {
				t.Errorf("cell %d,%d = %+v, want %+v", i, j, tab.Rows[i][j], want[i][j])
			}
		}
	}
}

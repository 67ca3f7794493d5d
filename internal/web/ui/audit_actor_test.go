package ui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"dataport/internal/identity"
)

// TestEventPageNamesActorsOnlyToThoseWhoMayKnow: the verify page of an
// event names who acted to auditors, regulators, the actor and the
// subject's owner (members of the resource's institution), not to any
// signed-in user.
func TestEventPageNamesActorsOnlyToThoseWhoMayKnow(t *testing.T) {
	lp := newLedgerPortal(t)
	other := lp.createInstitution("12110000000000002", "市生态环境局", "Municipal Ecology Bureau")
	lp.createUser("outsider.zhang", identity.UserInput{Memberships: []identity.Membership{{OrganizationID: other.ID, Role: identity.RoleAdmin}}})
	lp.createUser("regulator.yan", identity.UserInput{PlatformRoles: []identity.PlatformRole{identity.PlatformRegulator}})
	res := lp.publishByPeople()
	published := lp.events("resource", res.ID)[0] // approved by operator.wang
	path := "/audit/events/" + published.ID
	for _, test := range []struct {
		who  string // "" for anonymous
		sees bool
	}{
		{"", false},
		{"outsider.zhang", false},
		{"auditor.zhao", true},
		{"regulator.yan", true},
		{"editor.li", true},     // a member of the institution that holds the resource
		{"operator.wang", true}, // the actor
	} {
		t.Run("viewer "+test.who, func(t *testing.T) {
			b := lp.browser()
			if test.who != "" {
				b.login(test.who)
			}
			pg := b.get(path)
			mustStatus(t, pg, http.StatusOK)
			body := strings.ReplaceAll(pg.body, "已登录：operator.wang", "") // the actor's own header
			if got := strings.Contains(body, "operator.wang"); got != test.sees {
				t.Errorf("the page names the actor: %v, want %v", got, test.sees)
			}
		})
	}
}

// TestAuditPageActorsForAuditorsOnly: platform staff who are not auditors
// or regulators see that someone acted and from which institution, not
// who, and cannot search by person.
func TestAuditPageActorsForAuditorsOnly(t *testing.T) {
	lp := newLedgerPortal(t)
	res := lp.publishByPeople()
	operator := lp.browser()
	operator.login("operator.wang")
	q := url.Values{"subject_id": {res.ID}}
	pg := operator.get("/audit?" + q.Encode())
	mustStatus(t, pg, http.StatusOK)
	body := strings.ReplaceAll(pg.body, "已登录：operator.wang", "")
	if strings.Contains(body, "editor.li") || strings.Contains(body, "operator.wang") {
		t.Error("the operator sees who acted on the audit page")
	}
	q.Set("actor", "editor.li")
	pg = operator.get("/audit?" + q.Encode())
	mustStatus(t, pg, http.StatusUnprocessableEntity)
	mustContain(t, pg, "只有审计和监管人员可以按操作人检索")

	auditor := lp.browser()
	auditor.login("auditor.zhao")
	pg = auditor.get("/audit?" + q.Encode())
	mustStatus(t, pg, http.StatusOK)
	mustContain(t, pg, "editor.li")
}

// TestResourceHistoryNamesActorsOnlyToThoseWhoMayKnow: the event history on
// a published resource's page follows the same rule as the event page: a
// signed-in outsider sees that people acted, not who.
func TestResourceHistoryNamesActorsOnlyToThoseWhoMayKnow(t *testing.T) {
	lp := newLedgerPortal(t)
	other := lp.createInstitution("12110000000000002", "市生态环境局", "Municipal Ecology Bureau")
	lp.createUser("outsider.zhang", identity.UserInput{Memberships: []identity.Membership{{OrganizationID: other.ID, Role: identity.RoleAdmin}}})
	res := lp.publishByPeople() // created and submitted by editor.li, approved by operator.wang
	for _, test := range []struct {
		who  string
		sees bool
	}{
		{"outsider.zhang", false},
		{"auditor.zhao", true},
		{"editor.li", true}, // a member of the institution that holds the resource
	} {
		t.Run("viewer "+test.who, func(t *testing.T) {
			b := lp.browser()
			b.login(test.who)
			section := eventSection(t, b.get("/resources/"+res.ID))
			for _, actor := range []string{"editor.li", "operator.wang"} {
				if got := strings.Contains(section, actor); got != test.sees {
					t.Errorf("the history names %s: %v, want %v\n%s", actor, got, test.sees, section)
				}
			}
		})
	}
}

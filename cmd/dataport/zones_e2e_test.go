package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"dataport/internal/web/api/apiclient"
)

// TestZonesEndToEnd works a public data zone on the real binary over
// HTTP, on SQLite and on PostgreSQL when DATAPORT_TEST_POSTGRES is set: a
// zone set up and an operator company authorised through the API
// (setUpZone); the operator's aggregate query released; SELECT * and a
// key item refused at once (422 on sql); the differencing attack — a count
// of a district's stops, then the same count without the one stop of
// 6,000 boardings — refused with reason "difference", so that the stop is
// never singled out; a differential-privacy query saying the epsilon spent
// and left, as the authorisation's budget does; another institution seeing
// nothing; and the steward's revocation stopping the operator's next
// query.
func TestZonesEndToEnd(t *testing.T) {
	ledgerStores(t, func(t *testing.T, dataDir, dbURL string) {
		args := []string{"demo", "--data", dataDir}
		if dbURL != "" {
			args = append(args, "--db", dbURL)
		}
		s := start(t, args...)
		r := newAPIRun(t, s, servedDocument(t, s))
		accounts := s.accounts(t)
		token := func(name string) *apiclient.ClientWithResponses {
			b := newBrowser(t, s.url)
			b.login(name, accounts[name])
			return r.client(b.apiToken("zones-e2e"))
		}
		editorName, _ := accountWithSuffix(t, accounts, ".editor")
		editor, stewardAdmin := token(editorName), token(strings.TrimSuffix(editorName, ".editor")+".admin")
		operator, company := token("operator"), token("company")
		var outsider *apiclient.ClientWithResponses
		for name := range accounts {
			if strings.HasSuffix(name, ".admin") && name != strings.TrimSuffix(editorName, ".editor")+".admin" && name != "admin" {
				outsider = token(name) // another institution's admin
				break
			}
		}
		ctx := context.Background()
		me := got(editor.GetMeWithResponse(ctx)).want(r, 200).JSON200
		w := r.setUpZone(ctx, operator, editor, company, (*me.Memberships)[0].OrganizationId, "ZONE-E2E")
		r.zoneReleasesAndRefuses(ctx, company, w)
		r.zoneDifferencing(ctx, company, w)
		r.zoneBudget(ctx, company, outsider, w)

		got(stewardAdmin.RevokeZoneAuthorisationWithResponse(ctx, w.code, w.authorisation,
			jsonBody[apiclient.RevokeZoneAuthorisationJSONRequestBody](t, `{"reason":"运营单位违反授权协议"}`))).want(r, 200)
		a := got(company.GetZoneAuthorisationWithResponse(ctx, w.code, w.authorisation)).want(r, 200).JSON200
		if a.Status != apiclient.ZoneAuthorisationStatusRevoked || a.RevokedAt == nil {
			t.Errorf("the authorisation after revocation: %s", a.Status)
		}
		denied := got(company.SubmitZoneQueryWithResponse(ctx, w.code, nil, jsonBody[apiclient.SubmitZoneQueryJSONRequestBody](t,
			fmt.Sprintf(`{"sql":"SELECT district, COUNT(*) AS stops FROM \"%s\" GROUP BY district"}`, w.resource)))).want(r, 403)
		t.Logf("the next query after revocation: %d %s", denied.StatusCode(), denied.Body)
	})
}

// zoneReleasesAndRefuses: the operator's count and average by district is
// released with both cells (30 stops each); SELECT * and a statement
// naming the key item are refused at once, naming the field sql.
func (r *apiRun) zoneReleasesAndRefuses(ctx context.Context, company *apiclient.ClientWithResponses, w zoneWorld) {
	t := r.t
	q := r.zoneQuery(ctx, company, w, `SELECT district, COUNT(*) AS stops, AVG(boardings) AS avg_boardings FROM "%s" GROUP BY district ORDER BY district`, 0)
	if q.Status != apiclient.ZoneQueryStatusReleased || q.Rows == nil || len(*q.Rows) != 2 || q.SuppressedCells != 0 {
		t.Fatalf("stops by district: %s %v, %d suppressed, rows %s", q.Status, q.Reason, q.SuppressedCells, rowsOf(q))
	}
	if got := rowsOf(q); got != `[["110101",30,3100],["110102",30,3000]]` {
		t.Errorf("stops by district: %s, want 30 stops of 3,100 and 3,000 boardings on average", got)
	}
	for _, sql := range []string{`SELECT * FROM "%s"`, `SELECT stop_id, COUNT(*) AS n FROM "%s" GROUP BY stop_id`} {
		bad := got(company.SubmitZoneQueryWithResponse(ctx, w.code, nil, jsonBody[apiclient.SubmitZoneQueryJSONRequestBody](t,
			fmt.Sprintf(`{"sql":%q}`, fmt.Sprintf(sql, w.resource))))).want(r, 422)
		p := bad.ApplicationproblemJSON422
		if p == nil || p.Errors == nil || len(*p.Errors) != 1 || (*p.Errors)[0].Location == nil || *(*p.Errors)[0].Location != "body.sql" {
			t.Errorf("%s: %s, want one problem at body.sql", sql, bad.Body)
		}
	}
}

// zoneDifferencing is the classic differencing attack: the stops of
// district 110101 are counted (30, released), then the same stops but the
// one with 6,000 boardings (29): released, the two counts would give that
// stop away, so the second query is refused — whichever way it is
// written — and carries no number.
func (r *apiRun) zoneDifferencing(ctx context.Context, company *apiclient.ClientWithResponses, w zoneWorld) {
	t := r.t
	all := r.zoneQuery(ctx, company, w, `SELECT COUNT(*) AS stops FROM "%s" WHERE district = '110101'`, 0)
	if all.Status != apiclient.ZoneQueryStatusReleased || rowsOf(all) != `[[30]]` {
		t.Fatalf("the district's stops: %s %v %s", all.Status, all.Reason, rowsOf(all))
	}
	for _, sql := range []string{
		`SELECT COUNT(*) AS stops FROM "%s" WHERE district = '110101' AND boardings < 6000`,
		`SELECT COUNT(*) AS stops FROM "%s" WHERE NOT (boardings = 6000) AND district = '110101'`,
		`SELECT SUM(boardings) AS total, COUNT(boardings) AS stops FROM "%s" WHERE district = '110101' AND boardings <> 6000`,
	} {
		q := r.zoneQuery(ctx, company, w, sql, 0)
		if q.Status != apiclient.ZoneQueryStatusRefused || q.Reason == nil || !strings.HasPrefix(*q.Reason, "difference") {
			t.Errorf("%s after the district's count: %s %v %s, want refused for the difference", sql, q.Status, q.Reason, rowsOf(q))
		}
		if q.Rows != nil && len(*q.Rows) > 0 {
			t.Errorf("the refused query carries rows: %s", rowsOf(q))
		}
	}
}

// zoneBudget: a differential-privacy count by district spends 0.5 of the
// budget of 2 and says so, as the authorisation's budget does; another
// institution can neither see the query nor submit one.
func (r *apiRun) zoneBudget(ctx context.Context, company, outsider *apiclient.ClientWithResponses, w zoneWorld) {
	t := r.t
	q := r.zoneQuery(ctx, company, w, `SELECT district, COUNT(*) AS stops FROM "%s" GROUP BY district`, 0.5)
	if q.Status != apiclient.ZoneQueryStatusReleased || q.EpsilonSpent != 0.5 || q.EpsilonRemaining != zoneBudget-0.5 {
		t.Fatalf("a dp count: %s %v, epsilon spent %g, remaining %g", q.Status, q.Reason, q.EpsilonSpent, q.EpsilonRemaining)
	}
	a := got(company.GetZoneAuthorisationWithResponse(ctx, w.code, w.authorisation)).want(r, 200).JSON200
	if a.Budgets == nil || len(*a.Budgets) != 1 || (*a.Budgets)[0].Spent != 0.5 || (*a.Budgets)[0].Remaining != zoneBudget-0.5 {
		t.Errorf("the authorisation's budgets after a dp query of 0.5: %+v", a.Budgets)
	}
	got(outsider.GetZoneQueryWithResponse(ctx, w.code, q.Id)).want(r, 404)
	got(outsider.GetZoneQueryResultWithResponse(ctx, w.code, q.Id)).want(r, 404)
	got(outsider.SubmitZoneQueryWithResponse(ctx, w.code, nil, jsonBody[apiclient.SubmitZoneQueryJSONRequestBody](t,
		fmt.Sprintf(`{"sql":"SELECT COUNT(*) AS stops FROM \"%s\""}`, w.resource)))).want(r, 403)
}

// rowsOf is q's rows as JSON, numbers (and numeric text, as PostgreSQL
// may send a numeric) written the shortest way: 3100.0 is 3100.
func rowsOf(q *apiclient.ZoneQuery) string {
	if q.Rows == nil {
		return "null"
	}
	var rows [][]any
	for _, row := range *q.Rows {
		if row == nil {
			rows = append(rows, nil)
			continue
		}
		var cells []any
		for _, c := range *row {
			if s, ok := c.(string); ok {
				if f, err := strconv.ParseFloat(s, 64); err == nil && strings.Contains(s, ".") {
					c = f
				}
			}
			if f, ok := c.(float64); ok {
				c = json.Number(strconv.FormatFloat(f, 'f', -1, 64))
			}
			cells = append(cells, c)
		}
		rows = append(rows, cells)
	}
	raw, _ := json.Marshal(rows)
	return string(raw)
}

package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/api"
	"dataport/internal/web/services"
	"dataport/internal/zones"
	"dataport/internal/zones/protect"
	"dataport/internal/zones/zonestest"
	"dataport/internal/zones/zsql"
)

// zoneSentinel is in every visit's key and free-text note, which no zone
// route may ever show.
const zoneSentinel = "SENTINEL-ZONE-5e1d"

// zoneVisits are 60 persons, one row each: 30 in 东城区 (110101), 30 in
// 西城区 (110102), ages 20 to 79 (one each), keys and notes holding
// zoneSentinel.
func zoneVisits() string {
	var b strings.Builder
	b.WriteString("patient_key,age,sex,district,diagnosis_group,cost,note\n")
	for i := range 60 {
		fmt.Fprintf(&b, "%s-%02d,%d,%d,11010%d,%c,%d.00,%s 第%d次就诊\n", zoneSentinel, i, 20+i, 1+i%2, 1+i/30, 'A'+rune(i%3), 200+i*10, zoneSentinel, i)
	}
	return b.String()
}

// zoneAPI is the native API over zonestest's health zone holding
// zoneVisits, its operator authorised.
type zoneAPI struct {
	*zonestest.World
	t    *testing.T
	db   *store.DB
	srv  *httptest.Server
	auth zones.Authorisation
	// tokens are the walk's API tokens by user id.
	tokens map[string]string
	// later moves the zones' clock on (nanoseconds).
	later atomic.Int64
}

func newZoneAPI(t *testing.T, db *store.DB) *zoneAPI {
	t.Helper()
	var ds *datastore.Service
	x := &zoneAPI{t: t, db: db}
	now := func() time.Time { return time.Now().Add(time.Duration(x.later.Load())) }
	w := zonestest.New(t, db, zonestest.Options{Zones: zones.Config{Noise: protect.SeededSource(5), Now: now}, Sandbox: func(w *zonestest.World) zones.Sandbox {
		ds = datastore.New(datastore.Config{DB: db, Catalog: w.Cat, Access: w.Access})
		data := zoneVisits()
		if _, err := ds.Load(context.Background(), w.StewardEditor, w.Visits.ID, datastore.LoadInput{File: strings.NewReader(data),
			Name: "visits.csv", Size: int64(len(data))}); err != nil {
			t.Fatalf("load the visits: %v", err)
		}
		return ds
	}})
	h := api.New(api.Config{Version: "test", Services: services.Services{Identity: w.IDs, Catalog: w.Cat, Access: w.Access, Review: w.Review,
		Datastore: ds, Zones: w.Zones, Log: slog.New(slog.DiscardHandler)}})
	x.World, x.srv = w, httptest.NewServer(mount(h))
	t.Cleanup(x.srv.Close)
	x.auth = w.Authorise(t, w.Application())
	return x
}

// token is a fresh API token of p ("" for the anonymous).
func (x *zoneAPI) token(p identity.Principal) string {
	x.t.Helper()
	if p.IsAnonymous() {
		return ""
	}
	secret, _, err := x.IDs.CreateToken(context.Background(), p, p.UserID, "zones", time.Hour)
	if err != nil {
		x.t.Fatal(err)
	}
	return secret
}

// tokenOf is p's API token, created once (a token's creation is an event).
func (x *zoneAPI) tokenOf(p identity.Principal) string {
	x.t.Helper()
	if x.tokens == nil {
		x.tokens = map[string]string{}
	}
	if _, ok := x.tokens[p.UserID]; !ok {
		x.tokens[p.UserID] = x.token(p)
	}
	return x.tokens[p.UserID]
}

// call sends method path (under /api/v1) as token's holder with body as
// JSON (none when nil).
func (x *zoneAPI) call(method, path, token string, body any) (int, http.Header, []byte) {
	x.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, x.srv.URL+api.Prefix+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		x.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, out
}

// query has the operator submit sql (%s: the visits) and returns it finished.
func (x *zoneAPI) query(sql string) zones.Query {
	x.t.Helper()
	ctx := context.Background()
	q, err := x.Zones.Submit(ctx, x.OperatorUser, x.Zone.ID, zones.QueryInput{SQL: fmt.Sprintf(sql, x.Visits.ID), Mechanism: zsql.SDC})
	if err == nil {
		q, err = x.Zones.Await(ctx, x.OperatorUser, q.ID)
	}
	if err != nil {
		x.t.Fatalf("%s: %v", sql, err)
	}
	return q
}

// events counts the stored events other than the access decisions' log.
func (x *zoneAPI) events() int {
	x.t.Helper()
	if err := x.Access.Flush(context.Background()); err != nil {
		x.t.Fatal(err)
	}
	var n int
	if err := x.db.QueryRow(`SELECT count(*) FROM events WHERE type <> 'access.decisions'`).Scan(&n); err != nil {
		x.t.Fatal(err)
	}
	return n
}

// TestZoneAPI: GET /zones answers exactly the shape; a zone is
// addressed by its id or its code; a submission answers 200 with the
// released query when it finished within ?wait=, 202 with its Location
// when asked not to wait, and a statement the guard refuses is a 422 on
// body.sql; a query, application, authorisation or output read under
// another zone's path does not exist there (404); once the authorisation
// has expired, the next query is refused (403). On SQLite and PostgreSQL.
func TestZoneAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		x := newZoneAPI(t, db)
		status, _, body := x.call(http.MethodGet, "/zones", "", nil)
		var list map[string]json.RawMessage
		json.Unmarshal(body, &list)
		var items []map[string]any
		json.Unmarshal(list["items"], &items)
		if status != http.StatusOK || !slices.Equal(slices.Sorted(maps.Keys(list)), []string{"items", "next_cursor"}) || len(items) != 1 ||
			!slices.Equal(slices.Sorted(maps.Keys(items[0])), []string{"code", "domain", "id", "name_en", "name_zh", "resource_ids"}) ||
			items[0]["code"] != "ZONE-HEALTH" || fmt.Sprint(items[0]["resource_ids"]) != "["+x.Visits.ID+"]" {
			t.Fatalf("GET /zones: %d %s", status, body)
		}
		var byID, byCode zones.Zone
		x.decode(x.call(http.MethodGet, "/zones/"+x.Zone.ID, "", nil))(http.StatusOK, &byID)
		x.decode(x.call(http.MethodGet, "/zones/ZONE-HEALTH", "", nil))(http.StatusOK, &byCode)
		if byID.ID != x.Zone.ID || byCode.ID != x.Zone.ID {
			t.Errorf("the zone by id %q, by code %q, want %s", byID.ID, byCode.ID, x.Zone.ID)
		}

		op := x.token(x.OperatorUser)
		count := map[string]any{"sql": fmt.Sprintf(`SELECT district, COUNT(*) AS persons FROM "%s" GROUP BY district`, x.Visits.ID)}
		var q zones.Query
		status, header, body := x.call(http.MethodPost, "/zones/ZONE-HEALTH/queries?wait=0", op, count)
		x.decode(status, header, body)(http.StatusAccepted, &q)
		if q.Finished() || header.Get("Location") != api.Prefix+"/zones/"+x.Zone.ID+"/queries/"+q.ID {
			t.Errorf("?wait=0: %s, Location %q", q.Status, header.Get("Location"))
		}
		x.decode(x.call(http.MethodPost, "/zones/ZONE-HEALTH/queries", op, count))(http.StatusOK, &q)
		if q.Status != zones.QueryReleased || len(q.Rows) != 2 {
			t.Errorf("waiting by default: %s %s %v", q.Status, q.Reason, q.Rows)
		}
		status, _, body = x.call(http.MethodPost, "/zones/ZONE-HEALTH/queries", op, map[string]any{"sql": fmt.Sprintf(`SELECT * FROM "%s"`, x.Visits.ID)})
		var p struct {
			Errors []struct{ Location, Code string }
		}
		if json.Unmarshal(body, &p); status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Location != "body.sql" {
			t.Errorf("SELECT *: %d %s, want 422 at body.sql", status, body)
		}

		x.otherZone(q)

		x.later.Store(int64(x.auth.ValidUntil.Sub(time.Now()) + time.Hour)) // the authorisation has expired
		status, _, body = x.call(http.MethodPost, "/zones/ZONE-HEALTH/queries", op, count)
		if status != http.StatusForbidden || !strings.Contains(string(body), "expired") {
			t.Errorf("a query after the authorisation's end: %d %s, want 403 saying it expired", status, body)
		}
	})
}

// otherZone reads the health zone's records under a second zone's path:
// none exists there.
func (x *zoneAPI) otherZone(q zones.Query) {
	ctx := context.Background()
	other, err := x.Zones.Create(ctx, x.Operator, zones.ZoneInput{Code: "ZONE-TRANSPORT", NameZh: "交通专区", NameEn: "Transport zone",
		Domain: zones.DomainTransport, StewardOrgID: x.Provider.ID})
	if err != nil {
		x.t.Fatal(err)
	}
	out, err := x.Zones.Keep(ctx, x.OperatorUser, q.ID, zones.OutputInput{NameZh: "各区人数"})
	if err != nil {
		x.t.Fatal(err)
	}
	op := x.token(x.OperatorUser)
	for _, path := range []string{"/queries/" + q.ID, "/queries/" + q.ID + "/result.csv", "/applications/" + x.auth.ApplicationID,
		"/authorisations/" + x.auth.ID, "/outputs/" + out.ID} {
		if status, _, body := x.call(http.MethodGet, "/zones/ZONE-HEALTH"+path, op, nil); status != http.StatusOK {
			x.t.Errorf("GET ZONE-HEALTH%s: %d %s", path, status, body)
		}
		if status, _, body := x.call(http.MethodGet, "/zones/"+other.ID+path, op, nil); status != http.StatusNotFound {
			x.t.Errorf("GET %s under another zone: %d %s, want 404", path, status, body)
		}
	}
}

// decode checks an answer's status and decodes its body into v.
func (x *zoneAPI) decode(status int, _ http.Header, body []byte) func(want int, v any) {
	return func(want int, v any) {
		x.t.Helper()
		if status != want {
			x.t.Fatalf("status %d, want %d: %s", status, want, body)
		}
		if err := json.Unmarshal(body, v); err != nil {
			x.t.Fatalf("%v: %s", err, body)
		}
	}
}

// zoneWalkBodies are valid bodies of the zones' writes, so that a refusal
// comes from who asks, not from what is sent (%s: the visits).
var zoneWalkBodies = map[string]string{
	"create-zone":               `{"code":"ZONE-WALK","name_zh":"走查专区","domain":"health","steward_org_id":"%[2]s"}`,
	"update-zone":               `{"name_zh":"医疗健康专区（改）","domain":"health","steward_org_id":"%[2]s"}`,
	"apply-zone":                `{"scenario":"走查","document_no":"1","document_title":"授权","resource_ids":["%[1]s"],"valid_from":"2026-01-01T00:00:00Z","valid_until":"2030-01-01T00:00:00Z"}`,
	"decide-zone-application":   `{"decision":"approve","comment":"同意"}`,
	"revoke-zone-authorisation": `{"reason":"走查"}`,
	"submit-zone-query":         `{"sql":"SELECT district, COUNT(*) AS n FROM \"%[1]s\" GROUP BY district"}`,
	"decide-zone-query":         `{"decision":"approve","comment":"同意"}`,
	"keep-zone-output":          `{"name_zh":"走查"}`,
}

// zonePublic are the operations anyone may call.
var zonePublic = []string{"list-zones", "get-zone"}

// zoneWrongRoles are, per operation, signed-in callers who take part in
// the zone but not in that role.
func (x *zoneAPI) zoneWrongRoles(op string) map[string]identity.Principal {
	steward := map[string]identity.Principal{"the steward's member": x.StewardMember, "the authorised operator": x.OperatorUser}
	switch op {
	case "create-zone":
		return map[string]identity.Principal{"the steward's admin": x.StewardAdmin, "the authorised operator": x.OperatorUser}
	case "update-zone", "set-zone-member", "remove-zone-member", "revoke-zone-authorisation":
		return map[string]identity.Principal{"the steward's editor": x.StewardEditor, "the authorised operator": x.OperatorUser}
	case "decide-zone-application", "decide-zone-query":
		return steward
	case "submit-zone-query", "keep-zone-output":
		return map[string]identity.Principal{"the steward's editor": x.StewardEditor, "the platform operator": x.Operator}
	}
	return nil
}

// TestZoneRoutesRefuseStrangers walks every operation under /zones of the
// served OpenAPI document with the ids of real records — the health zone,
// its visits, a pending application, the operator's authorisation, a
// result in review and a released one with its kept output — as the
// anonymous, a citizen and another institution's admin, and each
// operation as callers in the wrong role (the steward's member deciding,
// the operator revoking, the steward's editor submitting, …): every
// answer but the public list and page is a refusal (401, 403 or 404, or
// an empty list), none shows a key or a free-text value, and no refused
// call writes an event. On SQLite and PostgreSQL.
func TestZoneRoutesRefuseStrangers(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		x := newZoneAPI(t, db)
		ctx := context.Background()
		other := x.NewOrg(t, identity.KindEnterprise, "京华医保精算有限公司", "YBJS")
		applicant := x.NewUser(t, "ybjs.admin", "", identity.Membership{OrganizationID: other.ID, Role: identity.RoleAdmin})
		pending, err := x.Zones.Apply(ctx, applicant, x.Zone.ID, x.Application())
		if err != nil {
			t.Fatal(err)
		}
		released := x.query(`SELECT district, COUNT(*) AS persons FROM "%s" GROUP BY district`)
		review := x.query(`SELECT COUNT(*) AS persons FROM "%s" WHERE age < 32`)
		if released.Status != zones.QueryReleased || review.Status != zones.QueryReview {
			t.Fatalf("the walk's queries: %s (%s), %s (%s)", released.Status, released.Reason, review.Status, review.Reason)
		}
		out, err := x.Zones.Keep(ctx, x.OperatorUser, released.ID, zones.OutputInput{NameZh: "各区人数"})
		if err != nil {
			t.Fatal(err)
		}
		ids := strings.NewReplacer("{zone_id}", "ZONE-HEALTH", "{resource_id}", x.Visits.ID, "{application_id}", pending.ID,
			"{authorisation_id}", x.auth.ID, "{output_id}", out.ID, "{query_id}", released.ID)
		strangers := map[string]identity.Principal{"the anonymous": identity.Principal{}, "a citizen": x.Citizen,
			"another institution's admin": x.RequesterAdmin}
		ops := x.zoneOperations()
		for _, p := range []identity.Principal{x.Citizen, x.RequesterAdmin, x.StewardAdmin, x.StewardEditor, x.StewardMember, x.OperatorUser, x.Operator} {
			x.tokenOf(p)
		}
		before, walked := x.events(), 0
		for _, op := range ops {
			path := ids.Replace(op.path)
			if op.id == "decide-zone-query" {
				path = strings.Replace(path, released.ID, review.ID, 1)
			}
			callers := maps.Clone(strangers)
			if op.id == "apply-zone" {
				delete(callers, "another institution's admin") // any institution may apply
			}
			maps.Copy(callers, x.zoneWrongRoles(op.id))
			for who, p := range callers {
				x.refused(op, path, who, p, slices.Contains(zonePublic, op.id))
				walked++
			}
		}
		if walked < 60 {
			t.Fatalf("only %d calls walked: the zones' routes are not in the document", walked)
		}
		if after := x.events(); after != before {
			t.Errorf("refused calls wrote %d events", after-before)
		}
		t.Logf("%d operations, %d refused calls", len(ops), walked)
	})
}

type zoneOperation struct{ id, method, path string }

// zoneOperations reads the operations under /zones from the served document.
func (x *zoneAPI) zoneOperations() []zoneOperation {
	x.t.Helper()
	_, _, body := x.call(http.MethodGet, "/openapi.json", "", nil)
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		x.t.Fatal(err)
	}
	var ops []zoneOperation
	for path, methods := range doc.Paths {
		for method, op := range methods {
			if strings.HasPrefix(path, "/zones") {
				ops = append(ops, zoneOperation{op.OperationID, strings.ToUpper(method), path})
			}
		}
	}
	slices.SortFunc(ops, func(a, b zoneOperation) int { return strings.Compare(a.id, b.id) })
	return ops
}

// refused calls op on path as p and fails unless it was refused (or, for
// a public operation, answered), without a key or a free-text value.
func (x *zoneAPI) refused(op zoneOperation, path, who string, p identity.Principal, public bool) {
	x.t.Helper()
	var body any
	if op.method != http.MethodGet && op.method != http.MethodDelete {
		raw := zoneWalkBodies[op.id]
		if raw == "" {
			raw = "{}"
		}
		if strings.Contains(raw, "%[") {
			raw = fmt.Sprintf(raw, x.Visits.ID, x.Steward.ID)
		}
		body = json.RawMessage(raw)
	}
	status, _, answer := x.call(op.method, path, x.tokenOf(p), body)
	if strings.Contains(string(answer), zoneSentinel) {
		x.t.Errorf("%s %s as %s (%d) shows a key or a free-text value: %.300s", op.method, path, who, status, answer)
	}
	var list struct{ Items []any }
	switch {
	case public && status == http.StatusOK:
	case status == http.StatusUnauthorized && p.IsAnonymous(), status == http.StatusForbidden, status == http.StatusNotFound:
	case status == http.StatusUnprocessableEntity && op.id == "apply-zone" && strings.Contains(string(answer), "body.operator_org_id"):
		// a citizen belongs to no company or institution to apply for
	case status == http.StatusOK && op.method == http.MethodGet && json.Unmarshal(answer, &list) == nil && list.Items != nil && len(list.Items) == 0:
	default:
		x.t.Errorf("%s %s (%s) as %s: %d, want a refusal: %.300s", op.method, path, op.id, who, status, answer)
	}
}

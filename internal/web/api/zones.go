package api

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"time"

	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/zones"

	"github.com/danielgtaylor/huma/v2"
)

// tagZones groups the public data zones.
const tagZones = "Zones"

func init() {
	tags = append(tags, &huma.Tag{Name: tagZones, Description: "Public data zones (公共数据专区, article 19): zones for finance, health, " +
		"transport and spatial data with a steward institution, member resources and disclosure rules; operators' applications, reviewed " +
		"by the steward and the platform operator, whose approval is an authorisation backed by access grants (action compute); and the " +
		"sandbox, where an authorised operator's aggregate SQL runs on data it cannot see. Every released number passes disclosure control " +
		"(minimum cell size, (n,k) dominance, secondary suppression), differential privacy with an epsilon budget per operator and " +
		"resource when asked, and a difference check against the operator's earlier releases; risky results wait for the steward. " +
		"Queries are metered and every step is an event sealed by the ledger. {zone_id} is a zone's id or its code."})
}

// zonesType is a type of package zones as reflection names it, alone or
// in a generic type's arguments.
var zonesType = regexp.MustCompile(`dataport/internal/zones\.([A-Za-z0-9_]+)`)

// schemaName names the document's schemas as huma does, except that a
// type of package zones is named with the prefix Zone (zones.Query is
// ZoneQuery, List[zones.Usage]'s body ListZoneUsageBody) unless its name
// has it: the zones' Query, Rules, Usage and Application are not the
// catalog's, opening's or the exchange's.
func schemaName(t reflect.Type, hint string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	name := t.Name()
	if name != "" && (t.PkgPath() == reflect.TypeFor[zones.Zone]().PkgPath() || t.PkgPath() == monitorPkg || t.PkgPath() == assessPkg) {
		name = t.PkgPath() + "." + name
	}
	if name == "" {
		name = hint
	}
	name = monitorSchemaName(name)
	name = assessSchemaName(name)
	name = zonesType.ReplaceAllStringFunc(name, func(m string) string {
		if base := m[strings.LastIndexByte(m, '.')+1:]; !strings.HasPrefix(base, "Zone") {
			return "Zone" + base
		}
		return m
	})
	return huma.DefaultSchemaNamer(reflect.TypeFor[struct{}](), name)
}

// zoneSummary is a zone as GET /zones lists it.
type zoneSummary struct {
	ID          string       `json:"id"`
	Code        string       `json:"code"`
	NameZh      string       `json:"name_zh"`
	NameEn      string       `json:"name_en"`
	Domain      zones.Domain `json:"domain"`
	ResourceIDs []string     `json:"resource_ids"`
}

type listZonesIn struct {
	Domain string `query:"domain" enum:"finance,health,transport,spatial,other"`
	Cursor string `query:"cursor" doc:"next_cursor of the previous page"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

type zoneIn struct {
	ZoneID string `path:"zone_id" doc:"The zone's id or code"`
}

type zoneOut struct{ Body zones.Zone }

type createZoneIn struct{ Body zones.ZoneInput }

type updateZoneIn struct {
	ZoneID string `path:"zone_id" doc:"The zone's id or code"`
	Body   zones.ZoneInput
}

type zoneMemberIn struct {
	ZoneID     string `path:"zone_id" doc:"The zone's id or code"`
	ResourceID string `path:"resource_id" doc:"A catalog resource with data and key items"`
}

type setZoneMemberIn struct {
	ZoneID     string `path:"zone_id" doc:"The zone's id or code"`
	ResourceID string `path:"resource_id" doc:"A catalog resource with data and key items"`
	Body       struct {
		Items []zones.ItemRule `json:"items,omitempty" required:"false" doc:"Roles and clamping bounds of items that differ from their default"`
	}
}

type listZoneApplicationsIn struct {
	ZoneID string `path:"zone_id" doc:"The zone's id or code"`
	Status string `query:"status" doc:"steward_review, operator_review, more_info, approved, rejected, withdrawn or expired"`
	Mine   bool   `query:"mine" doc:"Only your organizations' applications (not those you review)"`
}

type applyZoneIn struct {
	ZoneID string `path:"zone_id" doc:"The zone's id or code"`
	Body   zones.ApplicationInput
}

type zoneApplicationIn struct {
	ZoneID        string `path:"zone_id" doc:"The zone's id or code"`
	ApplicationID string `path:"application_id"`
}

// zoneApplicationBody is an application with its review case.
type zoneApplicationBody struct {
	zones.Application
	Review review.State `json:"review" doc:"The review case: status, deadline, the last reason and every step taken"`
}

type zoneApplicationOut struct{ Body zoneApplicationBody }

// zoneDecision is a reviewer's decision on an application or a result.
type zoneDecision struct {
	Decision review.Decision `json:"decision" enum:"approve,reject"`
	Comment  string          `json:"comment" required:"false" maxLength:"2000" doc:"Required when rejecting"`
}

type decideZoneApplicationIn struct {
	ZoneID        string `path:"zone_id" doc:"The zone's id or code"`
	ApplicationID string `path:"application_id"`
	Body          zoneDecision
}

type zoneAuthorisationIn struct {
	ZoneID          string `path:"zone_id" doc:"The zone's id or code"`
	AuthorisationID string `path:"authorisation_id"`
}

type revokeZoneAuthorisationIn struct {
	ZoneID          string `path:"zone_id" doc:"The zone's id or code"`
	AuthorisationID string `path:"authorisation_id"`
	Body            struct {
		Reason string `json:"reason" maxLength:"1000" doc:"Why; required"`
	}
}

type zoneAuthorisationOut struct{ Body zones.Authorisation }

type listZoneQueriesIn struct {
	ZoneID string `path:"zone_id" doc:"The zone's id or code"`
	Status string `query:"status" enum:"queued,running,released,refused,review,failed"`
	Cursor string `query:"cursor" doc:"next_cursor of the previous page"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

// How long a submission waits for its query, seconds: by default, and at most.
const (
	defaultQueryWait = 30
	maxQueryWait     = 120
)

type submitZoneQueryIn struct {
	ZoneID string `path:"zone_id" doc:"The zone's id or code"`
	Wait   int    `query:"wait" minimum:"0" maximum:"120" doc:"Seconds to wait for the result before answering 202 (0: answer at once; default 30). The wait ends a few seconds before the request's deadline (the server's request timeout, 30 s by default)"`
	Body   zones.QueryInput
}

// Resolve gives wait its default when the query string leaves it out. (A
// default tag would not do: huma gives every zero field of an input with a
// body its default, so that wait=0 would wait 30 seconds.)
func (in *submitZoneQueryIn) Resolve(ctx huma.Context) []error {
	if ctx.Query("wait") == "" {
		in.Wait = defaultQueryWait
	}
	return nil
}

type zoneQueryIn struct {
	ZoneID  string `path:"zone_id" doc:"The zone's id or code"`
	QueryID string `path:"query_id"`
}

type zoneQueryOut struct{ Body zones.Query }

// submittedQueryOut is a submitted query: 200 once finished, 202 while
// queued or running.
type submittedQueryOut struct {
	Status   int
	Location string `header:"Location" doc:"The query, to poll while it is queued or running"`
	Body     zones.Query
}

type decideZoneQueryIn struct {
	ZoneID  string `path:"zone_id" doc:"The zone's id or code"`
	QueryID string `path:"query_id"`
	Body    zoneDecision
}

type keepZoneOutputIn struct {
	ZoneID  string `path:"zone_id" doc:"The zone's id or code"`
	QueryID string `path:"query_id"`
	Body    zones.OutputInput
}

type zoneOutputIn struct {
	ZoneID   string `path:"zone_id" doc:"The zone's id or code"`
	OutputID string `path:"output_id"`
}

type zoneOutputOut struct{ Body zones.Output }

// zoneOutputBody is a kept output with the released result it keeps.
type zoneOutputBody struct {
	zones.Output
	Result zones.Query `json:"result" doc:"The released query whose result the output keeps"`
}

type zoneOutputWithResultOut struct{ Body zoneOutputBody }

// zoneOp is one operation of the zones' API; status -1 (signedIn) marks
// a read that needs a token.
func zoneOp(id, method, path string, status int, summary, desc string) huma.Operation {
	op := huma.Operation{OperationID: id, Method: method, Path: "/zones" + path, Tags: []string{tagZones}, Summary: summary,
		Description: desc, DefaultStatus: max(status, 0)}
	if isWrite(method) || status == signedIn {
		op.Security = bearer
	}
	return op
}

// errOtherZone answers a record that exists but belongs to another zone
// than the path names, as if it did not exist.
var errOtherZone = fmt.Errorf("not in this zone: %w", store.ErrNotFound)

// inZone returns v when it belongs to zone (recordZone is its zone's
// id), errOtherZone otherwise.
func inZone[T any](zone zones.Zone, recordZone string, v T, err error) (T, error) {
	if err == nil && recordZone != zone.ID {
		var zero T
		return zero, errOtherZone
	}
	return v, err
}

func (h *handlers) zoneRoutes(api huma.API) {
	h.zoneCoreRoutes(api)
	h.zoneApplicationRoutes(api)
	h.zoneQueryRoutes(api)
	h.zoneOutputRoutes(api)
}

// zone resolves a path's zone (id or code) as actor may see it.
func (h *handlers) zone(ctx context.Context, idOrCode string) (zones.Zone, error) {
	return h.acc.Zones.Get(ctx, identity.FromContext(ctx), idOrCode)
}

func zoneBody(z zones.Zone) *zoneOut { return &zoneOut{Body: z} }

func (h *handlers) zoneCoreRoutes(api huma.API) {
	zs := h.acc.Zones
	huma.Register(api, zoneOp("list-zones", http.MethodGet, "", 0, "Public data zones",
		"The active zones, for anyone: id, code, names, domain and member resources; platform operators and stewards also see closed "+
			"ones. Filtered by domain, a page at a time."),
		func(ctx context.Context, in *listZonesIn) (*List[zoneSummary], error) {
			list, next, err := zs.List(ctx, identity.FromContext(ctx), zones.ListFilter{Domain: zones.Domain(in.Domain), Cursor: in.Cursor,
				Limit: in.Limit})
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			out := &List[zoneSummary]{}
			out.Body.Items, out.Body.NextCursor = make([]zoneSummary, len(list)), next
			for i, z := range list {
				out.Body.Items[i] = zoneSummary{ID: z.ID, Code: z.Code, NameZh: z.NameZh, NameEn: z.NameEn, Domain: z.Domain,
					ResourceIDs: z.ResourceIDs()}
			}
			return out, nil
		})
	huma.Register(api, zoneOp("create-zone", http.MethodPost, "", http.StatusCreated, "Set up a zone (platform operators)",
		"A unique code, names, a domain, the steward institution and the rules (mechanisms, minimum cell size, dominance, epsilon "+
			"budgets, noise, row, time and cell limits; zero fields take the defaults). Member resources are added one by one. Bad fields "+
			"answer 422 and nothing is written."),
		func(ctx context.Context, in *createZoneIn) (*zoneOut, error) {
			return answer(h, ctx, zoneBody)(zs.Create(ctx, identity.FromContext(ctx), in.Body))
		})
	huma.Register(api, zoneOp("get-zone", http.MethodGet, "/{zone_id}", 0, "One zone, its rules and member resources",
		"An active zone's public page for anyone: its steward, rules and member resources with each item's role (key, attribute, free "+
			"text) and clamping bounds. A closed zone only for platform operators and its steward; 404 for anyone else."),
		func(ctx context.Context, in *zoneIn) (*zoneOut, error) {
			return answer(h, ctx, zoneBody)(h.zone(ctx, in.ZoneID))
		})
	huma.Register(api, zoneOp("update-zone", http.MethodPatch, "/{zone_id}", 0,
		"Change a zone's description and rules (platform operators, the steward's admins)",
		"Fields left out or empty keep the zone's values; rules, when sent, replace the zone's (their zero fields take the defaults). "+
			"Only platform operators change the code, the domain or the steward. Bad fields answer 422 and nothing is written."),
		func(ctx context.Context, in *updateZoneIn) (*zoneOut, error) {
			z, err := h.zone(ctx, in.ZoneID)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			return answer(h, ctx, zoneBody)(zs.Update(ctx, identity.FromContext(ctx), z.ID, in.Body))
		})
	huma.Register(api, zoneOp("set-zone-member", http.MethodPut, "/{zone_id}/resources/{resource_id}", 0,
		"Add a resource to a zone, or change its item rules (platform operators, the steward's admins)",
		"The resource must have data and key items (one row is one person). Items not listed keep their default role: key items are "+
			"keys, numeric, date and boolean items and coded text are attributes, other text is free text, never named in a statement. "+
			"Numeric items may get clamping bounds, which MIN, MAX and differential privacy need."),
		func(ctx context.Context, in *setZoneMemberIn) (*zoneOut, error) {
			z, err := h.zone(ctx, in.ZoneID)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			return answer(h, ctx, zoneBody)(zs.SetMember(ctx, identity.FromContext(ctx), z.ID,
				zones.MemberInput{ResourceID: in.ResourceID, Items: in.Body.Items}))
		})
	huma.Register(api, zoneOp("remove-zone-member", http.MethodDelete, "/{zone_id}/resources/{resource_id}", 0,
		"Take a resource out of a zone (platform operators, the steward's admins)",
		"Later queries may no longer name it; earlier results and kept outputs stay. A resource not in the zone answers 404."),
		func(ctx context.Context, in *zoneMemberIn) (*zoneOut, error) {
			z, err := h.zone(ctx, in.ZoneID)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			return answer(h, ctx, zoneBody)(zs.RemoveMember(ctx, identity.FromContext(ctx), z.ID, in.ResourceID))
		})
}

func (h *handlers) zoneApplicationRoutes(api huma.API) {
	zs := h.acc.Zones
	huma.Register(api, zoneOp("list-zone-applications", http.MethodGet, "/{zone_id}/applications", signedIn,
		"Applications to work in a zone that you may see",
		"Your organizations' applications, and those you review (the steward's admins and editors, platform operators)."),
		func(ctx context.Context, in *listZoneApplicationsIn) (*List[zones.Application], error) {
			return zoneItems(h, ctx, in.ZoneID, func(ctx context.Context, actor identity.Principal, zoneID string) ([]zones.Application, error) {
				return zs.Applications(ctx, actor, zones.ApplicationFilter{ZoneID: zoneID, Status: in.Status, Mine: in.Mine})
			})
		})
	huma.Register(api, zoneOp("apply-zone", http.MethodPost, "/{zone_id}/applications", http.StatusCreated,
		"Apply to work in a zone as an operator (a company's or institution's members)",
		"Files the scenario, the authorisation document (number and title), the period and the zone's resources asked for, with an "+
			"epsilon budget per resource (the zone's by default). The steward's admins or editors review first, then the platform "+
			"operator; the last approval creates the authorisation. Bad fields answer 422 and nothing is written."),
		func(ctx context.Context, in *applyZoneIn) (*zoneApplicationOut, error) {
			z, err := h.zone(ctx, in.ZoneID)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			actor := identity.FromContext(ctx)
			a, err := zs.Apply(ctx, actor, z.ID, in.Body)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			return h.zoneApplication(ctx, z, a.ID)
		})
	huma.Register(api, zoneOp("get-zone-application", http.MethodGet, "/{zone_id}/applications/{application_id}", signedIn,
		"One application with its review case",
		"For the applying organization's members, the steward's reviewers and platform operators; 404 for anyone else, and for an "+
			"application of another zone."),
		func(ctx context.Context, in *zoneApplicationIn) (*zoneApplicationOut, error) {
			z, err := h.zone(ctx, in.ZoneID)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			return h.zoneApplication(ctx, z, in.ApplicationID)
		})
	huma.Register(api, zoneOp("decide-zone-application", http.MethodPost, "/{zone_id}/applications/{application_id}/decision", 0,
		"Approve or reject an application (the step's reviewers)",
		"First the steward's admins or editors, then a platform operator; a rejection needs a comment. The last approval creates the "+
			"authorisation, its access grants (one per providing institution, action compute, for the scenario and period) and the "+
			"epsilon budgets, in the same transaction. A case not waiting for you answers 403 or 409."),
		func(ctx context.Context, in *decideZoneApplicationIn) (*zoneApplicationOut, error) {
			z, err := h.zone(ctx, in.ZoneID)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			actor := identity.FromContext(ctx)
			if _, err := h.zoneApplication(ctx, z, in.ApplicationID); err != nil {
				return nil, err
			}
			if _, err := zs.DecideApplication(ctx, actor, in.ApplicationID, in.Body.Decision, in.Body.Comment); err != nil {
				return nil, h.fail(ctx, err)
			}
			return h.zoneApplication(ctx, z, in.ApplicationID)
		})
	h.zoneAuthorisationRoutes(api)
}

// zoneApplication answers the application id of zone with its review case.
func (h *handlers) zoneApplication(ctx context.Context, z zones.Zone, id string) (*zoneApplicationOut, error) {
	a, st, err := h.acc.Zones.Application(ctx, identity.FromContext(ctx), id)
	if a, err = inZone(z, a.ZoneID, a, err); err != nil {
		return nil, h.fail(ctx, err)
	}
	return &zoneApplicationOut{Body: zoneApplicationBody{Application: a, Review: st}}, nil
}

func (h *handlers) zoneAuthorisationRoutes(api huma.API) {
	zs := h.acc.Zones
	huma.Register(api, zoneOp("list-zone-authorisations", http.MethodGet, "/{zone_id}/authorisations", signedIn,
		"Authorisations to compute in a zone",
		"Your organizations' authorisations with their budgets; the steward and platform operators see every operator's."),
		func(ctx context.Context, in *zoneIn) (*List[zones.Authorisation], error) {
			return zoneItems(h, ctx, in.ZoneID, zs.Authorisations)
		})
	huma.Register(api, zoneOp("get-zone-authorisation", http.MethodGet, "/{zone_id}/authorisations/{authorisation_id}", signedIn,
		"One authorisation with its grants and epsilon budgets",
		"Its state (active, pending, expired, revoked), period, resources, the access grants behind it and, per resource, the epsilon "+
			"budget's total, spent and remaining. For its operator's members, the steward and platform operators; 404 for anyone else."),
		func(ctx context.Context, in *zoneAuthorisationIn) (*zoneAuthorisationOut, error) {
			return answer(h, ctx, zoneAuthorisationBody)(h.zoneAuthorisation(ctx, in.ZoneID, in.AuthorisationID))
		})
	huma.Register(api, zoneOp("revoke-zone-authorisation", http.MethodPost, "/{zone_id}/authorisations/{authorisation_id}/revoke", 0,
		"Revoke an authorisation (the steward's admins, platform operators)",
		"Ends it at once and revokes its access grants: the operator's next query is refused. A reason is required; an authorisation "+
			"already ended answers 409."),
		func(ctx context.Context, in *revokeZoneAuthorisationIn) (*zoneAuthorisationOut, error) {
			if _, err := h.zoneAuthorisation(ctx, in.ZoneID, in.AuthorisationID); err != nil {
				return nil, h.fail(ctx, err)
			}
			return answer(h, ctx, zoneAuthorisationBody)(zs.Revoke(ctx, identity.FromContext(ctx), in.AuthorisationID, in.Body.Reason))
		})
}

func zoneAuthorisationBody(a zones.Authorisation) *zoneAuthorisationOut {
	return &zoneAuthorisationOut{Body: a}
}

// zoneAuthorisation returns the authorisation id of the zone zoneID (id
// or code) as the caller may see it.
func (h *handlers) zoneAuthorisation(ctx context.Context, zoneID, id string) (zones.Authorisation, error) {
	z, err := h.zone(ctx, zoneID)
	if err != nil {
		return zones.Authorisation{}, err
	}
	a, err := h.acc.Zones.Authorisation(ctx, identity.FromContext(ctx), id)
	return inZone(z, a.ZoneID, a, err)
}

func (h *handlers) zoneQueryRoutes(api huma.API) {
	zs := h.acc.Zones
	huma.Register(api, zoneOp("list-zone-queries", http.MethodGet, "/{zone_id}/queries", signedIn, "Sandbox queries, newest first",
		"An operator's members see their organization's queries with their results once released; the steward and platform operators "+
			"see every query, results in review included."),
		func(ctx context.Context, in *listZoneQueriesIn) (*List[zones.Query], error) {
			z, err := h.zone(ctx, in.ZoneID)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			list, next, err := zs.Queries(ctx, identity.FromContext(ctx), zones.QueryFilter{ZoneID: z.ID, Status: in.Status, Cursor: in.Cursor,
				Limit: in.Limit})
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			out := &List[zones.Query]{}
			out.Body.Items, out.Body.NextCursor = nonNil(list), next
			return out, nil
		})
	h.submitZoneQueryRoute(api)
	huma.Register(api, zoneOp("get-zone-query", http.MethodGet, "/{zone_id}/queries/{query_id}", signedIn,
		"One sandbox query and, once released, its result",
		"Its status and progress, the reason of a refusal, the meter (rows scanned, compute time, cells released, epsilon) and, when "+
			"released, the columns and rows, suppressed cells' values null. For its operator's members, the steward and platform "+
			"operators; 404 for anyone else."),
		func(ctx context.Context, in *zoneQueryIn) (*zoneQueryOut, error) {
			q, err := h.zoneQuery(ctx, in.ZoneID, in.QueryID)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			return &zoneQueryOut{Body: q}, nil
		})
	h.zoneResultRoute(api)
	huma.Register(api, zoneOp("decide-zone-query", http.MethodPost, "/{zone_id}/queries/{query_id}/decision", 0,
		"Release or refuse a result in review (the steward's editors and admins)",
		"A result near the thresholds or with many cells waits for the steward: approve releases it to the operator, reject refuses it "+
			"(a comment saying why). A query not in review answers 409."),
		func(ctx context.Context, in *decideZoneQueryIn) (*zoneQueryOut, error) {
			if _, err := h.zoneQuery(ctx, in.ZoneID, in.QueryID); err != nil {
				return nil, h.fail(ctx, err)
			}
			q, err := zs.DecideRelease(ctx, identity.FromContext(ctx), in.QueryID, in.Body.Decision, in.Body.Comment)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			return &zoneQueryOut{Body: q}, nil
		})
}

func (h *handlers) submitZoneQueryRoute(api huma.API) {
	zs := h.acc.Zones
	op := zoneOp("submit-zone-query", http.MethodPost, "/{zone_id}/queries", http.StatusOK,
		"Run aggregate SQL in a zone's sandbox (an authorised operator's members)",
		"The statement is one SELECT over the zone's resources, each named by its id in double quotes, with aggregates only: COUNT, SUM, "+
			"AVG, and MIN/MAX of clamped items (clamp(item, lo, hi)), GROUP BY and WHERE over attribute items, INNER JOINs on all key "+
			"items, ORDER BY and LIMIT on the output. Anything that could return a row's values — SELECT *, key or free-text items, a "+
			"GROUP BY on a key, other functions, DISTINCT, subqueries — is refused at once: 422 with the field sql, its line, column and "+
			"reason (the refusal is recorded). mechanism is sdc (disclosure control, the default) or dp (also differential privacy, "+
			"spending epsilon of the operator's budget on each resource). The query runs as a background job: the answer waits up to "+
			"wait seconds and is 200 with the query once finished — released (columns, rows, suppressed_cells, epsilon_spent, "+
			"epsilon_remaining), refused (reason: the difference check, the budget, the access decision after a revocation or expiry) or "+
			"in review — and 202 while it is queued or running (poll Location).")
	schemas := api.OpenAPI().Components.Schemas
	op.Responses = map[string]*huma.Response{
		"202": {Description: "The query is queued or running: poll Location",
			Headers: map[string]*huma.Param{"Location": {Description: "The query", Schema: &huma.Schema{Type: huma.TypeString}}},
			Content: map[string]*huma.MediaType{"application/json": {Schema: schemas.Schema(reflect.TypeFor[zones.Query](), true, "")}}},
		// huma adds its default error answer only to operations of one success status.
		"default": {Description: "Error", Content: map[string]*huma.MediaType{"application/problem+json": {
			Schema: schemas.Schema(reflect.TypeFor[huma.ErrorModel](), true, "Error")}}}}
	huma.Register(api, op, func(ctx context.Context, in *submitZoneQueryIn) (*submittedQueryOut, error) {
		z, err := h.zone(ctx, in.ZoneID)
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		q, err := zs.Submit(ctx, identity.FromContext(ctx), z.ID, in.Body)
		if err == nil {
			q, err = h.awaitZoneQuery(ctx, q, time.Duration(min(in.Wait, maxQueryWait))*time.Second)
		}
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		out := &submittedQueryOut{Status: http.StatusOK, Body: q,
			Location: Prefix + "/zones/" + url.PathEscape(z.ID) + "/queries/" + url.PathEscape(q.ID)}
		if !q.Finished() {
			out.Status = http.StatusAccepted
		}
		return out, nil
	})
}

// awaitMargin is what a submission keeps of its request's deadline to
// read the query again and answer.
const awaitMargin = 3 * time.Second

// awaitZoneQuery waits up to wait for q to finish and returns it as the
// caller may see it then: finished, or where it stands when wait is over.
func (h *handlers) awaitZoneQuery(ctx context.Context, q zones.Query, wait time.Duration) (zones.Query, error) {
	if q.Finished() || wait <= 0 {
		return q, nil
	}
	actor := identity.FromContext(ctx)
	// Every request has a deadline (the server's request timeout, 30 s
	// by default): the wait ends early enough to answer 202 before it.
	if deadline, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(deadline)-awaitMargin)
		if wait <= 0 {
			return q, nil
		}
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	done, err := h.acc.Zones.Await(wctx, actor, q.ID)
	if err == nil || wctx.Err() == nil || ctx.Err() != nil {
		return done, err
	}
	return h.acc.Zones.Query(ctx, actor, q.ID) // waited long enough: it is still queued or running
}

// zoneQuery returns the query id of the zone zoneID (id or code) as the
// caller may see it.
func (h *handlers) zoneQuery(ctx context.Context, zoneID, id string) (zones.Query, error) {
	z, err := h.zone(ctx, zoneID)
	if err != nil {
		return zones.Query{}, err
	}
	q, err := h.acc.Zones.Query(ctx, identity.FromContext(ctx), id)
	return inZone(z, q.ZoneID, q, err)
}

func (h *handlers) zoneResultRoute(api huma.API) {
	op := zoneOp("get-zone-query-result", http.MethodGet, "/{zone_id}/queries/{query_id}/result.csv", signedIn,
		"Download a released result as CSV",
		"UTF-8 with a byte order mark, a header row of the columns, one line per row, suppressed values empty. Only a released result; "+
			"for its operator's members, the steward and platform operators.")
	op.Responses = fileResponses("The released result", map[string]*huma.Schema{"text/csv": {Type: huma.TypeString}})
	huma.Register(api, op, func(ctx context.Context, in *zoneQueryIn) (*huma.StreamResponse, error) {
		q, err := h.zoneQuery(ctx, in.ZoneID, in.QueryID)
		var csv bytes.Buffer // a result is at most the zone's cells: written whole before the answer starts
		if err == nil {
			err = h.acc.Zones.WriteCSV(ctx, identity.FromContext(ctx), q.ID, &csv)
		}
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		return &huma.StreamResponse{Body: func(hctx huma.Context) {
			hctx.SetHeader("Content-Type", "text/csv; charset=utf-8")
			hctx.SetHeader("Content-Disposition", `attachment; filename="zone-query-`+q.ID+`.csv"`)
			hctx.BodyWriter().Write(csv.Bytes())
		}}, nil
	})
}

func (h *handlers) zoneOutputRoutes(api huma.API) {
	zs := h.acc.Zones
	huma.Register(api, zoneOp("keep-zone-output", http.MethodPost, "/{zone_id}/queries/{query_id}/outputs", http.StatusCreated,
		"Keep a released result in the zone as a derived dataset (the operator's members)",
		"With a name and a description; the output keeps the result's SHA-256, and an exchange product may list it with its "+
			"provenance. A result not released answers 409."),
		func(ctx context.Context, in *keepZoneOutputIn) (*zoneOutputOut, error) {
			if _, err := h.zoneQuery(ctx, in.ZoneID, in.QueryID); err != nil {
				return nil, h.fail(ctx, err)
			}
			return answer(h, ctx, func(o zones.Output) *zoneOutputOut { return &zoneOutputOut{Body: o} })(
				zs.Keep(ctx, identity.FromContext(ctx), in.QueryID, in.Body))
		})
	huma.Register(api, zoneOp("list-zone-outputs", http.MethodGet, "/{zone_id}/outputs", signedIn, "Outputs kept in a zone",
		"Your organizations' kept outputs; the steward and platform operators see all of the zone's."),
		func(ctx context.Context, in *zoneIn) (*List[zones.Output], error) {
			return zoneItems(h, ctx, in.ZoneID, zs.Outputs)
		})
	huma.Register(api, zoneOp("get-zone-output", http.MethodGet, "/{zone_id}/outputs/{output_id}", signedIn,
		"One kept output with its result", "For those who may see its query; 404 for anyone else."),
		func(ctx context.Context, in *zoneOutputIn) (*zoneOutputWithResultOut, error) {
			z, err := h.zone(ctx, in.ZoneID)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			o, q, err := zs.Output(ctx, identity.FromContext(ctx), in.OutputID)
			if o, err = inZone(z, o.ZoneID, o, err); err != nil {
				return nil, h.fail(ctx, err)
			}
			return &zoneOutputWithResultOut{Body: zoneOutputBody{Output: o, Result: q}}, nil
		})
	huma.Register(api, zoneOp("get-zone-usage", http.MethodGet, "/{zone_id}/usage", signedIn, "Metering of a zone's operators",
		"Per operator: queries, released, refused and in review, rows scanned, compute time, cells released and epsilon spent. An "+
			"operator's members see their own; the steward and platform operators every operator's."),
		func(ctx context.Context, in *zoneIn) (*List[zones.Usage], error) {
			return zoneItems(h, ctx, in.ZoneID, zs.Usage)
		})
}

// zoneItems answers what list gives the caller of the zone zoneID (id or
// code), one page.
func zoneItems[T any](h *handlers, ctx context.Context, zoneID string,
	list func(context.Context, identity.Principal, string) ([]T, error)) (*List[T], error) {
	z, err := h.zone(ctx, zoneID)
	var items []T
	if err == nil {
		items, err = list(ctx, identity.FromContext(ctx), z.ID)
	}
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &List[T]{}
	out.Body.Items = nonNil(items)
	return out, nil
}

// nonNil returns list, or an empty list for nil (JSON [] rather than null).
func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}

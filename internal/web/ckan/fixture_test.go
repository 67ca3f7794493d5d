package ckan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/search"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/ckan"
	"dataport/internal/web/services"
)

// portal is a CKAN API on a fresh store: two institutions, an editor and an
// admin of the transport one, a platform operator, each with a token, and
// published, draft and core resources.
type portal struct {
	t                        *testing.T
	url                      string
	ids                      *identity.Service
	cat                      *catalog.Service
	indexer                  *search.Indexer
	transit, health          identity.Organization
	editor, admin, operator  string // tokens
	sysadmin                 string
	editorID                 string
	bus, routes, draft, core catalog.Resource
}

func newPortal(t *testing.T) *portal {
	t.Helper()
	db := storetest.Open(t, store.SQLite)
	p := &portal{t: t, ids: identity.NewService(db), cat: catalog.NewService(db)}
	p.transit = p.org("12110000000000001", "JTW", "市交通委员会", "Municipal Transport Commission")
	p.health = p.org("12110000000000002", "WJW", "市卫生健康委员会", "Municipal Health Commission")
	p.editor, p.editorID = p.user("editor.li", identity.UserInput{Memberships: []identity.Membership{{OrganizationID: p.transit.ID, Role: identity.RoleEditor}}})
	p.admin, _ = p.user("admin.zhao", identity.UserInput{Memberships: []identity.Membership{{OrganizationID: p.transit.ID, Role: identity.RoleAdmin}}})
	p.operator, _ = p.user("operator.wang", identity.UserInput{PlatformRoles: []identity.PlatformRole{identity.PlatformOperator}})
	p.sysadmin, _ = p.user("root.sun", identity.UserInput{PlatformRoles: []identity.PlatformRole{identity.PlatformSysadmin}})
	p.bus = p.resource(p.transit, "公交站点实时到站信息", "Real-time bus arrivals", catalog.StatusPublished, func(in *catalog.Input) {
		in.Keywords, in.Formats, in.UpdateFrequency = []string{"公交", "实时到站"}, []string{"JSON", "API"}, catalog.FreqRealtime
	})
	p.routes = p.resource(p.transit, "公交线路基本信息", "Bus routes", catalog.StatusPublished, func(in *catalog.Input) { in.Keywords = []string{"公交", "线路"} })
	p.resource(p.health, "医疗机构名录", "Medical institutions", catalog.StatusPublished, func(in *catalog.Input) {
		in.Subject, in.Keywords = "05", []string{"医院"}
	})
	p.draft = p.resource(p.transit, "出租车运营草稿", "Taxi draft", catalog.StatusDraft, nil)
	p.core = p.resource(p.transit, "道路运输核心数据", "Core road data", catalog.StatusPublished, func(in *catalog.Input) {
		in.Classification, in.Level, in.OpenType, in.OpenBasis = catalog.ClassCore, 4, catalog.OpenNone, "核心数据"
		in.ShareType, in.ShareBasis = catalog.ShareNone, "核心数据"
	})
	ix, err := search.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	p.indexer = search.NewIndexer(ix, db, p.cat, p.ids, nil)
	if err := p.indexer.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ckan.New(ckan.Config{Services: services.Services{Identity: p.ids, Catalog: p.cat, Search: ix, Indexer: p.indexer}}))
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

func (p *portal) org(first17, code, zh, en string) identity.Organization {
	check, _ := identity.USCCCheckChar(first17)
	o, err := p.ids.CreateOrganization(context.Background(), identity.System, identity.OrgInput{
		Kind: identity.KindInstitution, NameZh: zh, NameEn: en, USCC: first17 + string(check), Code: code, Description: zh + "的数据"})
	if err != nil {
		p.t.Fatal(err)
	}
	return o
}

// user creates a user and returns an API token of theirs and their id.
func (p *portal) user(name string, in identity.UserInput) (string, string) {
	ctx := context.Background()
	in.Username, in.DisplayName, in.Password, in.Email = name, name, "correct horse battery", name+"@example.org"
	u, err := p.ids.CreateUser(ctx, identity.System, in)
	if err != nil {
		p.t.Fatal(err)
	}
	secret, _, err := p.ids.CreateToken(ctx, identity.System, u.ID, "ckan", 24*time.Hour)
	if err != nil {
		p.t.Fatal(err)
	}
	return secret, u.ID
}

func sample(zh, en string) catalog.Input {
	return catalog.Input{TitleZh: zh, TitleEn: en, DescriptionZh: zh + "的说明", DescriptionEn: "About " + en, Subject: "04",
		UpdateFrequency: catalog.FreqDaily, ShareType: catalog.ShareUnconditional, OpenType: catalog.OpenUnconditional,
		Classification: catalog.ClassGeneral, Level: 1, Formats: []string{"CSV"}, ContactName: "数据管理处",
		ContactEmail: "data@example.org", ContactPhone: "010-12345678",
		Items: []catalog.Item{{Name: "stop_id", LabelZh: "站点编号", Type: catalog.TypeText, Required: true, Key: true}}}
}

func (p *portal) resource(org identity.Organization, zh, en string, status catalog.Status, edit func(*catalog.Input)) catalog.Resource {
	p.t.Helper()
	ctx := context.Background()
	in := sample(zh, en)
	if edit != nil {
		edit(&in)
	}
	r, err := p.cat.Create(ctx, identity.System, org.ID, in)
	if err == nil && status == catalog.StatusPublished {
		if _, err = p.cat.Submit(ctx, identity.System, r.ID); err == nil {
			r, err = p.cat.Review(ctx, identity.System, r.ID, catalog.Approve, "")
		}
	}
	if err != nil {
		p.t.Fatal(err)
	}
	return r
}

// reply is a decoded CKAN response.
type reply struct {
	Status  int
	Help    string          `json:"help"`
	Success bool            `json:"success"`
	Result  json.RawMessage `json:"result"`
	Error   map[string]any  `json:"error"`
	raw     []byte
}

// into decodes the result into v.
func (r reply) into(t *testing.T, v any) {
	t.Helper()
	if !r.Success {
		t.Fatalf("call failed (%d): %s", r.Status, r.raw)
	}
	if err := json.Unmarshal(r.Result, v); err != nil {
		t.Fatalf("result: %v\n%s", err, r.raw)
	}
}

// wantError checks the status and CKAN's __type.
func (r reply) wantError(t *testing.T, status int, typ string) {
	t.Helper()
	if r.Status != status || r.Success || r.Error["__type"] != typ {
		t.Fatalf("got %d %s; want %d with __type %q", r.Status, r.raw, status, typ)
	}
}

// get calls an action with GET and query parameters, as browsers and curl do.
func (p *portal) get(action string, q url.Values, headers ...string) reply {
	p.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, p.url+"/api/3/action/"+action+"?"+q.Encode(), nil)
	return p.do(req, headers)
}

// post calls an action the way the ckanapi client does: POST of a JSON body
// to the unversioned path.
func (p *portal) post(action string, body any, headers ...string) reply {
	p.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, p.url+"/api/action/"+action, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	return p.do(req, headers)
}

// ckanapi sends its key in both headers.
func asCKANAPI(token string) []string {
	return []string{"X-CKAN-API-Key", token, "Authorization", token}
}

func (p *portal) do(req *http.Request, headers []string) reply {
	p.t.Helper()
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{Status: resp.StatusCode, raw: raw}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		p.t.Fatalf("%s: content type %q", req.URL.Path, ct)
	}
	if err := json.Unmarshal(raw, &r); err != nil && resp.StatusCode != http.StatusBadRequest {
		p.t.Fatalf("%s: %v\n%s", req.URL.Path, err, raw)
	}
	if r.Success != (resp.StatusCode == http.StatusOK) && r.Help != "" {
		p.t.Fatalf("%s: success %v with status %d", req.URL.Path, r.Success, resp.StatusCode)
	}
	return r
}

// pkg is the part of a package the tests read.
type pkg struct {
	ID, Name, Title, Notes, State string
	OwnerOrg                      string `json:"owner_org"`
	Private                       bool
	Organization                  struct{ Name string }
	Tags                          []struct{ Name string }
	Groups                        []struct{ Name string }
	Resources                     []struct{ ID, Format, URL string }
	Extras                        []struct{ Key, Value string }
	MetadataModified              string `json:"metadata_modified"`
	LicenseID                     string `json:"license_id"`
}

func (k pkg) extra(key string) string {
	for _, e := range k.Extras {
		if e.Key == key {
			return e.Value
		}
	}
	return ""
}

type searchResult struct {
	Count        int
	Results      []pkg
	Facets       map[string]map[string]int
	SearchFacets map[string]struct {
		Items []struct {
			Name        string
			DisplayName string `json:"display_name"`
			Count       int
		}
	} `json:"search_facets"`
}

func (p *portal) search(q url.Values, headers ...string) searchResult {
	p.t.Helper()
	var res searchResult
	p.get("package_search", q, headers...).into(p.t, &res)
	return res
}

func names(pkgs []pkg) []string {
	out := make([]string, len(pkgs))
	for i, k := range pkgs {
		out[i] = k.Title
	}
	return out
}

func vals(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// packageDict is a package_create body for a new resource of org.
func packageDict(org, title string) map[string]any {
	items, _ := json.Marshal([]catalog.Item{{Name: "site_id", LabelZh: "点位编号", Type: catalog.TypeText, Required: true}})
	return map[string]any{
		"title": title, "notes": title + "的说明", "owner_org": org,
		"tags":      []map[string]string{{"name": "停车"}, {"name": "泊位"}},
		"resources": []map[string]string{{"format": "csv", "url": "https://example.org/parking.csv"}},
		"groups":    []map[string]string{{"name": "transport"}},
		"extras": []map[string]string{{"key": "update_frequency", "value": "daily"}, {"key": "share_type", "value": "unconditional"},
			{"key": "open_type", "value": "unconditional"}, {"key": "classification", "value": "general"},
			{"key": "level", "value": "1"}, {"key": "items", "value": string(items)}, {"key": "title_en", "value": "Parking"}},
	}
}

func fmtJSON(v any) string {
	b, _ := json.Marshal(v)
	return fmt.Sprintf("%s", b)
}

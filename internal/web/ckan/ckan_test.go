package ckan_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
)

func TestEnvelopeAndRequestErrors(t *testing.T) {
	p := newPortal(t)
	r := p.get("status_show", nil)
	var status struct {
		CKANVersion string `json:"ckan_version"`
		SiteURL     string `json:"site_url"`
	}
	r.into(t, &status)
	if !strings.HasPrefix(status.CKANVersion, "2.1") || status.SiteURL != p.url {
		t.Errorf("status_show = %+v", status)
	}
	if r.Help != p.url+"/api/3/action/help_show?name=status_show" {
		t.Errorf("help = %q", r.Help)
	}
	// The unversioned path (ckanapi) and the versioned one answer alike.
	if r := p.post("status_show", map[string]any{}); !r.Success {
		t.Errorf("POST /api/action/status_show: %s", r.raw)
	}
	unknown := p.get("no_such_action", nil)
	if unknown.Status != http.StatusBadRequest || !strings.Contains(string(unknown.raw), "Action name not known: no_such_action") {
		t.Errorf("unknown action: %d %s", unknown.Status, unknown.raw)
	}
	getWrite := p.get("package_create", vals("title", "x"), "Authorization", p.editor)
	if getWrite.Status != http.StatusBadRequest || !strings.Contains(string(getWrite.raw), "POST") {
		t.Errorf("GET of a write action: %d %s", getWrite.Status, getWrite.raw)
	}
	p.get("package_show", vals("id", "no-such-dataset")).wantError(t, http.StatusNotFound, "Not Found Error")
	p.get("package_show", nil).wantError(t, http.StatusConflict, "Validation Error")
	p.get("package_search", vals("rows", "many")).wantError(t, http.StatusConflict, "Validation Error")
	p.get("package_search", vals("fq", "nosuchfield:1")).wantError(t, http.StatusBadRequest, "Search Query Error")
	p.get("package_search", vals("fq", "metadata_modified:[yesterday TO *]")).wantError(t, http.StatusBadRequest, "Search Query Error")
	p.get("package_search", vals("sort", "colour desc")).wantError(t, http.StatusBadRequest, "Search Query Error")
	p.get("package_list", nil, "Authorization", "dp_not-a-token").wantError(t, http.StatusForbidden, "Authorization Error")
	bad := p.post("package_show", "not an object")
	if bad.Status != http.StatusBadRequest {
		t.Errorf("a JSON body that is not an object: %d %s", bad.Status, bad.raw)
	}
}

func TestReadActions(t *testing.T) {
	p := newPortal(t)
	var list []string
	p.get("package_list", nil).into(t, &list)
	want := []string{"jtw-04-00001", "jtw-04-00002", "wjw-05-00001"}
	if !slices.Equal(list, want) {
		t.Errorf("package_list = %v, want %v (no drafts, no core data)", list, want)
	}
	p.get("package_list", vals("limit", "1", "offset", "1")).into(t, &list)
	if !slices.Equal(list, want[1:2]) {
		t.Errorf("package_list limit 1 offset 1 = %v", list)
	}

	for _, id := range []string{p.bus.ID, "jtw-04-00001", "JTW-04-00001"} {
		var k pkg
		p.get("package_show", vals("id", id)).into(t, &k)
		if k.ID != p.bus.ID || k.Name != "jtw-04-00001" || k.Title != "公交站点实时到站信息" || k.State != "active" || k.Private {
			t.Errorf("package_show %s = %+v", id, k)
		}
		if k.Organization.Name != "jtw" || k.OwnerOrg != p.transit.ID || len(k.Groups) != 1 || k.Groups[0].Name != "transport" {
			t.Errorf("package_show %s: organization %+v, groups %+v", id, k.Organization, k.Groups)
		}
		if len(k.Resources) != 2 || k.Resources[0].Format != "JSON" || k.extra("update_frequency") != "realtime" || k.extra("code") != p.bus.Code {
			t.Errorf("package_show %s: resources %+v extras %+v", id, k.Resources, k.Extras)
		}
		if k.LicenseID != "open-unconditional" {
			t.Errorf("license_id = %q", k.LicenseID)
		}
	}
	p.get("package_show", vals("id", p.draft.ID)).wantError(t, http.StatusNotFound, "Not Found Error")
	p.get("package_show", vals("id", p.core.ID)).wantError(t, http.StatusNotFound, "Not Found Error")
	var draft pkg
	p.get("package_show", vals("id", p.draft.ID), "Authorization", p.editor).into(t, &draft)
	if draft.State != "draft" || !draft.Private {
		t.Errorf("the editor's draft: state %q private %v", draft.State, draft.Private)
	}
	var core pkg // published, but core data is never public: its institution sees it as private
	p.get("package_show", vals("id", p.core.ID), "Authorization", p.editor).into(t, &core)
	if core.State != "active" || !core.Private {
		t.Errorf("the editor's core resource: state %q private %v", core.State, core.Private)
	}

	var res struct{ ID, Format, PackageID string }
	p.get("resource_show", vals("id", p.bus.ID+"-api")).into(t, &res)
	if res.Format != "API" {
		t.Errorf("resource_show = %+v", res)
	}
	p.get("resource_show", vals("id", p.bus.ID+"-pdf")).wantError(t, http.StatusNotFound, "Not Found Error")

	var current []pkg
	p.get("current_package_list_with_resources", vals("limit", "2")).into(t, &current)
	if len(current) != 2 || len(current[0].Resources) == 0 || current[0].MetadataModified < current[1].MetadataModified {
		t.Errorf("current_package_list_with_resources = %v", names(current))
	}
}

func TestPackageSearch(t *testing.T) {
	p := newPortal(t)
	for _, test := range []struct {
		name string
		q    url.Values
		want []string
	}{
		{"Chinese word", vals("q", "公交"), []string{"公交线路基本信息", "公交站点实时到站信息"}},
		{"English word", vals("q", "arrivals"), []string{"公交站点实时到站信息"}},
		{"field in q", vals("q", "tags:线路"), []string{"公交线路基本信息"}},
		{"fq organization", vals("fq", "organization:wjw"), []string{"医疗机构名录"}},
		{"fq quoted tag", vals("q", "公交", "fq", `tags:"实时到站"`), []string{"公交站点实时到站信息"}},
		{"fq OR", vals("fq", "organization:wjw OR res_format:API"), []string{"公交站点实时到站信息", "医疗机构名录"}},
		{"fq negation", vals("fq", "-organization:jtw"), []string{"医疗机构名录"}},
		{"fq group and format", vals("fq", "groups:transport res_format:json"), []string{"公交站点实时到站信息"}},
		{"fq extras", vals("fq", "extras_update_frequency:realtime"), []string{"公交站点实时到站信息"}},
		{"fq modified range", vals("fq", "metadata_modified:[2000-01-01T00:00:00Z TO *]", "q", "医疗"), []string{"医疗机构名录"}},
		{"fq range in the future", vals("fq", "metadata_modified:[NOW+1DAY TO *]"), nil},
		{"fq_list", vals("fq_list", `["organization:jtw", "tags:线路"]`), []string{"公交线路基本信息"}},
		{"unknown organization", vals("fq", "organization:nobody"), nil},
		{"everything", vals("q", "*:*"), []string{"公交线路基本信息", "公交站点实时到站信息", "医疗机构名录"}},
	} {
		t.Run(test.name, func(t *testing.T) {
			res := p.search(test.q)
			got := names(res.Results)
			slices.Sort(got)
			slices.Sort(test.want)
			if !slices.Equal(got, test.want) || res.Count != len(test.want) {
				t.Errorf("count %d, results %v; want %v", res.Count, got, test.want)
			}
		})
	}

	res := p.search(vals("facet.field", `["organization","tags","res_format","license_id","groups"]`, "facet.limit", "1", "rows", "0"))
	if res.Count != 3 || len(res.Results) != 0 {
		t.Errorf("rows=0: count %d, %d results", res.Count, len(res.Results))
	}
	if got := res.Facets["organization"]; len(got) != 1 || got["jtw"] != 2 {
		t.Errorf("organization facet (limit 1) = %v", got)
	}
	if got := res.Facets["tags"]; got["公交"] != 2 {
		t.Errorf("tags facet = %v", got)
	}
	if items := res.SearchFacets["organization"].Items; len(items) != 1 || items[0].DisplayName != "市交通委员会" {
		t.Errorf("search_facets organization = %+v", items)
	}
	min2 := p.search(vals("facet.field", `["tags"]`, "facet.mincount", "2"))
	if len(min2.Facets["tags"]) != 1 {
		t.Errorf("mincount 2 tags = %v", min2.Facets["tags"])
	}

	byName := p.search(vals("sort", "name desc"))
	if got := byName.Results[0].Name; got != "wjw-05-00001" {
		t.Errorf("sort name desc: first %s", got)
	}
	page := p.search(vals("sort", "name asc", "rows", "1", "start", "1"))
	if page.Count != 3 || len(page.Results) != 1 || page.Results[0].Name != "jtw-04-00002" {
		t.Errorf("rows 1 start 1: %d %v", page.Count, names(page.Results))
	}
	capped := p.search(vals("rows", "5000"))
	if len(capped.Results) != 3 {
		t.Errorf("rows 5000: %d results", len(capped.Results))
	}

	// include_private shows the caller's drafts, never core data to outsiders.
	private := p.search(vals("include_private", "true", "q", "出租车"), "Authorization", p.editor)
	if private.Count != 1 {
		t.Errorf("the editor's include_private search: %v", names(private.Results))
	}
	if public := p.search(vals("include_private", "true", "q", "出租车")); public.Count != 0 {
		t.Errorf("anonymous include_private finds a draft")
	}
	if core := p.search(vals("include_private", "true", "q", "核心")); core.Count != 0 {
		t.Errorf("anonymous search finds core data")
	}
}

func TestOrganizationsGroupsTagsLicensesUsers(t *testing.T) {
	p := newPortal(t)
	var orgNames []string
	p.get("organization_list", nil).into(t, &orgNames)
	if !slices.Equal(orgNames, []string{"jtw", "wjw"}) {
		t.Errorf("organization_list = %v", orgNames)
	}
	var orgs []struct {
		Name         string
		Title        string
		PackageCount int `json:"package_count"`
	}
	p.get("organization_list", vals("all_fields", "true", "sort", "package_count desc")).into(t, &orgs)
	if len(orgs) != 2 || orgs[0].Name != "jtw" || orgs[0].PackageCount != 2 || orgs[1].PackageCount != 1 {
		t.Errorf("organization_list all_fields = %+v", orgs)
	}
	var org struct {
		ID           string
		Name         string
		PackageCount int `json:"package_count"`
		Packages     []pkg
	}
	p.get("organization_show", vals("id", "jtw", "include_datasets", "true")).into(t, &org)
	if org.ID != p.transit.ID || org.PackageCount != 2 || len(org.Packages) != 2 {
		t.Errorf("organization_show = %+v", org)
	}
	p.get("organization_show", vals("id", "nobody")).wantError(t, http.StatusNotFound, "Not Found Error")

	var groups []string
	p.get("group_list", nil).into(t, &groups)
	if len(groups) != 22 || !slices.Contains(groups, "transport") || !slices.Contains(groups, "health") {
		t.Errorf("group_list = %v", groups)
	}
	var group struct {
		Name         string
		Title        string
		PackageCount int `json:"package_count"`
	}
	p.get("group_show", vals("id", "transport")).into(t, &group)
	if group.Title != "交通服务" || group.PackageCount != 2 {
		t.Errorf("group_show = %+v", group)
	}
	var tags []string
	p.get("tag_list", nil).into(t, &tags)
	if !slices.Equal(tags, []string{"公交", "医院", "实时到站", "线路"}) {
		t.Errorf("tag_list = %v", tags)
	}
	p.get("tag_list", vals("query", "公")).into(t, &tags)
	if !slices.Equal(tags, []string{"公交"}) {
		t.Errorf("tag_list query = %v", tags)
	}
	var licenses []struct{ ID, Title, URL string }
	p.get("license_list", nil).into(t, &licenses)
	if len(licenses) != 3 || licenses[0].ID != "open-unconditional" || licenses[0].URL == "" {
		t.Errorf("license_list = %+v", licenses)
	}

	var me struct{ ID, Name, Email string }
	p.get("user_show", vals("id", "editor.li"), "Authorization", p.editor).into(t, &me)
	if me.ID != p.editorID || me.Email != "editor.li@example.org" {
		t.Errorf("user_show self = %+v", me)
	}
	p.get("user_show", vals("id", "editor.li")).wantError(t, http.StatusForbidden, "Authorization Error")
	p.get("user_show", vals("id", "nobody"), "Authorization", p.editor).wantError(t, http.StatusNotFound, "Not Found Error")
}

func TestWriteActions(t *testing.T) {
	p := newPortal(t)
	dict := packageDict("jtw", "停车场泊位信息")

	p.post("package_create", dict).wantError(t, http.StatusUnauthorized, "Authorization Error")
	missing := p.post("package_create", map[string]any{"owner_org": "jtw", "title": ""}, asCKANAPI(p.editor)...)
	missing.wantError(t, http.StatusConflict, "Validation Error")
	for _, field := range []string{"title", "notes", "subject", "items"} {
		if _, ok := missing.Error[field]; !ok {
			t.Errorf("validation error lacks %q: %s", field, missing.raw)
		}
	}
	p.post("package_create", packageDict("wjw", "别人的"), asCKANAPI(p.editor)...).wantError(t, http.StatusForbidden, "Authorization Error")
	p.post("package_create", packageDict("nobody", "无主"), asCKANAPI(p.editor)...).wantError(t, http.StatusConflict, "Validation Error")

	// An editor's new dataset goes to review; it is not public yet.
	var created pkg
	p.post("package_create", dict, asCKANAPI(p.editor)...).into(t, &created)
	if created.State != "draft" || !created.Private || created.Title != "停车场泊位信息" || len(created.Tags) != 2 || created.Resources[0].Format != "CSV" {
		t.Errorf("created by the editor: %+v", created)
	}
	if created.extra("status") != "submitted" {
		t.Errorf("status extra = %q, want submitted", created.extra("status"))
	}
	if res := p.search(vals("q", "停车场")); res.Count != 0 {
		t.Errorf("a dataset awaiting review is public")
	}
	// The operator reviews it: state=active publishes a submitted dataset.
	p.post("package_create", packageDict("jtw", "x"), asCKANAPI(p.operator)...).wantError(t, http.StatusForbidden, "Authorization Error")
	var approved pkg
	p.post("package_patch", map[string]any{"id": created.ID, "state": "active"}, asCKANAPI(p.operator)...).into(t, &approved)
	if approved.State != "active" || approved.Private {
		t.Errorf("approved by the operator: %+v", approved)
	}
	// A sysadmin's package_create (as ckanapi load does) keeps a given id and
	// publishes at once, searchable at once.
	opDict := packageDict("jtw", "充电桩分布")
	opDict["id"] = "0190c3e1-1111-7222-8333-944455556666"
	var published pkg
	p.post("package_create", opDict, asCKANAPI(p.sysadmin)...).into(t, &published)
	if published.ID != "0190c3e1-1111-7222-8333-944455556666" || published.State != "active" {
		t.Errorf("created by a sysadmin with an id: %+v", published)
	}
	if res := p.search(vals("q", "充电桩")); res.Count != 1 {
		t.Errorf("the new dataset is not searchable at once")
	}
	p.post("package_create", opDict, asCKANAPI(p.sysadmin)...).wantError(t, http.StatusConflict, "Validation Error")

	// package_update: an editor cannot change a published dataset in place.
	update := packageDict("jtw", "充电桩分布（更新）")
	update["id"] = published.ID
	p.post("package_update", update, asCKANAPI(p.editor)...).wantError(t, http.StatusConflict, "Validation Error")
	var revised pkg
	p.post("package_update", update, asCKANAPI(p.operator)...).into(t, &revised)
	if revised.Title != "充电桩分布（更新）" || revised.State != "active" {
		t.Errorf("revised by the operator: %+v", revised)
	}
	// Nobody changes a published dataset's fields through the editor's token.
	p.post("package_patch", map[string]any{"id": created.ID, "title": "x"}, asCKANAPI(p.editor)...).wantError(t, http.StatusConflict, "Validation Error")

	// package_patch changes just the fields given.
	var patched pkg
	p.post("package_patch", map[string]any{"id": published.ID, "notes": "新的说明"}, asCKANAPI(p.operator)...).into(t, &patched)
	if patched.Notes != "新的说明" || patched.Title != "充电桩分布（更新）" || len(patched.Tags) != 2 {
		t.Errorf("patched: %+v", patched)
	}

	// resource_create adds a format; resource_patch changes it.
	var res struct{ ID, Format string }
	p.post("resource_create", map[string]any{"package_id": published.ID, "url": "https://example.org/x.geojson"}, asCKANAPI(p.operator)...).into(t, &res)
	if res.Format != "GeoJSON" {
		t.Errorf("resource_create from a .geojson url: %+v", res)
	}
	p.post("resource_patch", map[string]any{"id": res.ID, "format": "SHP"}, asCKANAPI(p.operator)...).into(t, &res)
	if res.Format != "SHP" || !strings.HasSuffix(res.ID, "-shp") {
		t.Errorf("resource_patch: %+v", res)
	}
	p.post("resource_create", map[string]any{"package_id": published.ID}, asCKANAPI(p.operator)...).wantError(t, http.StatusConflict, "Validation Error")
	p.post("resource_create", map[string]any{"package_id": published.ID, "format": "DOCX"}, asCKANAPI(p.operator)...).wantError(t, http.StatusConflict, "Validation Error")

	// package_delete retires: gone from search, still shown as deleted.
	p.post("package_delete", map[string]any{"id": published.ID}, asCKANAPI(p.editor)...).wantError(t, http.StatusForbidden, "Authorization Error")
	if r := p.post("package_delete", map[string]any{"id": published.ID}, asCKANAPI(p.admin)...); !r.Success {
		t.Fatalf("package_delete by the institution's admin: %s", r.raw)
	}
	if res := p.search(vals("q", "充电桩")); res.Count != 0 {
		t.Errorf("a deleted dataset is still found")
	}
	var gone pkg
	p.get("package_show", vals("id", published.ID)).into(t, &gone)
	if gone.State != "deleted" {
		t.Errorf("after package_delete: state %q", gone.State)
	}
	p.post("package_delete", map[string]any{"id": published.ID}, asCKANAPI(p.admin)...).wantError(t, http.StatusConflict, "Validation Error")

	// Drafts stay drafts when asked (state=draft) and can be edited by their editor.
	draftDict := packageDict("jtw", "草稿数据")
	draftDict["state"] = "draft"
	var draft pkg
	p.post("package_create", draftDict, "Authorization", p.editor).into(t, &draft)
	if draft.extra("status") != "draft" {
		t.Errorf("state=draft: status %q", draft.extra("status"))
	}
	p.post("package_patch", map[string]any{"id": draft.ID, "title": "草稿数据（改）", "state": "active"}, "Authorization", p.editor).into(t, &draft)
	if draft.Title != "草稿数据（改）" || draft.extra("status") != "submitted" {
		t.Errorf("patched and submitted: %q %q", draft.Title, draft.extra("status"))
	}
	// A form-encoded POST works as well as JSON.
	form := url.Values{"id": {p.bus.ID}}
	req, _ := http.NewRequest(http.MethodPost, p.url+"/api/3/action/package_show", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if r := p.do(req, nil); !r.Success {
		t.Errorf("form-encoded package_show: %s", r.raw)
	}
}

// TestCKANAPIClientPatterns replays what the unmodified ckanapi command-line
// client sends (it cannot be installed here): every call a POST of JSON to
// /api/action/NAME with the key in X-CKAN-API-Key and Authorization.
func TestCKANAPIClientPatterns(t *testing.T) {
	src := newPortal(t)
	for _, title := range []string{"床位统计", "门诊量统计"} { // names the destination does not have
		src.resource(src.health, title, title, "published", func(in *catalog.Input) { in.Subject = "05" })
	}
	src.indexer.Sync(context.Background())
	// `ckanapi action package_search q=公交`
	var found searchResult
	src.post("package_search", map[string]any{"q": "公交"}).into(t, &found)
	if found.Count != 2 {
		t.Errorf("ckanapi action package_search: %d", found.Count)
	}
	// `ckanapi search datasets q=*:*`: rows 1000 from start 0 until a page is empty.
	var all []pkg
	for start := 0; ; {
		var page searchResult
		src.post("package_search", map[string]any{"q": "*:*", "start": start, "rows": 1000}).into(t, &page)
		if len(page.Results) == 0 {
			break
		}
		all = append(all, page.Results...)
		start += len(page.Results)
	}
	if len(all) != 5 {
		t.Errorf("ckanapi search datasets: %d datasets", len(all))
	}
	// `ckanapi dump datasets --all`: package_list, then package_show of each name.
	var list []string
	src.post("package_list", map[string]any{"all_fields": false}).into(t, &list)
	var dump []map[string]any
	for _, name := range list {
		var d map[string]any
		src.post("package_show", map[string]any{"id": name, "include_datasets": false, "include_password_hash": true}).into(t, &d)
		dump = append(dump, d)
	}
	if len(dump) != 5 {
		t.Fatalf("dump: %d", len(dump))
	}
	// `ckanapi load datasets` into another portal with the same institutions:
	// package_show by id, then by name; NotFound → package_create with the dumped dict.
	dst := newPortal(t)
	load := func() (created, updated int) {
		for _, d := range dump {
			d := clone(d)
			existing := dst.post("package_show", map[string]any{"id": d["id"], "include_datasets": false}, asCKANAPI(dst.sysadmin)...)
			if !existing.Success {
				existing = dst.post("package_show", map[string]any{"id": d["name"]}, asCKANAPI(dst.sysadmin)...)
			}
			action := "package_create"
			if existing.Success {
				var e pkg
				existing.into(t, &e)
				d["id"], action = e.ID, "package_update"
				updated++
			} else {
				existing.wantError(t, http.StatusNotFound, "Not Found Error")
				created++
			}
			if r := dst.post(action, d, asCKANAPI(dst.sysadmin)...); !r.Success {
				t.Fatalf("load %s %v: %s", action, d["name"], r.raw)
			}
		}
		return created, updated
	}
	if c, u := load(); c != 2 || u != 3 { // the three the destination has by name are updated
		t.Errorf("first load: %d created, %d updated", c, u)
	}
	if c, u := load(); c != 0 || u != 5 {
		t.Errorf("second load: %d created, %d updated; want the ids kept so a reload updates", c, u)
	}
	var loaded pkg
	dst.get("package_show", vals("id", dump[4]["id"].(string))).into(t, &loaded)
	if loaded.Title != dump[4]["title"] || loaded.extra("items") == "" || loaded.State != "active" {
		t.Errorf("loaded dataset: %+v", loaded)
	}
}

func clone(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	json.Unmarshal(b, &out)
	return out
}

// TestHarvesterCallPattern replays ckanext-harvest's CKAN harvester: it pages
// package_search with sort=id asc, rows=100 and start growing by 100 until a
// page comes back empty (failing if a page repeats), and on later runs adds
// fq=metadata_modified:[SINCE TO *] with SINCE as Python's isoformat() + "Z".
func TestHarvesterCallPattern(t *testing.T) {
	p := newPortal(t)
	for i := range 250 {
		p.resource(p.health, fmt.Sprintf("卫生统计%03d", i), fmt.Sprintf("Health statistics %03d", i), "published", func(in *catalog.Input) { in.Subject = "05" })
	}
	if err := p.indexer.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	gather := func(fq string) []pkg {
		q := vals("rows", "100", "start", "0", "sort", "id asc")
		if fq != "" {
			q.Set("fq", fq)
		}
		var out []pkg
		seen := map[string]bool{}
		previous := ""
		for start := 0; ; start += 100 {
			q.Set("start", fmt.Sprint(start))
			r := p.get("package_search", q)
			if string(r.raw) == previous {
				t.Fatalf("the paging does not seem to work: start %d repeats the page before", start)
			}
			previous = string(r.raw)
			var page searchResult
			r.into(t, &page)
			if len(page.Results) == 0 {
				return out
			}
			for _, k := range page.Results {
				if seen[k.ID] {
					t.Errorf("dataset %s on two pages", k.ID)
				}
				seen[k.ID] = true
				out = append(out, k)
			}
		}
	}
	all := gather("")
	if len(all) != 253 {
		t.Fatalf("first harvest: %d datasets, want 253", len(all))
	}
	if !slices.IsSortedFunc(all, func(a, b pkg) int { return strings.Compare(a.ID, b.ID) }) {
		t.Error("sort=id asc is not in id order")
	}
	since := time.Now().UTC()
	time.Sleep(5 * time.Millisecond)
	ctx := context.Background()
	changed := all[17]
	in := sample(changed.Title+"（修订）", "Revised")
	in.Subject = "05"
	if _, err := p.cat.Revise(ctx, identity.System, changed.ID, in, "test"); err != nil {
		t.Fatal(err)
	}
	added := p.resource(p.transit, "新发布的数据", "New", "published", nil)
	p.indexer.Sync(ctx)
	fq := fmt.Sprintf("metadata_modified:[%sZ TO *]", since.Format("2006-01-02T15:04:05.000000"))
	again := gather(fq)
	var ids []string
	for _, k := range again {
		ids = append(ids, k.ID)
	}
	want := []string{changed.ID, added.ID}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("second harvest since %s: %v, want %v", since, ids, want)
	}
	// The harvester's organization filters.
	if got := gather(fq + " organization:jtw"); len(got) != 1 || got[0].ID != added.ID {
		t.Errorf("with organization:jtw: %v", names(got))
	}
	if got := gather("-organization:wjw"); len(got) != 3 {
		t.Errorf("-organization:wjw: %d datasets", len(got))
	}
}

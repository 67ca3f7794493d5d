package ckan

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"dataport/internal/catalog"
	"dataport/internal/catalog/ckanpkg"
	"dataport/internal/identity"
	"dataport/internal/search"
	"dataport/internal/store"
	"dataport/internal/validate"

	"github.com/google/uuid"
)

func (a *api) statusShow(ctx context.Context, c *call) (any, error) {
	return map[string]any{"ckan_version": Version, "site_url": c.base, "site_title": a.SiteTitle,
		"site_description": "公共数据开放平台 · Public data portal", "error_emails_to": nil,
		"locale_default": "zh_Hans_CN", "extensions": []string{"dataport", "dcat"}}, nil
}

var help = map[string]string{
	"package_search": "Searches for packages satisfying the given parameters: q, fq, fq_list, rows (at most 1000), start, sort, facet, facet.field, facet.limit, facet.mincount, include_private, include_drafts, include_deleted.",
	"package_show":   "Returns the metadata of a dataset (package) and its resources, by id or name.",
	"package_list":   "Returns the names of the site's public datasets, sorted by name, with limit and offset.",
}

func (a *api) helpShow(ctx context.Context, c *call) (any, error) {
	name := c.params.str("name")
	if _, ok := a.actionMap[name]; !ok {
		return nil, fmt.Errorf("action %q: %w", name, store.ErrNotFound)
	}
	if h, ok := help[name]; ok {
		return h, nil
	}
	return "The CKAN action " + name + ", as described in CKAN's API documentation; docs/ckan-mapping.md says how dataport maps it.", nil
}

// packageShow finds a package by id, name or catalog code, as its caller may see it.
func (a *api) packageShow(ctx context.Context, c *call) (any, error) {
	r, o, err := a.lookupPackage(ctx, c.who, ckanpkg.FirstOf(c.params.str("id"), c.params.str("name_or_id")))
	if err != nil {
		return nil, err
	}
	return a.packageWithData(ctx, c.base, r, o)
}

// lookupPackage reads a resource from the catalog (not the index), so that
// a write is visible to the writer's next call at once.
func (a *api) lookupPackage(ctx context.Context, who identity.Principal, id string) (catalog.Resource, search.Org, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return catalog.Resource{}, search.Org{}, validate.Errors{{Field: "id", Message: "Missing value"}}
	}
	var r catalog.Resource
	var err error
	if _, perr := uuid.Parse(id); perr == nil {
		r, err = a.Catalog.Get(ctx, who, strings.ToLower(id))
	} else {
		r, err = a.Catalog.GetByCode(ctx, who, strings.ToUpper(id))
	}
	if err != nil {
		return r, search.Org{}, err
	}
	o, ok := a.orgs.byName(ctx, r.OrganizationID)
	if !ok {
		return r, search.Org{}, fmt.Errorf("organization %s of resource %s: %w", r.OrganizationID, r.ID, store.ErrNotFound)
	}
	return r, search.OrgOf(o), nil
}

func (a *api) resourceShow(ctx context.Context, c *call) (any, error) {
	id := c.params.str("id")
	pkgID, format, ok := splitResourceID(id)
	if !ok {
		return nil, fmt.Errorf("resource %q: %w", id, store.ErrNotFound)
	}
	r, o, err := a.lookupPackage(ctx, c.who, pkgID)
	if err != nil {
		return nil, err
	}
	p, err := a.packageWithData(ctx, c.base, r, o)
	if err != nil {
		return nil, err
	}
	for _, res := range p.Resources {
		if strings.EqualFold(res.Format, format) {
			return res, nil
		}
	}
	return nil, fmt.Errorf("resource %q: %w", id, store.ErrNotFound)
}

// splitResourceID reads "PACKAGE-ID-format".
func splitResourceID(id string) (pkg, format string, ok bool) {
	if len(id) < 38 || id[36] != '-' {
		return "", "", false
	}
	if _, err := uuid.Parse(id[:36]); err != nil {
		return "", "", false
	}
	return id[:36], id[37:], true
}

// packageSearch is CKAN's package_search over the index.
func (a *api) packageSearch(ctx context.Context, c *call) (any, error) {
	req, sortText, facetNames, err := a.searchRequest(ctx, c)
	if err != nil {
		return nil, err
	}
	req.Encoder = packageEncoder{base: c.base}
	res, err := a.Search.SearchContext(ctx, req)
	if err != nil {
		return nil, err
	}
	if rows, _ := c.params.integer("rows", 10); rows == 0 {
		res.Hits = nil
	}
	results, err := a.encodedWithData(ctx, res.Hits)
	if err != nil {
		return nil, err
	}
	// The packages are spliced in as the cache holds them; the rest is
	// written as json.Marshal would write the map it stands for (keys in
	// order), without reflection: facet lists are the larger part.
	out := getBuffer()
	out.WriteString(`{"count":`)
	out.WriteString(strconv.Itoa(res.Total))
	a.writeFacets(ctx, out, res, facetNames)
	out.WriteString(`,"sort":`)
	writeJSONString(out, sortText)
	out.WriteString(`,"results":[`)
	for i, r := range results {
		if i > 0 {
			out.WriteByte(',')
		}
		out.Write(r)
	}
	out.WriteString("]}")
	return &pooledJSON{out}, nil
}

// facetAliases maps CKAN facet names to index fields.
var facetAliases = map[string]string{"organization": search.FieldOrganization, "groups": search.FieldSubject,
	"tags": search.FieldKeywords, "res_format": search.FieldFormats, "license_id": search.FieldOpenType,
	"subject": search.FieldSubject, "open_type": search.FieldOpenType, "share_type": search.FieldShareType,
	"classification": search.FieldClassification, "update_frequency": search.FieldFrequency,
	"industry": search.FieldIndustry, "level": search.FieldLevel}

// searchRequest reads package_search's parameters.
func (a *api) searchRequest(ctx context.Context, c *call) (search.Request, string, []string, error) {
	p := c.params
	now := time.Now()
	rows, err := p.integer("rows", 10)
	if err != nil {
		return search.Request{}, "", nil, err
	}
	start, err := p.integer("start", 0)
	if err != nil {
		return search.Request{}, "", nil, err
	}
	req := search.Request{Viewer: c.who, Size: min(rows, search.MaxSize), From: start}
	if rows == 0 {
		req.Size = 1 // CKAN answers rows=0 with the count only: packageSearch drops the hit
	}
	q, err := a.parseQuery(ctx, p.str("q"), now)
	if err != nil {
		return req, "", nil, err
	}
	req.Text, req.Clauses = strings.Join(q.words, " "), q.clauses
	fqs, err := p.list("fq_list")
	if err != nil {
		return req, "", nil, err
	}
	terms := q.terms
	for _, fq := range append([]string{p.str("fq")}, fqs...) {
		f, err := a.parseQuery(ctx, fq, now)
		if err != nil {
			return req, "", nil, err
		}
		if terms += f.terms; terms > maxTerms {
			return req, "", nil, fmt.Errorf("%w: q, fq and fq_list hold at most %d terms together", search.ErrBadQuery, maxTerms)
		}
		if len(f.words) > 0 { // words in fq filter, they do not rank
			req.Text = strings.TrimSpace(req.Text + " " + strings.Join(f.words, " "))
		}
		req.Clauses = append(req.Clauses, f.clauses...)
	}
	req.Statuses = []catalog.Status{catalog.StatusPublished}
	if p.boolean("include_private", false) || p.boolean("include_drafts", false) {
		req.Statuses = append(req.Statuses, catalog.StatusDraft, catalog.StatusSubmitted, catalog.StatusReturned)
	}
	if p.boolean("include_deleted", false) {
		req.Statuses = append(req.Statuses, catalog.StatusRetired)
	}
	// Datasets not opened (不予开放, licence not-open) are left out unless
	// asked for, or named by a condition on license_id or open_type.
	req.WithNotOpen = p.boolean("include_not_open", false)
	sortText := ckanpkg.FirstOf(p.str("sort"), "score desc, metadata_modified desc")
	if req.Sort, err = sortKeys(sortText); err != nil {
		return req, "", nil, err
	}
	facetNames, err := a.facetRequest(&req, p)
	return req, sortText, facetNames, err
}

func (a *api) facetRequest(req *search.Request, p params) ([]string, error) {
	if !p.boolean("facet", true) {
		return nil, nil
	}
	names, err := p.list("facet.field")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		f, ok := facetAliases[n]
		if !ok {
			return nil, fmt.Errorf("%w: cannot facet on %q", search.ErrBadQuery, n)
		}
		if !slices.Contains(req.Facets, f) {
			req.Facets = append(req.Facets, f)
		}
	}
	limit, err := p.integer("facet.limit", 50)
	if p.str("facet.limit") == "-1" {
		limit, err = 10000, nil
	}
	if err != nil {
		return nil, err
	}
	if req.FacetMin, err = p.integer("facet.mincount", 1); err != nil {
		return nil, err
	}
	req.FacetSize = limit
	return names, nil
}

// writeFacets writes facet counts in CKAN's two shapes, with values as CKAN
// names them (organization names, group names, licence ids):
// `,"facets":{...},"search_facets":{...}`, exactly as json.Marshal writes
// the maps facets (name → count, counts of equal names added) and
// search_facets ({"items": [{"count", "display_name", "name"}], "title"}).
func (a *api) writeFacets(ctx context.Context, out *bytes.Buffer, res search.Result, names []string) {
	type item struct {
		name, display string
		count         int
	}
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	items := make([][]item, len(sorted))
	for i, n := range sorted {
		values := res.Facets[facetAliases[n]]
		items[i] = make([]item, len(values))
		for j, v := range values {
			name, display := a.facetLabel(ctx, n, v.Value)
			items[i][j] = item{name, display, v.Count}
		}
	}
	out.WriteString(`,"facets":{`)
	for i, n := range sorted {
		if i > 0 {
			out.WriteByte(',')
		}
		writeJSONString(out, n)
		out.WriteString(":{")
		counts := slices.Clone(items[i])
		slices.SortFunc(counts, func(a, b item) int { return strings.Compare(a.name, b.name) })
		for j := 0; j < len(counts); {
			k, total := j, 0
			for ; k < len(counts) && counts[k].name == counts[j].name; k++ {
				total += counts[k].count
			}
			if j > 0 {
				out.WriteByte(',')
			}
			writeJSONString(out, counts[j].name)
			out.WriteByte(':')
			out.WriteString(strconv.Itoa(total))
			j = k
		}
		out.WriteByte('}')
	}
	out.WriteString(`},"search_facets":{`)
	for i, n := range sorted {
		if i > 0 {
			out.WriteByte(',')
		}
		writeJSONString(out, n)
		out.WriteString(`:{"items":[`)
		for j, it := range items[i] {
			if j > 0 {
				out.WriteByte(',')
			}
			out.WriteString(`{"count":`)
			out.WriteString(strconv.Itoa(it.count))
			out.WriteString(`,"display_name":`)
			writeJSONString(out, it.display)
			out.WriteString(`,"name":`)
			writeJSONString(out, it.name)
			out.WriteByte('}')
		}
		out.WriteString(`],"title":`)
		writeJSONString(out, n)
		out.WriteByte('}')
	}
	out.WriteByte('}')
}

// writeJSONString writes s as json.Marshal does: text that needs no
// escaping as it is, anything else through json.Marshal.
func writeJSONString(out *bytes.Buffer, s string) {
	plain := utf8.ValidString(s)
	for i := 0; plain && i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20, c == '"', c == '\\', c == '<', c == '>', c == '&':
			plain = false
		case c == 0xe2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xa8 || s[i+2] == 0xa9): // U+2028, U+2029
			plain = false
		}
	}
	if plain {
		out.WriteByte('"')
		out.WriteString(s)
		out.WriteByte('"')
		return
	}
	b, _ := json.Marshal(s)
	out.Write(b)
}

func (a *api) facetLabel(ctx context.Context, facet, value string) (string, string) {
	switch facet {
	case "organization":
		if o, ok := a.orgs.byName(ctx, value); ok {
			return strings.ToLower(o.Code), o.NameZh
		}
	case "groups", "subject":
		if facet == "groups" {
			return ckanpkg.GroupName(value), catalog.SubjectLabel(value).Zh
		}
		return value, catalog.SubjectLabel(value).Zh
	case "license_id":
		l := ckanpkg.LicenseFor(catalog.OpenType(value))
		return l.ID, l.Title
	}
	return value, value
}

// packageList is every public dataset's name, by name.
func (a *api) packageList(ctx context.Context, c *call) (any, error) {
	limit, err := c.params.integer("limit", 0)
	if err != nil {
		return nil, err
	}
	offset, err := c.params.integer("offset", 0)
	if err != nil {
		return nil, err
	}
	names := []string{}
	err = a.each(c.who, []search.SortKey{{Field: search.FieldName}}, offset, limit, func(h search.Hit) {
		names = append(names, search.Name(h.Resource))
	})
	return names, err
}

// each calls fn for the public datasets in order, from offset, at most
// limit of them (0: all), a page of 1000 at a time.
func (a *api) each(who identity.Principal, order []search.SortKey, offset, limit int, fn func(search.Hit)) error {
	req := search.Request{Viewer: who, Sort: order, Size: search.MaxSize, From: offset}
	for seen := 0; ; {
		if limit > 0 {
			req.Size = min(search.MaxSize, limit-seen)
		}
		res, err := a.Search.Search(req)
		if err != nil {
			return err
		}
		for _, h := range res.Hits {
			fn(h)
		}
		seen += len(res.Hits)
		if res.Next == "" || limit > 0 && seen >= limit {
			return nil
		}
		req.From, req.After = 0, res.Next
	}
}

func (a *api) currentPackages(ctx context.Context, c *call) (any, error) {
	limit, err := c.params.integer("limit", 0)
	if err != nil {
		return nil, err
	}
	offset, err := c.params.integer("offset", 0)
	if err != nil {
		return nil, err
	}
	if page, _ := c.params.integer("page", 0); page > 0 && limit > 0 {
		offset = (page - 1) * limit
	}
	out := []Package{}
	err = a.each(c.who, []search.SortKey{{Field: search.FieldModified, Desc: true}}, offset, limit, func(h search.Hit) {
		out = append(out, packageOf(c.base, h.Resource, h.Org))
	})
	if err != nil {
		return nil, err
	}
	return out, a.markActive(ctx, out)
}

// counts is how many public datasets each value of a field has.
func (a *api) counts(who identity.Principal, field string) (map[string]int, error) {
	res, err := a.Search.Search(search.Request{Viewer: who, Size: 1, Facets: []string{field}, FacetSize: 100000})
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, v := range res.Facets[field] {
		out[v.Value] = v.Count
	}
	return out, nil
}

func (a *api) organizationList(ctx context.Context, c *call) (any, error) {
	orgs, err := a.orgs.list(ctx)
	if err != nil {
		return nil, err
	}
	counts, err := a.counts(c.who, search.FieldOrganization)
	if err != nil {
		return nil, err
	}
	only, err := c.params.list("organizations")
	if err != nil {
		return nil, err
	}
	var dicts []*Organization
	for _, o := range orgs {
		if !publisher(o, counts) || len(only) > 0 && !slices.Contains(only, strings.ToLower(o.Code)) {
			continue
		}
		d := organizationOf(search.OrgOf(o))
		n := counts[o.ID]
		d.PackageCount, d.DisplayName = &n, o.NameZh
		dicts = append(dicts, d)
	}
	sortDicts(dicts, c.params.str("sort"), func(d *Organization) (string, string, int) { return d.Name, d.Title, *d.PackageCount })
	dicts, err = pageOf(dicts, c.params)
	if err != nil {
		return nil, err
	}
	if c.params.boolean("all_fields", false) {
		return dicts, nil
	}
	names := make([]string, len(dicts))
	for i, d := range dicts {
		names[i] = d.Name
	}
	return names, nil
}

// sortDicts orders organizations or groups by CKAN's sort ("name asc",
// "title", "package_count desc").
func sortDicts[T any](list []T, sort string, key func(T) (name, title string, count int)) {
	f := strings.Fields(sort)
	field, desc := "name", false
	if len(f) > 0 {
		field = f[0]
	}
	if len(f) > 1 {
		desc = strings.EqualFold(f[1], "desc")
	}
	slices.SortStableFunc(list, func(x, y T) int {
		xn, xt, xc := key(x)
		yn, yt, yc := key(y)
		var d int
		switch field {
		case "title", "display_name":
			d = strings.Compare(xt, yt)
		case "package_count":
			d = xc - yc
		default:
			d = strings.Compare(xn, yn)
		}
		if desc {
			return -d
		}
		return d
	})
}

func pageOf[T any](list []T, p params) ([]T, error) {
	offset, err := p.integer("offset", 0)
	if err != nil {
		return nil, err
	}
	limit, err := p.integer("limit", 1000)
	if err != nil {
		return nil, err
	}
	if offset >= len(list) {
		return []T{}, nil
	}
	return list[offset:min(len(list), offset+max(limit, 1))], nil
}

func (a *api) organizationShow(ctx context.Context, c *call) (any, error) {
	id := c.params.str("id")
	o, ok := a.orgs.byName(ctx, id)
	if !ok {
		return nil, fmt.Errorf("organization %q: %w", id, store.ErrNotFound)
	}
	d := organizationOf(search.OrgOf(o))
	d.DisplayName = o.NameZh
	res, err := a.datasets(ctx, c, search.Clause{Field: search.FieldOrganization, Values: []string{o.ID}}, &d.Packages)
	if err != nil {
		return nil, err
	}
	d.PackageCount = &res
	return d, nil
}

// datasets counts the public datasets matching clause and, when the call
// asks include_datasets, lists up to 1000 of them into out.
func (a *api) datasets(ctx context.Context, c *call, clause search.Clause, out *[]Package) (int, error) {
	size := 1 // the count only
	if c.params.boolean("include_datasets", false) {
		size = search.MaxSize
	}
	res, err := a.Search.Search(search.Request{Viewer: c.who, Clauses: []search.Clause{clause}, Size: size, Sort: search.SortNewest})
	if err != nil {
		return 0, err
	}
	if size > 1 {
		*out = []Package{}
		for _, h := range res.Hits {
			*out = append(*out, packageOf(c.base, h.Resource, h.Org))
		}
	}
	return res.Total, a.markActive(ctx, *out)
}

func (a *api) groupList(ctx context.Context, c *call) (any, error) {
	counts, err := a.counts(c.who, search.FieldSubject)
	if err != nil {
		return nil, err
	}
	only, err := c.params.list("groups")
	if err != nil {
		return nil, err
	}
	var groups []Group
	for _, s := range catalog.Subjects {
		g := groupOf(s.Code)
		if len(only) > 0 && !slices.Contains(only, g.Name) {
			continue
		}
		n := counts[s.Code]
		g.PackageCount = &n
		groups = append(groups, g)
	}
	sortDicts(groups, c.params.str("sort"), func(g Group) (string, string, int) { return g.Name, g.Title, *g.PackageCount })
	groups, err = pageOf(groups, c.params)
	if err != nil {
		return nil, err
	}
	if c.params.boolean("all_fields", false) {
		return groups, nil
	}
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = g.Name
	}
	return names, nil
}

func (a *api) groupShow(ctx context.Context, c *call) (any, error) {
	id := c.params.str("id")
	s, ok := ckanpkg.SubjectOfGroup(id)
	if !ok {
		return nil, fmt.Errorf("group %q: %w", id, store.ErrNotFound)
	}
	g := groupOf(s)
	n, err := a.datasets(ctx, c, search.Clause{Field: search.FieldSubject, Values: []string{s}}, &g.Packages)
	if err != nil {
		return nil, err
	}
	g.PackageCount = &n
	return g, nil
}

func (a *api) tagList(ctx context.Context, c *call) (any, error) {
	counts, err := a.counts(c.who, search.FieldKeywords)
	if err != nil {
		return nil, err
	}
	q := strings.ToLower(c.params.str("query"))
	names := []string{}
	for k := range counts {
		if q == "" || strings.Contains(strings.ToLower(k), q) {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	if !c.params.boolean("all_fields", false) {
		return names, nil
	}
	tags := make([]Tag, len(names))
	for i, n := range names {
		tags[i] = Tag{ID: n, Name: n, DisplayName: n, State: "active"}
	}
	return tags, nil
}

func (a *api) licenseList(ctx context.Context, c *call) (any, error) {
	out := ckanpkg.Licenses()
	for i := range out {
		out[i].URL = c.base + "/licenses/" + out[i].ID
		out[i].Status = "active"
	}
	return out, nil
}

// userShow shows a user to themselves, sysadmins and their organizations'
// admins (identity.Service.User decides); others get an Authorization Error,
// so that staff accounts cannot be listed anonymously.
func (a *api) userShow(ctx context.Context, c *call) (any, error) {
	id := strings.TrimSpace(ckanpkg.FirstOf(c.params.str("id"), c.params.str("user_obj")))
	if id == "" {
		if c.who.IsAnonymous() {
			return nil, validate.Errors{{Field: "id", Message: "Missing value"}}
		}
		id = c.who.UserID
	}
	u, err := a.userByIDOrName(ctx, id)
	if err != nil {
		return nil, err
	}
	if u, err = a.Identity.User(ctx, c.who, u.ID); err != nil {
		return nil, err
	}
	d := map[string]any{"id": u.ID, "name": u.Username, "display_name": u.DisplayName, "fullname": u.DisplayName,
		"about": "", "created": u.CreatedAt.UTC().Format(timeFormat), "state": map[bool]string{true: "deleted", false: "active"}[u.Disabled],
		"sysadmin": slices.Contains(u.PlatformRoles, identity.PlatformSysadmin), "email_hash": "",
		"image_display_url": "", "number_created_packages": 0}
	if c.who.UserID == u.ID || identity.CanManageUsers(c.who) {
		d["email"] = u.Email
	}
	return d, nil
}

func (a *api) userByIDOrName(ctx context.Context, id string) (identity.User, error) {
	if _, err := uuid.Parse(id); err == nil {
		return a.Identity.User(ctx, identity.System, id)
	}
	return a.Identity.UserByName(ctx, id)
}

package ckan

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"dataport/internal/catalog"
	"dataport/internal/catalog/ckanpkg"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// Writes go through the catalog service as the token's principal, so the
// catalog's rules (CanCreate, and Actions for everything done to an
// existing resource) decide, exactly as for the native API and the UI. An
// anonymous caller never reaches them: run answers 401 first.

func (a *api) packageCreate(ctx context.Context, c *call) (any, error) {
	orgID, err := a.ownerOrg(ctx, c.params)
	if err != nil {
		return nil, err
	}
	in, err := ckanpkg.InputOf(c.params)
	if err != nil {
		return nil, err
	}
	var r catalog.Resource
	if id := strings.TrimSpace(c.params.str("id")); id != "" {
		r, err = a.Catalog.CreateWithID(ctx, c.who, orgID, id, in)
	} else {
		r, err = a.Catalog.Create(ctx, c.who, orgID, in)
	}
	if err != nil {
		return nil, err
	}
	return a.finish(ctx, c, r, ckanpkg.FirstOf(c.params.str("state"), "active"))
}

// finish moves r toward the CKAN state asked for, makes it searchable and
// returns it as a package. "active" submits a draft for review and, when the
// caller is a reviewer, publishes it; "draft" leaves it as it is.
func (a *api) finish(ctx context.Context, c *call, r catalog.Resource, want string) (any, error) {
	var err error
	if want == "active" && catalog.Actions(c.who, r).Has(catalog.ActionSubmit) {
		if r, err = a.Catalog.Submit(ctx, c.who, r.ID); err != nil {
			return nil, err
		}
	}
	if want == "active" && catalog.Actions(c.who, r).Has(catalog.ActionReview) {
		if r, err = a.Catalog.Review(ctx, c.who, r.ID, catalog.Approve, "published through the CKAN API"); err != nil {
			return nil, err
		}
	}
	a.sync(ctx)
	r, o, err := a.lookupPackage(ctx, c.who, r.ID)
	if err != nil {
		return nil, err
	}
	return a.packageWithData(ctx, c.base, r, o)
}

func (a *api) sync(ctx context.Context) {
	if a.Indexer == nil {
		return
	}
	if err := a.Indexer.Sync(ctx); err != nil {
		a.Log.ErrorContext(ctx, "search index sync after a CKAN write failed", "err", err)
	}
}

// ownerOrg resolves owner_org (an id or a name), or else the name or id in
// an organization dict, as a dump from another CKAN carries it.
func (a *api) ownerOrg(ctx context.Context, p params) (string, error) {
	keys := []string{p.str("owner_org")}
	if m, ok := p["organization"].(map[string]any); ok {
		keys = append(keys, params(m).str("name"), params(m).str("id"))
	}
	given := ""
	for _, k := range keys {
		if strings.TrimSpace(k) == "" {
			continue
		}
		given = k
		if o, ok := a.orgs.byName(ctx, k); ok {
			return o.ID, nil
		}
	}
	if given == "" {
		return "", validate.Errors{{Field: "owner_org", Message: "Missing value"}}
	}
	return "", validate.Errors{{Field: "owner_org", Value: given, Message: "Organization does not exist"}}
}

func (a *api) packageUpdate(ctx context.Context, c *call) (any, error) {
	r, _, err := a.lookupPackage(ctx, c.who, ckanpkg.FirstOf(c.params.str("id"), c.params.str("name")))
	if err != nil {
		return nil, err
	}
	in, err := ckanpkg.InputOf(c.params)
	if err != nil {
		return nil, err
	}
	if r, err = a.change(ctx, c.who, r, in); err != nil {
		return nil, err
	}
	return a.finish(ctx, c, r, c.params.str("state"))
}

// change applies in to r: an edit while r is a draft or returned; a
// revision, by a reviewer, once it is published. Institutions cannot change
// a published resource in place: its change needs the platform's review.
func (a *api) change(ctx context.Context, who identity.Principal, r catalog.Resource, in catalog.Input) (catalog.Resource, error) {
	in.Normalize()
	if next := r; true {
		next.Input = in
		if len(catalog.Diff(r, next)) == 0 { // only the state may change (package_patch state=active)
			return r, nil
		}
	}
	switch acts := catalog.Actions(who, r); {
	case acts.Has(catalog.ActionEdit):
		return a.Catalog.Update(ctx, who, r.ID, in)
	case acts.Has(catalog.ActionRevise):
		return a.Catalog.Revise(ctx, who, r.ID, in, "revised through the CKAN API")
	case r.Status == catalog.StatusPublished && catalog.CanEdit(who, r):
		return r, fmt.Errorf("%w: a published resource is changed by the platform operator's review; ask the operator, or retire it and create a new one", catalog.ErrState)
	}
	for _, change := range []catalog.Action{catalog.ActionEdit, catalog.ActionRevise} {
		if errors.Is(catalog.Check(who, r, change), catalog.ErrState) { // who may change it, in another status
			return r, fmt.Errorf("%w: a %s resource cannot be changed", catalog.ErrState, r.Status)
		}
	}
	return r, identity.ErrForbidden
}

// packagePatch changes only the fields given; the rest stay as they are.
func (a *api) packagePatch(ctx context.Context, c *call) (any, error) {
	r, o, err := a.lookupPackage(ctx, c.who, ckanpkg.FirstOf(c.params.str("id"), c.params.str("name")))
	if err != nil {
		return nil, err
	}
	merged, err := dictOf(packageOf(c.base, r, o))
	if err != nil {
		return nil, err
	}
	for k, v := range c.params {
		if k != "id" {
			merged[k] = v
		}
	}
	for plain, translated := range map[string]string{"title": "title_translated", "notes": "notes_translated"} {
		if c.params.has(plain) && !c.params.has(translated) {
			delete(merged, translated) // the text given replaces both
		}
	}
	if _, ok := c.params["extras"]; ok { // extras replace extras, but keep the ones not given
		merged["extras"] = mergeExtras(extrasOf(r), c.params["extras"])
	}
	in, err := ckanpkg.InputOf(merged)
	if err != nil {
		return nil, err
	}
	if r, err = a.change(ctx, c.who, r, in); err != nil {
		return nil, err
	}
	return a.finish(ctx, c, r, c.params.str("state"))
}

func mergeExtras(old []Extra, given any) []any {
	byKey := map[string]string{}
	var order []string
	for _, e := range old {
		byKey[e.Key] = e.Value
		order = append(order, e.Key)
	}
	if list, ok := given.([]any); ok {
		for _, e := range list {
			if m, ok := e.(map[string]any); ok {
				k := params(m).str("key")
				if _, seen := byKey[k]; !seen {
					order = append(order, k)
				}
				byKey[k] = params(m).str("value")
			}
		}
	}
	out := make([]any, len(order))
	for i, k := range order {
		out[i] = map[string]any{"key": k, "value": byKey[k]}
	}
	return out
}

// packageDelete retires the resource (CKAN's deleted state): it leaves the
// public catalog but its record and history stay.
func (a *api) packageDelete(ctx context.Context, c *call) (any, error) {
	r, _, err := a.lookupPackage(ctx, c.who, c.params.str("id"))
	if err != nil {
		return nil, err
	}
	reason := ckanpkg.FirstOf(c.params.str("reason"), "deleted through the CKAN API")
	if _, err := a.Catalog.Retire(ctx, c.who, r.ID, reason); err != nil {
		return nil, err
	}
	a.sync(ctx)
	return nil, nil
}

// resourceCreate adds a format (a CKAN resource) to a package.
func (a *api) resourceCreate(ctx context.Context, c *call) (any, error) {
	format := ckanpkg.FormatOf(c.params)
	if format == "" {
		return nil, validate.Errors{{Field: "format", Message: "Missing value"}}
	}
	r, _, err := a.lookupPackage(ctx, c.who, c.params.str("package_id"))
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(r.Formats, func(f string) bool { return strings.EqualFold(f, format) }) {
		in := r.Input
		in.Formats = append(slices.Clone(in.Formats), format)
		if r, err = a.change(ctx, c.who, r, in); err != nil {
			return nil, err
		}
		a.sync(ctx)
	}
	return a.resourceOf(ctx, c, r.ID, format)
}

// resourcePatch changes a CKAN resource's format; its other fields are
// derived from the package and cannot be set.
func (a *api) resourcePatch(ctx context.Context, c *call) (any, error) {
	id := c.params.str("id")
	pkgID, old, ok := splitResourceID(id)
	if !ok {
		return nil, fmt.Errorf("resource %q: %w", id, store.ErrNotFound)
	}
	r, _, err := a.lookupPackage(ctx, c.who, pkgID)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(r.Formats, func(f string) bool { return strings.EqualFold(f, old) })
	if i < 0 {
		return nil, fmt.Errorf("resource %q: %w", id, store.ErrNotFound)
	}
	format := strings.TrimSpace(c.params.str("format"))
	if format != "" && !strings.EqualFold(format, old) {
		in := r.Input
		in.Formats = slices.Clone(in.Formats)
		in.Formats[i] = format
		if r, err = a.change(ctx, c.who, r, in); err != nil {
			return nil, err
		}
		a.sync(ctx)
		old = format
	}
	return a.resourceOf(ctx, c, r.ID, old)
}

func (a *api) resourceOf(ctx context.Context, c *call, pkgID, format string) (any, error) {
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
	return nil, fmt.Errorf("resource %s of %s: %w", format, pkgID, store.ErrNotFound)
}

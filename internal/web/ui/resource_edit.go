package ui

import (
	"context"
	"net/http"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/validate"
)

// newResourceForm shows an empty resource form for one of the user's institutions.
func (s *server) newResourceForm(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	orgs, err := s.creatableOrganizations(r.Context(), p)
	if err != nil {
		return err
	}
	f := resourceForm{OrganizationID: r.URL.Query().Get("organization_id"), Organizations: orgs}
	if f.OrganizationID == "" && len(orgs) == 1 {
		f.OrganizationID = orgs[0].ID
	}
	return s.renderResourceForm(w, r, http.StatusOK, f.withBlankRows(blankRows))
}

// createResource saves a new draft resource and shows it.
func (s *server) createResource(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	f := readResourceForm(r.PostForm)
	if f.Organizations, err = s.creatableOrganizations(r.Context(), p); err != nil {
		return err
	}
	if r.PostForm.Get("action") == "add_rows" {
		return s.addRows(w, r, f)
	}
	in, errs := f.check()
	if f.OrganizationID == "" {
		errs = append(validate.Errors{{Field: "organization_id", Message: "is required", Code: validate.CodeRequired}}, errs...)
	}
	if len(errs) > 0 {
		return s.failResourceForm(w, r, f, errs)
	}
	res, err := s.catalog.Create(r.Context(), p, f.OrganizationID, in)
	if errs := fieldErrors(err); errs != nil {
		return s.failResourceForm(w, r, f, errs)
	} else if err != nil {
		return err
	}
	return seeOther(w, r, "/resources/"+res.ID, "created")
}

// creatableOrganizations are the organizations p may create resources for:
// every institution for a sysadmin, else p's own where p is an editor or admin.
// None at all is ErrForbidden.
func (s *server) creatableOrganizations(ctx context.Context, p identity.Principal) ([]identity.Organization, error) {
	if p.Has(identity.PlatformSysadmin) {
		return s.institutions(ctx)
	}
	var orgs []identity.Organization
	for _, id := range p.OrgIDs() {
		if !catalog.CanCreate(p, id) {
			continue
		}
		org, err := s.identity.Organization(ctx, id)
		if err != nil {
			return nil, err
		}
		if catalog.CanCreateIn(p, org) { // a company's or a person's own organization catalogs nothing
			orgs = append(orgs, org)
		}
	}
	if len(orgs) == 0 {
		return nil, identity.ErrForbidden
	}
	return orgs, nil
}

// editResourceForm shows the form filled with a draft or returned resource.
func (s *server) editResourceForm(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	res, err := s.editable(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.renderResourceForm(w, r, http.StatusOK, formFromResource(res).withBlankRows(blankRows))
}

// editResource saves the edited resource and shows it.
func (s *server) editResource(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	res, err := s.editable(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	f := readResourceForm(r.PostForm)
	f.Edit, f.ResourceID, f.Code, f.OrganizationID = true, res.ID, res.Code, res.OrganizationID
	if f.Subject == "" {
		f.Subject = res.Subject // the subject is fixed; the form need not send it
	}
	if r.PostForm.Get("action") == "add_rows" {
		return s.addRows(w, r, f)
	}
	in, errs := f.check()
	if len(errs) > 0 {
		return s.failResourceForm(w, r, f, errs)
	}
	_, err = s.catalog.Update(r.Context(), p, res.ID, in)
	if errs := fieldErrors(err); errs != nil {
		return s.failResourceForm(w, r, f, errs)
	} else if err != nil {
		return err
	}
	return seeOther(w, r, "/resources/"+res.ID, "updated")
}

// editable returns the resource with id when p may edit it now.
func (s *server) editable(ctx context.Context, p identity.Principal, id string) (catalog.Resource, error) {
	res, err := s.catalog.Get(ctx, p, id)
	if err != nil {
		return res, err
	}
	return res, catalog.Check(p, res, catalog.ActionEdit)
}

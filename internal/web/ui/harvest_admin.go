package ui

import (
	"context"
	"errors"
	"net/http"

	"dataport/internal/harvest"
	"dataport/internal/identity"
	"dataport/internal/validate"
)

// The harvest sources pages: platform operators and sysadmins register
// another portal's catalog (CKAN or DCAT-AP) for a public institution, run
// it now (or in full) and remove it; the members of an institution, and
// the other platform staff, see the sources they may read without the
// forms. Who may do what is harvest.Sources' to decide; every form carries
// csrf_token.

// harvestPage is the list of sources and the form that registers one.
type harvestPage struct {
	Sources     []harvestRow
	CanManage   bool
	Orgs        []identity.Organization // the public institutions, for the form
	Kinds       []harvest.Kind
	Frequencies []harvest.Frequency
	Form        harvest.SourceInput // the form's values, kept after a refusal
	Errors      formErrors
}

// harvestRow is a source with its institution and its last run's report.
type harvestRow struct {
	harvest.Source
	Org identity.Organization
}

// harvestSourcePage is one source with its last run's report.
type harvestSourcePage struct {
	harvestRow
	CanManage bool
}

// harvestAdminPage lists the sources the viewer may see.
func (s *server) harvestAdminPage(w http.ResponseWriter, r *http.Request) error {
	return s.showHarvest(w, r, http.StatusOK, harvestPage{Form: harvest.SourceInput{Kind: harvest.CKAN, Frequency: harvest.Daily}})
}

// showHarvest fills page with the sources and the institutions and renders it.
func (s *server) showHarvest(w http.ResponseWriter, r *http.Request, status int, page harvestPage) error {
	p, err := s.requireHarvestViewer(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	srcs, err := s.acc.Harvest.List(ctx, p)
	if err != nil {
		return err
	}
	orgs, err := s.organizationIndex(ctx)
	if err != nil {
		return err
	}
	for _, src := range srcs {
		row, err := s.harvestRow(ctx, p, src.ID, orgs)
		if err != nil {
			return err
		}
		page.Sources = append(page.Sources, row)
	}
	page.CanManage = harvest.CanManage(p)
	if page.CanManage {
		if page.Orgs, err = s.identity.Organizations(ctx, identity.OrgFilter{Kind: identity.KindInstitution}); err != nil {
			return err
		}
	}
	page.Kinds, page.Frequencies = []harvest.Kind{harvest.CKAN, harvest.DCAT}, harvest.Frequencies
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, status, "admin_harvest", page)
}

// harvestRow reads source id with its report (List leaves reports out).
func (s *server) harvestRow(ctx context.Context, p identity.Principal, id string, orgs map[string]identity.Organization) (harvestRow, error) {
	src, err := s.acc.Harvest.Get(ctx, p, id)
	if err != nil {
		return harvestRow{}, err
	}
	return harvestRow{Source: src, Org: orgs[src.OrganizationID]}, nil
}

// requireHarvestViewer admits the platform staff and the members of an
// organization (who see their institutions' sources); the harvest
// service filters what each may see.
func (s *server) requireHarvestViewer(r *http.Request) (identity.Principal, error) {
	p, err := requireUser(r)
	if err != nil {
		return p, err
	}
	if s.acc.Harvest == nil {
		return p, s.notFound(nil, r)
	}
	if !p.IsPlatformStaff() && len(p.Memberships) == 0 {
		return p, identity.ErrForbidden
	}
	return p, nil
}

// harvestSourceAdminPage shows one source and its last run's report.
func (s *server) harvestSourceAdminPage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.requireHarvestViewer(r)
	if err != nil {
		return err
	}
	orgs, err := s.organizationIndex(r.Context())
	if err != nil {
		return err
	}
	row, err := s.harvestRow(r.Context(), p, r.PathValue("id"), orgs)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, http.StatusOK, "admin_harvest_source", harvestSourcePage{harvestRow: row, CanManage: harvest.CanManage(p)})
}

// createHarvestSource registers a source. Form fields: csrf_token,
// organization_id, source_kind, url, frequency, subject (optional). A
// refused source shows the form again with its problems; nothing is stored.
func (s *server) createHarvestSource(w http.ResponseWriter, r *http.Request) error {
	p, err := s.requireHarvestViewer(r)
	if err != nil {
		return err
	}
	f := r.PostForm
	in := harvest.SourceInput{OrganizationID: f.Get("organization_id"), Kind: harvest.Kind(f.Get("source_kind")), URL: f.Get("url"),
		Subject: f.Get("subject"), Frequency: harvest.Frequency(f.Get("frequency"))}
	_, err = s.acc.Harvest.Create(r.Context(), p, in)
	var errs validate.Errors
	if errors.As(err, &errs) {
		return s.showHarvest(w, r, http.StatusUnprocessableEntity, harvestPage{Form: in, Errors: newFormErrors(langOf(r), sourceFieldErrors(errs))})
	}
	if err != nil {
		return err
	}
	return seeOther(w, r, "/admin/harvest", "harvest_source_created")
}

// sourceFieldErrors keys a source's problems by the form's inputs: its
// kind is the input source_kind, as "kind" names an organization's kind.
func sourceFieldErrors(errs validate.Errors) validate.Errors {
	out := make(validate.Errors, len(errs))
	for i, e := range errs {
		if e.Field == "kind" {
			e.Field = "source_kind"
		}
		out[i] = e
	}
	return out
}

// runHarvestSource queues a harvest of the source now. Form fields:
// csrf_token, full ("1": every record, not only what changed).
func (s *server) runHarvestSource(w http.ResponseWriter, r *http.Request) error {
	p, err := s.requireHarvestViewer(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := s.acc.Harvest.RunNow(r.Context(), p, id, r.PostForm.Get("full") == "1"); err != nil {
		return err
	}
	return seeOther(w, r, "/admin/harvest/"+id, "harvest_run_queued")
}

// deleteHarvestSource removes the source; what it harvested stays in the
// catalog. Form fields: csrf_token.
func (s *server) deleteHarvestSource(w http.ResponseWriter, r *http.Request) error {
	p, err := s.requireHarvestViewer(r)
	if err != nil {
		return err
	}
	if err := s.acc.Harvest.Delete(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	return seeOther(w, r, "/admin/harvest", "harvest_source_removed")
}

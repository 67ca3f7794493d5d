package api

import (
	"context"
	"net/http"

	"dataport/internal/harvest"
	"dataport/internal/identity"

	"github.com/danielgtaylor/huma/v2"
)

type sourceOut struct{ Body harvest.Source }

type createSourceIn struct{ Body harvest.SourceInput }

type sourceIDIn struct {
	ID string `path:"id"`
}

type updateSourceIn struct {
	ID   string `path:"id"`
	Body struct {
		Subject   string            `json:"subject,omitempty" required:"false"`
		Frequency harvest.Frequency `json:"frequency" enum:"manual,daily,weekly"`
	}
}

type runSourceIn struct {
	ID   string `path:"id"`
	Body struct {
		Full bool `json:"full,omitempty" required:"false" doc:"Read every dataset, not only those changed since the last complete run"`
	}
}

func (h *handlers) harvestRoutes(api huma.API) {
	tags := []string{tagCatalog}
	huma.Register(api, huma.Operation{OperationID: "list-harvest-sources", Method: http.MethodGet, Path: "/harvest-sources", Tags: tags, Security: bearer,
		Summary:     "Harvest sources you may see",
		Description: "Other portals' catalogs harvested into institutions: every source for platform staff, their institutions' for members."},
		h.listSources)
	huma.Register(api, huma.Operation{OperationID: "create-harvest-source", Method: http.MethodPost, Path: "/harvest-sources", Tags: tags, Security: bearer,
		Summary: "Register a portal's catalog to harvest into an institution (platform operators)", DefaultStatus: http.StatusCreated,
		Description: "Registers a CKAN portal (its address) or a DCAT-AP catalog in JSON-LD for a public institution, harvested daily, weekly or " +
			"only on request as a background job; a scheduled source is first harvested within a minute. Records keep their source identity, " +
			"so later runs update what earlier ones created. Only platform operators and sysadmins register sources (403 otherwise); the " +
			"same source twice for an institution is refused (422)."}, h.createSource)
	huma.Register(api, huma.Operation{OperationID: "get-harvest-source", Method: http.MethodGet, Path: "/harvest-sources/{id}", Tags: tags, Security: bearer,
		Summary:     "One harvest source with its last run's report",
		Description: "The source, its schedule, the status of its last run and that run's report: what was created, updated, skipped and failed, and why (each list up to 500)."},
		h.getSource)
	huma.Register(api, huma.Operation{OperationID: "update-harvest-source", Method: http.MethodPost, Path: "/harvest-sources/{id}", Tags: tags, Security: bearer,
		Summary:     "Change a source's schedule or default subject (platform operators)",
		Description: "Changes how often the source is harvested and the subject code given to datasets whose subject the source does not tell."},
		h.updateSource)
	huma.Register(api, huma.Operation{OperationID: "run-harvest-source", Method: http.MethodPost, Path: "/harvest-sources/{id}/run", Tags: tags, Security: bearer,
		Summary:     "Harvest a source now (platform operators)",
		Description: "Queues a harvest of the source at once; a source already queued or running is not queued twice. Follow run_status on the source."},
		h.runSource)
	huma.Register(api, huma.Operation{OperationID: "delete-harvest-source", Method: http.MethodDelete, Path: "/harvest-sources/{id}", Tags: tags, Security: bearer,
		Summary: "Remove a harvest source (platform operators)", DefaultStatus: http.StatusNoContent,
		Description: "Stops harvesting the source; what it harvested stays in the catalog."}, h.deleteSource)
}

func (h *handlers) listSources(ctx context.Context, _ *struct{}) (*List[harvest.Source], error) {
	srcs, err := h.acc.Harvest.List(ctx, identity.FromContext(ctx))
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &List[harvest.Source]{}
	out.Body.Items = srcs
	if out.Body.Items == nil {
		out.Body.Items = []harvest.Source{}
	}
	return out, nil
}

func (h *handlers) createSource(ctx context.Context, in *createSourceIn) (*sourceOut, error) {
	return h.source(ctx)(h.acc.Harvest.Create(ctx, identity.FromContext(ctx), in.Body))
}

func (h *handlers) getSource(ctx context.Context, in *sourceIDIn) (*sourceOut, error) {
	return h.source(ctx)(h.acc.Harvest.Get(ctx, identity.FromContext(ctx), in.ID))
}

func (h *handlers) updateSource(ctx context.Context, in *updateSourceIn) (*sourceOut, error) {
	return h.source(ctx)(h.acc.Harvest.Update(ctx, identity.FromContext(ctx), in.ID, in.Body.Subject, in.Body.Frequency))
}

func (h *handlers) runSource(ctx context.Context, in *runSourceIn) (*sourceOut, error) {
	return h.source(ctx)(h.acc.Harvest.RunNow(ctx, identity.FromContext(ctx), in.ID, in.Body.Full))
}

func (h *handlers) deleteSource(ctx context.Context, in *sourceIDIn) (*struct{}, error) {
	if err := h.acc.Harvest.Delete(ctx, identity.FromContext(ctx), in.ID); err != nil {
		return nil, h.fail(ctx, err)
	}
	return nil, nil
}

// source answers with s, or with err as a problem.
func (h *handlers) source(ctx context.Context) func(s harvest.Source, err error) (*sourceOut, error) {
	return func(s harvest.Source, err error) (*sourceOut, error) {
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		return &sourceOut{Body: s}, nil
	}
}

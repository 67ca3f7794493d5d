package api

import (
	"context"
	"net/http"

	"dataport/internal/identity"
	"dataport/internal/search"

	"github.com/danielgtaylor/huma/v2"
)

type synonymsOut struct {
	Body struct {
		Groups []search.SynonymGroup `json:"groups"`
	}
}

type putSynonymsIn struct {
	Body struct {
		Groups []search.SynonymGroup `json:"groups" maxItems:"500" doc:"The whole list, in order; it replaces the stored one"`
	}
}

// searchRoutes serve the search's synonym list.
func (h *handlers) searchRoutes(api huma.API) {
	tags := []string{tagCatalog}
	huma.Register(api, huma.Operation{OperationID: "get-search-synonyms", Method: http.MethodGet, Path: "/search/synonyms", Tags: tags,
		Summary: "The search's synonym list",
		Description: "Groups of words a catalog search treats as one: a search for any word of a group also finds what holds the others " +
			"(出租车 finds 出租汽车), in the portal, package_search and this API alike."}, h.getSynonyms)
	huma.Register(api, huma.Operation{OperationID: "put-search-synonyms", Method: http.MethodPut, Path: "/search/synonyms", Tags: tags, Security: bearer,
		Summary: "Replace the synonym list (platform operators)",
		Description: "Replaces the whole list; searches use it from the next request on, without reindexing. Words are trimmed and a " +
			"group's repeats dropped. A group of fewer than two words, a word over 40 characters or with a comma, and a word in two " +
			"groups are refused (422) with the field that holds it (body.groups[2].words[1]); only platform operators and sysadmins " +
			"may replace it (403)."}, h.putSynonyms)
}

func (h *handlers) getSynonyms(ctx context.Context, _ *struct{}) (*synonymsOut, error) {
	groups, err := h.acc.Indexer.Synonyms(ctx)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &synonymsOut{}
	out.Body.Groups = groups
	return out, nil
}

func (h *handlers) putSynonyms(ctx context.Context, in *putSynonymsIn) (*synonymsOut, error) {
	groups, err := h.acc.Indexer.SetSynonyms(ctx, identity.FromContext(ctx), in.Body.Groups)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &synonymsOut{}
	out.Body.Groups = groups
	return out, nil
}

package access

import (
	"context"
	"strings"

	"dataport/internal/catalog"
	"dataport/internal/classify"
)

// Rules are the classification rules (GB/T 43697) that the decision point
// and the sharing and opening workflows enforce: what reading a resource
// for a use, along a path, requires. classify.Service implements it with
// each resource's stored grade and de-identification profiles; the
// decision point caches its answers per resource until the resource, its
// grade or its profiles change (their events name the resource).
type Rules interface {
	Requirement(ctx context.Context, r catalog.Resource, use classify.Use, path classify.Path) (classify.Requirement, error)
}

// PolicyRules applies a classify.Policy to the resource's declared grade
// alone, without stored grades or profiles: the rules when no
// classify.Service is wired (tests, tools).
type PolicyRules struct{ Policy classify.Policy }

// Requirement implements Rules.
func (p PolicyRules) Requirement(_ context.Context, r catalog.Resource, use classify.Use, path classify.Path) (classify.Requirement, error) {
	return p.Policy.Enforce(classify.EnforcementInput{Resource: r, Use: use, Path: path}), nil
}

// pathOf maps a request to the classification rules' notion of a path.
func pathOf(req Request) classify.Path {
	switch {
	case req.Action == ActionCompute:
		return classify.PathSandbox
	case req.Action == ActionQuery || strings.Contains(req.Path, "sql"):
		return classify.PathSQL
	case strings.HasPrefix(req.Path, "ckan."):
		return classify.PathCKAN
	case strings.Contains(req.Path, "export"):
		return classify.PathExport
	case req.Action == ActionDownload:
		return classify.PathDownload
	}
	return classify.PathAPI
}

// useOf is the use a grant of origin o puts data to.
func useOf(o OriginKind) classify.Use {
	switch o {
	case OriginShareRequest:
		return classify.UseShare
	case OriginZone:
		return classify.UseZone
	}
	return classify.UseOpenConditional
}

// requirement answers the rules for r, from the cache when it can.
func (s *Service) requirement(ctx context.Context, r catalog.Resource, use classify.Use, path classify.Path) (classify.Requirement, error) {
	key := string(use) + "|" + string(path)
	s.cache.mu.RLock()
	req, ok := s.cache.reqs[r.ID][key]
	s.cache.mu.RUnlock()
	if ok {
		return req, nil
	}
	req, err := s.rules.Requirement(ctx, r, use, path)
	if err != nil {
		return req, err
	}
	s.cache.mu.Lock()
	if s.cache.reqs[r.ID] == nil {
		s.cache.reqs[r.ID] = map[string]classify.Requirement{}
	}
	s.cache.reqs[r.ID][key] = req
	s.cache.mu.Unlock()
	return req, nil
}

// Requirement is what the classification rules require to read resource
// r for use (the workflows ask it: sharing whether the operator must
// approve, opening whether the resource can be opened at all).
func (s *Service) Requirement(ctx context.Context, r catalog.Resource, use classify.Use) (classify.Requirement, error) {
	return s.rules.Requirement(ctx, r, use, classify.PathAPI)
}

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

// Channel is the way a read reaches a resource's data. Each data path
// names its own in Request.Channel; the classification rules set their
// requirements per classify.Path, which the channel decides (channelPaths),
// and the decision log records it.
type Channel string

// The channels of the data paths.
const (
	ChannelAPIRows       Channel = "api.rows"                  // the native row API
	ChannelAPIExport     Channel = "api.export"                // an export file from the native API
	ChannelAPIDiff       Channel = "api.diff"                  // the rows two versions differ in
	ChannelQuality       Channel = "api.quality_report"        // a version's quality report, which quotes values
	ChannelQuarantine    Channel = "api.quarantine"            // a held version's quarantined rows, as a file
	ChannelAccessCheck   Channel = "api.access_check"          // a question without a read: judged by its action
	ChannelCKANDatastore Channel = "ckan.datastore_search"     // CKAN's datastore_search
	ChannelCKANSQL       Channel = "ckan.datastore_search_sql" // CKAN's datastore_search_sql
	ChannelUIPreview     Channel = "ui.preview"                // the rows previewed on a resource's data page
	ChannelDeidPreview   Channel = "ui.deid_preview"           // rows previewed through a de-identification profile
	ChannelSandbox       Channel = "zone.sandbox"              // a sandbox job in a public data zone
	// ChannelExchangeSample is the sample of a data product on the
	// exchange; ProductSample names one product's, and only that
	// product's sample grant decides reads through it.
	ChannelExchangeSample Channel = "exchange.sample"
)

// ProductSample is the channel of exchange product id's sample.
func ProductSample(productID string) Channel { return ChannelExchangeSample + "/" + Channel(productID) }

// sampleOf returns the product whose sample c is, if it is one.
func (c Channel) sampleOf() (string, bool) {
	id, ok := strings.CutPrefix(string(c), string(ChannelExchangeSample)+"/")
	return id, ok && id != ""
}

// SampleGrantee is the grantee id of exchange product id's sample grant (a
// group no organization joins: the grant is found by its channel only).
func SampleGrantee(productID string) string { return "exchange-sample/" + productID }

// channelPaths are the classification rules' paths of the channels. A
// channel not listed (the access check, or none) is judged by its action
// (actionPaths).
var channelPaths = map[Channel]classify.Path{
	ChannelAPIRows: classify.PathAPI, ChannelAPIExport: classify.PathExport, ChannelAPIDiff: classify.PathAPI,
	ChannelQuality: classify.PathAPI, ChannelQuarantine: classify.PathDownload,
	ChannelCKANDatastore: classify.PathCKAN, ChannelCKANSQL: classify.PathSQL,
	ChannelUIPreview: classify.PathAPI, ChannelDeidPreview: classify.PathAPI, ChannelSandbox: classify.PathSandbox,
}

// actionPaths are the paths of actions asked without a channel that fixes one.
var actionPaths = map[Action]classify.Path{
	ActionRead: classify.PathAPI, ActionDownload: classify.PathDownload, ActionQuery: classify.PathSQL, ActionCompute: classify.PathSandbox,
}

// pathOf is the classification rules' path of a request: a sandbox job's
// whatever the channel, else its channel's, else its action's.
func pathOf(req Request) classify.Path {
	if req.Action == ActionCompute {
		return classify.PathSandbox
	}
	if p, ok := channelPaths[req.Channel]; ok {
		return p
	}
	if _, ok := req.Channel.sampleOf(); ok {
		return classify.PathAPI
	}
	if p, ok := actionPaths[req.Action]; ok {
		return p
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

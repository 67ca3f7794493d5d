package access_test

import (
	"context"
	"sync"
	"testing"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/catalog"
	"dataport/internal/classify"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// pathsAsked are the test city's rules, noting the paths they are asked about.
type pathsAsked struct {
	mu    sync.Mutex
	paths []classify.Path
}

func (a *pathsAsked) Requirement(ctx context.Context, r catalog.Resource, use classify.Use, path classify.Path) (classify.Requirement, error) {
	a.mu.Lock()
	a.paths = append(a.paths, path)
	a.mu.Unlock()
	return accesstest.Rules{}.Requirement(ctx, r, use, path)
}

// TestChannelDecidesTheRulesPath: the classification rules are asked about
// the path of the request's channel; a question without a read (the access
// check, or no channel) is judged by its action.
func TestChannelDecidesTheRulesPath(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := accesstest.New(t, db)
		for _, test := range []struct {
			channel access.Channel
			action  access.Action
			want    classify.Path
		}{
			{access.ChannelAPIRows, access.ActionRead, classify.PathAPI},
			{access.ChannelAPIExport, access.ActionDownload, classify.PathExport},
			{access.ChannelCKANDatastore, access.ActionRead, classify.PathCKAN},
			{access.ChannelCKANSQL, access.ActionQuery, classify.PathSQL},
			{access.ChannelQuarantine, access.ActionDownload, classify.PathDownload},
			{access.ChannelUIPreview, access.ActionRead, classify.PathAPI},
			{access.ChannelAccessCheck, access.ActionDownload, classify.PathDownload},
			{access.ChannelAccessCheck, access.ActionQuery, classify.PathSQL},
			{"", access.ActionRead, classify.PathAPI},
		} {
			asked := &pathsAsked{}
			s := newService(t, db, w, access.Config{Rules: asked})
			d, err := s.Decide(context.Background(), access.Request{ResourceID: w.Open.ID, Action: test.action, Channel: test.channel})
			if err != nil || !d.Allow {
				t.Fatalf("%s %s: %+v %v", test.channel, test.action, d, err)
			}
			if len(asked.paths) != 1 || asked.paths[0] != test.want {
				t.Errorf("%q %s: the rules were asked about %v, want %s", test.channel, test.action, asked.paths, test.want)
			}
		}
	})
}

package classify_test

import (
	"strings"
	"testing"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/classify"
)

// TestEnforceNeedsAssessment checks the one rule of article 46 that Enforce
// applies: important and core data is shared, opened or used in a zone
// only with a completed risk assessment at its present grade that has
// not lapsed; general data needs none.
func TestEnforceNeedsAssessment(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	important := catalog.Resource{Input: catalog.Input{Classification: catalog.ClassImportant, Level: 3}}
	current := &classify.Assessment{ID: "a1", Class: catalog.ClassImportant, Level: 3, CompletedAt: now.AddDate(0, -1, 0),
		ValidUntil: now.AddDate(0, 11, 0)}
	lapsed := &classify.Assessment{ID: "a0", Class: catalog.ClassImportant, Level: 3, ValidUntil: now}
	lower := &classify.Assessment{ID: "a2", Class: catalog.ClassImportant, Level: 2, ValidUntil: now.AddDate(1, 0, 0)}
	profiles := []classify.ProfileRef{{ID: "p1"}}
	for _, test := range []struct {
		name    string
		r       catalog.Resource
		use     classify.Use
		a       *classify.Assessment
		allowed bool
		reason  string
	}{
		{"general data needs none", catalog.Resource{Input: catalog.Input{Classification: catalog.ClassGeneral, Level: 2}}, classify.UseShare, nil, true, ""},
		{"important, shared without one", important, classify.UseShare, nil, false, "the resource has none"},
		{"important, shared with a current one", important, classify.UseShare, current, true, ""},
		{"important, in a zone without one", important, classify.UseZone, nil, false, "the resource has none"},
		{"important, opened on application with one", important, classify.UseOpenConditional, current, true, ""},
		{"important, opened to all without one", important, classify.UseOpen, nil, false, "the resource has none"},
		{"important, opened to all with one", important, classify.UseOpen, current, true, ""},
		{"important, its assessment lapsed", important, classify.UseShare, lapsed, false, "lapsed on 2026-12-07"},
		{"important, assessed at another grade", important, classify.UseShare, lower, false, "must be assessed again"},
		{"core, shared with a current one", catalog.Resource{Input: catalog.Input{Classification: catalog.ClassCore, Level: 4}}, classify.UseShare,
			&classify.Assessment{ID: "c", Class: catalog.ClassCore, Level: 4, ValidUntil: now.AddDate(1, 0, 0)}, true, ""},
	} {
		t.Run(test.name, func(t *testing.T) {
			req := classify.DefaultPolicy.Enforce(classify.EnforcementInput{Resource: test.r, Use: test.use, Path: classify.PathAPI,
				Profiles: profiles, Assessment: test.a, Now: now})
			reasons := strings.Join(req.Reasons, "; ")
			if req.Allowed != test.allowed || (test.reason != "" && !strings.Contains(reasons, test.reason)) {
				t.Errorf("allowed %v (%s), want %v (%s)", req.Allowed, reasons, test.allowed, test.reason)
			}
			if !test.allowed && !strings.Contains(reasons, "risk assessment (art. 46, GB/T 20984)") {
				t.Errorf("the refusal does not say why: %s", reasons)
			}
		})
	}
}

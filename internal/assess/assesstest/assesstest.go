// Package assesstest gives tests the classification rules with the risk
// assessments wired in, and completes an assessment of a resource through
// the real service, as an institution does before it shares important
// data.
package assesstest

import (
	"context"
	"testing"

	"dataport/internal/assess"
	"dataport/internal/catalog"
	"dataport/internal/classify"
	"dataport/internal/identity"
	"dataport/internal/store"
)

// Rules returns the grading service with the default policy and the
// assessment service it looks assessments up in.
func Rules(db *store.DB, cat *catalog.Service, ids *identity.Service) (*classify.Service, *assess.Service) {
	grades := classify.NewService(db, cat, nil, classify.DefaultPolicy)
	a := assess.New(db, ids, cat, grades, assess.Config{})
	grades.SetAssessments(a)
	return grades, a
}

// Items are a small but complete set of assessment items: one data asset,
// one threat, one vulnerability with an effective measure, and a finding
// accepting the (low) risk.
func Items() assess.Items {
	return assess.Items{
		Assets:          []assess.Asset{{Code: "A1", Name: "数据资源", Kind: "data", Value: 4}},
		Threats:         []assess.Threat{{Code: "T1", Name: "越权访问", Source: "insider", Likelihood: 2}},
		Vulnerabilities: []assess.Vulnerability{{Code: "V1", Name: "接口鉴权粒度较粗", Asset: "A1", Threat: "T1", Severity: 2}},
		Measures:        []assess.Measure{{Code: "M1", Name: "统一访问控制与访问日志", Kind: "technical", Effective: true, Vulnerabilities: []string{"V1"}}},
		Findings:        []assess.Finding{{Code: "F1", Text: "现有措施有效，风险可接受", Risks: []string{"V1"}, Treatment: "accept"}},
	}
}

// Complete assesses the resource as actor (its institution's editor or
// admin, or the security officer) with Items, completes the assessment and
// returns it.
func Complete(t testing.TB, a *assess.Service, actor identity.Principal, resourceID string) assess.Assessment {
	t.Helper()
	ctx := context.Background()
	draft, err := a.Create(ctx, actor, assess.NewInput{Scope: assess.ScopeResource, ResourceID: resourceID, Title: "年度数据安全风险评估"})
	if err != nil {
		t.Fatalf("assessment of %s: %v", resourceID, err)
	}
	if _, err := a.Save(ctx, actor, draft.ID, assess.SaveInput{Title: draft.Title, Items: Items(), Conclusion: "风险可控，同意共享"}); err != nil {
		t.Fatalf("assessment of %s: %v", resourceID, err)
	}
	done, err := a.Complete(ctx, actor, draft.ID)
	if err != nil {
		t.Fatalf("assessment of %s: %v", resourceID, err)
	}
	return done
}

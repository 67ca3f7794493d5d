package app

import (
	"fmt"
	"os"

	"dataport/internal/catalog"
	"dataport/internal/classify"
	"dataport/internal/deid"
	"dataport/internal/store"
)

// openClassify builds the grading service (with the operator's rule file
// when rulesFile is set) and the de-identification profile service.
func openClassify(db *store.DB, cat *catalog.Service, rulesFile string) (*classify.Service, *deid.Service, error) {
	var rules *classify.RuleSet
	if rulesFile != "" {
		data, err := os.ReadFile(rulesFile)
		if err != nil {
			return nil, nil, fmt.Errorf("grading rules: %w", err)
		}
		if rules, err = classify.ParseRules(data); err != nil {
			return nil, nil, fmt.Errorf("grading rules %s: %w", rulesFile, err)
		}
	}
	grades := classify.NewService(db, cat, rules, classify.DefaultPolicy)
	profiles := deid.NewService(db, cat)
	grades.SetProfiles(profiles)
	return grades, profiles, nil
}

package app

import (
	"context"
	"time"

	"dataport/internal/assess"
)

// openAssess builds the security risk assessments (art. 46) and connects
// them to the classification rules, which refuse sharing, opening and zone
// use of important and core data without a current one.
func (a *App) openAssess() {
	a.Assess = assess.New(a.DB, a.Identity, a.Catalog, a.Grades, assess.Config{Log: a.Config.Log})
	a.Grades.SetAssessments(a.Assess)
}

// assessmentsTick lapses the assessments whose year ended or whose
// resource's grade changed, and reminds the owners of overdue remediation
// tasks: periodic work, every minute (a lapse takes effect on reads within
// a minute and a watch interval).
func (a *App) assessmentsTick(ctx context.Context, now time.Time) error {
	_, err := a.Assess.Tick(ctx, now)
	return err
}

package ui

import (
	"net/http"

	"dataport/internal/jobs"
)

// The sysadmin's page of background jobs in trouble: those that failed for
// good and those waiting to try again, with their last error. The jobs
// runner decides who may see it.

// jobsPage is the troubled jobs.
type jobsPage struct {
	Jobs []jobs.Job
}

// jobsAdminPage lists the newest troubled jobs.
func (s *server) jobsAdminPage(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	if s.jobs == nil {
		return s.notFound(w, r)
	}
	list, err := s.jobs.Troubled(r.Context(), p, 100)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin_jobs", jobsPage{Jobs: list})
}

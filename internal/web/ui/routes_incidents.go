package ui

// incidentRoutes are the data security incidents' pages (数据安全事件, art.
// 48) under /security/incidents: the list, the form (also from an alert,
// ?alert=ID), an incident's page with its deadlines, tasks, documents,
// review and sealed timeline, its steps, and the issued documents; and
// the form naming a unit's responsible person and chief data officer on
// the organization page. They are left out without the incident service.
func (s *server) incidentRoutes() []route {
	if s.acc.Incidents == nil {
		return nil
	}
	return []route{
		{"GET /security/incidents", s.incidentsPage},
		{"GET /security/incidents/new", s.newIncidentForm},
		{"POST /security/incidents", s.openIncident},
		{"GET /security/incidents/{id}", s.incidentPage},
		{"POST /security/incidents/{id}/contain", s.incidentStep(stepContain)},
		{"POST /security/incidents/{id}/tasks", s.incidentStep(stepTask)},
		{"POST /security/incidents/{id}/tasks/{task}/done", s.incidentStep(stepTaskDone)},
		{"POST /security/incidents/{id}/documents", s.incidentStep(stepIssue)},
		{"POST /security/incidents/{id}/review", s.incidentStep(stepReview)},
		{"POST /security/incidents/{id}/close", s.incidentStep(stepClose)},
		{"GET /security/incidents/{id}/documents/{doc}", s.incidentDocument},
		{"POST /organizations/{id}/officers", s.setOfficers},
	}
}

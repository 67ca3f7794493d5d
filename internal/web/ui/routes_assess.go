package ui

// assessRoutes are the data security risk assessments' pages (数据安全风险
// 评估, art. 46): the schedule and the list, a new assessment, and an
// assessment's page with its items form, computed risks, findings and
// remediation tasks. Left out without the assessment service.
func (s *server) assessRoutes() []route {
	if s.acc.Assess == nil {
		return nil
	}
	return []route{
		{"GET /security/assessments", s.assessListPage},
		{"GET /security/assessments/new", s.assessNewForm},
		{"POST /security/assessments", s.assessCreate},
		{"GET /security/assessments/{id}", s.assessPage},
		{"POST /security/assessments/{id}", s.assessSave},
		{"POST /security/assessments/{id}/complete", s.assessComplete},
		{"POST /security/assessments/{id}/tasks", s.assessAddTask},
		{"POST /security/assessments/{id}/tasks/{task}/done", s.assessTaskDone},
	}
}

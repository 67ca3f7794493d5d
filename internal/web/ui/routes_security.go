package ui

// securityRoutes are the security monitoring's pages (安全监测, art. 48) for
// the security officer, the regulator and the auditor: the hub, the alerts
// with their evidence and steps, and the monitoring rules with their YAML
// editor. The incident form an alert links to is the incidents part's
// (/security/incidents/new?alert=ID). They are left out without the
// monitor.
func (s *server) securityRoutes() []route {
	if s.acc.Monitor == nil {
		return nil
	}
	return []route{
		{"GET /security", s.securityHub},
		{"GET /security/alerts", s.securityAlertsPage},
		{"GET /security/alerts/{id}", s.securityAlertPage},
		{"POST /security/alerts/{id}/acknowledge", s.securityAlertStep(secAcknowledge)},
		{"POST /security/alerts/{id}/assign", s.securityAlertStep(secAssign)},
		{"POST /security/alerts/{id}/close", s.securityAlertStep(secClose)},
		{"GET /security/rules", s.securityRulesPage},
		{"GET /security/rules/new", s.securityNewRuleForm},
		{"POST /security/rules", s.securityCreateRule},
		{"GET /security/rules/{id}", s.securityRulePage},
		{"POST /security/rules/{id}", s.securityUpdateRule},
	}
}

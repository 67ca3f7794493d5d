package ui

// statsRoutes are the statistics' public pages (统计数据, article 7): the
// indicators of a year, month or day with trend lines over the daily
// snapshots and bars per institution. They are left out without the
// statistics service.
func (s *server) statsRoutes() []route {
	if s.acc.Stats == nil {
		return nil
	}
	return []route{
		{"GET /stats", s.statsPage},
	}
}

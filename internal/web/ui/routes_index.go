package ui

// indexRoutes are the pages of the published composite index of the
// digital economy (数字经济综合评价指数, article 7): the published years, a
// year's index (method, weights, ranking, rank ranges as SVG) and the
// platform operator's publish form. The statistics page (/stats) links
// here. They are left out without the statistics service.
func (s *server) indexRoutes() []route {
	if s.acc.Stats == nil {
		return nil
	}
	return []route{
		{"GET /stats/index", s.indexListPage},
		{"POST /stats/index", s.publishIndex},
		{"GET /stats/index/{period}", s.indexPage},
	}
}

package ui

// discoveryRoutes are the routes of the home page, data requests, apps, news and the sitemap.
func (s *server) discoveryRoutes() []route {
	if s.acc.Portal == nil {
		return nil
	}
	return []route{
		{"GET /data-requests", s.dataRequestsPage},
		{"GET /data-requests/new", s.newDataRequestForm},
		{"POST /data-requests", s.createDataRequest},
		{"GET /data-requests/{id}", s.dataRequestPage},
		{"POST /data-requests/{id}/answer", s.answerDataRequest},
		{"POST /data-requests/{id}/route", s.routeDataRequest},
		{"GET /apps", s.appsPage},
		{"GET /apps/new", s.newAppForm},
		{"POST /apps", s.createApp},
		{"GET /apps/{id}", s.appPage},
		{"POST /apps/{id}/review", s.reviewApp},
		{"GET /news", s.newsPage},
		{"GET /news/new", s.newNewsForm},
		{"POST /news", s.createNews},
		{"GET /news/{id}", s.newsItemPage},
		{"GET /news/{id}/edit", s.editNewsForm},
		{"POST /news/{id}/edit", s.editNews},
		{"POST /news/{id}/withdraw", s.withdrawNews},
	}
}

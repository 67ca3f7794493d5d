package ui

// discoveryRoutes are the routes of the home page, data requests, apps, news and the sitemap.
func (s *server) discoveryRoutes() []route {
	return []route{}
}

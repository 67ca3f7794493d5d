package ui

// datasetRoutes are the routes of the dataset page's preview, charts, downloads and feedback.
func (s *server) datasetRoutes() []route {
	return []route{}
}

package ui

// cockpitRoutes are the routes of the platform operator's cockpit.
func (s *server) cockpitRoutes() []route {
	return []route{}
}

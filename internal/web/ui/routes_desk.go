package ui

// deskRoutes are the routes of the institution editor's desk.
func (s *server) deskRoutes() []route {
	return []route{}
}

package ui

// accountRoutes are the routes of self-registration, e-mail confirmation and single sign-on.
func (s *server) accountRoutes() []route {
	return []route{}
}

package ui

// deskRoutes are the routes of the institution editor's desk. The resource
// form's sample upload (POST /my/resources/infer) is multipart and mounted
// beside the uploads in handler, outside the form cap.
func (s *server) deskRoutes() []route {
	return []route{
		{"POST /resources/{id}/deid/preset", s.createPresetProfile},
		{"POST /resources/{id}/data/rules", s.data(s.addTemplateRule)},
	}
}

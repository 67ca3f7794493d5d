package ui

import "net/http"

// routes is the route table of the browser UI. GET routes serve pages (public
// ones work anonymously); POST routes are forms, each checked for CSRF.
func (s *server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	for _, route := range []struct {
		pattern string
		handler handlerFunc
	}{
		{"GET /{$}", s.home},
		{"GET /catalog", s.catalogPage},
		{"GET /resources/{id}", s.resourcePage},
		{"GET /resources/{id}/edit", s.editResourceForm},
		{"POST /resources/{id}/edit", s.editResource},
		{"POST /resources/{id}/submit", s.submitResource},
		{"POST /resources/{id}/review", s.reviewResource},
		{"POST /resources/{id}/retire", s.retireResource},
		{"GET /organizations", s.organizationsPage},
		{"GET /organizations/{id}", s.organizationPage},
		{"GET /login", s.loginForm},
		{"POST /login", s.login},
		{"POST /logout", s.logout},
		{"GET /lang", s.switchLanguage},
		{"GET /my", s.myWork},
		{"GET /my/resources/new", s.newResourceForm},
		{"POST /my/resources", s.createResource},
		{"GET /review", s.reviewQueue},
		{"GET /account", s.accountPage},
		{"POST /account/tokens", s.createToken},
		{"POST /account/tokens/{id}/revoke", s.revokeToken},
		{"/", s.notFound},
	} {
		mux.Handle(route.pattern, s.handle(route.handler))
	}
	return mux
}

// handler wraps the routes in the browser middleware, outermost first:
// security headers, cross-origin protection, static assets (no session
// needed), then body cap, session and CSRF check for the pages.
func (s *server) handler() http.Handler {
	pages := capBody(s.loadSession(s.checkCSRF(s.routes())))
	root := http.NewServeMux()
	root.Handle("GET /static/{name}", s.assets)
	root.Handle("/", pages)
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(s.handle(func(http.ResponseWriter, *http.Request) error { return errCrossOrigin }))
	return securityHeaders(cop.Handler(root))
}

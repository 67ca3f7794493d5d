package ui

import (
	"net/http"

	"dataport/internal/web/ui/session"
)

// route is one entry of the browser UI's route table.
type route struct {
	pattern string
	handler handlerFunc
}

// routes is the route table of the browser UI. GET routes serve pages (public
// ones work anonymously); POST routes are forms, each checked for CSRF. Each
// part of the product keeps its own table beside its pages.
func (s *server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	for _, table := range [][]route{
		s.coreRoutes(),
		s.accountRoutes(),
		s.datasetRoutes(),
		s.discoveryRoutes(),
		s.deskRoutes(),
		s.cockpitRoutes(),
		s.engageRoutes(),
		s.searchRoutes(),
		s.exchangeRoutes(),
		s.tradeRoutes(),
		s.zoneRoutes(),
		s.securityRoutes(),
		s.assessRoutes(),
		s.incidentRoutes(),
		s.statsRoutes(),
		s.indexRoutes(),
	} {
		for _, r := range table {
			mux.Handle(r.pattern, s.handle(r.handler))
		}
	}
	mux.Handle("/", s.handle(s.notFound))
	return mux
}

// coreRoutes are the catalog, review, sharing, opening and data pages.
func (s *server) coreRoutes() []route {
	return []route{
		{"GET /{$}", s.home},
		{"GET /catalog", s.catalogPage},
		{"GET /resources/{id}", s.resourcePage},
		{"GET /dataset/{name}", s.datasetPage},
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
		{"GET /account", s.accountPage},
		{"GET /help/api-access", s.apiAccessHelpPage},
		{"POST /account/tokens", s.createToken},
		{"POST /account/tokens/{id}/revoke", s.revokeToken},
		{"POST /account/password", s.changePassword},
		{"GET /password-reset", s.passwordResetForm},
		{"POST /password-reset", s.redeemPasswordReset},
		{"GET /organizations/{id}/members", s.membersPageHandler},
		{"POST /organizations/{id}/members", s.addMember},
		{"POST /organizations/{id}/members/{user}/role", s.setMemberRole},
		{"POST /organizations/{id}/members/{user}/remove", s.removeMember},
		{"GET /admin/users", s.usersAdminPage},
		{"GET /admin/jobs", s.jobsAdminPage},
		{"GET /admin/outbox", s.outboxAdminPage},
		{"GET /admin/harvest", s.harvestAdminPage},
		{"POST /admin/harvest", s.createHarvestSource},
		{"GET /admin/harvest/{id}", s.harvestSourceAdminPage},
		{"POST /admin/harvest/{id}/run", s.runHarvestSource},
		{"POST /admin/harvest/{id}/delete", s.deleteHarvestSource},
		{"GET /admin/users/{id}", s.userAdminPageHandler},
		{"POST /admin/users/{id}/disable", s.userAdminAction(s.disableUser, "user_disabled")},
		{"POST /admin/users/{id}/enable", s.userAdminAction(s.enableUser, "user_enabled")},
		{"POST /admin/users/{id}/revoke-access", s.userAdminAction(s.revokeUserAccess, "user_access_revoked")},
		{"POST /admin/users/{id}/password", s.userAdminAction(s.setUserPassword, "user_password_set")},
		{"POST /admin/users/{id}/platform-roles", s.userAdminAction(s.setUserPlatformRoles, "user_roles_set")},
		{"POST /admin/users/{id}/reset-code", s.issueResetCode},
		{"GET /share-requests", s.shareRequests},
		{"GET /share-requests/new", s.newShareRequest},
		{"POST /share-requests", s.createShareRequest},
		{"GET /share-requests/{id}", s.shareRequestPage},
		{"POST /share-requests/{id}/review", s.reviewShareRequest},
		{"POST /share-requests/{id}/withdraw", s.withdrawShareRequest},
		{"POST /share-requests/{id}/request-info", s.caseText(kindShare, s.loadShareRequest, s.askShareRequester, "request_more_info")},
		{"POST /share-requests/{id}/answer", s.caseText(kindShare, s.loadShareRequest, s.answerShareRequest, "request_answered")},
		{"GET /applications", s.applications},
		{"GET /applications/new", s.newApplication},
		{"POST /applications", s.createApplication},
		{"GET /applications/{id}", s.applicationPage},
		{"POST /applications/{id}/review", s.reviewApplication},
		{"POST /applications/{id}/withdraw", s.withdrawApplication},
		{"POST /applications/{id}/request-info", s.caseText(kindOpen, s.loadApplication, s.askApplicant, "request_more_info")},
		{"POST /applications/{id}/answer", s.caseText(kindOpen, s.loadApplication, s.answerApplication, "request_answered")},
		{"GET /waiting", s.waitingPage},
		{"GET /grants", s.grantsPage},
		{"GET /grants/{id}", s.grantPage},
		{"POST /grants/{id}/revoke", s.revokeGrant},
		{"POST /grants/{id}/keys", s.createGrantKey},
		{"POST /grants/{id}/keys/{key}/revoke", s.revokeGrantKey},
		{"GET /notifications", s.notificationsPage},
		{"POST /notifications/read", s.readNotifications},
		{"GET /open-lists", s.openListsPage},
		{"GET /open-lists/{year}/{org}/edit", s.openListEditor},
		{"POST /open-lists/{year}/{org}/edit", s.saveOpenListPlan},
		{"POST /open-lists/{year}/{org}/items", s.addOpenListItem},
		{"POST /open-lists/{year}/{org}/link", s.linkOpenListItem},
		{"POST /open-lists/{year}/{org}/publish", s.publishOpenList},
		{"GET /resources/{id}/data", s.data(s.dataPageHandler)},
		{"GET /resources/{id}/data/versions/{version}", s.data(s.versionPageHandler)},
		{"POST /resources/{id}/data/settings", s.data(s.saveSettings)},
		{"POST /resources/{id}/data/versions/{version}/rollback", s.data(s.rollbackVersion)},
		{"POST /resources/{id}/data/versions/{version}/release", s.data(s.releaseVersion)},
		{"GET /loads/{id}", s.data(s.loadPageHandler)},
		{"GET /my/stale", s.data(s.stalePageHandler)},
		{"GET /audit", s.auditPage},
		{"GET /audit/events/{id}", s.auditEventPage},
		{"GET /audit/events/{id}/receipt.json", s.receiptDownload},
		{"POST /resources/{id}/grading/override", s.overrideGrading},
		{"GET /resources/{id}/deid", s.deidPage},
		{"POST /resources/{id}/deid", s.saveDeidProfile},
		{"POST /resources/{id}/deid/{profile}/delete", s.deleteDeidProfile},
		{"POST /resources/{id}/deid/{profile}/preview", s.previewDeidProfile},
		{"POST /resources/{id}/deid/preview", s.previewDeidProfile},
	}
}

// handler wraps the routes in the browser middleware, outermost first:
// security headers, cross-origin protection, static assets (no session
// needed), then body cap, session and CSRF check for the pages.
func (s *server) handler() http.Handler {
	pages := session.CapBody(s.sessions.Load(s.sessions.CheckCSRF(s.routes())))
	root := http.NewServeMux()
	root.Handle("GET /static/{name}", s.assets)
	if s.datastore != nil && s.jobs != nil {
		root.Handle("POST /resources/{id}/upload", s.uploadHandler()) // multipart, outside the form cap
	}
	root.Handle("POST /my/resources/infer", s.inferHandler()) // multipart with a sample file, outside the form cap
	s.exchangeUploadRoutes(root)                              // the exchange's documents, evidence and valuation reports
	root.Handle("/", pages)
	return session.Headers(s.sessions.CrossOrigin(root))
}

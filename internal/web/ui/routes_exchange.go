package ui

// exchangeRoutes are the routes of the exchange's participants, products,
// compliance review desk, asset registrations, certificates and valuation
// reports (the trading hall, contracts, risk desk and disputes are in
// routes_trade.go). They are left out without the exchange, the
// registry's without the registry. The file forms (documents, evidence,
// valuation reports) are multipart and mounted in exchangeUploadRoutes.
// The case pages' addresses are those the review kinds link to:
// /exchange/applications/, /exchange/listings/, /exchange/registrations/.
func (s *server) exchangeRoutes() []route {
	if s.acc.Exchange == nil {
		return nil
	}
	ex := s.acc.Exchange
	routes := []route{
		{"GET /exchange/participants", s.participantsPage},
		{"GET /exchange/participants/apply", s.applyForm},
		{"POST /exchange/participants/apply", s.apply},
		{"GET /exchange/participants/{id}", s.participantPage},
		{"POST /exchange/participants/{id}/relations", s.declareRelation},
		{"POST /exchange/participants/{id}/relations/remove", s.removeRelation},
		{"POST /exchange/participants/{id}/suspend", s.moveParticipant(ex.SuspendParticipant, "exchange_suspended")},
		{"POST /exchange/participants/{id}/reinstate", s.moveParticipant(ex.ReinstateParticipant, "exchange_reinstated")},
		{"POST /exchange/participants/{id}/tier", s.setTier},
		{"GET /exchange/documents/{id}", s.documentDownload},
		{"GET /exchange/applications/{id}", s.admissionPage},
		{"POST /exchange/applications/{id}/review", s.admissionAction(s.decideAdmission)},
		{"POST /exchange/applications/{id}/request-info", s.admissionAction(s.askAdmission)},
		{"POST /exchange/applications/{id}/answer", s.admissionAction(s.answerAdmission)},
		{"POST /exchange/applications/{id}/withdraw", s.admissionAction(s.withdrawAdmission)},
		{"GET /exchange/products", s.productsPage},
		{"GET /exchange/products/new", s.newProductForm},
		{"POST /exchange/products", s.createProduct},
		{"GET /exchange/products/{id}", s.productPage},
		{"GET /exchange/products/{id}/edit", s.editProductForm},
		{"POST /exchange/products/{id}/edit", s.updateProduct},
		{"POST /exchange/products/{id}/submit", s.submitProduct},
		{"POST /exchange/products/{id}/listing", s.moveProduct},
		{"GET /exchange/review", s.reviewDesk},
		{"GET /exchange/listings/{id}", s.listingPage},
		{"POST /exchange/listings/{id}/checklist", s.listingAction(s.saveChecklist)},
		{"POST /exchange/listings/{id}/review", s.listingAction(s.decideListing)},
		{"POST /exchange/listings/{id}/request-info", s.listingAction(s.askListing)},
		{"POST /exchange/listings/{id}/answer", s.listingAction(s.answerListing)},
		{"POST /exchange/listings/{id}/withdraw", s.listingAction(s.withdrawListing)},
		{"POST /exchange/listings/{id}/law-firm", s.listingAction(s.assignLawFirm)},
	}
	if s.acc.Assets == nil {
		return routes
	}
	return append(routes, []route{
		{"GET /exchange/registrations", s.registrationsPage},
		{"GET /exchange/registrations/new", s.newRegistrationForm},
		{"POST /exchange/registrations", s.createRegistration},
		{"GET /exchange/registrations/{id}", s.registrationPage},
		{"POST /exchange/registrations/{id}/review", s.registrationAction(s.decideRegistration)},
		{"POST /exchange/registrations/{id}/request-info", s.registrationAction(s.askRegistration)},
		{"POST /exchange/registrations/{id}/answer", s.registrationAction(s.answerRegistration)},
		{"POST /exchange/registrations/{id}/withdraw", s.registrationAction(s.withdrawRegistration)},
		{"GET /exchange/certificates", s.certificatesPage},
		{"GET /exchange/certificates/{number}", s.certificatePage},
		{"GET /exchange/certificates/{number}/qr.png", s.certificateQR},
		{"POST /exchange/certificates/{number}/objections", s.objectRegistration},
		{"GET /exchange/valuations", s.valuationsPage},
		{"GET /exchange/valuations/new", s.newValuationForm},
		{"GET /exchange/valuations/{id}", s.valuationPage},
	}...)
}

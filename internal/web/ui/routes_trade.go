package ui

// tradeRoutes are the routes of the exchange's trading hall, orders and
// contracts (delivery, settlement, rating), disputes and risk desk. They
// are left out without the exchange and its trading; the disputes without
// the dispute service, the risk desk without the risk engine.
func (s *server) tradeRoutes() []route {
	if s.acc.Exchange == nil || s.acc.Trade == nil {
		return nil
	}
	routes := []route{
		{"GET /exchange", s.hallPage},
		{"GET /exchange/hall/{id}", s.hallProductPage},
		{"GET /exchange/hall/{id}/sample", s.hallSamplePage},
		{"POST /exchange/hall/{id}/order", s.order},
		{"GET /exchange/contracts", s.contractsPage},
		{"GET /exchange/negotiations/{id}", s.negotiationPage},
		{"POST /exchange/negotiations/{id}/verify", s.negotiationStep(stepVerify)},
		{"POST /exchange/negotiations/{id}/accept", s.negotiationStep(stepAccept)},
		{"POST /exchange/negotiations/{id}/agree", s.negotiationStep(stepAgree)},
		{"POST /exchange/negotiations/{id}/terminate", s.negotiationStep(stepTerminate)},
		{"POST /exchange/negotiations/{id}/offer", s.counterOffer},
		{"GET /exchange/contracts/{id}", s.contractPage},
		{"GET /exchange/contracts/{id}/contract.json", s.contractDocument},
		{"GET /exchange/contracts/{id}/rows", s.contractRowsPage},
		{"GET /exchange/contracts/{id}/file", s.contractFile},
		{"POST /exchange/contracts/{id}/address", s.dataAddress},
		{"POST /exchange/contracts/{id}/transfers/{transfer}/complete", s.completeTransfer},
		{"POST /exchange/contracts/{id}/settle", s.settle},
		{"POST /exchange/contracts/{id}/rate", s.rate},
	}
	if s.acc.Disputes != nil {
		routes = append(routes, []route{
			{"GET /exchange/contracts/{id}/evidence.zip", s.contractEvidence},
			{"GET /exchange/contracts/{id}/dispute", s.newDisputeForm},
			{"POST /exchange/contracts/{id}/dispute", s.openDispute},
			{"GET /exchange/disputes", s.disputesPage},
			{"GET /exchange/disputes/{id}", s.disputePage},
			{"GET /exchange/disputes/{id}/evidence.zip", s.disputeEvidence},
			{"GET /exchange/disputes/{id}/record.zip", s.disputeRecord},
			{"POST /exchange/disputes/{id}/mediate", s.disputeStep(disputeMediate)},
			{"POST /exchange/disputes/{id}/escalate", s.disputeStep(disputeEscalate)},
			{"POST /exchange/disputes/{id}/decide", s.disputeStep(disputeDecide)},
			{"POST /exchange/disputes/{id}/withdraw", s.disputeStep(disputeWithdraw)},
		}...)
	}
	if s.acc.Risk != nil {
		routes = append(routes, []route{
			{"GET /exchange/risk", s.alertsPage},
			{"GET /exchange/risk/alerts/{id}", s.alertPage},
			{"POST /exchange/risk/alerts/{id}/acknowledge", s.alertStep(alertAcknowledge)},
			{"POST /exchange/risk/alerts/{id}/close", s.alertStep(alertClose)},
			{"POST /exchange/risk/alerts/{id}/suspend", s.alertStep(alertSuspend)},
			{"GET /exchange/risk/rules", s.rulesPage},
			{"GET /exchange/risk/rules/new", s.newRuleForm},
			{"POST /exchange/risk/rules", s.createRule},
			{"GET /exchange/risk/rules/{id}", s.rulePage},
			{"POST /exchange/risk/rules/{id}", s.updateRule},
		}...)
	}
	return routes
}

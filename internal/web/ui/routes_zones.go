package ui

// zoneRoutes are the routes of the public data zones (公共数据专区): the
// public list and zone pages, an operator's application, the workspace of
// an authorised operator with its queries and their results, kept
// outputs, and the steward's desk (applications, results in review,
// authorisations, usage). They are left out without the zones service.
// The review cases link to /zones/applications/{id} and /zones/queries/{id}
// (their kinds' links, which name no zone): those addresses redirect to the
// pages under the zone's code (zone codes are capitals, never these words).
func (s *server) zoneRoutes() []route {
	if s.acc.Zones == nil {
		return nil
	}
	return []route{
		{"GET /zones", s.zonesPage},
		{"GET /zones/{code}", s.zonePage},
		{"GET /zones/{code}/apply", s.zoneApplyForm},
		{"POST /zones/{code}/apply", s.zoneApply},
		{"GET /zones/{code}/applications/{id}", s.zoneApplicationPage},
		{"POST /zones/{code}/applications/{id}/review", s.zoneApplicationReview},
		{"GET /zones/{code}/workspace", s.zoneWorkspacePage},
		{"POST /zones/{code}/queries", s.zoneSubmit},
		{"GET /zones/{code}/queries/{id}", s.zoneQueryPage},
		{"GET /zones/{code}/queries/{id}/result.csv", s.zoneQueryCSV},
		{"POST /zones/{code}/queries/{id}/review", s.zoneReleaseReview},
		{"POST /zones/{code}/queries/{id}/keep", s.zoneKeep},
		{"GET /zones/{code}/outputs/{id}", s.zoneOutputPage},
		{"GET /zones/{code}/steward", s.zoneStewardPage},
		{"POST /zones/{code}/authorisations/{id}/revoke", s.zoneRevoke},
		{"GET /zones/{kind}/{id}", s.zoneCaseLink},
	}
}

package ui

// accountRoutes are the routes of self-registration, e-mail confirmation,
// password resets by e-mail, single sign-on and the operators' queue of
// company verifications; none without the signup service.
func (s *server) accountRoutes() []route {
	if s.acc.Signup == nil {
		return nil
	}
	return []route{
		{"GET /register", s.registerForm},
		{"POST /register", s.register},
		{"GET /register/sent", s.registerSent},
		{"GET /register/confirm", s.confirmForm},
		{"POST /register/confirm", s.confirm},
		{"GET /register/resend", s.resendForm},
		{"POST /register/resend", s.resend},
		{"GET /password-forgot", s.forgotForm},
		{"POST /password-forgot", s.forgot},
		{"GET /password-forgot/sent", s.forgotSent},
		{"GET /login/sso", s.ssoStart},
		{"GET /login/sso/callback", s.ssoCallback},
		{"GET /admin/verifications", s.verificationsAdminPage},
		{"GET /admin/verifications/{id}", s.verificationAdminPage},
		{"POST /admin/verifications/{id}/review", s.reviewVerification},
	}
}

package signup_test

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/signup"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"
)

const pw = "a long enough password"

// world is a store with the signup service and a platform operator.
type world struct {
	db       *store.DB
	ids      *identity.Service
	svc      *signup.Service
	operator identity.Principal
}

func newWorld(t *testing.T, db *store.DB, cfg signup.Config) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{db: db, ids: identity.NewService(db)}
	cfg.Review = review.NewService(db, review.Config{})
	w.svc = signup.NewService(db, w.ids, cfg)
	u, err := w.ids.CreateUser(ctx, identity.System, identity.UserInput{Username: "operator", DisplayName: "运营", Email: "op@example.cn",
		Password: pw, PlatformRoles: []identity.PlatformRole{identity.PlatformOperator}})
	if err != nil {
		t.Fatal(err)
	}
	if w.operator, err = w.ids.Principal(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	return w
}

// mailedCode returns the code in the newest notice of kind sent to the
// account signing in with email, as its e-mail would give it.
func (w *world) mailedCode(t *testing.T, email, kind string) string {
	t.Helper()
	var link string
	err := w.db.QueryRowContext(context.Background(), `SELECT n.link FROM notifications n JOIN users u ON u.id = n.user_id
		WHERE (u.login_email = $1 OR u.email = $1) AND n.kind = $2 ORDER BY n.created_at DESC, n.id DESC LIMIT 1`, email, kind).Scan(&link)
	if err != nil {
		t.Fatalf("no %s notice for %s: %v", kind, email, err)
	}
	full, err := w.ids.MailLink(context.Background(), "https://data.example.gov.cn"+link)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(full)
	if err != nil {
		t.Fatal(err)
	}
	code := u.Query().Get("code")
	if code == "" {
		t.Fatalf("the e-mail's link %q has no code", full)
	}
	return code
}

func (w *world) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := w.db.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func stateOf(err error) identity.AccountState {
	var se *identity.StateError
	if errors.As(err, &se) {
		return se.State
	}
	return ""
}

func TestPersonRegistersConfirmsAndSignsIn(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db, signup.Config{})
		in := identity.Registration{Kind: identity.KindIndividual, DisplayName: "林小溪", Email: "Lin.XiaoXi@Example.cn", Password: pw}
		if err := w.svc.Register(ctx, in, "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
		// Before confirming: the right password says why, a wrong one says nothing.
		if _, err := w.ids.Authenticate(ctx, "lin.xiaoxi@example.cn", pw, "10.0.0.1"); stateOf(err) != identity.StateUnconfirmed {
			t.Fatalf("sign-in before confirming: %v, want the unconfirmed state", err)
		}
		if _, err := w.ids.Authenticate(ctx, "lin.xiaoxi@example.cn", "wrong password!!", "10.0.0.1"); !errors.Is(err, identity.ErrBadCredentials) {
			t.Fatalf("wrong password before confirming: %v, want ErrBadCredentials", err)
		}
		if n := w.count(t, `SELECT count(*) FROM notification_outbox o JOIN notifications n ON n.id = o.notification_id WHERE n.kind = $1`, signup.NoticeConfirm); n != 1 {
			t.Fatalf("%d confirmation e-mails in the outbox, want 1", n)
		}
		code := w.mailedCode(t, "lin.xiaoxi@example.cn", signup.NoticeConfirm)
		if n := w.count(t, `SELECT count(*) FROM notifications WHERE link LIKE $1`, "%"+code+"%"); n != 0 {
			t.Fatal("the notice stores the code in clear")
		}
		if n := w.count(t, `SELECT count(*) FROM email_confirmations WHERE code_hash = $1`, code); n != 0 {
			t.Fatal("the confirmation stores the code in clear")
		}
		state, err := w.svc.Confirm(ctx, code)
		if err != nil || state != identity.StateActive {
			t.Fatalf("Confirm = %q, %v; want active", state, err)
		}
		if _, err := w.svc.Confirm(ctx, code); !hasField(err, "code") {
			t.Fatalf("second use of the code: %v, want a field error at code", err)
		}
		p, err := w.ids.Authenticate(ctx, "lin.xiaoxi@example.cn", pw, "10.0.0.1")
		if err != nil {
			t.Fatalf("sign-in after confirming: %v", err)
		}
		u, err := w.ids.User(ctx, p, p.UserID)
		if err != nil || !u.EmailConfirmed || u.State != identity.StateActive {
			t.Fatalf("user %+v, %v: want confirmed and active", u, err)
		}
		org, err := w.ids.Organization(ctx, u.Memberships[0].OrganizationID)
		if err != nil || org.Kind != identity.KindIndividual || u.Memberships[0].Role != identity.RoleAdmin {
			t.Fatalf("organization %+v (%v), membership %+v: want the person's own individual organization", org, err, u.Memberships)
		}
	})
}

func hasField(err error, field string) bool {
	var errs validate.Errors
	return errors.As(err, &errs) && errs.Has(field)
}

func TestRegistrationRefusesBadInputWithExactFields(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db, signup.Config{})
		good := identity.Registration{Kind: identity.KindEnterprise, DisplayName: "张经理", Email: "zhang@zhitu.example.cn", Password: pw,
			CompanyName: "京华智图导航科技有限公司", USCC: "91110108551385082Q"}
		tests := []struct {
			name   string
			change func(*identity.Registration)
			fields []string
		}{
			{"kind that cannot register itself", func(in *identity.Registration) { in.Kind = identity.KindInstitution }, []string{"kind"}},
			{"no name", func(in *identity.Registration) { in.DisplayName = " " }, []string{"display_name"}},
			{"bad e-mail", func(in *identity.Registration) { in.Email = "zhang at example" }, []string{"email"}},
			{"short password", func(in *identity.Registration) { in.Password = "short" }, []string{"password"}},
			{"company without a name", func(in *identity.Registration) { in.CompanyName = "" }, []string{"company_name"}},
			{"company without a USCC", func(in *identity.Registration) { in.USCC = "" }, []string{"uscc"}},
			{"USCC with a wrong check character", func(in *identity.Registration) { in.USCC = "91110108551385082R" }, []string{"uscc"}},
			{"everything wrong at once", func(in *identity.Registration) { in.Email, in.Password, in.USCC = "", "", "123" },
				[]string{"email", "password", "uscc"}},
		}
		before := storetest.CountRows(t, db, "users", "organizations", "notifications", "events")
		for _, test := range tests {
			t.Run(test.name, func(t *testing.T) {
				in := good
				test.change(&in)
				err := w.svc.Register(ctx, in, "10.0.0.2")
				var errs validate.Errors
				if !errors.As(err, &errs) || len(errs) != len(test.fields) {
					t.Fatalf("Register = %v, want field errors at %v", err, test.fields)
				}
				for _, f := range test.fields {
					if !errs.Has(f) {
						t.Errorf("no error at %s in %v", f, errs)
					}
				}
			})
		}
		storetest.AssertUnchanged(t, db, before)
		// One account per company: the same USCC again is refused at uscc.
		if err := w.svc.Register(ctx, good, "10.0.0.3"); err != nil {
			t.Fatal(err)
		}
		again := good
		again.Email = "li@zhitu.example.cn"
		if err := w.svc.Register(ctx, again, "10.0.0.3"); !hasField(err, "uscc") {
			t.Fatalf("second account for the USCC: %v, want a field error at uscc", err)
		}
	})
}

func TestRegistrationRevealsNoAccount(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db, signup.Config{})
		users := w.count(t, `SELECT count(*) FROM users`)
		// op@example.cn belongs to the operator: the answer is the same as for a new address.
		in := identity.Registration{Kind: identity.KindIndividual, DisplayName: "冒名者", Email: "OP@example.cn", Password: pw}
		if err := w.svc.Register(ctx, in, "10.0.0.4"); err != nil {
			t.Fatalf("registering a taken address: %v, want the answer of a success", err)
		}
		if n := w.count(t, `SELECT count(*) FROM users`); n != users {
			t.Fatalf("%d users, want %d: an account was opened for a taken address", n, users)
		}
		if n := w.count(t, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = $2`, w.operator.UserID, signup.NoticeExisting); n != 1 {
			t.Fatalf("the address's owner got %d notices, want 1", n)
		}
		// Resend and reset for an unknown address answer as for a known one and send nothing.
		mails := w.count(t, `SELECT count(*) FROM notification_outbox`)
		if err := w.svc.ResendConfirmation(ctx, "nobody@example.cn", "10.0.0.4"); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.ForgotPassword(ctx, "nobody@example.cn", "10.0.0.4"); err != nil {
			t.Fatal(err)
		}
		if n := w.count(t, `SELECT count(*) FROM notification_outbox`); n != mails {
			t.Fatalf("%d e-mails queued for an unknown address", n-mails)
		}
	})
}

func TestPasswordResetByEmail(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db, signup.Config{})
		if err := w.svc.ForgotPassword(ctx, "op@example.cn", "10.0.0.5"); err != nil {
			t.Fatal(err)
		}
		// Asking locks nobody out: the password works until the code is used.
		if _, err := w.ids.Authenticate(ctx, "operator", pw, "10.0.0.5"); err != nil {
			t.Fatalf("sign-in after asking for a reset: %v", err)
		}
		code := w.mailedCode(t, "op@example.cn", signup.NoticePasswordReset)
		if err := w.ids.RedeemPasswordReset(ctx, code, "a brand new password"); err != nil {
			t.Fatalf("redeeming the e-mailed code: %v", err)
		}
		if _, err := w.ids.Authenticate(ctx, "operator", "a brand new password", "10.0.0.5"); err != nil {
			t.Fatalf("sign-in with the new password: %v", err)
		}
		if err := w.ids.RedeemPasswordReset(ctx, code, "yet another password"); !hasField(err, "code") {
			t.Fatalf("second use of the code: %v, want a field error at code", err)
		}
	})
}

func TestCompanyWaitsForTheOperatorsApproval(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db, signup.Config{})
		for i, c := range []struct {
			email, uscc string
			decision    review.Decision
			want        identity.AccountState
		}{
			{"a@shunda.example.cn", "91110000802100433B", review.Approve, identity.StateActive},
			{"b@xinheng.example.cn", "91330100716105852F", review.Reject, identity.StateRejected},
		} {
			in := identity.Registration{Kind: identity.KindEnterprise, DisplayName: "联系人", Email: c.email, Password: pw,
				CompanyName: "公司" + c.uscc[:4], USCC: c.uscc}
			if err := w.svc.Register(ctx, in, "10.0.1.1"); err != nil {
				t.Fatal(err)
			}
			state, err := w.svc.Confirm(ctx, w.mailedCode(t, c.email, signup.NoticeConfirm))
			if err != nil || state != identity.StateUnverified {
				t.Fatalf("Confirm = %q, %v; want unverified", state, err)
			}
			if _, err := w.ids.Authenticate(ctx, c.email, pw, "10.0.1.1"); stateOf(err) != identity.StateUnverified {
				t.Fatalf("sign-in while waiting: %v, want the unverified state", err)
			}
			waiting, err := w.svc.Queue().List(ctx, w.operator, "operator_review")
			if err != nil || len(waiting) != 1 || waiting[0].Company.USCC != c.uscc || !waiting[0].CanDecide(w.operator) {
				t.Fatalf("queue %+v, %v: want the company, decidable by the operator", waiting, err)
			}
			if n := w.count(t, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = $2`, w.operator.UserID,
				signup.VerificationKind+".submitted"); n != i+1 {
				t.Fatalf("the operator was told of %d verifications, want %d", n, i+1)
			}
			if _, err := w.svc.Queue().List(ctx, identity.Principal{UserID: "x"}, ""); !errors.Is(err, identity.ErrForbidden) {
				t.Fatalf("queue for a non-operator: %v, want ErrForbidden", err)
			}
			if err := w.svc.Queue().Decide(ctx, w.operator, waiting[0].ID, c.decision, "核对一致"); err != nil {
				t.Fatal(err)
			}
			_, err = w.ids.Authenticate(ctx, c.email, pw, "10.0.1.1")
			if c.want == identity.StateActive && err != nil {
				t.Fatalf("sign-in after approval: %v", err)
			} else if c.want != identity.StateActive && stateOf(err) != c.want {
				t.Fatalf("sign-in after %s: %v, want state %s", c.decision, err, c.want)
			}
		}
	})
}

func TestRegistrationsAreThrottledPerAddress(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db, signup.Config{})
		reg := func(i int, ip string) error {
			return w.svc.Register(ctx, identity.Registration{Kind: identity.KindIndividual, DisplayName: "某人",
				Email: "p" + string(rune('a'+i)) + "@example.cn", Password: pw}, ip)
		}
		for i := range 5 {
			if err := reg(i, "10.9.9.9"); err != nil {
				t.Fatalf("registration %d: %v", i+1, err)
			}
		}
		var throttled *identity.ThrottledError
		if err := reg(5, "10.9.9.9"); !errors.As(err, &throttled) {
			t.Fatalf("sixth registration from one address: %v, want a *ThrottledError", err)
		}
		if err := reg(6, "10.9.9.10"); err != nil {
			t.Fatalf("registration from another address: %v", err)
		}
		for range 3 {
			if err := w.svc.ResendConfirmation(ctx, "pa@example.cn", "10.8.8.8"); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.svc.ResendConfirmation(ctx, "pa@example.cn", "10.8.8.9"); !errors.As(err, &throttled) {
			t.Fatalf("fourth e-mail to one address: %v, want a *ThrottledError", err)
		}
	})
}

func TestCompaniesAndPersonsCatalogNothing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db, signup.Config{})
		in := identity.Registration{Kind: identity.KindIndividual, DisplayName: "周子航", Email: "zhou@example.cn", Password: pw}
		if err := w.svc.Register(ctx, in, "10.0.2.1"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Confirm(ctx, w.mailedCode(t, "zhou@example.cn", signup.NoticeConfirm)); err != nil {
			t.Fatal(err)
		}
		p, err := w.ids.Authenticate(ctx, "zhou@example.cn", pw, "10.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		own := p.Memberships[0].OrganizationID
		cat := catalog.NewService(db)
		before := storetest.CountRows(t, db, "resources")
		res := catalog.Input{TitleZh: "我的数据", DescriptionZh: "个人上传的数据。", Subject: "04", Industry: "G", Keywords: []string{"公交"},
			Formats: []string{"CSV"}, Items: []catalog.Item{{Name: "line_no", LabelZh: "线路编号", Type: catalog.TypeText, Required: true, Key: true}},
			UpdateFrequency: catalog.FreqMonthly, ShareType: catalog.ShareUnconditional, OpenType: catalog.OpenUnconditional,
			Classification: catalog.ClassGeneral, Level: 1}
		_, err = cat.Create(ctx, p, own, res)
		var errs validate.Errors
		if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Field != "organization_id" || errs[0].Code != catalog.CodeNotPublicBody {
			t.Fatalf("a person's resource: %v, want refused at organization_id with %s", err, catalog.CodeNotPublicBody)
		}
		org, _ := w.ids.Organization(ctx, own)
		if catalog.CanCreateIn(p, org) {
			t.Error("CanCreateIn offers a person to catalog in their own organization")
		}
		storetest.AssertUnchanged(t, db, before)
	})
}

package deid_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"dataport/internal/assess"
	"dataport/internal/assess/assesstest"
	"dataport/internal/catalog"
	"dataport/internal/classify"
	"dataport/internal/deid"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"
)

// The grading and profile services on real stores: a scan is graded and
// stored with an event, an override needs a reason and the right person,
// profiles are kept per resource with their key hidden, and the
// enforcement rules use both.

type fixture struct {
	db                         *store.DB
	cat                        *catalog.Service
	grades                     *classify.Service
	profiles                   *deid.Service
	assessments                *assess.Service
	org                        identity.Organization
	operator, admin, editor, x identity.Principal
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	ctx := context.Background()
	ids := identity.NewService(db)
	f := &fixture{db: db, cat: catalog.NewService(db)}
	f.grades = classify.NewService(db, f.cat, nil, classify.DefaultPolicy)
	f.profiles = deid.NewService(db, f.cat)
	f.grades.SetProfiles(f.profiles)
	f.assessments = assess.New(db, ids, f.cat, f.grades, assess.Config{})
	f.grades.SetAssessments(f.assessments)
	var err error
	if f.org, err = ids.CreateOrganization(ctx, identity.System, identity.OrgInput{Kind: identity.KindOperator, NameZh: "北京市民政局", Code: "BJMZJ"}); err != nil {
		t.Fatal(err)
	}
	other, err := ids.CreateOrganization(ctx, identity.System, identity.OrgInput{Kind: identity.KindOperator, NameZh: "北京市交通委员会", Code: "BJJTW"})
	if err != nil {
		t.Fatal(err)
	}
	user := func(name string, role identity.PlatformRole, ms ...identity.Membership) identity.Principal {
		in := identity.UserInput{Username: name, DisplayName: name, Password: "a long enough password", Memberships: ms}
		if role != "" {
			in.PlatformRoles = []identity.PlatformRole{role}
		}
		u, err := ids.CreateUser(ctx, identity.System, in)
		if err != nil {
			t.Fatal(err)
		}
		p, err := ids.Principal(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	f.operator = user("operator", identity.PlatformOperator)
	f.admin = user("admin", "", identity.Membership{OrganizationID: f.org.ID, Role: identity.RoleAdmin})
	f.editor = user("editor", "", identity.Membership{OrganizationID: f.org.ID, Role: identity.RoleEditor})
	f.x = user("outsider", "", identity.Membership{OrganizationID: other.ID, Role: identity.RoleEditor})
	return f
}

func (f *fixture) resource(t *testing.T) catalog.Resource {
	r, err := f.cat.Create(context.Background(), f.editor, f.org.ID, catalog.Input{
		TitleZh: "婚姻登记信息", DescriptionZh: "婚姻登记当事人信息。", Subject: "13", UpdateFrequency: catalog.FreqMonthly,
		Items:     []catalog.Item{{Name: "name", LabelZh: "姓名", Type: catalog.TypeText}, {Name: "idno", LabelZh: "身份证号", Type: catalog.TypeText}},
		ShareType: catalog.ShareUnconditional, OpenType: catalog.OpenUnconditional,
		Classification: catalog.ClassGeneral, Level: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func scanOf(rows [][]string, header ...string) classify.Result {
	s := classify.NewScanner(header)
	for _, r := range rows {
		s.Add(r)
	}
	return s.Result()
}

func events(t *testing.T, db *store.DB, id, typ string) []store.Event {
	evs, err := db.Events(context.Background(), store.EventFilter{SubjectKind: "resource", SubjectID: id, Type: typ})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestGradingAndEnforcement(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		r := f.resource(t)
		rows := [][]string{{"张伟", "11010519491231002X"}, {"王芳", "110101199003070017"}, {"李娜", "110101199003071379"}}
		// Before any scan the declared grade applies: general, level 1, opens as is.
		req, err := f.grades.Requirement(ctx, r, classify.UseOpen, classify.PathDownload)
		if err != nil || !req.Allowed || req.ProfileID != "" {
			t.Fatalf("ungraded: %+v %v", req, err)
		}
		if _, err := f.grades.Grade(ctx, f.x, r.ID, scanOf(rows, "姓名", "身份证号"), "upload"); !errors.Is(err, identity.ErrForbidden) && !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an outsider graded a draft: %v", err)
		}
		g, err := f.grades.Grade(ctx, f.editor, r.ID, scanOf(rows, "姓名", "身份证号"), "upload")
		if err != nil {
			t.Fatal(err)
		}
		if g.Class != catalog.ClassGeneral || g.Level != 3 || !g.SensitivePersonalInfo || g.Version != 1 {
			t.Fatalf("graded %+v", g.Grading)
		}
		evs := events(t, db, r.ID, "resource.graded")
		if len(evs) != 1 || strings.Contains(string(evs[0].Payload), "11010519491231002X") || strings.Contains(string(evs[0].Payload), "张伟") {
			t.Fatalf("graded events %v", evs)
		}
		// Personal information: no unconditional opening without a profile on the path.
		req, _ = f.grades.Requirement(ctx, r, classify.UseOpen, classify.PathDownload)
		if req.Allowed || req.PersonalInfo != true {
			t.Errorf("opening personal information without a profile: %+v", req)
		}
		if err := f.grades.OpenCheck(ctx, r); !errors.Is(err, classify.ErrEnforcement) {
			t.Errorf("OpenCheck = %v", err)
		}
		// A profile on download only: download is allowed through it, the API path is not.
		in := deid.ProfileInput{Name: "公开版", Paths: []classify.Path{classify.PathDownload}, Profile: deid.Profile{
			K: 2, Columns: map[string]deid.ColumnOp{"身份证号": {Op: deid.OpPseudonymize}, "姓名": {Op: deid.OpMask, KeepFirst: 1}}}}
		sp, err := f.profiles.Create(ctx, f.editor, r.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		req, _ = f.grades.Requirement(ctx, r, classify.UseOpen, classify.PathDownload)
		if !req.Allowed || req.ProfileID != sp.ID {
			t.Errorf("download with a profile: %+v", req)
		}
		if req, _ = f.grades.Requirement(ctx, r, classify.UseOpen, classify.PathAPI); req.Allowed {
			t.Errorf("API without a profile: %+v", req)
		}
		if err := f.grades.OpenCheck(ctx, r); err == nil || !strings.Contains(err.Error(), "api") {
			t.Errorf("OpenCheck with download covered only = %v", err)
		}
		in.Paths = nil // all paths
		if _, err := f.profiles.Update(ctx, f.editor, sp.ID, in); err != nil {
			t.Fatal(err)
		}
		if err := f.grades.OpenCheck(ctx, r); err != nil {
			t.Errorf("OpenCheck with every path covered = %v", err)
		}
		// Applying the stored profile uses its own secret key.
		out, _, err := f.profiles.Apply(ctx, sp.ID, deid.Table{Header: []string{"姓名", "身份证号"}, Rows: rows})
		if err != nil || out.Rows[0][0] != "张*" || len(out.Rows[0][1]) != 16 || out.Rows[0][1] == rows[0][1] {
			t.Errorf("apply: %v %v", out.Rows, err)
		}
		raw, _ := json.Marshal(sp)
		if strings.Contains(string(raw), "secret") {
			t.Errorf("a stored profile's JSON shows its secret: %s", raw)
		}
		// Overrides: a reason is required; the institution's admin may only raise the grade.
		_, err = f.grades.Override(ctx, f.operator, r.ID, classify.OverrideInput{Class: catalog.ClassGeneral, Level: 2})
		var verrs validate.Errors
		if !errors.As(err, &verrs) || !verrs.Has("reason") {
			t.Errorf("override without a reason: %v", err)
		}
		if _, err := f.grades.Override(ctx, f.admin, r.ID, classify.OverrideInput{Class: catalog.ClassGeneral, Level: 2, Reason: "只含脱敏后的号码"}); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("an institution admin lowered the grade: %v", err)
		}
		g, err = f.grades.Override(ctx, f.admin, r.ID, classify.OverrideInput{Class: catalog.ClassImportant, Level: 4, Reason: "涉及特殊群体，按重要数据管理"})
		if err != nil || g.Class != catalog.ClassImportant || g.Override == nil || g.Computed.Level != 3 {
			t.Fatalf("override: %+v %v", g, err)
		}
		ov := events(t, db, r.ID, "resource.grading_overridden")
		if len(ov) != 1 || strings.Contains(string(ov[0].Payload), "特殊群体") || !strings.Contains(string(ov[0].Payload), "reason_sha256") {
			t.Errorf("override events %v", ov)
		}
		// Important data: sharing needs a completed risk assessment at its
		// grade, and the operator's approval.
		if req, _ := f.grades.Requirement(ctx, r, classify.UseShare, classify.PathAPI); req.Allowed || !strings.Contains(strings.Join(req.Reasons, ";"), "risk assessment") {
			t.Errorf("share important data without a risk assessment: %+v", req)
		}
		assesstest.Complete(t, f.assessments, f.editor, r.ID)
		if req, _ := f.grades.Requirement(ctx, r, classify.UseShare, classify.PathAPI); !req.Allowed || !req.OperatorApproval {
			t.Errorf("share important data: %+v", req)
		}
		// A new scan that is less strict than the override keeps it.
		g, err = f.grades.Grade(ctx, f.editor, r.ID, scanOf(rows, "姓名", "身份证号"), "load v2")
		if err != nil || g.Class != catalog.ClassImportant || g.Override == nil || g.Version != 3 {
			t.Errorf("rescan after override: %+v %v", g, err)
		}
		got, err := f.grades.Get(ctx, f.editor, r.ID)
		if err != nil || got.Override == nil || got.Override.Reason != "涉及特殊群体，按重要数据管理" || len(got.Columns) != 2 {
			t.Errorf("get: %+v %v", got, err)
		}
		if err := f.profiles.Delete(ctx, f.x, sp.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an outsider deleted a profile: %v", err)
		}
		if err := f.profiles.Delete(ctx, f.editor, sp.ID); err != nil {
			t.Fatal(err)
		}
		if list, _ := f.profiles.List(ctx, f.editor, r.ID); len(list) != 0 {
			t.Errorf("profiles after delete: %v", list)
		}
	})
}

func TestEnforceCoreData(t *testing.T) {
	r := catalog.Resource{}
	r.Classification, r.Level = catalog.ClassCore, 4
	req := classify.DefaultPolicy.Enforce(classify.EnforcementInput{Resource: r, Use: classify.UseOpen, Path: classify.PathDownload,
		Profiles: []classify.ProfileRef{{ID: "p"}}})
	if req.Allowed {
		t.Errorf("core data opened: %+v", req)
	}
	// A graded level above the policy's limit needs a profile even without personal information.
	r.Classification, r.Level = catalog.ClassGeneral, 1
	g := &classify.Grading{Class: catalog.ClassGeneral, Level: 3}
	if req := classify.DefaultPolicy.Enforce(classify.EnforcementInput{Resource: r, Grading: g, Use: classify.UseOpen, Path: classify.PathSQL}); req.Allowed || req.Level != 3 {
		t.Errorf("level 3 opened as is: %+v", req)
	}
}

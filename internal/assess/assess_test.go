package assess_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/assess"
	"dataport/internal/assess/assesstest"
	"dataport/internal/catalog"
	"dataport/internal/classify"
	"dataport/internal/identity"
	"dataport/internal/notify"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"

	"github.com/google/go-cmp/cmp"
)

type fixture struct {
	w                             *accesstest.World
	grades                        *classify.Service
	svc                           *assess.Service
	security, regulator, outsider identity.Principal
}

func newFixture(t *testing.T, db *store.DB) fixture {
	w := accesstest.New(t, db)
	grades, svc := assesstest.Rules(db, w.Cat, w.IDs)
	return fixture{w: w, grades: grades, svc: svc,
		security:  w.NewUser(t, "security", identity.PlatformSecurity),
		regulator: w.NewUser(t, "regulator", identity.PlatformRegulator),
		outsider:  w.RequesterAdmin}
}

var tables = []string{"risk_assessments", "risk_assessment_tasks", "events", "notifications"}

// noticeKinds lists the kinds of p's notices about assessments, newest first.
func noticeKinds(t *testing.T, db *store.DB, p identity.Principal) []string {
	t.Helper()
	notes, err := notify.NewService(db).List(context.Background(), p, false, 50)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, n := range notes {
		if strings.HasPrefix(n.Kind, "assessment.") {
			out = append(out, n.Kind)
		}
	}
	return out
}

// fields returns the fields of a validation error, or fails.
func fields(t *testing.T, err error) []string {
	t.Helper()
	var errs validate.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v, want field errors", err)
	}
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Field
	}
	return out
}

// TestAssessmentLifecycle takes an assessment of the important resource
// from draft to completed: bad input is refused naming each field and
// changes nothing, the risks are computed on save, completion needs every
// high risk treated and every reducing finding a task, the grade assessed
// is recorded, events name the resource and carry no text, and the next
// completed assessment supersedes it. Who may do what is checked on the way.
func TestAssessmentLifecycle(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		w := f.w
		before := storetest.CountRows(t, db, tables...)
		_, err := f.svc.Create(ctx, w.ProviderEditor, assess.NewInput{Scope: "everything", Title: ""})
		if diff := cmp.Diff([]string{"scope", "title"}, fields(t, err)); diff != "" {
			t.Errorf("create fields (-want +got):\n%s", diff)
		}
		_, err = f.svc.Create(ctx, w.ProviderEditor, assess.NewInput{ResourceID: "nope", Title: "评估"})
		if diff := cmp.Diff([]string{"resource_id"}, fields(t, err)); diff != "" {
			t.Errorf("unknown resource (-want +got):\n%s", diff)
		}
		if _, err := f.svc.Create(ctx, f.outsider, assess.NewInput{ResourceID: w.Important.ID, Title: "评估"}); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("another institution's admin assesses: %v", err)
		}
		if _, err := f.svc.Create(ctx, f.regulator, assess.NewInput{ResourceID: w.Important.ID, Title: "评估"}); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("the regulator assesses: %v", err)
		}
		storetest.AssertUnchanged(t, db, before)

		a, err := f.svc.Create(ctx, w.ProviderEditor, assess.NewInput{ResourceID: w.Important.ID, Title: "重点车辆实时定位年度评估"})
		if err != nil || a.State != assess.StateDraft || a.Class != catalog.ClassImportant || a.Level != 3 || a.OrgID != w.Provider.ID {
			t.Fatalf("create: %+v %v", a, err)
		}
		_, err = f.svc.Create(ctx, f.security, assess.NewInput{ResourceID: w.Important.ID, Title: "第二份"})
		if diff := cmp.Diff([]string{"resource_id"}, fields(t, err)); diff != "" {
			t.Errorf("second draft (-want +got):\n%s", diff)
		}

		bad := assesstest.Items()
		bad.Assets = append(bad.Assets, assess.Asset{Code: "A1", Name: "重复", Kind: "data", Value: 6})
		bad.Vulnerabilities[0].Threat = "T9"
		bad.Measures[0].Vulnerabilities = []string{"V7"}
		bad.Findings[0].Treatment = "ignore"
		before = storetest.CountRows(t, db, tables...)
		_, err = f.svc.Save(ctx, w.ProviderEditor, a.ID, assess.SaveInput{Title: a.Title, Items: bad})
		want := []string{"items.assets[1].code", "items.assets[1].value", "items.vulnerabilities[0].threat",
			"items.measures[0].vulnerabilities[0]", "items.findings[0].treatment"}
		if diff := cmp.Diff(want, fields(t, err)); diff != "" {
			t.Errorf("save fields (-want +got):\n%s", diff)
		}
		storetest.AssertUnchanged(t, db, before)

		// A very high risk: untreated, and then treated by reducing it
		// without a task yet.
		items := assesstest.Items()
		items.Vulnerabilities = append(items.Vulnerabilities, assess.Vulnerability{Code: "V2", Name: "备份未加密",
			Asset: "A1", Threat: "T1", Severity: 5})
		items.Threats[0].Likelihood = 4
		a, err = f.svc.Save(ctx, w.ProviderEditor, a.ID, assess.SaveInput{Title: a.Title, Items: items, Conclusion: "需整改后共享"})
		if err != nil || len(a.Risks) != 2 || a.Risks[1].Level != assess.LevelVeryHigh || a.RiskLevel != assess.LevelVeryHigh {
			t.Fatalf("save: %+v %v", a.Risks, err)
		}
		_, err = f.svc.Complete(ctx, w.ProviderEditor, a.ID)
		if diff := cmp.Diff([]string{"risks[1]"}, fields(t, err)); diff != "" {
			t.Errorf("complete with an untreated risk (-want +got):\n%s", diff)
		}
		items.Findings = append(items.Findings, assess.Finding{Code: "F2", Text: "备份加密", Risks: []string{"V2"}, Treatment: "reduce"})
		if _, err = f.svc.Save(ctx, w.ProviderEditor, a.ID, assess.SaveInput{Title: a.Title, Items: items, Conclusion: "需整改后共享"}); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.Complete(ctx, w.ProviderEditor, a.ID)
		if diff := cmp.Diff([]string{"items.findings[1]"}, fields(t, err)); diff != "" {
			t.Errorf("complete without the finding's task (-want +got):\n%s", diff)
		}

		today := time.Now().In(time.FixedZone("CST", 8*3600))
		_, err = f.svc.AddTask(ctx, w.ProviderEditor, a.ID, assess.TaskInput{Finding: "F9", Title: "备份加密",
			OwnerUserID: w.RequesterAdmin.UserID, Deadline: today.AddDate(0, 0, -1).Format(time.DateOnly)})
		if diff := cmp.Diff([]string{"finding", "deadline", "owner_user_id"}, fields(t, err)); diff != "" {
			t.Errorf("task fields (-want +got):\n%s", diff)
		}
		task, err := f.svc.AddTask(ctx, w.ProviderEditor, a.ID, assess.TaskInput{Finding: "F2", Title: "备份加密",
			OwnerUserID: w.ProviderAdmin.UserID, Deadline: today.AddDate(0, 1, 0).Format(time.DateOnly)})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"assessment.task_assigned"}, noticeKinds(t, db, w.ProviderAdmin)); diff != "" {
			t.Errorf("the owner's notices (-want +got):\n%s", diff)
		}

		// Until completed, the important resource is not shared.
		if rq, _ := f.grades.Requirement(ctx, w.Important, classify.UseShare, classify.PathAPI); rq.Allowed {
			t.Errorf("shared with a draft assessment: %+v", rq)
		}
		if _, err := f.svc.Complete(ctx, f.regulator, a.ID); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("the regulator completes: %v", err)
		}
		done, err := f.svc.Complete(ctx, w.ProviderEditor, a.ID)
		if err != nil || done.State != assess.StateCompleted || done.CompletedAt == nil || done.ValidUntil == nil ||
			done.ValidUntil.Sub(*done.CompletedAt) < 365*24*time.Hour || done.CompletedBy != w.ProviderEditor.UserID {
			t.Fatalf("complete: %+v %v", done, err)
		}
		if rq, _ := f.grades.Requirement(ctx, w.Important, classify.UseShare, classify.PathAPI); !rq.Allowed || !rq.OperatorApproval {
			t.Errorf("not shared after the assessment: %+v", rq)
		}
		evs, _ := db.Events(ctx, store.EventFilter{SubjectKind: "resource", SubjectID: w.Important.ID, Type: "assessment.completed"})
		if len(evs) != 1 || strings.Contains(string(evs[0].Payload), "备份") || !strings.Contains(string(evs[0].Payload), `"assessment_id":"`+a.ID) {
			t.Errorf("completed events: %+v", evs)
		}
		if _, err := f.svc.Save(ctx, w.ProviderEditor, a.ID, assess.SaveInput{Title: "改"}); !errors.Is(err, assess.ErrState) {
			t.Errorf("edit a completed assessment: %v", err)
		}

		// Readers: the regulator and the security officer read; another
		// institution sees nothing; the owner marks the task done.
		for _, p := range []identity.Principal{f.regulator, f.security, w.Auditor, w.ProviderAdmin} {
			if got, err := f.svc.Get(ctx, p, a.ID); err != nil || len(got.Tasks) != 1 {
				t.Errorf("%s reads: %v", p.Username, err)
			}
		}
		if _, err := f.svc.Get(ctx, f.outsider, a.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another institution reads: %v", err)
		}
		if list, _, _ := f.svc.List(ctx, f.outsider, assess.Filter{}); len(list) != 0 {
			t.Errorf("another institution lists %d", len(list))
		}
		if list, _, _ := f.svc.List(ctx, f.regulator, assess.Filter{State: assess.StateCompleted}); len(list) != 1 {
			t.Errorf("the regulator lists %d completed", len(list))
		}
		if _, err := f.svc.CompleteTask(ctx, f.outsider, a.ID, task.ID, ""); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another institution completes the task: %v", err)
		}
		if _, err := f.svc.CompleteTask(ctx, w.ProviderAdmin, store.NewID(), task.ID, ""); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the task under another assessment: %v", err)
		}
		if got, err := f.svc.CompleteTask(ctx, w.ProviderAdmin, a.ID, task.ID, "已启用备份加密"); err != nil || got.DoneAt == nil {
			t.Errorf("the owner completes the task: %+v %v", got, err)
		}
		if _, err := f.svc.CompleteTask(ctx, w.ProviderAdmin, a.ID, task.ID, ""); !errors.Is(err, assess.ErrState) {
			t.Errorf("done twice: %v", err)
		}

		// The next completed assessment supersedes this one.
		next := assesstest.Complete(t, f.svc, f.security, w.Important.ID)
		first, _ := f.svc.Get(ctx, f.security, a.ID)
		if first.State != assess.StateSuperseded || first.EndReason != assess.EndSuperseded || first.EndedAt == nil {
			t.Errorf("the first after the next: %+v", first)
		}
		if c, _ := f.svc.Current(ctx, w.Important.ID); c == nil || c.ID != next.ID {
			t.Errorf("current = %+v, want %s", c, next.ID)
		}
	})
}

// TestSystemAssessment assesses an information system of an institution:
// it names the system and the institution, records no grade and its events
// name the assessment.
func TestSystemAssessment(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		_, err := f.svc.Create(ctx, f.security, assess.NewInput{Scope: assess.ScopeSystem, Title: "系统评估", OrgID: "nope"})
		if diff := cmp.Diff([]string{"system_name", "org_id"}, fields(t, err)); diff != "" {
			t.Errorf("fields (-want +got):\n%s", diff)
		}
		a, err := f.svc.Create(ctx, f.security, assess.NewInput{Scope: assess.ScopeSystem, Title: "公交一卡通系统评估",
			SystemName: "公共交通一卡通清分结算系统", OrgID: f.w.Provider.ID})
		if err != nil || a.Class != "" || a.ResourceID != "" {
			t.Fatalf("create: %+v %v", a, err)
		}
		if _, err := f.svc.Save(ctx, f.w.ProviderAdmin, a.ID, assess.SaveInput{Title: a.Title, Items: assesstest.Items(), Conclusion: "可控"}); err != nil {
			t.Fatal(err)
		}
		done, err := f.svc.Complete(ctx, f.w.ProviderAdmin, a.ID)
		if err != nil || done.State != assess.StateCompleted {
			t.Fatalf("complete: %+v %v", done, err)
		}
		evs, _ := db.Events(ctx, store.EventFilter{SubjectKind: "risk_assessment", SubjectID: a.ID})
		if len(evs) != 3 {
			t.Errorf("%d events on the assessment, want created, saved, completed", len(evs))
		}
		var payload map[string]any
		if err := json.Unmarshal(evs[0].Payload, &payload); err != nil || payload["items_sha256"] == "" || payload["vulnerabilities"] != 1.0 {
			t.Errorf("payload %s", evs[0].Payload)
		}
	})
}

// TestDecisionPointFollowsAssessments reads the important resource under a
// share grant through two decision points following the events (this
// process and another replica): denied without an assessment, allowed
// once it is completed, denied again when it lapses (Tick after its
// year) and when the resource's grade changes — each within a watch
// interval, as the events name the resource.
func TestDecisionPointFollowsAssessments(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		f := newFixture(t, db)
		w := f.w
		points := make([]*access.Service, 2)
		for i := range points {
			points[i] = access.New(db, w.Cat, access.Config{Rules: f.grades, WatchInterval: 10 * time.Millisecond})
			t.Cleanup(points[i].Close)
			if err := points[i].Start(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := points[0].GrantDirectly(ctx, w.Operator, access.NewGrant{GranteeKind: access.GranteeOrganization,
			GranteeID: w.Requester.ID, ResourceIDs: []string{w.Important.ID}, Purpose: "交通规划研究"}); err != nil {
			t.Fatal(err)
		}
		read := func(p *access.Service) access.Decision {
			d, err := p.Decide(ctx, access.Request{Subject: w.RequesterMember, ResourceID: w.Important.ID, Action: access.ActionRead,
				Channel: access.ChannelAPIRows})
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		expect := func(what string, allow bool) {
			t.Helper()
			for i, p := range points {
				deadline := time.Now().Add(5 * time.Second)
				d := read(p)
				ok := func() bool { return d.Allow == allow && (allow || d.Reason == access.ReasonClassified) }
				for !ok() && time.Now().Before(deadline) {
					time.Sleep(5 * time.Millisecond)
					d = read(p)
				}
				if d.Allow != allow || (!allow && (d.Reason != access.ReasonClassified || !strings.Contains(d.Message, "risk assessment"))) {
					t.Fatalf("%s, decision point %d: %v %s %s", what, i, d.Allow, d.Reason, d.Message)
				}
			}
		}
		expect("without an assessment", false)
		a := assesstest.Complete(t, f.svc, w.ProviderEditor, w.Important.ID)
		expect("after the assessment", true)

		if res, err := f.svc.Tick(ctx, time.Now()); err != nil || res.Lapsed != 0 {
			t.Fatalf("tick now: %+v %v", res, err)
		}
		res, err := f.svc.Tick(ctx, a.ValidUntil.Add(time.Second))
		if err != nil || res.Lapsed != 1 {
			t.Fatalf("tick after its year: %+v %v", res, err)
		}
		expect("after it lapsed", false)
		got, _ := f.svc.Get(ctx, f.security, a.ID)
		if got.State != assess.StateLapsed || got.EndReason != assess.EndExpired {
			t.Errorf("lapsed: %+v", got)
		}
		if diff := cmp.Diff([]string{"assessment.lapsed"}, noticeKinds(t, db, w.ProviderEditor)); diff != "" {
			t.Errorf("the institution's notices (-want +got):\n%s", diff)
		}

		assesstest.Complete(t, f.svc, w.ProviderEditor, w.Important.ID)
		expect("after the next assessment", true)
		scan := classify.NewScanner([]string{"station", "district"})
		scan.Add([]string{"东直门", "东城区"})
		if _, err := f.grades.Grade(ctx, w.ProviderEditor, w.Important.ID, scan.Result(), "upload"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.grades.Override(ctx, w.Operator, w.Important.ID, classify.OverrideInput{Class: catalog.ClassImportant, Level: 4,
			Reason: "涉及重点车辆实时位置，按4级管理"}); err != nil {
			t.Fatal(err)
		}
		expect("after the grade rose", false)
		if res, err := f.svc.Tick(ctx, time.Now()); err != nil || res.Lapsed != 1 {
			t.Fatalf("tick after the grade changed: %+v %v", res, err)
		}
		list, _, _ := f.svc.List(ctx, f.security, assess.Filter{ResourceID: w.Important.ID, State: assess.StateLapsed})
		if len(list) != 2 || list[0].EndReason != assess.EndGradeChanged {
			t.Errorf("lapsed assessments %+v", list)
		}
	})
}

// TestTickRemindsOverdueTasks reminds the owner of an overdue remediation
// task, and the institution's editors, once; a task done is not reminded;
// the schedule lists the resource due soon before its year ends.
func TestTickRemindsOverdueTasks(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		w := f.w
		a := assesstest.Complete(t, f.svc, w.ProviderEditor, w.Important.ID)
		today := time.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
		late, err := f.svc.AddTask(ctx, w.ProviderEditor, a.ID, assess.TaskInput{Title: "接口改造", OwnerUserID: w.ProviderAdmin.UserID, Deadline: today})
		if err != nil {
			t.Fatal(err)
		}
		done, err := f.svc.AddTask(ctx, w.ProviderEditor, a.ID, assess.TaskInput{Title: "制度修订", OwnerUserID: f.security.UserID, Deadline: today})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.CompleteTask(ctx, f.security, a.ID, done.ID, "已修订"); err != nil {
			t.Fatal(err)
		}
		if res, err := f.svc.Tick(ctx, time.Now()); err != nil || res.Reminded != 0 {
			t.Fatalf("tick on the deadline: %+v %v", res, err)
		}
		later := time.Now().Add(72 * time.Hour)
		for i, want := range []int{1, 0} {
			if res, err := f.svc.Tick(ctx, later); err != nil || res.Reminded != want {
				t.Fatalf("tick %d after the deadline: %+v %v, want %d reminded", i, res, err, want)
			}
		}
		if diff := cmp.Diff([]string{"assessment.task_overdue", "assessment.task_assigned"}, noticeKinds(t, db, w.ProviderAdmin)); diff != "" {
			t.Errorf("the owner's notices (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"assessment.task_overdue"}, noticeKinds(t, db, w.ProviderEditor)); diff != "" {
			t.Errorf("the editor's notices (-want +got):\n%s", diff)
		}
		got, _ := f.svc.Get(ctx, f.security, a.ID)
		if !got.Tasks[0].Overdue(later) || got.Tasks[0].ID != late.ID || got.Tasks[0].RemindedAt == nil || got.Tasks[1].Overdue(later) {
			t.Errorf("tasks %+v", got.Tasks)
		}

		sched, err := f.svc.Schedule(ctx, f.security)
		if err != nil || len(sched) != 1 || sched[0].Due != assess.DueCurrent || sched[0].Current != a.ID {
			t.Fatalf("schedule %+v %v", sched, err)
		}
		soon := assess.New(db, w.IDs, w.Cat, f.grades, assess.Config{Now: func() time.Time { return a.ValidUntil.Add(-24 * time.Hour) }})
		if sched, _ := soon.Schedule(ctx, w.ProviderAdmin); len(sched) != 1 || sched[0].Due != assess.DueSoon {
			t.Errorf("a day before it lapses: %+v", sched)
		}
		if sched, _ := f.svc.Schedule(ctx, f.outsider); len(sched) != 0 {
			t.Errorf("another institution's schedule: %+v", sched)
		}
	})
}

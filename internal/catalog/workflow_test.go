package catalog_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"github.com/google/go-cmp/cmp"
)

// step is one attempted action on a resource in a lifecycle test.
type step struct {
	name     string
	actor    identity.Principal
	action   string           // update, submit, review or retire
	decision catalog.Decision // for review
	text     string           // review comment, retire reason, or new title_zh for update
	wantErr  error
	fields   []string
	want     catalog.Status // the status after a successful step
}

func (f *fixture) do(ctx context.Context, id string, s step) (catalog.Resource, error) {
	switch s.action {
	case "update":
		return f.cat.Update(ctx, s.actor, id, inputWith(func(in *catalog.Input) { in.TitleZh = s.text }))
	case "submit":
		return f.cat.Submit(ctx, s.actor, id)
	case "review":
		return f.cat.Review(ctx, s.actor, id, s.decision, s.text)
	case "retire":
		return f.cat.Retire(ctx, s.actor, id, s.text)
	}
	panic("unknown action " + s.action)
}

// wantEvent is the event type a successful step emits.
func (s step) wantEvent() string {
	switch {
	case s.action == "update":
		return "resource.updated"
	case s.action == "submit":
		return "resource.submitted"
	case s.action == "retire":
		return "resource.retired"
	case s.decision == catalog.Approve:
		return "resource.published"
	default:
		return "resource.returned"
	}
}

func TestLifecycle(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		r, err := f.cat.Create(ctx, f.editorA, f.orgA.ID, validInput())
		if err != nil {
			t.Fatal(err)
		}
		const comment = "请补充票价数据项的计量单位"
		steps := []step{
			{name: "member cannot submit (nor see the draft)", actor: f.memberA, action: "submit", wantErr: store.ErrNotFound},
			{name: "operator cannot see a draft", actor: f.operator, action: "submit", wantErr: store.ErrNotFound},
			{name: "a draft cannot be reviewed", actor: f.sysadmin, action: "review", decision: catalog.Approve, wantErr: catalog.ErrState},
			{name: "a draft cannot be retired", actor: f.sysadmin, action: "retire", text: "不再需要", wantErr: catalog.ErrState},
			{name: "editor submits", actor: f.editorA, action: "submit", want: catalog.StatusSubmitted},
			{name: "submit twice", actor: f.editorA, action: "submit", wantErr: catalog.ErrState},
			{name: "edit while submitted", actor: f.editorA, action: "update", text: "新标题", wantErr: catalog.ErrState},
			{name: "retire while submitted", actor: f.operator, action: "retire", text: "不再需要", wantErr: catalog.ErrState},
			{name: "editor cannot review", actor: f.editorA, action: "review", decision: catalog.Approve, wantErr: identity.ErrForbidden},
			{name: "admin of the institution cannot review", actor: f.adminA, action: "review", decision: catalog.Approve, wantErr: identity.ErrForbidden},
			{name: "regulator sees but cannot review", actor: f.regulator, action: "review", decision: catalog.Approve, wantErr: identity.ErrForbidden},
			{name: "editor of another institution cannot see it", actor: f.editorB, action: "review", decision: catalog.Approve, wantErr: store.ErrNotFound},
			{name: "anonymous cannot see it", actor: identity.Anonymous, action: "review", decision: catalog.Approve, wantErr: store.ErrNotFound},
			{name: "return needs a comment", actor: f.operator, action: "review", decision: catalog.Return, text: "  ", fields: []string{"comment"}},
			{name: "unknown decision", actor: f.operator, action: "review", decision: "maybe", text: "x", fields: []string{"decision"}},
			{name: "operator returns", actor: f.operator, action: "review", decision: catalog.Return, text: comment, want: catalog.StatusReturned},
			{name: "a returned resource cannot be approved", actor: f.operator, action: "review", decision: catalog.Approve, wantErr: catalog.ErrState},
			{name: "editor edits after return", actor: f.editorA, action: "update", text: "公交线路基础信息（修订）", want: catalog.StatusReturned},
			{name: "editor resubmits", actor: f.editorA, action: "submit", want: catalog.StatusSubmitted},
			{name: "operator approves", actor: f.operator, action: "review", decision: catalog.Approve, want: catalog.StatusPublished},
			{name: "approve twice", actor: f.operator, action: "review", decision: catalog.Approve, wantErr: catalog.ErrState},
			{name: "a published resource cannot be returned", actor: f.operator, action: "review", decision: catalog.Return, text: "x", wantErr: catalog.ErrState},
			{name: "a published resource cannot be edited", actor: f.editorA, action: "update", text: "新标题", wantErr: catalog.ErrState},
			{name: "a published resource cannot be submitted", actor: f.editorA, action: "submit", wantErr: catalog.ErrState},
			{name: "retire needs a reason", actor: f.adminA, action: "retire", text: " ", fields: []string{"reason"}},
			{name: "editor cannot retire", actor: f.editorA, action: "retire", text: "停止更新", wantErr: identity.ErrForbidden},
			{name: "regulator cannot retire", actor: f.regulator, action: "retire", text: "停止更新", wantErr: identity.ErrForbidden},
			{name: "editor of another institution cannot retire", actor: f.editorB, action: "retire", text: "停止更新", wantErr: identity.ErrForbidden},
			{name: "admin of the institution retires", actor: f.adminA, action: "retire", text: "已由新资源替代", want: catalog.StatusRetired},
			{name: "retire twice", actor: f.operator, action: "retire", text: "停止更新", wantErr: catalog.ErrState},
			{name: "a retired resource cannot be submitted", actor: f.editorA, action: "submit", wantErr: catalog.ErrState},
			{name: "a retired resource cannot be reviewed", actor: f.operator, action: "review", decision: catalog.Approve, wantErr: catalog.ErrState},
			{name: "a retired resource cannot be edited", actor: f.editorA, action: "update", text: "新标题", wantErr: catalog.ErrState},
		}
		wantEvents := []string{"resource.created"}
		for _, s := range steps {
			t.Run(s.name, func(t *testing.T) {
				before, counts := f.get(t, r.ID), countRows(t, db, catalogTables...)
				got, err := f.do(ctx, r.ID, s)
				if s.wantErr != nil || s.fields != nil {
					checkErr(t, err, s.wantErr, s.fields)
					assertUnchanged(t, db, counts)
					if diff := cmp.Diff(before, f.get(t, r.ID)); diff != "" {
						t.Errorf("refused step changed the resource (-before +after):\n%s", diff)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				wantEvents = append(wantEvents, s.wantEvent())
				if got.Status != s.want || got.Version != before.Version+1 {
					t.Errorf("after %s: status %s version %d, want %s version %d", s.name, got.Status, got.Version, s.want, before.Version+1)
				}
				if diff := cmp.Diff(got, f.get(t, r.ID)); diff != "" {
					t.Errorf("stored resource (-returned +stored):\n%s", diff)
				}
				evs := events(t, db, r.ID)
				last := evs[len(evs)-1]
				if last.Type != s.wantEvent() || last.ActorUserID != s.actor.UserID || last.ActorOrgID != f.orgA.ID {
					t.Errorf("last event = %s by %s in %s, want %s by %s in %s", last.Type, last.ActorUserID, last.ActorOrgID,
						s.wantEvent(), s.actor.UserID, f.orgA.ID)
				}
				switch got.Status {
				case catalog.StatusReturned:
					if got.ReviewComment != comment {
						t.Errorf("review comment = %q, want %q", got.ReviewComment, comment)
					}
				case catalog.StatusPublished:
					if got.PublishedAt == nil || !got.PublishedAt.Equal(got.UpdatedAt) {
						t.Errorf("published_at = %v, want the time of approval %v", got.PublishedAt, got.UpdatedAt)
					}
				case catalog.StatusRetired:
					if got.PublishedAt == nil || !got.PublishedAt.Equal(*before.PublishedAt) {
						t.Errorf("retiring changed published_at from %v to %v", before.PublishedAt, got.PublishedAt)
					}
				default:
					if got.PublishedAt != nil {
						t.Errorf("%s resource has published_at %v", got.Status, got.PublishedAt)
					}
				}
			})
		}
		var gotEvents []string
		for _, ev := range events(t, db, r.ID) {
			gotEvents = append(gotEvents, ev.Type)
			if ev.SubjectKind != "resource" || ev.SubjectID != r.ID {
				t.Errorf("event %s is about %s %s, want resource %s", ev.Type, ev.SubjectKind, ev.SubjectID, r.ID)
			}
		}
		if diff := cmp.Diff(wantEvents, gotEvents); diff != "" {
			t.Errorf("events of the resource (-want +got):\n%s", diff)
		}
	})
}

func TestReviewAndRetireBySysadminAndOperator(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		r := f.resource(t, f.orgB.ID, validInput(), catalog.StatusSubmitted)
		r, err := f.cat.Review(ctx, f.sysadmin, r.ID, catalog.Approve, "  符合规范  ")
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != catalog.StatusPublished || r.ReviewComment != "符合规范" {
			t.Errorf("after sysadmin approval: status %s, comment %q", r.Status, r.ReviewComment)
		}
		if r, err = f.cat.Retire(ctx, f.operator, r.ID, "数据源停止"); err != nil || r.Status != catalog.StatusRetired {
			t.Errorf("operator retiring: status %s, error %v", r.Status, err)
		}
		queue, err := f.cat.ReviewQueue(ctx, f.operator)
		if err != nil || len(queue) != 0 {
			t.Errorf("ReviewQueue = %v, %v; want empty", idsOf(queue), err)
		}
	})
}

func TestReviewQueue(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		first := f.resource(t, f.orgA.ID, validInput(), catalog.StatusSubmitted)
		f.resource(t, f.orgA.ID, validInput(), catalog.StatusDraft)
		f.resource(t, f.orgA.ID, validInput(), catalog.StatusPublished)
		f.resource(t, f.orgB.ID, validInput(), catalog.StatusReturned)
		second := f.resource(t, f.orgB.ID, validInput(), catalog.StatusSubmitted)
		tests := []struct {
			name    string
			actor   identity.Principal
			want    []string
			wantErr error
		}{
			{"operator", f.operator, []string{first.ID, second.ID}, nil},
			{"sysadmin", f.sysadmin, []string{first.ID, second.ID}, nil},
			{"regulator", f.regulator, nil, identity.ErrForbidden},
			{"editor", f.editorA, nil, identity.ErrForbidden},
			{"anonymous", identity.Anonymous, nil, identity.ErrForbidden},
		}
		for _, test := range tests {
			t.Run(test.name, func(t *testing.T) {
				queue, err := f.cat.ReviewQueue(ctx, test.actor)
				if !errors.Is(err, test.wantErr) {
					t.Fatalf("error = %v, want %v", err, test.wantErr)
				}
				if err == nil {
					if diff := cmp.Diff(test.want, idsOf(queue)); diff != "" {
						t.Errorf("queue, oldest first (-want +got):\n%s", diff)
					}
				}
			})
		}
	})
}

func TestVisibility(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		byStatus := map[catalog.Status]catalog.Resource{}
		for _, s := range catalog.Statuses {
			byStatus[s] = f.resource(t, f.orgA.ID, inputWith(func(in *catalog.Input) { in.TitleZh = "资源 " + string(s) }), s)
		}
		everyone := []catalog.Status{catalog.StatusPublished, catalog.StatusRetired}
		staff := append([]catalog.Status{catalog.StatusSubmitted, catalog.StatusReturned}, everyone...)
		tests := []struct {
			name    string
			actor   identity.Principal
			visible []catalog.Status
		}{
			{"anonymous", identity.Anonymous, everyone},
			{"editor of another institution", f.editorB, everyone},
			{"regulator", f.regulator, staff},
			{"operator", f.operator, staff},
			{"member of the institution", f.memberA, everyone}, // drafts and entries under review are its editors' work
			{"editor of the institution", f.editorA, catalog.Statuses},
			{"sysadmin", f.sysadmin, catalog.Statuses},
		}
		for _, test := range tests {
			t.Run(test.name, func(t *testing.T) {
				var listed []catalog.Resource
				for _, s := range catalog.Statuses {
					r := byStatus[s]
					got, err := f.cat.Get(ctx, test.actor, r.ID)
					_, histErr := f.cat.History(ctx, test.actor, r.ID)
					_, codeErr := f.cat.GetByCode(ctx, test.actor, r.Code)
					if slices.Contains(test.visible, s) {
						listed = append(listed, r)
						if err != nil || histErr != nil || codeErr != nil {
							t.Errorf("%s resource: Get, History, GetByCode = %v, %v, %v; want it visible", s, err, histErr, codeErr)
						} else if diff := cmp.Diff(r, got); diff != "" {
							t.Errorf("%s resource (-want +got):\n%s", s, diff)
						}
						continue
					}
					for what, err := range map[string]error{"Get": err, "History": histErr, "GetByCode": codeErr} {
						if !errors.Is(err, store.ErrNotFound) {
							t.Errorf("%s of a %s resource: error = %v, want store.ErrNotFound", what, s, err)
						}
					}
				}
				page, err := f.cat.List(ctx, test.actor, catalog.Filter{})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(newestFirst(listed...), idsOf(page.Items)); diff != "" {
					t.Errorf("List shows other resources than Get (-Get +List):\n%s", diff)
				}
			})
		}
		if _, err := f.cat.Get(ctx, f.sysadmin, "no-such-resource"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(missing) error = %v, want store.ErrNotFound", err)
		}
	})
}

package catalog_test

import (
	"context"
	"errors"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestHistory(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		r, err := f.cat.Create(ctx, f.editorA, f.orgA.ID, validInput())
		if err != nil {
			t.Fatal(err)
		}
		const returnComment = "票价单位不明确"
		type change struct {
			name    string
			actor   identity.Principal
			do      func() (catalog.Resource, error)
			action  string
			comment string
			changes []catalog.Change
		}
		update := func(change func(in *catalog.Input)) func() (catalog.Resource, error) {
			return func() (catalog.Resource, error) { return f.cat.Update(ctx, f.editorA, r.ID, inputWith(change)) }
		}
		// Each update starts again from validInput, so each changes only what it names
		// relative to validInput; the updates below are cumulative on purpose.
		retitled := func(in *catalog.Input) { in.TitleZh = "公交线路信息" }
		relabelled := func(in *catalog.Input) { retitled(in); in.Items[1].LabelZh = "票价（元）" }
		extended := func(in *catalog.Input) {
			relabelled(in)
			in.Level, in.Keywords = 2, nil
			in.Items = append(in.Items, catalog.Item{Name: "stops", LabelZh: "站数", Type: catalog.TypeInteger})
		}
		changes := []change{
			{name: "title", actor: f.editorA, do: update(retitled), action: "updated",
				changes: []catalog.Change{{Field: "title_zh", From: "公交线路基础信息", To: "公交线路信息"}}},
			{name: "item label", actor: f.editorA, do: update(relabelled), action: "updated",
				changes: []catalog.Change{{Field: "items.fare.label_zh", From: "票价", To: "票价（元）"}}},
			{name: "level, keywords and a new item", actor: f.editorA, do: update(extended), action: "updated",
				changes: []catalog.Change{
					{Field: "items.stops", From: nil, To: true},
					{Field: "items.stops.label_zh", From: nil, To: "站数"},
					{Field: "items.stops.type", From: nil, To: "integer"},
					{Field: "keywords", From: []any{"公交", "线路"}, To: nil},
					{Field: "level", From: 1.0, To: 2.0},
				}},
			{name: "submit", actor: f.editorA, action: "submitted",
				do:      func() (catalog.Resource, error) { return f.cat.Submit(ctx, f.editorA, r.ID) },
				changes: []catalog.Change{{Field: "status", From: "draft", To: "submitted"}}},
			{name: "return", actor: f.operator, action: "returned", comment: returnComment,
				do: func() (catalog.Resource, error) {
					return f.cat.Review(ctx, f.operator, r.ID, catalog.Return, returnComment)
				},
				changes: []catalog.Change{
					{Field: "review_comment", From: nil, To: returnComment},
					{Field: "status", From: "submitted", To: "returned"},
				}},
			{name: "item removed", actor: f.editorA, action: "updated",
				do: update(func(in *catalog.Input) { extended(in); in.Items = in.Items[1:] }),
				changes: []catalog.Change{
					{Field: "items.route_id", From: true, To: nil},
					{Field: "items.route_id.key", From: true, To: nil},
					{Field: "items.route_id.label_zh", From: "线路编号", To: nil},
					{Field: "items.route_id.length", From: 20.0, To: nil},
					{Field: "items.route_id.required", From: true, To: nil},
					{Field: "items.route_id.type", From: "text", To: nil},
				}},
			{name: "resubmit", actor: f.editorA, action: "submitted",
				do:      func() (catalog.Resource, error) { return f.cat.Submit(ctx, f.editorA, r.ID) },
				changes: []catalog.Change{{Field: "status", From: "returned", To: "submitted"}}},
			{name: "approve", actor: f.operator, action: "published",
				do: func() (catalog.Resource, error) { return f.cat.Review(ctx, f.operator, r.ID, catalog.Approve, "") },
				changes: []catalog.Change{
					{Field: "review_comment", From: returnComment, To: nil},
					{Field: "status", From: "submitted", To: "published"},
				}},
			{name: "retire", actor: f.operator, action: "retired", comment: "数据源已停用",
				do:      func() (catalog.Resource, error) { return f.cat.Retire(ctx, f.operator, r.ID, "数据源已停用") },
				changes: []catalog.Change{{Field: "status", From: "published", To: "retired"}}},
		}
		for i, c := range changes {
			t.Run(c.name, func(t *testing.T) {
				got, err := c.do()
				if err != nil {
					t.Fatal(err)
				}
				if got.Version != i+2 {
					t.Errorf("version = %d, want %d", got.Version, i+2)
				}
				history, err := f.cat.History(ctx, f.editorA, r.ID)
				if err != nil {
					t.Fatal(err)
				}
				if len(history) != i+2 {
					t.Fatalf("history has %d versions, want %d", len(history), i+2)
				}
				want := catalog.Version{Version: i + 2, Action: c.action, ActorID: c.actor.UserID, At: got.UpdatedAt,
					Comment: c.comment, Changes: c.changes}
				if diff := cmp.Diff(want, history[0], cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("newest version (-want +got):\n%s", diff)
				}
			})
		}

		history, err := f.cat.History(ctx, identity.Anonymous, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		var versions []int
		for _, v := range history {
			versions = append(versions, v.Version)
		}
		if diff := cmp.Diff([]int{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, versions); diff != "" {
			t.Errorf("versions, newest first (-want +got):\n%s", diff)
		}
		created := history[len(history)-1]
		if created.Action != "created" || created.ActorID != f.editorA.UserID {
			t.Errorf("first version = %+v, want created by editor A", created)
		}
		wantCreated := []catalog.Change{
			{Field: "code", To: "BJJTW-04-00001"},
			{Field: "organization_id", To: f.orgA.ID},
			{Field: "status", To: "draft"},
			{Field: "title_zh", To: "公交线路基础信息"},
		}
		for _, w := range wantCreated {
			if !slicesContainChange(created.Changes, w) {
				t.Errorf("created version lacks change %+v; has %+v", w, created.Changes)
			}
		}
	})
}

func slicesContainChange(list []catalog.Change, c catalog.Change) bool {
	for _, x := range list {
		if cmp.Equal(x, c) {
			return true
		}
	}
	return false
}

func TestHistoryHidden(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		draft := f.resource(t, f.orgA.ID, validInput(), catalog.StatusDraft)
		for _, p := range []identity.Principal{identity.Anonymous, f.editorB, f.operator} {
			if _, err := f.cat.History(ctx, p, draft.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("History of a draft for %q: error = %v, want store.ErrNotFound", p.Username, err)
			}
		}
		if _, err := f.cat.History(ctx, f.sysadmin, "no-such-resource"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("History of a missing resource: error = %v, want store.ErrNotFound", err)
		}
	})
}

func TestDiff(t *testing.T) {
	base := catalog.Resource{ID: "r", Code: "X-04-00001", Input: validInput(), Status: catalog.StatusDraft, Version: 1}
	tests := []struct {
		name   string
		change func(r *catalog.Resource)
		want   []catalog.Change
	}{
		{"nothing", func(r *catalog.Resource) {}, []catalog.Change{}},
		{"bookkeeping only", func(r *catalog.Resource) { r.Version, r.ID, r.CreatedBy = 9, "other", "someone" }, []catalog.Change{}},
		{"english title removed", func(r *catalog.Resource) { r.TitleEn = "" }, []catalog.Change{{Field: "title_en", From: "Bus Route Basics", To: nil}}},
		{"personal info flag", func(r *catalog.Resource) { r.PersonalInfo = true }, []catalog.Change{{Field: "personal_info", From: nil, To: true}}},
		{"code list entry", func(r *catalog.Resource) {
			r.Items = append([]catalog.Item(nil), r.Items...)
			r.Items[2].CodeList = []catalog.Code{{Code: "1", Label: "常规线"}}
		}, []catalog.Change{{Field: "items.kind.code_list",
			From: []any{map[string]any{"code": "1", "label": "常规线"}, map[string]any{"code": "2", "label": "快速线"}},
			To:   []any{map[string]any{"code": "1", "label": "常规线"}}}}},
		{"item renamed", func(r *catalog.Resource) {
			r.Items = append([]catalog.Item(nil), r.Items...)
			r.Items[1].Name = "price"
		}, []catalog.Change{
			{Field: "items.fare", From: true, To: nil},
			{Field: "items.fare.label_zh", From: "票价", To: nil},
			{Field: "items.fare.length", From: 6.0, To: nil},
			{Field: "items.fare.precision", From: 2.0, To: nil},
			{Field: "items.fare.type", From: "decimal", To: nil},
			{Field: "items.price", From: nil, To: true},
			{Field: "items.price.label_zh", From: nil, To: "票价"},
			{Field: "items.price.length", From: nil, To: 6.0},
			{Field: "items.price.precision", From: nil, To: 2.0},
			{Field: "items.price.type", From: nil, To: "decimal"},
		}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			changed := base
			test.change(&changed)
			if diff := cmp.Diff(test.want, catalog.Diff(base, changed)); diff != "" {
				t.Errorf("Diff (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUpdateWithoutChangesRecordsNothing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		r, err := f.cat.Create(ctx, f.editorA, f.orgA.ID, validInput())
		if err != nil {
			t.Fatal(err)
		}
		evsBefore, _ := db.Events(ctx, store.EventFilter{})
		same := validInput()
		same.TitleZh = "  " + same.TitleZh + " " // normalised away
		got, err := f.cat.Update(ctx, f.editorA, r.ID, same)
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != 1 || !got.UpdatedAt.Equal(r.UpdatedAt) {
			t.Errorf("no-op update changed the resource: version %d, updated %v", got.Version, got.UpdatedAt)
		}
		history, _ := f.cat.History(ctx, f.editorA, r.ID)
		evsAfter, _ := db.Events(ctx, store.EventFilter{})
		if len(history) != 1 || len(evsAfter) != len(evsBefore) {
			t.Errorf("no-op update recorded %d versions and %d new events", len(history)-1, len(evsAfter)-len(evsBefore))
		}
	})
}

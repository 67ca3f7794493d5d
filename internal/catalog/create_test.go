package catalog_test

import (
	"context"
	"encoding/json"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"github.com/google/go-cmp/cmp"
)

func TestCreate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		ecology := inputWith(func(in *catalog.Input) { in.TitleZh, in.Subject = "空气质量", "09" })
		tests := []struct {
			name     string
			actor    identity.Principal
			org      string
			in       catalog.Input
			wantCode string
		}{
			{"first of an institution and subject", f.editorA, f.orgA.ID, validInput(), "BJJTW-04-00001"},
			{"second of the same", f.editorA, f.orgA.ID, validInput(), "BJJTW-04-00002"},
			{"another subject starts again", f.editorA, f.orgA.ID, ecology, "BJJTW-09-00001"},
			{"another institution starts again", f.editorB, f.orgB.ID, validInput(), "BJSTHJJ-04-00001"},
			{"admin of the institution", f.adminA, f.orgA.ID, validInput(), "BJJTW-04-00003"},
			{"sysadmin for an institution", f.sysadmin, f.orgA.ID, ecology, "BJJTW-09-00002"},
			{"input is normalized", f.editorA, f.orgA.ID, inputWith(func(in *catalog.Input) {
				in.TitleZh, in.Subject, in.Formats = " 公交线路基础信息 ", "04 ", []string{"csv", "json", "CSV"}
			}), "BJJTW-04-00004"},
		}
		for _, test := range tests {
			t.Run(test.name, func(t *testing.T) {
				r, err := f.cat.Create(ctx, test.actor, test.org, test.in)
				if err != nil {
					t.Fatal(err)
				}
				in := test.in
				in.Normalize()
				want := catalog.Resource{ID: r.ID, Code: test.wantCode, OrganizationID: test.org, Input: in,
					Status: catalog.StatusDraft, Version: 1, CreatedBy: test.actor.UserID, CreatedAt: r.CreatedAt, UpdatedAt: r.CreatedAt}
				if diff := cmp.Diff(want, r); diff != "" {
					t.Errorf("created resource (-want +got):\n%s", diff)
				}
				if r.ID == "" || r.CreatedAt.IsZero() || r.PublishedAt != nil {
					t.Errorf("created resource has id %q, created %v, published %v", r.ID, r.CreatedAt, r.PublishedAt)
				}
				stored, err := f.cat.Get(ctx, test.actor, r.ID)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(r, stored); diff != "" {
					t.Errorf("stored resource differs from the returned one (-returned +stored):\n%s", diff)
				}
				byCode, err := f.cat.GetByCode(ctx, test.actor, test.wantCode)
				if err != nil || byCode.ID != r.ID {
					t.Errorf("GetByCode(%s) = %s, %v; want %s", test.wantCode, byCode.ID, err, r.ID)
				}
				evs := events(t, db, r.ID)
				if len(evs) != 1 || evs[0].Type != "resource.created" || evs[0].ActorUserID != test.actor.UserID || evs[0].ActorOrgID != test.org {
					t.Fatalf("events = %+v, want one resource.created by %s in %s", evs, test.actor.UserID, test.org)
				}
				var payload struct {
					Code    string `json:"code"`
					Version int    `json:"version"`
					Status  string `json:"status"`
				}
				if err := json.Unmarshal(evs[0].Payload, &payload); err != nil {
					t.Fatal(err)
				}
				if payload.Code != test.wantCode || payload.Version != 1 || payload.Status != "draft" {
					t.Errorf("event payload = %s", evs[0].Payload)
				}
			})
		}
	})
}

func TestCreateRefused(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		first, err := f.cat.Create(ctx, f.editorA, f.orgA.ID, validInput())
		if err != nil {
			t.Fatal(err)
		}
		type refusal struct {
			name    string
			actor   identity.Principal
			org     string
			in      catalog.Input
			wantErr error
			fields  []string
		}
		tests := []refusal{
			{name: "anonymous", actor: identity.Anonymous, org: f.orgA.ID, in: validInput(), wantErr: identity.ErrForbidden},
			{name: "member of the institution", actor: f.memberA, org: f.orgA.ID, in: validInput(), wantErr: identity.ErrForbidden},
			{name: "editor of another institution", actor: f.editorB, org: f.orgA.ID, in: validInput(), wantErr: identity.ErrForbidden},
			{name: "platform operator", actor: f.operator, org: f.orgA.ID, in: validInput(), wantErr: identity.ErrForbidden},
			{name: "regulator", actor: f.regulator, org: f.orgA.ID, in: validInput(), wantErr: identity.ErrForbidden},
			{name: "unknown institution", actor: f.sysadmin, org: "no-such-org", in: validInput(), fields: []string{"organization_id"}},
		}
		for _, c := range validationCases {
			tests = append(tests, refusal{name: c.name, actor: f.editorA, org: f.orgA.ID, in: inputWith(c.change), fields: c.fields})
		}
		for _, test := range tests {
			t.Run(test.name, func(t *testing.T) {
				before := countRows(t, db, catalogTables...)
				r, err := f.cat.Create(ctx, test.actor, test.org, test.in)
				if err == nil {
					t.Fatalf("Create = %s, want an error", r.Code)
				}
				checkErr(t, err, test.wantErr, test.fields)
				assertUnchanged(t, db, before)
			})
		}
		// The refusals used up no catalog codes.
		next, err := f.cat.Create(ctx, f.editorA, f.orgA.ID, validInput())
		if err != nil {
			t.Fatal(err)
		}
		if first.Code != "BJJTW-04-00001" || next.Code != "BJJTW-04-00002" {
			t.Errorf("codes = %s, %s; want BJJTW-04-00001, BJJTW-04-00002", first.Code, next.Code)
		}
	})
}

func TestUpdate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		r := f.resource(t, f.orgA.ID, validInput(), catalog.StatusDraft)
		in := inputWith(func(in *catalog.Input) {
			in.TitleZh, in.Level, in.Keywords = "公交线路与票价", 2, []string{"公交", "票价", " "}
			in.Items = append(in.Items, catalog.Item{Name: "stops", LabelZh: "站数", Type: catalog.TypeInteger})
		})
		got, err := f.cat.Update(ctx, f.editorA, r.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		in.Normalize()
		want := r
		want.Input, want.Version, want.UpdatedAt = in, 2, got.UpdatedAt
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("updated resource (-want +got):\n%s", diff)
		}
		if got.UpdatedAt.Before(r.UpdatedAt) {
			t.Errorf("updated_at went back from %v to %v", r.UpdatedAt, got.UpdatedAt)
		}
		if diff := cmp.Diff(got, f.get(t, r.ID)); diff != "" {
			t.Errorf("stored resource (-returned +stored):\n%s", diff)
		}
		// A returned resource may be edited too, by any editor of the institution.
		returned := f.resource(t, f.orgA.ID, validInput(), catalog.StatusReturned)
		if _, err := f.cat.Update(ctx, f.adminA, returned.ID, in); err != nil {
			t.Errorf("admin editing a returned resource: %v", err)
		}
	})
}

func TestUpdateRefused(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		draft := f.resource(t, f.orgA.ID, validInput(), catalog.StatusDraft)
		submitted := f.resource(t, f.orgA.ID, validInput(), catalog.StatusSubmitted)
		published := f.resource(t, f.orgA.ID, validInput(), catalog.StatusPublished)
		retired := f.resource(t, f.orgA.ID, validInput(), catalog.StatusRetired)
		changed := inputWith(func(in *catalog.Input) { in.TitleZh = "改过的标题" })
		type refusal struct {
			name    string
			actor   identity.Principal
			id      string
			in      catalog.Input
			wantErr error
			fields  []string
		}
		tests := []refusal{
			{name: "anonymous cannot see the draft", actor: identity.Anonymous, id: draft.ID, in: changed, wantErr: store.ErrNotFound},
			{name: "editor of another institution cannot see the draft", actor: f.editorB, id: draft.ID, in: changed, wantErr: store.ErrNotFound},
			{name: "operator cannot see the draft", actor: f.operator, id: draft.ID, in: changed, wantErr: store.ErrNotFound},
			{name: "member of the institution", actor: f.memberA, id: draft.ID, in: changed, wantErr: store.ErrNotFound},
			{name: "editor of another institution, published", actor: f.editorB, id: published.ID, in: changed, wantErr: identity.ErrForbidden},
			{name: "operator, submitted", actor: f.operator, id: submitted.ID, in: changed, wantErr: identity.ErrForbidden},
			{name: "submitted", actor: f.editorA, id: submitted.ID, in: changed, wantErr: catalog.ErrState},
			{name: "published", actor: f.editorA, id: published.ID, in: changed, wantErr: catalog.ErrState},
			{name: "retired", actor: f.adminA, id: retired.ID, in: changed, wantErr: catalog.ErrState},
			{name: "missing resource", actor: f.sysadmin, id: "no-such-resource", in: changed, wantErr: store.ErrNotFound},
			{name: "subject changed", actor: f.editorA, id: draft.ID, in: inputWith(func(in *catalog.Input) { in.Subject = "09" }), fields: []string{"subject"}},
		}
		for _, c := range validationCases {
			tests = append(tests, refusal{name: c.name, actor: f.editorA, id: draft.ID, in: inputWith(c.change), fields: c.fields})
		}
		for _, test := range tests {
			t.Run(test.name, func(t *testing.T) {
				before := countRows(t, db, catalogTables...)
				var stored catalog.Resource
				if test.id != "no-such-resource" {
					stored = f.get(t, test.id)
				}
				r, err := f.cat.Update(ctx, test.actor, test.id, test.in)
				if err == nil {
					t.Fatalf("Update = version %d, want an error", r.Version)
				}
				checkErr(t, err, test.wantErr, test.fields)
				assertUnchanged(t, db, before)
				if test.id != "no-such-resource" {
					if diff := cmp.Diff(stored, f.get(t, test.id)); diff != "" {
						t.Errorf("refused update changed the resource (-before +after):\n%s", diff)
					}
				}
			})
		}
	})
}

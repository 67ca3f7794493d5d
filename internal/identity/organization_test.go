package identity_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestCreateOrganization(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		uscc := withCheckChar(t, "91110108MA01ABCDX")
		tests := []struct {
			name  string
			actor identity.Principal
			in    identity.OrgInput
			want  identity.Organization
		}{
			{
				name:  "operator registers an enterprise; its code comes from the USCC",
				actor: f.operator,
				in:    identity.OrgInput{Kind: identity.KindEnterprise, NameZh: "  北京数据科技有限公司 ", USCC: strings.ToLower(uscc), RegionCode: "110108"},
				want:  identity.Organization{Kind: identity.KindEnterprise, NameZh: "北京数据科技有限公司", USCC: uscc, Code: "MA01ABCDX", RegionCode: "110108"},
			},
			{
				name:  "sysadmin registers an individual without a USCC",
				actor: f.sysadmin,
				in:    identity.OrgInput{Kind: identity.KindIndividual, NameZh: "张三", Code: "zhangsan"},
				want:  identity.Organization{Kind: identity.KindIndividual, NameZh: "张三", Code: "ZHANGSAN"},
			},
			{
				name:  "a second organization without a USCC",
				actor: f.sysadmin,
				in:    identity.OrgInput{Kind: identity.KindRegulator, NameZh: "市网信办", Code: "BJCAC"},
				want:  identity.Organization{Kind: identity.KindRegulator, NameZh: "市网信办", Code: "BJCAC"},
			},
		}
		for _, test := range tests {
			t.Run(test.name, func(t *testing.T) {
				org, err := f.svc.CreateOrganization(ctx, test.actor, test.in)
				if err != nil {
					t.Fatal(err)
				}
				if org.ID == "" || org.CreatedAt.IsZero() || !org.UpdatedAt.Equal(org.CreatedAt) {
					t.Errorf("organization = %+v, want an id and equal created/updated times", org)
				}
				ignore := cmpopts.IgnoreFields(identity.Organization{}, "ID", "CreatedAt", "UpdatedAt")
				if diff := cmp.Diff(test.want, org, ignore); diff != "" {
					t.Errorf("created organization (-want +got):\n%s", diff)
				}
				stored, err := f.svc.Organization(ctx, org.ID)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(org, stored); diff != "" {
					t.Errorf("stored organization differs from the returned one (-returned +stored):\n%s", diff)
				}
				ev := lastEvent(t, db, "organization", org.ID)
				if ev.Type != "organization.created" || ev.ActorUserID != test.actor.UserID {
					t.Errorf("event = %s by %q, want organization.created by %q", ev.Type, ev.ActorUserID, test.actor.UserID)
				}
			})
		}
	})
}

func TestCreateOrganizationRefused(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		good := identity.OrgInput{Kind: identity.KindEnterprise, NameZh: "北京数据科技有限公司", USCC: withCheckChar(t, "91110108MA01ABCDX")}
		with := func(change func(in *identity.OrgInput)) identity.OrgInput {
			in := good
			change(&in)
			return in
		}
		tests := []struct {
			name    string
			actor   identity.Principal
			in      identity.OrgInput
			wantErr error    // a sentinel, or nil for field errors
			fields  []string // the fields named when wantErr is nil
			message string   // a substring of the first field's message
		}{
			{name: "anonymous", actor: identity.Anonymous, in: good, wantErr: identity.ErrForbidden},
			{name: "organization admin", actor: f.adminA, in: good, wantErr: identity.ErrForbidden},
			{name: "editor", actor: f.editorA, in: good, wantErr: identity.ErrForbidden},
			{name: "auditor is staff but does not register organizations", actor: f.auditor, in: good, wantErr: identity.ErrForbidden},
			{name: "wrong check character", actor: f.operator, in: with(func(in *identity.OrgInput) { in.USCC = wrongCheckChar(good.USCC) }),
				fields: []string{"uscc"}, message: "should be '" + good.USCC[17:] + "'"},
			{name: "USCC too short", actor: f.operator, in: with(func(in *identity.OrgInput) { in.USCC = good.USCC[:17] }),
				fields: []string{"uscc"}, message: "18 characters"},
			{name: "USCC with forbidden letter", actor: f.operator, in: with(func(in *identity.OrgInput) { in.USCC = "91110108MA01ABCDO" + good.USCC[17:] }),
				fields: []string{"uscc"}, message: "'O'"},
			{name: "enterprise without USCC", actor: f.operator, in: with(func(in *identity.OrgInput) { in.USCC = ""; in.Code = "NOUSCC" }),
				fields: []string{"uscc"}, message: "is required"},
			{name: "missing name_zh", actor: f.operator, in: with(func(in *identity.OrgInput) { in.NameZh = "   " }),
				fields: []string{"name_zh"}},
			{name: "name_zh too long", actor: f.operator, in: with(func(in *identity.OrgInput) { in.NameZh = strings.Repeat("长", 101) }),
				fields: []string{"name_zh"}},
			{name: "bad kind", actor: f.operator, in: with(func(in *identity.OrgInput) { in.Kind = "company" }),
				fields: []string{"kind"}},
			{name: "bad code", actor: f.operator, in: with(func(in *identity.OrgInput) { in.Code = "B" }),
				fields: []string{"code"}},
			{name: "bad region code", actor: f.operator, in: with(func(in *identity.OrgInput) { in.RegionCode = "11000" }),
				fields: []string{"region_code"}},
			{name: "every problem at once", actor: f.operator, in: identity.OrgInput{Kind: "x", USCC: "123", Code: "?", RegionCode: "x"},
				fields: []string{"kind", "name_zh", "uscc", "code", "region_code"}},
			{name: "duplicate USCC", actor: f.operator, in: with(func(in *identity.OrgInput) { in.USCC = f.orgA.USCC; in.Code = "OTHER" }),
				fields: []string{"uscc"}, message: "already registered"},
			{name: "duplicate USCC, lower-case", actor: f.operator, in: with(func(in *identity.OrgInput) { in.USCC = strings.ToLower(f.orgA.USCC); in.Code = "OTHER" }),
				fields: []string{"uscc"}, message: "already registered"},
			{name: "duplicate code", actor: f.operator, in: with(func(in *identity.OrgInput) { in.Code = f.orgB.Code }),
				fields: []string{"code"}, message: "already used"},
			{name: "duplicate code, lower-case", actor: f.operator, in: with(func(in *identity.OrgInput) { in.Code = strings.ToLower(f.orgB.Code) }),
				fields: []string{"code"}, message: "already used"},
		}
		for _, test := range tests {
			t.Run(test.name, func(t *testing.T) {
				before := countRows(t, db, identityTables...)
				org, err := f.svc.CreateOrganization(ctx, test.actor, test.in)
				if err == nil {
					t.Fatalf("CreateOrganization = %+v, want an error", org)
				}
				if test.wantErr != nil {
					if !errors.Is(err, test.wantErr) {
						t.Errorf("error = %v, want %v", err, test.wantErr)
					}
				} else {
					if diff := cmp.Diff(test.fields, errorFields(t, err)); diff != "" {
						t.Errorf("fields in error %q (-want +got):\n%s", err, diff)
					}
					if !strings.Contains(err.Error(), test.message) {
						t.Errorf("error = %q, want it to say %q", err, test.message)
					}
				}
				assertUnchanged(t, db, before)
			})
		}
		// After all the refusals, the good input still goes in.
		if _, err := f.svc.CreateOrganization(ctx, f.operator, good); err != nil {
			t.Errorf("valid organization refused after the refused ones: %v", err)
		}
	})
}

func TestUpdateOrganization(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		in := identity.OrgInput{Kind: f.orgA.Kind, NameZh: f.orgA.NameZh, NameEn: "Beijing Transport", USCC: f.orgA.USCC, Description: "交通"}
		tests := []struct {
			name    string
			actor   identity.Principal
			in      identity.OrgInput
			wantErr error
			fields  []string
		}{
			{name: "editor may not", actor: f.editorA, in: in, wantErr: identity.ErrForbidden},
			{name: "admin of another organization may not", actor: f.adminB, in: in, wantErr: identity.ErrForbidden},
			{name: "anonymous may not", actor: identity.Anonymous, in: in, wantErr: identity.ErrForbidden},
			{name: "code taken by another organization", actor: f.operator, in: func() identity.OrgInput { c := in; c.Code = f.orgB.Code; return c }(), fields: []string{"code"}},
			{name: "USCC taken by another organization", actor: f.operator, in: func() identity.OrgInput { c := in; c.USCC = f.orgB.USCC; return c }(), fields: []string{"uscc"}},
			{name: "admin of the organization may", actor: f.adminA, in: in},
			{name: "operator may", actor: f.operator, in: func() identity.OrgInput { c := in; c.NameEn = "BJ Transport"; return c }()},
		}
		for _, test := range tests {
			t.Run(test.name, func(t *testing.T) {
				before := countRows(t, db, identityTables...)
				stored, err := f.svc.Organization(ctx, f.orgA.ID)
				if err != nil {
					t.Fatal(err)
				}
				got, err := f.svc.UpdateOrganization(ctx, test.actor, f.orgA.ID, test.in)
				switch {
				case test.wantErr != nil || test.fields != nil:
					if test.wantErr != nil && !errors.Is(err, test.wantErr) {
						t.Errorf("error = %v, want %v", err, test.wantErr)
					}
					if test.fields != nil {
						if diff := cmp.Diff(test.fields, errorFields(t, err)); diff != "" {
							t.Errorf("fields (-want +got):\n%s", diff)
						}
					}
					assertUnchanged(t, db, before)
					after, _ := f.svc.Organization(ctx, f.orgA.ID)
					if diff := cmp.Diff(stored, after); diff != "" {
						t.Errorf("refused update changed the organization (-before +after):\n%s", diff)
					}
				case err != nil:
					t.Fatal(err)
				default:
					if got.NameEn != test.in.NameEn || got.Code != f.orgA.Code || !got.CreatedAt.Equal(f.orgA.CreatedAt) {
						t.Errorf("updated organization = %+v", got)
					}
					after, _ := f.svc.Organization(ctx, f.orgA.ID)
					if diff := cmp.Diff(got, after); diff != "" {
						t.Errorf("stored organization (-returned +stored):\n%s", diff)
					}
					if ev := lastEvent(t, db, "organization", f.orgA.ID); ev.Type != "organization.updated" || ev.ActorUserID != test.actor.UserID {
						t.Errorf("event = %s by %s, want organization.updated by %s", ev.Type, ev.ActorUserID, test.actor.UserID)
					}
				}
			})
		}
		if _, err := f.svc.UpdateOrganization(ctx, f.operator, "no-such-org", in); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("update of a missing organization: error = %v, want store.ErrNotFound", err)
		}
	})
}

func TestOrganizations(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		person := f.createOrg(t, identity.OrgInput{Kind: identity.KindIndividual, NameZh: "张三", Code: "ZS01"})
		ids := func(orgs []identity.Organization) []string {
			out := []string{}
			for _, o := range orgs {
				out = append(out, o.ID)
			}
			return out
		}
		tests := []struct {
			name   string
			filter identity.OrgFilter
			want   []string
		}{
			{"all, by id", identity.OrgFilter{}, []string{f.orgA.ID, f.orgB.ID, person.ID}},
			{"by kind", identity.OrgFilter{Kind: identity.KindIndividual}, []string{person.ID}},
			{"by Chinese name", identity.OrgFilter{Q: "生态"}, []string{f.orgB.ID}},
			{"by code", identity.OrgFilter{Q: "BJJT"}, []string{f.orgA.ID}},
			{"after a cursor", identity.OrgFilter{After: f.orgA.ID, Limit: 1}, []string{f.orgB.ID}},
			{"no match", identity.OrgFilter{Q: "不存在"}, []string{}},
		}
		for _, test := range tests {
			t.Run(test.name, func(t *testing.T) {
				got, err := f.svc.Organizations(ctx, test.filter)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(test.want, ids(got)); diff != "" {
					t.Errorf("organizations (-want +got):\n%s", diff)
				}
			})
		}
		if _, err := f.svc.Organization(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Organization(missing) error = %v, want store.ErrNotFound", err)
		}
	})
}

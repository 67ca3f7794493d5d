package identity_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"
)

func TestSetOfficers(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		for _, test := range []struct {
			name   string
			actor  identity.Principal
			in     identity.Officers
			want   error
			fields []string
		}{
			{"no responsible person", f.adminA, identity.Officers{ChiefDataOfficerUserID: f.editorA.UserID}, nil, []string{"responsible_user_id"}},
			{"not members of the unit", f.adminA, identity.Officers{ResponsibleUserID: f.adminB.UserID, ChiefDataOfficerUserID: "nobody"}, nil,
				[]string{"chief_data_officer_user_id", "responsible_user_id"}},
			{"a member names them", f.memberA, identity.Officers{ResponsibleUserID: f.memberA.UserID}, identity.ErrForbidden, nil},
			{"another unit's admin", f.adminB, identity.Officers{ResponsibleUserID: f.adminA.UserID}, identity.ErrForbidden, nil},
			{"the auditor", f.auditor, identity.Officers{ResponsibleUserID: f.adminA.UserID}, identity.ErrForbidden, nil},
			{"anonymous", identity.Anonymous, identity.Officers{ResponsibleUserID: f.adminA.UserID}, identity.ErrUnauthenticated, nil},
		} {
			t.Run(test.name, func(t *testing.T) {
				_, err := f.svc.SetOfficers(ctx, test.actor, f.orgA.ID, test.in)
				if test.fields != nil {
					fields, ok := validate.Fields(err)
					slices.Sort(fields)
					if !ok || !slices.Equal(fields, test.fields) {
						t.Fatalf("got %v, want field errors %v", err, test.fields)
					}
				} else if !errors.Is(err, test.want) {
					t.Fatalf("got %v, want %v", err, test.want)
				}
				org, err := f.svc.Organization(ctx, f.orgA.ID)
				if err != nil || org.ResponsibleUserID != "" || org.ChiefDataOfficerUserID != "" {
					t.Errorf("changed: %+v %v", org, err)
				}
			})
		}

		org, err := f.svc.SetOfficers(ctx, f.adminA, f.orgA.ID, identity.Officers{ResponsibleUserID: f.memberA.UserID,
			ChiefDataOfficerUserID: f.editorA.UserID})
		if err != nil {
			t.Fatal(err)
		}
		read, err := f.svc.Organization(ctx, f.orgA.ID)
		if err != nil || read.ResponsibleUserID != f.memberA.UserID || read.ChiefDataOfficerUserID != f.editorA.UserID || read != org {
			t.Fatalf("read back %+v (set %+v) %v", read, org, err)
		}
		// The platform operator may change them too; the chief data officer is optional.
		if org, err = f.svc.SetOfficers(ctx, f.operator, f.orgA.ID, identity.Officers{ResponsibleUserID: f.adminA.UserID}); err != nil ||
			org.ChiefDataOfficerUserID != "" {
			t.Fatalf("operator: %+v %v", org, err)
		}
		evs, err := db.Events(ctx, store.EventFilter{SubjectID: f.orgA.ID, Type: "organization.officers_set"})
		if err != nil || len(evs) != 2 {
			t.Fatalf("events %v %v", evs, err)
		}
		if want := `{"chief_data_officer_user_id":"","responsible_user_id":"` + f.adminA.UserID + `"}`; string(evs[0].Payload) != want {
			t.Errorf("payload %s, want %s", evs[0].Payload, want)
		}
	})
}

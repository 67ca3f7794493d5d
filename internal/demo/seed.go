package demo

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"dataport/internal/catalog"
	"dataport/internal/identity"
)

// org is a created organization with the spec it came from.
type org struct {
	identity.Organization
	spec orgSpec
}

// seedOrganizations creates every organization as the system and returns them by code.
func seedOrganizations(ctx context.Context, ids *identity.Service) (map[string]org, error) {
	specs := allOrgs()
	out := make(map[string]org, len(specs))
	for _, s := range specs {
		o, err := createOrganization(ctx, ids, s)
		if err != nil {
			return nil, err
		}
		out[s.code] = o
	}
	return out, nil
}

// createOrganization creates the organization of spec s as the system.
func createOrganization(ctx context.Context, ids *identity.Service, s orgSpec) (org, error) {
	in := identity.OrgInput{Kind: s.kind, NameZh: s.zh, NameEn: s.en, Code: s.code, RegionCode: s.region,
		Description: s.desc, Website: s.site}
	if s.class != "" {
		code, err := uscc(s.class, s.region, s.body)
		if err != nil {
			return org{}, fmt.Errorf("demo: organization %s: %w", s.code, err)
		}
		in.USCC = code
	}
	o, err := ids.CreateOrganization(ctx, identity.System, in)
	if err != nil {
		return org{}, fmt.Errorf("demo: organization %s: %w", s.code, err)
	}
	return org{Organization: o, spec: s}, nil
}

// hasOrganization reports whether an organization of kind with code
// exists: a part of the demo that creates one first is seeded when it does.
func hasOrganization(ctx context.Context, ids *identity.Service, kind identity.OrgKind, code string) (bool, error) {
	orgs, err := ids.Organizations(ctx, identity.OrgFilter{Kind: kind, Q: code})
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(orgs, func(o identity.Organization) bool { return o.Code == code }), nil
}

// seedUsers creates every user as the system and returns their accounts and
// each user's principal by username.
func seedUsers(ctx context.Context, ids *identity.Service, orgs map[string]org) ([]Account, map[string]identity.Principal, error) {
	orgIDs := make(map[string]string, len(orgs))
	for code, o := range orgs {
		orgIDs[code] = o.ID
	}
	people, err := createUsers(ctx, ids, allUsers(), orgIDs)
	if err != nil {
		return nil, nil, err
	}
	return Accounts(), people, nil
}

// createUsers creates the users of specs as the system, each a member of
// the organization whose id orgIDs gives for its code, and returns their
// principals by username. It creates as many at a time as there are
// processors: hashing the passwords is most of the demo's seeding.
func createUsers(ctx context.Context, ids *identity.Service, specs []userSpec, orgIDs map[string]string) (map[string]identity.Principal, error) {
	for _, s := range specs {
		if _, ok := orgIDs[s.org]; s.org != "" && !ok {
			return nil, fmt.Errorf("demo: user %s: no organization %s", s.username, s.org)
		}
	}
	people := make(map[string]identity.Principal, len(specs))
	errs := make([]error, len(specs))
	var mu sync.Mutex
	var wg sync.WaitGroup
	slots := make(chan struct{}, max(runtime.GOMAXPROCS(0), 1))
	for i, s := range specs {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			p, err := createUser(ctx, ids, s, orgIDs[s.org])
			mu.Lock()
			people[s.username], errs[i] = p, err
			mu.Unlock()
		})
	}
	wg.Wait()
	return people, errors.Join(errs...)
}

// createUser creates the user of spec s, a member of orgID (none when
// empty), as the system, and returns the user's principal.
func createUser(ctx context.Context, ids *identity.Service, s userSpec, orgID string) (identity.Principal, error) {
	in := identity.UserInput{Username: s.username, DisplayName: s.display, Email: s.username + "@jinghua.example",
		Password: password(s.username), PlatformRoles: s.platform}
	if orgID != "" {
		in.Memberships = []identity.Membership{{OrganizationID: orgID, Role: s.member}}
	}
	u, err := ids.CreateUser(ctx, identity.System, in)
	if err != nil {
		return identity.Principal{}, fmt.Errorf("demo: user %s: %w", s.username, err)
	}
	p, err := ids.Principal(ctx, u.ID)
	if err != nil {
		return identity.Principal{}, fmt.Errorf("demo: user %s: %w", s.username, err)
	}
	return p, nil
}

// seedResources catalogs every resource as its institution's editor and moves
// it along the review workflow to the state its spec asks for.
func seedResources(ctx context.Context, cat *catalog.Service, orgs map[string]org, people map[string]identity.Principal) error {
	operator, ok := people[operatorName]
	if !ok {
		return fmt.Errorf("demo: no user %s", operatorName)
	}
	for _, s := range allResources() {
		o, ok := orgs[s.org]
		if !ok {
			return fmt.Errorf("demo: resource %q: no organization %s", s.TitleZh, s.org)
		}
		w := workflow{cat: cat, orgID: o.ID, editor: people[editorName(s.org)], admin: people[adminName(s.org)], operator: operator}
		if err := w.run(ctx, s, prepare(s.Input, o.spec)); err != nil {
			return fmt.Errorf("demo: resource %s %q: %w", s.org, s.TitleZh, err)
		}
	}
	return nil
}

// prepare copies in so that neither the services nor a revision can change
// the shared tables, and fills its contact fields from the institution.
func prepare(in catalog.Input, o orgSpec) catalog.Input {
	in.Keywords = slices.Clone(in.Keywords)
	in.Formats = slices.Clone(in.Formats)
	in.Items = slices.Clone(in.Items)
	for i := range in.Items {
		in.Items[i].CodeList = slices.Clone(in.Items[i].CodeList)
	}
	if in.ContactName == "" {
		in.ContactName = o.short + o.dept
	}
	if in.ContactPhone == "" {
		in.ContactPhone = o.phone
	}
	if in.ContactEmail == "" {
		in.ContactEmail = "data@" + lower(o.code) + ".jinghua.example"
	}
	return in
}

// workflow moves one resource through the catalog's lifecycle.
type workflow struct {
	cat                     *catalog.Service
	orgID                   string
	editor, admin, operator identity.Principal
}

func (w workflow) run(ctx context.Context, s resourceSpec, in catalog.Input) error {
	r, err := w.cat.Create(ctx, w.editor, w.orgID, in)
	if err != nil || s.state == draft {
		return err
	}
	if r, err = w.cat.Submit(ctx, w.editor, r.ID); err != nil || s.state == submitted {
		return err
	}
	if s.state == returned || s.state == revised {
		if r, err = w.cat.Review(ctx, w.operator, r.ID, catalog.Return, s.note); err != nil || s.state == returned {
			return err
		}
		if s.revise == nil {
			return fmt.Errorf("revised resource has no revision")
		}
		s.revise(&in)
		if _, err = w.cat.Update(ctx, w.editor, r.ID, in); err != nil {
			return err
		}
		if _, err = w.cat.Submit(ctx, w.editor, r.ID); err != nil {
			return err
		}
	}
	if r, err = w.cat.Review(ctx, w.operator, r.ID, catalog.Approve, ""); err != nil || s.state != retired {
		return err
	}
	_, err = w.cat.Retire(ctx, w.admin, r.ID, s.note)
	return err
}

// uscc builds a valid unified social credit code (GB 32100): registration
// class (2), region (6), organization code (8 + GB 11714 check), check character.
func uscc(class, region, body string) (string, error) {
	if len(class) != 2 || len(region) != 6 || len(body) != 8 {
		return "", fmt.Errorf("bad USCC parts %q %q %q", class, region, body)
	}
	orgCheck, err := orgCodeCheck(body)
	if err != nil {
		return "", err
	}
	first17 := class + region + body + string(orgCheck)
	c, err := identity.USCCCheckChar(first17)
	if err != nil {
		return "", err
	}
	return first17 + string(c), nil
}

var orgCodeWeights = [8]int{3, 7, 9, 10, 5, 8, 4, 2}

// orgCodeCheck computes the GB 11714 check character of an organization code
// body: digits count as themselves, letters A–Z as 10–35.
func orgCodeCheck(body string) (byte, error) {
	sum := 0
	for i := 0; i < 8; i++ {
		c := body[i]
		switch {
		case c >= '0' && c <= '9':
			sum += int(c-'0') * orgCodeWeights[i]
		case c >= 'A' && c <= 'Z':
			sum += int(c-'A'+10) * orgCodeWeights[i]
		default:
			return 0, fmt.Errorf("organization code %q: character %d (%q) is not a digit or upper-case letter", body, i+1, c)
		}
	}
	switch c := 11 - sum%11; c {
	case 10:
		return 'X', nil
	case 11:
		return '0', nil
	default:
		return byte('0' + c), nil
	}
}

func lower(s string) string { return strings.ToLower(s) }

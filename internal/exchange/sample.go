package exchange

import (
	"context"
	"errors"
	"slices"

	"dataport/internal/access"
	"dataport/internal/datastore"
	"dataport/internal/deid"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// RowReader serves rows of a resource through the access point
// (datastore.Service).
type RowReader interface {
	Search(ctx context.Context, actor identity.Principal, resourceID string, channel access.Channel, q datastore.Query) (datastore.RowsPage, error)
}

// ProfileReader reads de-identification profiles (deid.Service).
type ProfileReader interface {
	Get(ctx context.Context, actor identity.Principal, id string) (deid.StoredProfile, error)
}

// samplePurpose is the purpose of every sample grant.
const samplePurpose = "exchange product sample"

// samplePolicy is what a product's sample grant permits: reading, the
// offer's fields and rows, through the sample's profile, a few rows at a
// time.
func (s *Service) samplePolicy(p Product) access.Policy {
	return access.Policy{Actions: []access.Action{access.ActionRead}, Fields: p.Offer.Policy.Fields, RowFilter: p.Offer.Policy.RowFilter,
		DeidProfile: p.SampleDeidProfile, RowsPerRequest: int64(s.cfg.SampleRows)}
}

// ensureSampleGrant makes sure product p's sample is served as it now
// is: a grant of origin exchange_sample on its first resource, under the
// sample policy, created in tx when none active matches; earlier ones are
// revoked once tx commits.
func (s *Service) ensureSampleGrant(ctx context.Context, tx *store.Tx, actor identity.Principal, p Product) error {
	if len(p.ResourceIDs) == 0 {
		return nil
	}
	grants, err := s.acc.GrantsByOrigin(ctx, access.OriginExchangeSample, p.ID)
	if err != nil {
		return err
	}
	want := s.samplePolicy(p)
	var stale []string
	current := false
	for _, g := range grants {
		if g.RevokedAt != nil {
			continue
		}
		if !current && jsonOf(g.Policy) == jsonOf(want) && slices.Equal(g.ResourceIDs, p.ResourceIDs[:1]) {
			current = true
			continue
		}
		stale = append(stale, g.ID)
	}
	if !current {
		if _, err := s.acc.CreateGrant(ctx, tx, actor, access.NewGrant{GranteeKind: access.GranteeGroup, GranteeID: access.SampleGrantee(p.ID),
			ResourceIDs: p.ResourceIDs[:1], Purpose: samplePurpose, Policy: want, OriginKind: access.OriginExchangeSample, OriginID: p.ID}); err != nil {
			return err
		}
	}
	s.revokeAfter(ctx, tx, stale, "the product's sample changed")
	return nil
}

// revokeSampleAfter revokes product p's sample grants once tx commits.
func (s *Service) revokeSampleAfter(ctx context.Context, tx *store.Tx, p Product, reason string) {
	grants, err := s.acc.GrantsByOrigin(ctx, access.OriginExchangeSample, p.ID)
	if err != nil {
		return // the product's status already keeps its sample from anyone but its provider and the staff
	}
	var ids []string
	for _, g := range grants {
		if g.RevokedAt == nil {
			ids = append(ids, g.ID)
		}
	}
	s.revokeAfter(ctx, tx, ids, reason)
}

func (s *Service) revokeAfter(ctx context.Context, tx *store.Tx, ids []string, reason string) {
	if len(ids) == 0 {
		return
	}
	tx.AfterCommit(func() {
		for _, id := range ids {
			if _, err := s.acc.Revoke(context.WithoutCancel(ctx), identity.System, id, reason); err != nil && !errors.Is(err, access.ErrRevoked) {
				s.cfg.logError(ctx, "exchange: revoke a sample grant", "grant", id, "err", err)
			}
		}
	})
}

// Sample is a product's de-identified sample: a few rows of its first
// resource, as the access point serves them through the product's sample
// grant.
type ProductSample struct {
	ProductID  string               `json:"product_id"`
	ResourceID string               `json:"resource_id"`
	Profile    string               `json:"deid_profile"`
	Fields     []datastore.RowField `json:"fields"`
	Rows       [][]any              `json:"rows"`
}

// Sample returns product id's sample for actor (signed in, and able to see
// the product): at most Config.SampleRows rows of its first resource, read
// through the access point on the product's sample channel, so the sample
// grant's fields and de-identification profile apply and the read is
// decided and logged like any other.
func (s *Service) Sample(ctx context.Context, actor identity.Principal, id string) (ProductSample, error) {
	if actor.IsAnonymous() {
		return ProductSample{}, identity.ErrUnauthenticated
	}
	p, err := s.Product(ctx, actor, id)
	if err != nil {
		return ProductSample{}, err
	}
	if len(p.ResourceIDs) == 0 || s.cfg.Rows == nil {
		return ProductSample{}, validate.Refuse(ErrState, "no_sample", "the product has no sample: it delivers no catalog resource")
	}
	page, err := s.cfg.Rows.Search(ctx, actor, p.ResourceIDs[0], access.ProductSample(p.ID), datastore.Query{Limit: s.cfg.SampleRows})
	if err != nil {
		return ProductSample{}, err
	}
	return ProductSample{ProductID: p.ID, ResourceID: p.ResourceIDs[0], Profile: p.SampleDeidProfile, Fields: page.Fields, Rows: page.Rows}, nil
}

// checkSampleProfile checks that the sample's profile is a
// de-identification profile of the product's first resource.
func (s *Service) checkSampleProfile(ctx context.Context, errs *validate.Errors, in ProductInput) {
	if s.cfg.Profiles == nil {
		return
	}
	sp, err := s.cfg.Profiles.Get(ctx, identity.System, in.SampleDeidProfile)
	if err != nil || len(in.ResourceIDs) == 0 || sp.ResourceID != in.ResourceIDs[0] {
		errs.Add("sample_deid_profile", in.SampleDeidProfile, "not_profile", "is not a de-identification profile of the product's first resource")
	}
}

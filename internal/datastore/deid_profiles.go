package datastore

import (
	"context"
	"errors"
	"fmt"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/deid"
	"dataport/internal/store"
)

// ReasonDeidUnavailable is the denial reason when a read's required
// de-identification profile cannot be applied: nothing is served then.
const ReasonDeidUnavailable = "deid_unavailable"

// DeidProfiles is the Deidentifier over the stored de-identification
// profiles: every row an access decision names a profile for passes
// through the profile's record-level operators (deid.ServedRows), one row
// at a time, so row pages, exports and CKAN datastore_search stream.
//
// A profile whose privacy model needs the whole table (k-anonymity,
// l-diversity or t-closeness over quasi-identifiers) cannot be guaranteed
// row by row; such reads are refused (403, reason deid_unavailable) with
// the reason, rather than served with a weaker protection than the
// profile promises. So is a profile that no longer fits the resource's
// items, or no longer exists.
func DeidProfiles(profiles *deid.Service) Deidentifier { return storedProfiles{profiles} }

type storedProfiles struct{ profiles *deid.Service }

func (p storedProfiles) Transformer(ctx context.Context, profile string, r catalog.Resource, items []catalog.Item) (Deidentification, error) {
	rows, err := p.profiles.ServedRows(ctx, profile, items)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Deidentification{}, deidDenied(fmt.Sprintf("de-identification profile %s of %s no longer exists", profile, r.Code))
	case err != nil && ctx.Err() != nil:
		return Deidentification{}, err
	case err != nil:
		return Deidentification{}, deidDenied(fmt.Sprintf("de-identification profile %s cannot be applied to the rows of %s: %v", profile, r.Code, err))
	}
	return Deidentification{Rewritten: rows.Rewritten(), Row: func(row []any) error {
		rows.Apply(row)
		return nil
	}}, nil
}

func deidDenied(msg string) error {
	return &access.DeniedError{Decision: access.Decision{Reason: ReasonDeidUnavailable, Message: msg}}
}

package ui

// Why a data version is held: the columns the legality check found
// personal information in, in words, and who may release it.

import (
	"context"

	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
)

// heldFinding is one column of a held version with what was found in it.
type heldFinding struct {
	Label, Item, Kind string
	Matches, Sampled  int
}

// heldReason is what the held version's page says of why and who.
type heldReason struct {
	Findings []heldFinding
	Admins   []string // display names of the institution's admins, who may release it
}

// heldReasonOf explains v's hold, or returns nil when v is not held.
func (s *server) heldReasonOf(ctx context.Context, res catalog.Resource, v datastore.DataVersion) *heldReason {
	if v.Status != datastore.StatusHeld || v.Report == nil {
		return nil
	}
	labels := map[string]string{}
	for _, it := range res.Items {
		labels[it.Name] = it.LabelZh
	}
	why := &heldReason{}
	for _, f := range v.Report.Legality.Findings {
		why.Findings = append(why.Findings, heldFinding{Label: labels[f.Item], Item: f.Item, Kind: f.Kind, Matches: f.Matches, Sampled: f.Sampled})
	}
	members, err := s.identity.Members(ctx, res.OrganizationID)
	if err != nil {
		s.log.WarnContext(ctx, "ui: the institution's admins", "err", err)
		return why
	}
	for _, u := range members {
		for _, m := range u.Memberships {
			if m.OrganizationID == res.OrganizationID && m.Role == identity.RoleAdmin && !u.Disabled {
				why.Admins = append(why.Admins, u.DisplayName)
			}
		}
	}
	return why
}

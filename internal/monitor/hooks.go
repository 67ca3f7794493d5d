package monitor

import (
	"context"

	"dataport/internal/access"
	"dataport/internal/identity"
)

// OnLogged observes a committed batch of the decision log (register it
// with access.Service.OnLogged). It only queues: evaluation happens on the
// monitor's goroutine.
func (s *Service) OnLogged(_ context.Context, batch []access.Logged) {
	for _, l := range batch {
		o := Observation{Source: SourceDecision, At: l.At, DecisionID: l.DecisionID, EventID: l.EventID, UserID: l.UserID, KeyID: l.KeyID,
			ResourceID: l.ResourceID, Action: string(l.Action), Purpose: l.Purpose, Channel: string(l.Channel), Allow: l.Allow,
			Reason: l.Reason, GrantID: l.GrantID, OriginKind: string(l.OriginKind), ProfileID: l.ProfileID, FilterFields: l.FilterFields,
			Rows: l.Rows, RowsReported: l.RowsReported}
		switch {
		case l.KeyID != "":
			o.Subject = "key:" + l.KeyID
		case l.UserID != "":
			o.Subject = "user:" + l.UserID
		default:
			o.Subject = "anonymous"
		}
		s.Observe(o)
	}
}

// OnSignIn observes a sign-in attempt (register it with
// identity.Service.OnSignIn). It only queues.
func (s *Service) OnSignIn(_ context.Context, in identity.SignIn) {
	s.Observe(Observation{Source: SourceSignIn, At: in.At, EventID: in.EventID, OK: in.OK, Reason: in.Reason, UserID: in.UserID,
		UsernameHash: in.UsernameHash, AddressHash: in.AddressHash, Subject: "address:" + in.AddressHash})
}

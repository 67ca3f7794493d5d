package dispute_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"dataport/internal/exchange/dispute"
	"dataport/internal/identity"
	"dataport/internal/ledger"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"
)

const claim = "交付的数据缺少约定的客流字段，请求退还一半价款。"

// verifyBundle checks b offline and returns its report, failing the test
// when it does not verify.
func verifyBundle(t *testing.T, b []byte) ledger.BundleReport {
	t.Helper()
	rep, err := ledger.VerifyBundle(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatalf("bundle does not verify: %v\n%v", err, rep.Problems)
	}
	return rep
}

func sealedDocs(rep ledger.BundleReport) map[string]string {
	out := map[string]string{}
	for _, d := range rep.Documents {
		if d.Sealed {
			out[d.Name] = d.Field
		}
	}
	return out
}

func eventTypes(rep ledger.BundleReport) map[string]int {
	out := map[string]int{}
	for _, e := range rep.Events {
		out[e.Type]++
	}
	return out
}

func TestContractEvidenceHoldsTheWholeTrade(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		var buf bytes.Buffer
		if err := w.ds.ContractEvidence(ctx, w.CompanyAdmin, w.contract.ID, &buf); err != nil {
			t.Fatal(err)
		}
		rep := verifyBundle(t, buf.Bytes())
		types := eventTypes(rep)
		for _, typ := range []string{"exchange.negotiation.agreed", "exchange.negotiation.finalized", "exchange.contract.agreed",
			"exchange.contract.activated", "grant.created", "exchange.transfer.started", "access.decisions"} {
			if types[typ] == 0 {
				t.Errorf("no %s event in the evidence: %v", typ, types)
			}
		}
		if got := sealedDocs(rep)["contract.json"]; got != "contract_sha256" {
			t.Errorf("contract.json sealed by %q: %+v", got, rep.Documents)
		}
		var usage struct {
			GrantID   string `json:"grant_id"`
			Decisions []struct {
				Action string `json:"action"`
				Allow  bool   `json:"allow"`
			} `json:"decisions"`
		}
		if err := json.Unmarshal(file(t, buf.Bytes(), "usage.json"), &usage); err != nil {
			t.Fatal(err)
		}
		if usage.GrantID != w.contract.GrantID || len(usage.Decisions) != 2 || !usage.Decisions[0].Allow || usage.Decisions[1].Allow {
			t.Errorf("usage: %+v", usage)
		}

		for _, p := range []identity.Principal{w.Staff, w.ProviderAdmin} {
			if err := w.ds.ContractEvidence(ctx, p, w.contract.ID, io.Discard); err != nil {
				t.Errorf("%s: %v", p.Username, err)
			}
		}
		for _, p := range []identity.Principal{w.RequesterAdmin, w.Unaffiliated, identity.Anonymous} {
			if err := w.ds.ContractEvidence(ctx, p, w.contract.ID, io.Discard); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%q sees the evidence: %v", p.Username, err)
			}
		}
	})
}

// file returns one file of a zip.
func file(t *testing.T, b []byte, name string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			rc, _ := f.Open()
			defer rc.Close()
			body, _ := io.ReadAll(rc)
			return body
		}
	}
	t.Fatalf("no %s in the archive", name)
	return nil
}

func TestDisputeThroughArbitration(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		d, err := w.ds.Open(ctx, w.CompanyAdmin, dispute.OpenInput{ContractID: w.contract.ID, Claim: "  " + claim + "\n"})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != dispute.StatusOpen || d.ClaimantSide != dispute.SideBuyer || d.ClaimantOrgID != w.Company.ID ||
			d.RespondentOrgID != w.Provider.ID || d.Claim != claim || len(d.EvidenceSHA256) != 64 {
			t.Fatalf("opened: %+v", d)
		}
		evidence, got, err := w.ds.Evidence(ctx, w.ProviderAdmin, d.ID)
		if err != nil || store.SHA256Hex(string(evidence)) != d.EvidenceSHA256 || got.ID != d.ID {
			t.Fatalf("the respondent's copy of the evidence: %v", err)
		}
		rep := verifyBundle(t, evidence)
		sealed := sealedDocs(rep)
		if sealed["contract.json"] != "contract_sha256" || sealed["usage.json"] != "usage_sha256" || sealed["claim.txt"] != "claim_sha256" {
			t.Errorf("the attached evidence seals %v", sealed)
		}
		if types := eventTypes(rep); types["exchange.dispute.opened"] != 1 || types["exchange.contract.agreed"] != 1 {
			t.Errorf("attached evidence events: %v", types)
		}

		if d, err = w.ds.Mediate(ctx, w.Staff, d.ID, "约双方于线上调解"); err != nil || d.MediatorID != w.Staff.UserID {
			t.Fatalf("mediate: %+v %v", d, err)
		}
		if _, err := w.ds.Decide(ctx, w.Staff, d.ID, dispute.OutcomeUpheld, "x"); !fieldErr("outcome")(err) {
			t.Errorf("an award in mediation: %v", err)
		}
		if d, err = w.ds.Escalate(ctx, w.staff2, d.ID, "调解未达成一致"); err != nil || d.ArbitratorID != w.staff2.UserID {
			t.Fatalf("escalate: %+v %v", d, err)
		}
		if _, err := w.ds.Decide(ctx, w.Staff, d.ID, dispute.OutcomePartlyUpheld, "由调解员裁决"); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("the mediator decided the arbitration: %v", err)
		}
		d, err = w.ds.Decide(ctx, w.staff2, d.ID, dispute.OutcomePartlyUpheld, "字段缺失属实，退还三成价款。")
		if err != nil || d.Status != dispute.StatusDecided || d.Outcome != dispute.OutcomePartlyUpheld || len(d.Steps) != 4 {
			t.Fatalf("decide: %+v %v", d, err)
		}
		if _, err := w.ds.Withdraw(ctx, w.CompanyAdmin, d.ID, ""); !errors.Is(err, store.ErrConflict) {
			t.Errorf("withdrew a decided case: %v", err)
		}

		var buf bytes.Buffer
		if err := w.ds.Bundle(ctx, w.CompanyAdmin, d.ID, &buf); err != nil {
			t.Fatal(err)
		}
		rep = verifyBundle(t, buf.Bytes())
		sealed = sealedDocs(rep)
		for name, field := range map[string]string{"evidence.zip": "bundle_sha256", "claim.txt": "claim_sha256",
			"steps/01-mediation.txt": "reasons_sha256", "steps/02-arbitration.txt": "reasons_sha256", "steps/03-decided.txt": "reasons_sha256"} {
			if sealed[name] != field {
				t.Errorf("%s sealed by %q, want %s: %v", name, sealed[name], field, sealed)
			}
		}
		if string(file(t, buf.Bytes(), "steps/03-decided.txt")) != "字段缺失属实，退还三成价款。" {
			t.Error("the award's reasons are not in the record")
		}
		types := eventTypes(rep)
		for _, typ := range []string{"opened", "evidence_attached", "mediation", "arbitration", "decided"} {
			if types["exchange.dispute."+typ] != 1 {
				t.Errorf("record events: %v", types)
			}
		}
		evs, err := db.Events(ctx, store.EventFilter{SubjectID: d.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if strings.Contains(string(ev.Payload), "客流") || strings.Contains(string(ev.Payload), "价款") {
				t.Errorf("event %s carries text: %s", ev.Type, ev.Payload)
			}
		}
	})
}

func TestDisputeRefusals(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		// The decision log writes the world's access decisions as events of
		// their own when it group-commits, which may be now: those are
		// not the refused writes' doing.
		before := storetest.CountRows(t, db, "exchange_disputes", "exchange_dispute_steps", "events WHERE type <> 'access.decisions'")
		for _, tc := range []struct {
			name  string
			actor identity.Principal
			in    dispute.OpenInput
			want  func(error) bool
		}{
			{"no claim", w.CompanyAdmin, dispute.OpenInput{ContractID: w.contract.ID, Claim: " "}, fieldErr("claim")},
			{"NUL in the claim", w.CompanyAdmin, dispute.OpenInput{ContractID: w.contract.ID, Claim: "a\x00b"}, fieldErr("claim")},
			{"bad side", w.CompanyAdmin, dispute.OpenInput{ContractID: w.contract.ID, Claim: claim, Side: "judge"}, fieldErr("side")},
			{"not a party", w.Staff, dispute.OpenInput{ContractID: w.contract.ID, Claim: claim}, is(identity.ErrForbidden)},
			{"outsider", w.RequesterAdmin, dispute.OpenInput{ContractID: w.contract.ID, Claim: claim}, is(store.ErrNotFound)},
			{"anonymous", identity.Anonymous, dispute.OpenInput{ContractID: w.contract.ID, Claim: claim}, is(identity.ErrUnauthenticated)},
			{"no contract", w.CompanyAdmin, dispute.OpenInput{ContractID: "urn:uuid:nothing", Claim: claim}, is(store.ErrNotFound)},
		} {
			if _, err := w.ds.Open(ctx, tc.actor, tc.in); !tc.want(err) {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
		storetest.AssertUnchanged(t, db, before)

		d, err := w.ds.Open(ctx, w.ProviderAdmin, dispute.OpenInput{ContractID: w.contract.ID, Claim: "买方超范围使用数据。"})
		if err != nil || d.ClaimantSide != dispute.SideProvider {
			t.Fatalf("the provider's claim: %+v %v", d, err)
		}
		if _, err := w.ds.Open(ctx, w.ProviderEditor, dispute.OpenInput{ContractID: w.contract.ID, Claim: "再次申请"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("a second unresolved claim of the same party: %v", err)
		}
		if _, err := w.ds.Open(ctx, w.CompanyAdmin, dispute.OpenInput{ContractID: w.contract.ID, Claim: claim}); err != nil {
			t.Errorf("the other party's own claim: %v", err)
		}
		for _, tc := range []struct {
			name string
			err  func() error
			want func(error) bool
		}{
			{"outsider reads", func() error { _, err := w.ds.Dispute(ctx, w.RequesterAdmin, d.ID); return err }, is(store.ErrNotFound)},
			{"party mediates", func() error { _, err := w.ds.Mediate(ctx, w.CompanyAdmin, d.ID, ""); return err }, is(identity.ErrForbidden)},
			{"escalate before mediation", func() error { _, err := w.ds.Escalate(ctx, w.Staff, d.ID, "理由"); return err }, is(store.ErrConflict)},
			{"escalate without reasons", func() error { _, err := w.ds.Escalate(ctx, w.Staff, d.ID, " "); return err }, fieldErr("reasons")},
			{"decide an open case", func() error { _, err := w.ds.Decide(ctx, w.Staff, d.ID, dispute.OutcomeSettled, "和解"); return err }, is(store.ErrConflict)},
			{"respondent withdraws", func() error { _, err := w.ds.Withdraw(ctx, w.CompanyAdmin, d.ID, ""); return err }, is(identity.ErrForbidden)},
		} {
			if err := tc.err(); !tc.want(err) {
				t.Errorf("%s: %v", tc.name, err)
			}
		}

		if _, err := w.ds.Mediate(ctx, w.Staff, d.ID, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := w.ds.Decide(ctx, w.staff2, d.ID, dispute.OutcomeSettled, "和解"); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("another staff member settled the mediator's case: %v", err)
		}
		if d, err = w.ds.Decide(ctx, w.Staff, d.ID, dispute.OutcomeSettled, "双方同意补充字段后结案。"); err != nil || d.Status != dispute.StatusSettled {
			t.Fatalf("settle: %+v %v", d, err)
		}

		mine, err := w.ds.Disputes(ctx, w.CompanyAdmin, dispute.Filter{})
		if err != nil || len(mine) != 2 {
			t.Errorf("the company's disputes: %d %v", len(mine), err)
		}
		open, err := w.ds.Disputes(ctx, w.Staff, dispute.Filter{Status: dispute.StatusOpen})
		if err != nil || len(open) != 1 || open[0].ClaimantOrgID != w.Company.ID {
			t.Fatalf("open disputes for staff: %+v %v", open, err)
		}
		if none, err := w.ds.Disputes(ctx, w.RequesterAdmin, dispute.Filter{}); err != nil || len(none) != 0 {
			t.Errorf("an outsider lists %d disputes: %v", len(none), err)
		}
		if d, err = w.ds.Withdraw(ctx, w.CompanyAdmin, open[0].ID, "已与卖方协商解决"); err != nil || d.Status != dispute.StatusWithdrawn ||
			d.Outcome != dispute.OutcomeWithdrawn {
			t.Errorf("withdraw: %+v %v", d, err)
		}
	})
}

func is(target error) func(error) bool { return func(err error) bool { return errors.Is(err, target) } }

func fieldErr(field string) func(error) bool {
	return func(err error) bool {
		fields, _ := validate.Fields(err)
		return slices.Contains(fields, field)
	}
}

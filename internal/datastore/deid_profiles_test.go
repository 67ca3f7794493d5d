package datastore_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/deid"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// TestDeidProfilesNamesTheItemsItRewrites: the stored profiles tell the
// datastore which items a profile serves rewritten (every operator but
// keep, drop included; not a column date_shift only reads), so that
// filters, sort and q never run on their stored values; rows are served
// rewritten; a profile that is gone is a deid_unavailable denial.
func TestDeidProfilesNamesTheItemsItRewrites(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		items := []catalog.Item{
			{Name: "decision_no", LabelZh: "决定书文号", Type: catalog.TypeText, Required: true, Key: true},
			{Name: "party_name", LabelZh: "当事人名称", Type: catalog.TypeText},
			{Name: "phone", LabelZh: "联系电话", Type: catalog.TypeText},
			{Name: "email", LabelZh: "电子邮箱", Type: catalog.TypeText},
			{Name: "decided", LabelZh: "决定日期", Type: catalog.TypeDate},
			{Name: "amount", LabelZh: "罚没金额", Type: catalog.TypeInteger},
		}
		r := f.resource(t, items, false)
		profiles := deid.NewService(db, f.cat)
		sp, err := profiles.Create(ctx, f.editor, r.ID, deid.ProfileInput{Name: "公开版", Profile: deid.Profile{Columns: map[string]deid.ColumnOp{
			"party_name":  {Op: deid.OpPseudonymize},
			"phone":       {Op: deid.OpMask, KeepFirst: 3, KeepLast: 4},
			"email":       {Op: deid.OpDrop},
			"decided":     {Op: deid.OpDateShift, By: "decision_no", MaxDays: 10},
			"decision_no": {Op: deid.OpKeep},
		}}})
		if err != nil {
			t.Fatal(err)
		}
		dd, err := datastore.DeidProfiles(profiles).Transformer(ctx, sp.ID, r, items)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"party_name", "phone", "email", "decided"}; !slices.Equal(dd.Rewritten, want) {
			t.Errorf("rewritten = %v, want %v", dd.Rewritten, want)
		}
		row := []any{"D1", "张伟", "13812345678", "a@b.cn", "2024-03-01", int64(500)}
		if err := dd.Row(row); err != nil {
			t.Fatal(err)
		}
		if row[0] != "D1" || row[1] == "张伟" || row[2] != "138****5678" || row[3] != nil || row[5] != int64(500) {
			t.Errorf("row served as %v", row)
		}
		var denied *access.DeniedError
		_, err = datastore.DeidProfiles(profiles).Transformer(ctx, "no-such-profile", r, items)
		if !errors.As(err, &denied) || denied.Decision.Reason != datastore.ReasonDeidUnavailable {
			t.Errorf("a missing profile: %v, want a %s denial", err, datastore.ReasonDeidUnavailable)
		}
	})
}

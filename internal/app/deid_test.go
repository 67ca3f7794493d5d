package app

import (
	"context"
	"slices"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/deid"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

func TestDeidCellString(t *testing.T) {
	for in, want := range map[any]string{int64(13812345678): "13812345678", 12.5: "12.5", true: "true", "张伟": "张伟", nil: ""} {
		if got := cellString(in); got != want {
			t.Errorf("cellString(%#v) = %q, want %q", in, got, want)
		}
	}
}

func TestDeidValuesKeepTheirTypeWhenTheyCan(t *testing.T) {
	for _, c := range []struct {
		t    catalog.ItemType
		out  string
		want any
	}{
		{catalog.TypeInteger, "100", int64(100)},            // top-coded, still a number
		{catalog.TypeInteger, "138****5678", "138****5678"}, // masked, now text
		{catalog.TypeDecimal, "12.5", 12.5},
		{catalog.TypeBoolean, "true", true},
		{catalog.TypeText, "张伟", "张伟"},
	} {
		if got := typed(c.t, c.out); got != c.want {
			t.Errorf("typed(%s, %q) = %#v, want %#v", c.t, c.out, got, c.want)
		}
	}
}

// TestDeidRowsNamesTheItemsItRewrites: the adapter tells the datastore which
// items a stored profile serves rewritten (every operator but keep, drop
// included; not a column date_shift only reads), so that filters, sort and
// q never run on their stored values.
func TestDeidRowsNamesTheItemsItRewrites(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids, cat := identity.NewService(db), catalog.NewService(db)
		org, err := ids.CreateOrganization(ctx, identity.System, identity.OrgInput{Kind: identity.KindOperator, NameZh: "北京市市场监督管理局", Code: "BJSCJG"})
		if err != nil {
			t.Fatal(err)
		}
		u, err := ids.CreateUser(ctx, identity.System, identity.UserInput{Username: "editor", DisplayName: "editor", Password: "a long enough password",
			Memberships: []identity.Membership{{OrganizationID: org.ID, Role: identity.RoleAdmin}}})
		if err != nil {
			t.Fatal(err)
		}
		editor, err := ids.Principal(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		items := []catalog.Item{
			{Name: "decision_no", LabelZh: "决定书文号", Type: catalog.TypeText, Required: true, Key: true},
			{Name: "party_name", LabelZh: "当事人名称", Type: catalog.TypeText},
			{Name: "phone", LabelZh: "联系电话", Type: catalog.TypeText},
			{Name: "email", LabelZh: "电子邮箱", Type: catalog.TypeText},
			{Name: "decided", LabelZh: "决定日期", Type: catalog.TypeDate},
			{Name: "amount", LabelZh: "罚没金额", Type: catalog.TypeInteger},
		}
		r, err := cat.Create(ctx, editor, org.ID, catalog.Input{TitleZh: "行政处罚", DescriptionZh: "行政处罚决定", Subject: "04", Items: items,
			UpdateFrequency: catalog.FreqMonthly, ShareType: catalog.ShareUnconditional, OpenType: catalog.OpenUnconditional,
			Classification: catalog.ClassGeneral, Level: 1})
		if err != nil {
			t.Fatal(err)
		}
		profiles := deid.NewService(db, cat)
		sp, err := profiles.Create(ctx, editor, r.ID, deid.ProfileInput{Name: "公开版", Profile: deid.Profile{Columns: map[string]deid.ColumnOp{
			"party_name":  {Op: deid.OpPseudonymize},
			"phone":       {Op: deid.OpMask, KeepFirst: 3, KeepLast: 4},
			"email":       {Op: deid.OpDrop},
			"decided":     {Op: deid.OpDateShift, By: "decision_no", MaxDays: 10},
			"decision_no": {Op: deid.OpKeep},
		}}})
		if err != nil {
			t.Fatal(err)
		}
		dd, err := deidRows{profiles: profiles}.Transformer(ctx, sp.ID, r, items)
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
	})
}

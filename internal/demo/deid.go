package demo

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"

	"dataport/internal/catalog"
	"dataport/internal/classify"
	"dataport/internal/datastore"
	"dataport/internal/deid"
	"dataport/internal/identity"
)

// De-identification in the demo city. Every resource opened
// unconditionally that holds personal information, or that the grading
// rules will not open as is, gets a de-identification profile through the
// real profile service, so anonymous readers get its rows de-identified
// instead of a denial. None of the seeded catalog entries is both open to
// everyone and personal, so the market regulator also publishes one that
// is: its administrative penalty decisions on individuals, which the law
// requires to be made public (《市场监督管理行政处罚信息公示规定》) and which
// are opened with the party's name pseudonymised, identity number and phone
// masked and address generalised to the sub-district.

// DeidServices are the services SeedDeid goes through.
type DeidServices struct {
	Identity  *identity.Service
	Catalog   *catalog.Service
	Grades    *classify.Service
	Profiles  *deid.Service
	Datastore *datastore.Service
}

// PenaltyTitle is the title of the demo's open resource with personal information.
const PenaltyTitle = "行政处罚决定信息（自然人）"

// penaltyRows is how many penalty decisions the demo holds.
const penaltyRows = 200

var penaltySpec = resourceSpec{org: "SCJG", Input: catalog.Input{
	TitleZh: PenaltyTitle, TitleEn: "Administrative penalty decisions on individuals",
	DescriptionZh: "本局对自然人和个体工商户作出的行政处罚决定，包括决定书文号、当事人、违法行为类型、罚没款金额和决定日期。" +
		"依法公示，当事人姓名以假名替代，身份证号码和联系电话部分隐去，住所概括到街道。",
	Subject: "03", Industry: "S", Keywords: []string{"行政处罚", "信用监管", "处罚公示"},
	Formats: []string{"CSV", "JSON", "API"}, UpdateFrequency: catalog.FreqDaily,
	ShareType: shareAll, OpenType: openAll,
	Classification: general, Level: 2, PersonalInfo: true, SourceSystem: "市场监管行政执法办案系统",
	Items: []catalog.Item{
		key(text("decision_no", "行政处罚决定书文号", 30)),
		text("party_name", "当事人姓名", 50),
		text("id_number", "当事人身份证号码", 18),
		text("phone", "联系电话", 20),
		text("address", "住所", 200),
		district(),
		code("violation", "违法行为类型", codes("01", "无照经营", "02", "销售不合格商品", "03", "价格违法", "04", "虚假宣传",
			"05", "食品安全违法", "99", "其他")),
		decimal("fine", "罚没款金额（元）", 12, 2),
		date("decided_on", "处罚决定日期"),
	},
}}

// SeedDeid publishes the penalty decisions (once) and gives every open,
// personal resource without a profile one. It is idempotent and runs after
// Seed, SeedAccess and SeedRows.
func SeedDeid(ctx context.Context, s DeidServices) error {
	people := map[string]identity.Principal{}
	for _, name := range []string{operatorName, editorName("SCJG")} {
		u, err := s.Identity.UserByName(ctx, name)
		if err != nil {
			return fmt.Errorf("demo deid: %s: %w", name, err)
		}
		if people[name], err = s.Identity.Principal(ctx, u.ID); err != nil {
			return err
		}
	}
	if err := seedPenalties(ctx, s, people[editorName("SCJG")], people[operatorName]); err != nil {
		return fmt.Errorf("demo deid: %w", err)
	}
	f := catalog.Filter{Status: catalog.StatusPublished, OpenType: catalog.OpenUnconditional, Limit: 200}
	for {
		page, err := s.Catalog.List(ctx, identity.System, f)
		if err != nil {
			return fmt.Errorf("demo deid: %w", err)
		}
		for _, r := range page.Items {
			if err := seedProfile(ctx, s, r, people[operatorName]); err != nil {
				return fmt.Errorf("demo deid: %s %s: %w", r.Code, r.TitleZh, err)
			}
		}
		if page.NextCursor == "" {
			return nil
		}
		f.Cursor = page.NextCursor
	}
}

// seedProfile gives r a profile when it needs one and has none.
func seedProfile(ctx context.Context, s DeidServices, r catalog.Resource, operator identity.Principal) error {
	refs, err := s.Profiles.Refs(ctx, r.ID)
	if err != nil || len(refs) > 0 {
		return err
	}
	req, err := s.Grades.Requirement(ctx, r, classify.UseOpen, classify.PathAPI)
	if err != nil {
		return err
	}
	if req.Allowed && !req.PersonalInfo {
		return nil
	}
	in := deid.ProfileInput{Name: "公开发布", Profile: profileFor(r.Items)}
	if r.TitleZh == PenaltyTitle {
		in.Profile = penaltyProfile()
	}
	_, err = s.Profiles.Create(ctx, operator, r.ID, in)
	return err
}

// profileFor derives a record-level profile from item names and labels:
// names pseudonymised, identity numbers and phones masked, addresses
// masked past the district, e-mail addresses redacted.
func profileFor(items []catalog.Item) deid.Profile {
	p := deid.Profile{Columns: map[string]deid.ColumnOp{}}
	for _, it := range items {
		label := it.LabelZh
		switch {
		case strings.Contains(label, "姓名"):
			p.Columns[it.Name] = deid.ColumnOp{Op: deid.OpPseudonymize, Length: 12}
		case strings.Contains(label, "身份证") || strings.Contains(label, "证件号"):
			p.Columns[it.Name] = deid.ColumnOp{Op: deid.OpMask, KeepFirst: 6}
		case strings.Contains(label, "电话") || strings.Contains(label, "手机"):
			p.Columns[it.Name] = deid.ColumnOp{Op: deid.OpMask, KeepFirst: 3, KeepLast: 4}
		case strings.Contains(label, "地址") || strings.Contains(label, "住所"):
			p.Columns[it.Name] = deid.ColumnOp{Op: deid.OpMask, KeepFirst: 6}
		case strings.Contains(label, "邮箱") || strings.Contains(label, "电子邮件"):
			p.Columns[it.Name] = deid.ColumnOp{Op: deid.OpRedact}
		}
	}
	return p
}

// penaltyProfile is profileFor with the addresses generalised along a
// hierarchy (address → sub-district → district → *) instead of masked.
func penaltyProfile() deid.Profile {
	p := profileFor(penaltySpec.Items)
	var h strings.Builder
	for k := 1; k <= penaltyRows; k++ {
		full, street, dist := penaltyAddress(k)
		fmt.Fprintf(&h, "%s;%s;%s;*\n", full, street, dist)
	}
	p.Columns["address"] = deid.ColumnOp{Op: deid.OpGeneralize, Level: 1}
	p.Hierarchies = map[string]deid.HierarchySpec{"address": {CSV: h.String()}}
	return p
}

// seedPenalties publishes the penalty decisions and loads their rows, each
// step only when it has not happened yet.
func seedPenalties(ctx context.Context, s DeidServices, editor, operator identity.Principal) error {
	orgID := editor.Memberships[0].OrganizationID
	page, err := s.Catalog.List(ctx, identity.System, catalog.Filter{OrganizationID: orgID, Limit: 200})
	if err != nil {
		return err
	}
	var res *catalog.Resource
	for i, r := range page.Items {
		if r.TitleZh == PenaltyTitle {
			res = &page.Items[i]
		}
	}
	if res == nil {
		o, err := s.Identity.Organization(ctx, orgID)
		if err != nil {
			return err
		}
		var spec orgSpec
		for _, is := range institutions {
			if is.code == o.Code {
				spec = is
			}
		}
		in := prepare(penaltySpec.Input, spec)
		r, err := s.Catalog.Create(ctx, editor, orgID, in)
		if err != nil {
			return fmt.Errorf("penalty decisions: %w", err)
		}
		if r, err = s.Catalog.Submit(ctx, editor, r.ID); err != nil {
			return fmt.Errorf("penalty decisions: %w", err)
		}
		if r, err = s.Catalog.Review(ctx, operator, r.ID, catalog.Approve, "依法公示，已配置去标识化规则"); err != nil {
			return fmt.Errorf("penalty decisions: %w", err)
		}
		res = &r
	}
	if _, err := s.Datastore.Current(ctx, identity.System, res.ID); err == nil {
		return nil
	}
	data := PenaltyCSV(penaltyRows)
	_, err = s.Datastore.Load(ctx, identity.System, res.ID, datastore.LoadInput{File: bytes.NewReader(data), Name: "penalties.csv", Size: int64(len(data))})
	if err != nil {
		return fmt.Errorf("penalty decisions rows: %w", err)
	}
	return nil
}

var (
	demoSurnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗"}
	demoGiven    = []string{"伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞"}
	demoStreets  = []string{"和平里街道", "朝阳路街道", "新华街道", "建设路街道", "文化路街道"}
	demoMobile   = []string{"138", "139", "137", "135", "186", "159", "150", "188"}
)

// penaltyAddress is row k's address, its sub-district and its district.
func penaltyAddress(k int) (full, street, dist string) {
	d := districts[k%len(districts)]
	dist = "京华市" + d.name
	street = dist + demoStreets[(k*3)%len(demoStreets)]
	return fmt.Sprintf("%s%d号", street, 1+(k*37)%300), street, dist
}

// PenaltyCSV generates n deterministic penalty decisions with realistic,
// invented personal information: valid resident identity numbers (GB
// 11643 check digit), mobile numbers of current segments, names, addresses.
func PenaltyCSV(n int) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	header := make([]string, len(penaltySpec.Items))
	for i, it := range penaltySpec.Items {
		header[i] = it.LabelZh
	}
	w.Write(header)
	violations := penaltySpec.Items[6].CodeList
	for k := 1; k <= n; k++ {
		d := districts[k%len(districts)]
		birth := demoEpoch.AddDate(-60, 0, (k*97)%15000)
		full, _, _ := penaltyAddress(k)
		w.Write([]string{
			fmt.Sprintf("京华市监罚〔2024〕%04d号", k),
			demoSurnames[(k*7)%len(demoSurnames)] + demoGiven[(k*11)%len(demoGiven)],
			residentID(d.code + birth.Format("20060102") + fmt.Sprintf("%03d", (k*13)%1000)),
			demoMobile[k%len(demoMobile)] + fmt.Sprintf("%08d", (k*7919+12345)%100000000),
			full,
			d.code,
			violations[k%len(violations)].Code,
			fmt.Sprintf("%.2f", float64((k*1373)%5000000)/100),
			demoEpoch.AddDate(0, 0, (k*3)%365).Format("2006-01-02"),
		})
	}
	w.Flush()
	return buf.Bytes()
}

// residentID appends the GB 11643 (ISO 7064 MOD 11-2) check character to
// the first 17 characters of a resident identity number.
func residentID(first17 string) string {
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(first17[i]-'0') * w
	}
	return first17 + string("10X98765432"[sum%11])
}

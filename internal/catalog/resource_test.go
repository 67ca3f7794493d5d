package catalog_test

import (
	"strings"
	"testing"

	"dataport/internal/catalog"
	"github.com/google/go-cmp/cmp"
)

// validationCases are inputs the catalog spec refuses, with the fields named.
// Create and Update must refuse each of them the same way.
var validationCases = []struct {
	name   string
	change func(in *catalog.Input)
	fields []string
}{
	{"missing title_zh", func(in *catalog.Input) { in.TitleZh = "" }, []string{"title_zh"}},
	{"blank title_zh", func(in *catalog.Input) { in.TitleZh = " \t " }, []string{"title_zh"}},
	{"title_zh too long", func(in *catalog.Input) { in.TitleZh = strings.Repeat("长", 201) }, []string{"title_zh"}},
	{"missing description_zh", func(in *catalog.Input) { in.DescriptionZh = "" }, []string{"description_zh"}},
	{"unknown subject", func(in *catalog.Input) { in.Subject = "99" }, []string{"subject"}},
	{"missing subject", func(in *catalog.Input) { in.Subject = "" }, []string{"subject"}},
	{"unknown industry", func(in *catalog.Input) { in.Industry = "Z" }, []string{"industry"}},
	{"unknown format", func(in *catalog.Input) { in.Formats = []string{"CSV", "DOCX"} }, []string{"formats[1]"}},
	{"too many keywords", func(in *catalog.Input) {
		in.Keywords = nil
		for i := range 21 {
			in.Keywords = append(in.Keywords, "关键词"+string(rune('a'+i)))
		}
	}, []string{"keywords"}},
	{"unknown update frequency", func(in *catalog.Input) { in.UpdateFrequency = "hourly" }, []string{"update_frequency"}},
	{"unknown share type", func(in *catalog.Input) { in.ShareType = "partial" }, []string{"share_type"}},
	{"share_type none without share_basis", func(in *catalog.Input) {
		in.ShareType, in.OpenType, in.OpenBasis = catalog.ShareNone, catalog.OpenNone, "涉及国家秘密"
	}, []string{"share_basis"}},
	{"share_type conditional without share_basis", func(in *catalog.Input) {
		in.ShareType, in.OpenType, in.OpenBasis = catalog.ShareConditional, catalog.OpenConditional, "仅向科研机构开放"
	}, []string{"share_basis"}},
	{"conditional open without open_basis", func(in *catalog.Input) { in.OpenType = catalog.OpenConditional }, []string{"open_basis"}},
	{"open_type none without open_basis", func(in *catalog.Input) { in.OpenType = catalog.OpenNone }, []string{"open_basis"}},
	{"open unconditionally but share conditionally", func(in *catalog.Input) {
		in.ShareType, in.ShareBasis = catalog.ShareConditional, "仅限政务用途"
	}, []string{"open_type"}},
	{"open conditionally but share none", func(in *catalog.Input) {
		in.ShareType, in.ShareBasis, in.OpenType, in.OpenBasis = catalog.ShareNone, "法律禁止", catalog.OpenConditional, "申请开放"
	}, []string{"open_type"}},
	{"core data opened unconditionally", func(in *catalog.Input) { in.Classification, in.Level = catalog.ClassCore, 4 }, []string{"open_type"}},
	{"core data opened conditionally", func(in *catalog.Input) {
		in.Classification, in.Level, in.OpenType, in.OpenBasis = catalog.ClassCore, 4, catalog.OpenConditional, "申请开放"
	}, []string{"open_type"}},
	{"unknown classification", func(in *catalog.Input) { in.Classification = "secret" }, []string{"classification"}},
	{"level 0", func(in *catalog.Input) { in.Level = 0 }, []string{"level"}},
	{"level 5", func(in *catalog.Input) { in.Level = 5 }, []string{"level"}},
	{"no items", func(in *catalog.Input) { in.Items = nil }, []string{"items"}},
	{"duplicate item names", func(in *catalog.Input) { in.Items[1].Name = in.Items[0].Name }, []string{"items[1].name"}},
	{"item name with upper case and space", func(in *catalog.Input) { in.Items[0].Name = "Route ID" }, []string{"items[0].name"}},
	{"item name starting with a digit", func(in *catalog.Input) { in.Items[2].Name = "1kind" }, []string{"items[2].name"}},
	{"item name in Chinese", func(in *catalog.Input) { in.Items[0].Name = "线路编号" }, []string{"items[0].name"}},
	{"item name of 64 characters", func(in *catalog.Input) { in.Items[0].Name = "a" + strings.Repeat("b", 63) }, []string{"items[0].name"}},
	{"item without label", func(in *catalog.Input) { in.Items[1].LabelZh = "" }, []string{"items[1].label_zh"}},
	{"unknown item type", func(in *catalog.Input) { in.Items[0].Type = "string" }, []string{"items[0].type"}},
	{"negative length", func(in *catalog.Input) { in.Items[0].Length = -1 }, []string{"items[0].length"}},
	{"code type without code_list", func(in *catalog.Input) { in.Items[2].CodeList = nil }, []string{"items[2].code_list"}},
	{"duplicate code in code_list", func(in *catalog.Input) { in.Items[2].CodeList[1].Code = "1" }, []string{"items[2].code_list[1].code"}},
	{"precision on a text item", func(in *catalog.Input) { in.Items[0].Precision = 2 }, []string{"items[0].precision"}},
	{"precision on a code item", func(in *catalog.Input) { in.Items[2].Precision = 1 }, []string{"items[2].precision"}},
	{"negative precision on a decimal item", func(in *catalog.Input) { in.Items[1].Precision = -1 }, []string{"items[1].precision"}},
	{"bad contact email", func(in *catalog.Input) { in.ContactEmail = "data.jtw.beijing.gov.cn" }, []string{"contact_email"}},
	{"several problems at once", func(in *catalog.Input) {
		in.TitleZh, in.Level = "", 9
		in.Items = append(in.Items, catalog.Item{Name: "fare", LabelZh: "重复", Type: catalog.TypeText})
	}, []string{"title_zh", "level", "items[3].name"}},
}

func TestValidateRefuses(t *testing.T) {
	for _, test := range validationCases {
		t.Run(test.name, func(t *testing.T) {
			err := inputWith(test.change).Validate()
			if err == nil {
				t.Fatal("Validate() = nil, want field errors")
			}
			if diff := cmp.Diff(test.fields, errorFields(t, err)); diff != "" {
				t.Errorf("fields in %q (-want +got):\n%s", err, diff)
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name   string
		change func(in *catalog.Input)
	}{
		{"the valid input", func(in *catalog.Input) {}},
		{"share and open conditionally with bases", func(in *catalog.Input) {
			in.ShareType, in.ShareBasis, in.OpenType, in.OpenBasis = catalog.ShareConditional, "仅限政务用途", catalog.OpenConditional, "经申请开放"
		}},
		{"share unconditionally, open none", func(in *catalog.Input) { in.OpenType, in.OpenBasis = catalog.OpenNone, "涉及个人信息" }},
		{"share none, open none", func(in *catalog.Input) {
			in.ShareType, in.ShareBasis, in.OpenType, in.OpenBasis = catalog.ShareNone, "法律禁止", catalog.OpenNone, "法律禁止"
		}},
		{"core data, not opened", func(in *catalog.Input) {
			in.Classification, in.Level, in.OpenType, in.OpenBasis = catalog.ClassCore, 4, catalog.OpenNone, "核心数据"
		}},
		{"important data at level 3", func(in *catalog.Input) { in.Classification, in.Level = catalog.ClassImportant, 3 }},
		{"no optional fields", func(in *catalog.Input) {
			in.TitleEn, in.DescriptionEn, in.Industry, in.Keywords, in.Formats = "", "", "", nil, nil
			in.SourceSystem, in.ContactName, in.ContactPhone, in.ContactEmail = "", "", "", ""
		}},
		{"item name of 63 characters", func(in *catalog.Input) { in.Items[0].Name = "a" + strings.Repeat("b", 62) }},
		{"every item type", func(in *catalog.Input) {
			for _, typ := range []catalog.ItemType{catalog.TypeInteger, catalog.TypeDate, catalog.TypeDatetime, catalog.TypeBoolean} {
				in.Items = append(in.Items, catalog.Item{Name: "item_" + string(typ), LabelZh: string(typ), Type: typ})
			}
		}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if err := inputWith(test.change).Validate(); err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	in := inputWith(func(in *catalog.Input) {
		in.TitleZh, in.Subject = "  公交线路基础信息\n", " 04 "
		in.Keywords = []string{" 公交 ", "", "线路", "公交"}
		in.Formats = []string{"csv", " Json", "CSV", "geojson", "GeoJSON", "parquet", "Parquet", " "}
		in.Items[0].Name, in.Items[0].LabelZh = " route_id ", " 线路编号 "
	})
	in.Normalize()
	want := inputWith(func(in *catalog.Input) {
		in.Formats = []string{"CSV", "JSON", "GeoJSON", "Parquet"}
	})
	if diff := cmp.Diff(want, in); diff != "" {
		t.Errorf("normalized input (-want +got):\n%s", diff)
	}
	if err := in.Validate(); err != nil {
		t.Errorf("normalized input is invalid: %v", err)
	}
}

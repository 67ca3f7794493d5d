package classify

import (
	"fmt"
	"slices"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestPrecisionRecall generates labelled columns (valid instances and near
// misses with wrong check characters, impossible dates, unknown regions or
// unallocated segments, plus columns of ordinary data) and requires per-type
// precision and recall of at least 0.99 on the value level.
func TestPrecisionRecall(t *testing.T) {
	g := newGen(20260101)
	cols := labelledColumns(g, 3000, 0.3)
	tp, fp, fn := map[Type]int{}, map[Type]int{}, map[Type]int{}
	misses := map[Type][]string{}
	for _, c := range cols {
		hint := string(HeaderHint(c.header))
		for _, v := range c.values {
			got, valid := Detect(v.value, hint)
			if !valid {
				got = ""
			}
			switch {
			case got == v.label && got != "":
				tp[got]++
			case got != v.label:
				if got != "" {
					fp[got]++
					misses[got] = append(misses[got], fmt.Sprintf("FP %q in %s", v.value, c.header))
				}
				if v.label != "" {
					fn[v.label]++
					misses[v.label] = append(misses[v.label], fmt.Sprintf("FN %q in %s (got %q)", v.value, c.header, got))
				}
			}
		}
	}
	for _, typ := range Types {
		if tp[typ] < 500 {
			t.Errorf("%s: only %d true positives generated; the test needs more", typ, tp[typ])
			continue
		}
		precision := float64(tp[typ]) / float64(tp[typ]+fp[typ])
		recall := float64(tp[typ]) / float64(tp[typ]+fn[typ])
		t.Logf("%-17s tp=%5d fp=%3d fn=%3d precision=%.4f recall=%.4f", typ, tp[typ], fp[typ], fn[typ], precision, recall)
		if precision < 0.99 || recall < 0.99 {
			t.Errorf("%s: precision %.4f, recall %.4f (want ≥ 0.99); e.g. %v", typ, precision, recall, misses[typ][:min(5, len(misses[typ]))])
		}
	}
}

// TestScanColumns scans the generated table as a whole: every column must be
// detected as its type, ordinary columns as nothing, and matches must count
// exactly the valid instances.
func TestScanColumns(t *testing.T) {
	g := newGen(7)
	cols := labelledColumns(g, 2000, 0.1)
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = c.header
	}
	s := NewScanner(header)
	for r := range 2000 {
		row := make([]string, len(cols))
		for i, c := range cols {
			row[i] = c.values[r].value
		}
		s.Add(row)
	}
	res := s.Result()
	if res.Rows != 2000 {
		t.Fatalf("rows = %d", res.Rows)
	}
	for i, c := range cols {
		want := Type("")
		valid := 0
		for _, v := range c.values {
			if v.label != "" {
				want = v.label
				valid++
			}
		}
		got := res.Columns[i]
		if (got.Detected == nil) != (want == "") || (got.Detected != nil && *got.Detected != want) {
			t.Errorf("column %s: detected %v, want %q", c.header, deref(got.Detected), want)
		}
		if want != "" && (got.Matches[want] < valid*99/100 || got.Matches[want] > valid) {
			t.Errorf("column %s: matches[%s] = %d, want about %d", c.header, want, got.Matches[want], valid)
		}
		if share := float64(valid) / float64(len(c.values)); want != "" && got.Confidence < 0.9*share {
			t.Errorf("column %s: confidence %.3f with %.3f of values valid", c.header, got.Confidence, share)
		}
	}
}

func deref(t *Type) string {
	if t == nil {
		return "null"
	}
	return string(*t)
}

func TestEmbeddedInFreeText(t *testing.T) {
	s := NewScanner([]string{"备注"})
	card := "622202123456789012" + string(LuhnCheckDigit("622202123456789012"))
	texts := []string{
		"请联系张先生，电话13912345678，身份证11010519491231002X。",
		"投诉人邮箱 zhang.san@163.com，车牌粤B·D12345 违停",
		"退款至银行卡号 " + card[:4] + " " + card[4:8] + " " + card[8:12] + " " + card[12:16] + " " + card[16:] + "，已处理完毕请知悉",
		"订单号 202401010000123456 已发货，请注意查收快递包裹",
		"企业统一社会信用代码91110000100000000E，经营范围包括技术开发",
	}
	for range 10 {
		for _, x := range texts {
			s.Add([]string{x})
		}
	}
	c := s.Result().Columns[0]
	if c.Detected != nil || !c.FreeText {
		t.Errorf("free-text column: detected %v, free_text %v", deref(c.Detected), c.FreeText)
	}
	want := map[Type]int{Mobile: 10, ResidentID: 10, Email: 10, LicensePlate: 10, BankCard: 10}
	for typ, n := range want {
		if c.Embedded[typ] != n {
			t.Errorf("embedded %s = %d, want %d (all: %v)", typ, c.Embedded[typ], n, c.Embedded)
		}
	}
}

func TestResidentIDKnownVectors(t *testing.T) {
	for _, test := range []struct {
		id   string
		want bool
	}{
		{"11010519491231002X", true}, // the GB 11643 example
		{"11010519491231002x", true},
		{"110105194912310021", false}, // check character
		{"110105194902300025", false}, // 30 February
		{"990105194912310020", false}, // no province 99
		{"440524800101001", true},     // 15-digit legacy form
		{"440524801301001", false},    // month 13
	} {
		if got := ValidResidentID(test.id); got != test.want {
			t.Errorf("ValidResidentID(%q) = %v, want %v", test.id, got, test.want)
		}
	}
}

func TestUSCCBadCheckLowersConfidence(t *testing.T) {
	g := newGen(3)
	s := NewScanner([]string{"信用代码"})
	for i := range 100 {
		s.Add([]string{g.uscc(i%5 != 0)}) // one in five fails its check character
	}
	c := s.Result().Columns[0]
	if c.Detected == nil || *c.Detected != USCC {
		t.Fatalf("detected %v", deref(c.Detected))
	}
	if c.Matches[USCC] != 80 {
		t.Errorf("matches = %d, want 80 (only valid codes)", c.Matches[USCC])
	}
	if c.Confidence >= 1 || c.Confidence < 0.85 {
		t.Errorf("confidence %.3f: want lowered by the failed checks, not rejected", c.Confidence)
	}
}

// TestMobileTableAgreesWithLibphonenumber checks the compiled segment table
// against the library's own validation on numbers from every segment.
func TestMobileTableAgreesWithLibphonenumber(t *testing.T) {
	g := newGen(11)
	for p := 13000; p < 20000; p += 7 {
		n := fmt.Sprintf("%d%s", p, g.digits(6))
		num, err := phonenumbers.Parse(n, "CN")
		want := err == nil && phonenumbers.IsValidNumber(num) && phonenumbers.GetNumberType(num) == phonenumbers.MOBILE
		if got := ValidMobile(n); got != want {
			t.Errorf("ValidMobile(%s) = %v, libphonenumber says %v", n, got, want)
		}
	}
}

func TestHeaderHints(t *testing.T) {
	for _, test := range []struct {
		header string
		want   Type
	}{
		{"身份证号码", ResidentID}, {"SFZH", ResidentID}, {"id_card", ResidentID}, {"联系电话", phoneHint},
		{"mobile_phone", Mobile}, {"企业名称", ""}, {"company_name", ""}, {"name", PersonName}, {"法定代表人", PersonName},
		{"经度", GeoCoord}, {"出生日期", DateOfBirth}, {"单位地址", Address}, {"amount", ""}, {"description", ""},
	} {
		if got := HeaderHint(test.header); got != test.want {
			t.Errorf("HeaderHint(%q) = %q, want %q", test.header, got, test.want)
		}
	}
	if !slices.Equal([]Category{HeaderCategory("诊断结果"), HeaderCategory("月收入"), HeaderCategory("amount")}, []Category{CatHealth, CatFinancial, ""}) {
		t.Error("HeaderCategory")
	}
}

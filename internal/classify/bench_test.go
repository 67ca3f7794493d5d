package classify

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"testing"
)

// mixedCSV generates a CSV of the kind institutions upload: identifiers,
// contacts, addresses, amounts, dates, codes and a free-text remark, about
// 200 bytes a row.
func mixedCSV(rows int) []byte {
	g := newGen(42)
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"序号", "姓名", "身份证号", "手机号码", "电子邮箱", "家庭住址", "登记日期", "金额", "状态", "统一社会信用代码", "备注"})
	remarks := []string{"材料齐全，予以受理", "已电话回访，群众表示满意", "请于三个工作日内补交材料", "", "无"}
	for i := range rows {
		remark := remarks[i%len(remarks)]
		if i%50 == 0 {
			remark = "联系人电话" + g.mobile().value + "，已核实"
		}
		w.Write([]string{fmt.Sprint(i + 1), g.name(true), g.residentID(i%20 != 0), g.mobile().value, g.email(true),
			g.address(true), g.birth(2015, 2024), fmt.Sprintf("%d.%02d", g.r.IntN(100000), g.r.IntN(100)),
			g.pick([]string{"已办结", "办理中", "已退回"}), g.uscc(true), remark})
	}
	w.Flush()
	return buf.Bytes()
}

// BenchmarkScanCSV measures scanning throughput end to end on one core:
// CSV parsing plus detection on every value. Reported as MB/s.
func BenchmarkScanCSV(b *testing.B) {
	data := mixedCSV(50000)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	cpu := cpuSeconds()
	defer func() { b.ReportMetric(float64(len(data))*float64(b.N)/1e6/(cpuSeconds()-cpu), "MB/cpu-s") }()
	for range b.N {
		r := csv.NewReader(bytes.NewReader(data))
		r.ReuseRecord = true
		header, _ := r.Read()
		s := NewScanner(append([]string(nil), header...))
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			s.Add(rec)
		}
		if res := s.Result(); res.Rows != 50000 {
			b.Fatal(res.Rows)
		}
	}
}

// BenchmarkScanValues measures detection alone on pre-split rows.
func BenchmarkScanValues(b *testing.B) {
	data := mixedCSV(50000)
	recs, _ := csv.NewReader(bytes.NewReader(data)).ReadAll()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	cpu := cpuSeconds()
	defer func() { b.ReportMetric(float64(len(data))*float64(b.N)/1e6/(cpuSeconds()-cpu), "MB/cpu-s") }()
	for range b.N {
		s := NewScanner(recs[0])
		for _, rec := range recs[1:] {
			s.Add(rec)
		}
	}
}

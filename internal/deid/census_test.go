package deid

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// census generates a census-like table (deterministic for a seed): eight
// quasi-identifiers with realistic skew and one sensitive attribute, plus
// hierarchies for each quasi-identifier in ARX's CSV format or as builders.
func census(rows int, seed uint64) (Table, Profile) {
	r := rand.New(rand.NewPCG(seed, 1))
	weighted := func(items []string, weights []int) func() string {
		total := 0
		for _, w := range weights {
			total += w
		}
		return func() string {
			x := r.IntN(total)
			for i, w := range weights {
				if x < w {
					return items[i]
				}
				x -= w
			}
			return items[len(items)-1]
		}
	}
	ethnic := weighted([]string{"汉族", "壮族", "回族", "满族", "维吾尔族", "苗族", "彝族", "土家族", "藏族", "蒙古族"}, []int{910, 15, 12, 10, 9, 8, 7, 7, 5, 5})
	marital := weighted([]string{"未婚", "已婚", "离婚", "丧偶", "再婚"}, []int{25, 60, 6, 6, 3})
	education := weighted([]string{"未上学", "小学", "初中", "高中", "中专", "大专", "本科", "硕士", "博士"}, []int{3, 20, 30, 14, 7, 11, 12, 2, 1})
	occupation := weighted([]string{"机关负责人", "专业技术人员", "办事人员", "商业服务人员", "农林牧渔人员", "生产运输人员", "军人", "其他"}, []int{3, 15, 10, 25, 20, 22, 1, 4})
	unit := weighted([]string{"机关", "事业单位", "国有企业", "集体企业", "私营企业", "个体", "外资企业", "无"}, []int{3, 8, 10, 3, 30, 20, 4, 22})
	region := weighted([]string{"110101", "110102", "110105", "110106", "110108", "110112", "110114", "110115", "130102", "130104",
		"130105", "130202", "130203", "131002", "131003", "120101", "120102", "120103", "120104", "120105", "120116", "370102", "370103", "370202"},
		[]int{30, 30, 60, 40, 60, 30, 30, 30, 10, 10, 10, 8, 8, 6, 6, 15, 15, 15, 15, 15, 20, 8, 8, 8})
	income := weighted([]string{"<3000", "3000-5000", "5000-8000", "8000-12000", "12000-20000", ">20000"}, []int{20, 30, 25, 14, 8, 3})
	t := Table{Header: []string{"年龄", "性别", "民族", "婚姻状况", "学历", "户籍地", "职业", "单位类型", "月收入"}}
	for range rows {
		age := 17 + int(math.Abs(r.NormFloat64()*15+22))
		age = min(age, 90)
		sex := "男"
		if r.IntN(100) < 49 {
			sex = "女"
		}
		t.Rows = append(t.Rows, []string{fmt.Sprint(age), sex, ethnic(), marital(), education(), region(), occupation(), unit(), income()})
	}
	arx := func(lines ...string) HierarchySpec { return HierarchySpec{CSV: strings.Join(lines, "\n")} }
	minority := []string{}
	for _, e := range []string{"壮族", "回族", "满族", "维吾尔族", "苗族", "彝族", "土家族", "藏族", "蒙古族"} {
		minority = append(minority, e+";少数民族;*")
	}
	p := Profile{
		QuasiIdentifiers: []string{"年龄", "性别", "民族", "婚姻状况", "学历", "户籍地", "职业", "单位类型"},
		Sensitive:        []string{"月收入"},
		K:                5,
		MaxSuppression:   0.05,
		Hierarchies: map[string]HierarchySpec{
			"年龄":   {Type: "interval", Widths: []float64{5, 10, 20}},
			"性别":   arx("男;*", "女;*"),
			"民族":   arx(append([]string{"汉族;汉族;*"}, minority...)...),
			"婚姻状况": arx("未婚;无配偶;*", "离婚;无配偶;*", "丧偶;无配偶;*", "已婚;有配偶;*", "再婚;有配偶;*"),
			"学历": arx("未上学;义务教育及以下;非高等教育;*", "小学;义务教育及以下;非高等教育;*", "初中;义务教育及以下;非高等教育;*",
				"高中;高中阶段;非高等教育;*", "中专;高中阶段;非高等教育;*", "大专;专科及本科;高等教育;*", "本科;专科及本科;高等教育;*",
				"硕士;研究生;高等教育;*", "博士;研究生;高等教育;*"),
			"户籍地": {Type: "region"},
			"职业": arx("机关负责人;管理与技术;*", "专业技术人员;管理与技术;*", "办事人员;管理与技术;*", "商业服务人员;生产与服务;*",
				"农林牧渔人员;生产与服务;*", "生产运输人员;生产与服务;*", "军人;其他;*", "其他;其他;*"),
			"单位类型": arx("机关;公共部门;*", "事业单位;公共部门;*", "国有企业;公共部门;*", "集体企业;非公共部门;*", "私营企业;非公共部门;*",
				"个体;非公共部门;*", "外资企业;非公共部门;*", "无;非公共部门;*"),
		},
	}
	return t, p
}

// TestCensusKAnonymity anonymises a 30,000-row census-like table with eight
// quasi-identifiers to k=5 and proves with an independent count that every
// equivalence class of the output has at least five rows and that no more
// than 5% of the rows were suppressed.
func TestCensusKAnonymity(t *testing.T) {
	tab, p := census(30000, 2026)
	out, rep, err := Anonymize(tab, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("transformation %v, suppressed %d, loss %+v, k %d, search %+v, %.1f ms",
		rep.Transformation, rep.Suppressed, rep.InformationLoss, rep.KAchieved, rep.Search, rep.ElapsedMS)
	// The independent count: group the output rows by their quasi-identifier values.
	qi := make([]int, len(p.QuasiIdentifiers))
	for j, name := range p.QuasiIdentifiers {
		qi[j] = slices.Index(out.Header, name)
	}
	classes := map[string]int{}
	for _, row := range out.Rows {
		key := make([]string, len(qi))
		for j, c := range qi {
			key[j] = row[c]
		}
		classes[strings.Join(key, "\x00")]++
	}
	smallest := math.MaxInt
	for key, n := range classes {
		if n < 5 {
			t.Errorf("class %q has %d rows", key, n)
		}
		smallest = min(smallest, n)
	}
	if limit := 30000 * 5 / 100; 30000-len(out.Rows) > limit {
		t.Errorf("suppressed %d rows, limit %d", 30000-len(out.Rows), limit)
	}
	if rep.RowsIn != 30000 || rep.RowsOut != len(out.Rows) || rep.Suppressed != 30000-len(out.Rows) || rep.KAchieved != smallest {
		t.Errorf("report %+v disagrees with the output (%d rows, smallest class %d)", rep, len(out.Rows), smallest)
	}
	if rep.RiskAfter.Prosecutor.Highest > 0.2 || rep.RiskBefore.Prosecutor.Highest != 1 {
		t.Errorf("risk before %+v after %+v", rep.RiskBefore.Prosecutor, rep.RiskAfter.Prosecutor)
	}
	if rep.Search.Evaluated*4 > rep.Search.Nodes {
		t.Errorf("the search evaluated %d of %d nodes: pruning does not work", rep.Search.Evaluated, rep.Search.Nodes)
	}
}

// TestSearchSameOnOneOrTwoCPUs checks that evaluating two nodes at a time
// finds the same transformation, loss and number of evaluations as one at
// a time, and the loss found before the search was made faster.
func TestSearchSameOnOneOrTwoCPUs(t *testing.T) {
	tab, p := census(30000, 2026)
	var reps [2]Report
	for i, procs := range []int{1, 2} {
		old := runtime.GOMAXPROCS(procs)
		_, rep, err := Anonymize(tab, p, Options{})
		runtime.GOMAXPROCS(old)
		if err != nil {
			t.Fatal(err)
		}
		reps[i] = rep
	}
	if !maps.Equal(reps[0].Transformation, reps[1].Transformation) || reps[0].InformationLoss != reps[1].InformationLoss ||
		reps[0].Suppressed != reps[1].Suppressed || reps[0].Search != reps[1].Search {
		t.Errorf("one CPU %v %v %+v, two %v %v %+v", reps[0].Transformation, reps[0].InformationLoss, reps[0].Search,
			reps[1].Transformation, reps[1].InformationLoss, reps[1].Search)
	}
	if reps[0].InformationLoss.Value != 0.29758 || reps[0].Suppressed != 1023 {
		t.Errorf("loss %v, suppressed %d: want 0.29758 and 1023", reps[0].InformationLoss.Value, reps[0].Suppressed)
	}
}

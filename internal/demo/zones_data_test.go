package demo

import (
	"slices"
	"strconv"
	"testing"

	"dataport/internal/catalog"
)

// TestZoneRows checks the zones' generated persons: the same rows on every
// call, one row per person (distinct keys), every value of its item's type
// and code list, and shapes a health statistician would recognise —
// districts by population, more women than men, the elderly costing more,
// a few cells under the minimum size, and costs past the zone's bound.
func TestZoneRows(t *testing.T) {
	patients := OutpatientRows(zoneVisitRows)
	if !slices.EqualFunc(patients, OutpatientRows(zoneVisitRows), slices.Equal) {
		t.Fatal("OutpatientRows is not deterministic")
	}
	if len(patients) != zoneVisitRows || len(patients) < 20_000 {
		t.Fatalf("%d patients, want %d (at least 20,000)", len(patients), zoneVisitRows)
	}
	checkZoneRows(t, outpatientPatients.Items, patients)

	byDistrict, women, congenital := map[string]int{}, 0, map[string]int{}
	var costYoung, costOld float64
	var nYoung, nOld, overBound int
	for _, r := range patients {
		age, _ := strconv.Atoi(r[1])
		cost, _ := strconv.ParseFloat(r[5], 64)
		byDistrict[r[3]]++
		if r[2] == "2" {
			women++
		}
		if r[4] == "Q00-Q99" {
			congenital[r[3]]++
		}
		if r[4] == "O00-O99" && (r[2] != "2" || age < 15 || age > 50) {
			t.Errorf("pregnancy of a %s aged %d: %v", r[2], age, r)
		}
		if r[4] == "P00-P96" && age != 0 {
			t.Errorf("a perinatal condition at age %d: %v", age, r)
		}
		switch {
		case age < 45:
			costYoung, nYoung = costYoung+cost, nYoung+1
		case age >= 65:
			costOld, nOld = costOld+cost, nOld+1
		}
		if cost > 50000 {
			overBound++
		}
	}
	// 东湖区 (3.45 million residents) has several times the patients of 西山区 (0.56 million).
	if big, small := byDistrict["110105"], byDistrict["110107"]; big < 4*small {
		t.Errorf("东湖区 has %d patients, 西山区 %d: not weighted by population", big, small)
	}
	if share := float64(women) / float64(len(patients)); share < 0.5 || share > 0.6 {
		t.Errorf("women are %.2f of the patients, want about 0.54", share)
	}
	if costOld/float64(nOld) < 1.5*costYoung/float64(nYoung) {
		t.Errorf("the elderly cost %.0f on average, patients under 45 %.0f: want clearly more", costOld/float64(nOld), costYoung/float64(nYoung))
	}
	under := 0
	for _, n := range congenital {
		if n < 10 {
			under++
		}
	}
	if under < 5 || congenital["110105"] != 12 {
		t.Errorf("congenital anomalies by district %v: want most under 10 and 东湖区's 12", congenital)
	}
	if overBound == 0 || overBound > len(patients)/100 {
		t.Errorf("%d costs above the zone's bound of 50,000: want a few", overBound)
	}
	oldest := 0
	for _, r := range patients {
		if age, _ := strconv.Atoi(r[1]); age >= 95 {
			oldest++
			if r[3] != "110101" {
				t.Errorf("a patient aged %d outside 紫宸区: %v", age, r)
			}
		}
	}
	if oldest != len(oldestPatients) {
		t.Errorf("%d patients aged 95 or more, want %d", oldest, len(oldestPatients))
	}

	cards := TransitCardRows(zoneCardRows)
	if !slices.EqualFunc(cards, TransitCardRows(zoneCardRows), slices.Equal) {
		t.Fatal("TransitCardRows is not deterministic")
	}
	if len(cards) != zoneCardRows {
		t.Fatalf("%d cards, want %d", len(cards), zoneCardRows)
	}
	checkZoneRows(t, transitCards.Items, cards)
	for _, r := range cards {
		if fare, _ := strconv.ParseFloat(r[5], 64); r[1] == "5" && fare != 0 {
			t.Errorf("a card holder of 65 or more paid %s yuan: %v", r[5], r)
		}
	}
}

// checkZoneRows checks that rows have distinct keys and values of their
// items' types, code lists and lengths.
func checkZoneRows(t *testing.T, items []catalog.Item, rows [][]string) {
	t.Helper()
	keys := map[string]bool{}
	for _, r := range rows {
		if len(r) != len(items) {
			t.Fatalf("row %v has %d values for %d items", r, len(r), len(items))
		}
		for i, it := range items {
			v := r[i]
			if it.Key {
				if keys[v] {
					t.Fatalf("key %s twice", v)
				}
				keys[v] = true
			}
			switch it.Type {
			case catalog.TypeInteger:
				if n, err := strconv.Atoi(v); err != nil || n < 0 {
					t.Fatalf("%s = %q is not a count", it.Name, v)
				}
			case catalog.TypeDecimal:
				if f, err := strconv.ParseFloat(v, 64); err != nil || f < 0 {
					t.Fatalf("%s = %q is not an amount", it.Name, v)
				}
			case catalog.TypeCode:
				if !slices.ContainsFunc(it.CodeList, func(c catalog.Code) bool { return c.Code == v }) {
					t.Fatalf("%s = %q is not in its code list", it.Name, v)
				}
			}
			if it.Length > 0 && it.Type == catalog.TypeText && len([]rune(v)) > it.Length {
				t.Fatalf("%s = %q is longer than %d", it.Name, v, it.Length)
			}
		}
	}
}

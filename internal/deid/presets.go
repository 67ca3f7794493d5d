package deid

import (
	"fmt"
	"slices"
	"strings"

	"dataport/internal/classify"
)

// Presets are ready-made profiles an editor picks in plain words before
// writing one by hand: each says what happens to each kind of personal
// information. The UI words them ("deid.preset.<name>").
var Presets = []string{PresetOpenPublic, PresetShareGov, PresetResearch}

// The presets.
const (
	// PresetOpenPublic is for opening to the public: names masked after the
	// surname, phones hidden after their first three digits, identity
	// documents, bank cards, e-mail and IP addresses removed, addresses
	// kept to the district, birth dates to the year, ages in bands of ten.
	PresetOpenPublic = "open_public"
	// PresetShareGov is for sharing with other institutions: names and
	// phones kept, identity and bank card numbers masked in the middle.
	PresetShareGov = "share_gov"
	// PresetResearch is for research: persons replaced by pseudonyms (the
	// same person, the same pseudonym), phones and e-mail removed, birth
	// dates to the year, ages in bands of five.
	PresetResearch = "research"
)

// PresetColumn is a column a preset is applied to: its item name, the
// personal information detected in it ("" for none) and whether it holds
// ages.
type PresetColumn struct {
	Name string
	Type classify.Type
	Age  bool
}

// AgeColumn reports whether a column named name (item name or Chinese
// label) holds ages.
func AgeColumn(name string) bool {
	return strings.Contains(name, "年龄") || strings.EqualFold(name, "age") || strings.HasSuffix(strings.ToLower(name), "_age")
}

// PresetProfile returns the profile of preset over cols: an operator on
// each column that holds personal information or ages, the rest kept. It
// needs no privacy model (k is 0), so it applies to any number of rows.
func PresetProfile(preset string, cols []PresetColumn) (Profile, error) {
	if !slices.Contains(Presets, preset) {
		return Profile{}, fmt.Errorf("deid: no preset %q", preset)
	}
	p := Profile{Columns: map[string]ColumnOp{}, Hierarchies: map[string]HierarchySpec{}}
	for _, c := range cols {
		switch {
		case c.Age:
			width := 10.0
			if preset == PresetResearch {
				width = 5
			}
			if preset != PresetShareGov {
				p.Columns[c.Name] = ColumnOp{Op: OpGeneralize, Level: 1}
				p.Hierarchies[c.Name] = HierarchySpec{Type: "interval", Widths: []float64{width}}
			}
		case c.Type == classify.DateOfBirth && preset != PresetShareGov:
			p.Columns[c.Name] = ColumnOp{Op: OpGeneralize, Level: 2}
			p.Hierarchies[c.Name] = HierarchySpec{Type: "date"}
		case c.Type != "":
			if op, ok := presetOp(preset, c.Type); ok {
				p.Columns[c.Name] = op
			}
		}
	}
	return p, nil
}

// presetOp is what preset does to a column of type t.
func presetOp(preset string, t classify.Type) (ColumnOp, bool) {
	switch preset {
	case PresetOpenPublic:
		switch t {
		case classify.PersonName:
			return ColumnOp{Op: OpMask, KeepFirst: 1}, true
		case classify.Mobile, classify.Landline:
			return ColumnOp{Op: OpMask, KeepFirst: 3}, true
		case classify.Address:
			return ColumnOp{Op: OpMask, KeepFirst: 6}, true
		case classify.LicensePlate:
			return ColumnOp{Op: OpMask, KeepFirst: 2}, true
		case classify.USCC:
			return ColumnOp{}, false // an organisation's code is public
		default:
			return ColumnOp{Op: OpDrop}, true
		}
	case PresetShareGov:
		switch t {
		case classify.ResidentID, classify.Passport:
			return ColumnOp{Op: OpMask, KeepFirst: 6, KeepLast: 4}, true
		case classify.BankCard:
			return ColumnOp{Op: OpMask, KeepLast: 4}, true
		}
	case PresetResearch:
		switch t {
		case classify.PersonName, classify.ResidentID, classify.Passport, classify.LicensePlate:
			return ColumnOp{Op: OpPseudonymize}, true
		case classify.Mobile, classify.Landline, classify.Email, classify.BankCard, classify.IPAddress:
			return ColumnOp{Op: OpDrop}, true
		case classify.Address:
			return ColumnOp{Op: OpMask, KeepFirst: 6}, true
		}
	}
	return ColumnOp{}, false
}

package classify

import "unicode/utf8"

// Rune classes for one-pass text checks: a 64 KiB table over the Basic
// Multilingual Plane, so that the hot path of a scan looks runes up instead
// of searching word lists.
const (
	rcPlate    uint8 = 1 << iota // province abbreviation on plates
	rcStreet                     // street-level address word (路 街 巷 村 室 ...)
	rcDivision                   // administrative division (省 市 区 县 镇 乡 旗)
	rcPunct                      // sentence punctuation: prose, not an address
	rcSurname                    // common single-character surname
	rcHan                        // any CJK unified ideograph
)

var runeClass = func() *[0x10000]uint8 {
	var t [0x10000]uint8
	mark := func(s string, c uint8) {
		for _, r := range s {
			t[r] |= c
		}
	}
	for r := 0x4E00; r <= 0x9FFF; r++ {
		t[r] |= rcHan
	}
	mark(plateProvinces, rcPlate)
	mark("路街道巷弄村组栋幢室苑厦", rcStreet)
	mark("省市区县镇乡旗", rcDivision)
	mark(sentencePunct, rcPunct)
	mark(surnames, rcSurname)
	return &t
}()

func classOf(r rune) uint8 {
	if r < 0x10000 {
		return runeClass[r]
	}
	return 0
}

// textFacts is one pass over a value's runes for the address check.
type textFacts struct {
	street, division, punct, houseNumber, han bool
}

func textFactsOf(s string) textFacts {
	var f textFacts
	prev := rune(0)
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		c := classOf(r)
		f.han = f.han || c&rcHan != 0
		f.street = f.street || c&rcStreet != 0 || (r == '元' && prev == '单') || (r == '同' && prev == '胡') || (r == '园' && prev == '花')
		f.division = f.division || c&rcDivision != 0
		f.punct = f.punct || c&rcPunct != 0
		f.houseNumber = f.houseNumber || (r == '号' && prev >= '0' && prev <= '9')
		prev = r
		i += size
	}
	return f
}

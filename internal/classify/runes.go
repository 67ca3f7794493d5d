package classify

import "unicode/utf8"

// Rune classes for one-pass text checks: a table over the Basic
// Multilingual Plane, so that the hot path of a scan looks runes up instead
// of searching word lists.
const (
	rcPlate         runeClassBits = 1 << iota // province abbreviation on plates
	rcStreet                                  // street-level address word (路 街 巷 村 室 ...)
	rcDivision                                // administrative division (省 市 区 县 镇 乡 旗)
	rcPunct                                   // sentence punctuation: prose, not an address
	rcSurname                                 // single-character surname of the frequency table
	rcHan                                     // any CJK unified ideograph
	rcCommonSurname                           // one of the hundred most frequent surnames
	rcGivenName                               // a character common in given names
	rcRoad                                    // a road, lane or village: 路 街 道 巷 弄 村
	rcNumbered                                // what a number after a road ends with: 号 弄 巷 组
	rcBuilding                                // what a number of a building part ends with: 栋 幢 单(元) 室 楼
	rcFacility                                // a facility's name ends with: 站 店 仓 库 场 馆
	rcNotGiven                                // notGivenName: ends place and organisation names
	rcPlaceEnd                                // placeEnd: ends place names, not given names
	rcPairEnd                                 // ends a two-character street word: 单元 胡同 花园
)

// runeClassBits is a set of rune classes.
type runeClassBits uint16

var runeClass = func() *[0x10000]runeClassBits {
	var t [0x10000]runeClassBits
	mark := func(s string, c runeClassBits) {
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
	for i, s := range surnameFreq {
		t[s.surname] |= rcSurname
		if i < 100 {
			t[s.surname] |= rcCommonSurname
		}
	}
	mark(givenNameChars, rcGivenName)
	mark("路街道巷弄村", rcRoad)
	mark("号弄巷组", rcNumbered)
	mark("栋幢单室楼", rcBuilding)
	mark("站店仓库场馆", rcFacility)
	mark(notGivenName, rcNotGiven)
	mark(placeEnd, rcPlaceEnd)
	mark("元同园", rcPairEnd)
	return &t
}()

func classOf(r rune) runeClassBits {
	if r < 0x10000 {
		return runeClass[r]
	}
	return 0
}

// decodeRune decodes the first rune of s (not ASCII, s not empty) as
// utf8.DecodeRuneInString does, without its tables for the valid
// three-byte runes of Chinese text.
func decodeRune(s string) (rune, int) {
	if c := s[0]; c >= 0xE1 && c <= 0xEF && c != 0xED && len(s) >= 3 && s[1]&0xC0 == 0x80 && s[2]&0xC0 == 0x80 {
		return rune(c&0x0F)<<12 | rune(s[1]&0x3F)<<6 | rune(s[2]&0x3F), 3
	}
	return utf8.DecodeRuneInString(s)
}

// textFacts is one pass over a value's runes for the address check; it
// stops at sentence punctuation (punct), which rules an address out.
type textFacts struct {
	street, division, punct, houseNumber, han bool
	// structured: a road, lane or village followed by a number (人民路27号,
	// 1弄, 5组), or a building, unit or room number (3栋, 2单元, 501室).
	structured bool
}

func textFactsOf(s string) textFacts {
	var f textFacts
	var seen runeClassBits // the classes of the runes so far
	prev := rune(0)
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = decodeRune(s[i:])
		}
		c := classOf(r)
		if c&rcPairEnd != 0 && ((r == '元' && prev == '单') || (r == '同' && prev == '胡') || (r == '园' && prev == '花')) {
			c |= rcStreet
			if r == '同' {
				c |= rcRoad
			}
		}
		if c&rcPunct != 0 { // prose: the other facts no longer matter
			f.punct = true
			return f
		}
		seen |= c
		if prev >= '0' && prev <= '9' {
			f.houseNumber = f.houseNumber || r == '号'
			f.structured = f.structured || (seen&rcRoad != 0 && c&rcNumbered != 0) || c&rcBuilding != 0
		}
		prev = r
		i += size
	}
	f.han = seen&rcHan != 0
	f.street = seen&rcStreet != 0
	f.division = seen&rcDivision != 0
	return f
}

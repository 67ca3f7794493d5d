package classify

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// notGivenName are characters that end place, facility and organisation
// names, not given names: a two-to-four-character word ending in one is not
// a person.
const notGivenName = "省市区县镇乡村路街道巷号楼局厅院所站馆部委办处科队司厂店行社校园场中心会仓库"

// placeEnd are the characters of notGivenName that end a place or a
// facility far more often than a given name: a value ending in one is not
// counted as a name even in a column of names.
const placeEnd = "省市区县镇乡村路街巷号局厅站馆部厂店仓库"

// nameShape is what one value says about being a Chinese personal name.
type nameShape uint8

const (
	notName     nameShape = iota
	nameLike              // a known surname and a given name of one to three Han characters
	nameTypical           // nameLike, and every given-name character is a common one
)

// personName classifies s as a Chinese personal name: a surname of the
// frequency table (a compound one when it fits) followed by one or two
// given-name characters (three after a single surname, as in names that
// join both parents' surnames); or an ethnic-minority name of Han
// characters joined by '·'. A name is typical when its given-name
// characters are common ones and it does not end like a place or an
// organisation. It also reports whether the surname is among the hundred
// most frequent.
func personName(s string) (shape nameShape, common bool) {
	if len(s) >= 11 && (strings.Contains(s, "·") || strings.Contains(s, "•")) {
		n := 0
		for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '·' || r == '•' }) {
			if !allHan(part) {
				return notName, false
			}
			n += utf8.RuneCountInString(part)
		}
		if n >= 3 && n <= 16 {
			return nameTypical, false
		}
		return notName, false
	}
	var runes [5]rune
	n := 0
	for _, r := range s {
		if n == len(runes) || classOf(r)&rcHan == 0 {
			return notName, false
		}
		runes[n] = r
		n++
	}
	if n < 2 || n > 4 || classOf(runes[n-1])&rcPlaceEnd != 0 {
		return notName, false
	}
	given := runes[1:n]
	switch {
	case n >= 3 && compoundSurname(runes[0], runes[1]):
		given, common = runes[2:n], false
	case classOf(runes[0])&rcSurname != 0:
		common = classOf(runes[0])&rcCommonSurname != 0
	default:
		return notName, false
	}
	for _, r := range given {
		if classOf(r)&rcGivenName == 0 {
			return nameLike, common
		}
	}
	if classOf(runes[n-1])&rcNotGiven != 0 { // 王中 is a name, 北京站 is not: only the column can tell
		return nameLike, common
	}
	return nameTypical, common
}

var compoundSurnames = func() map[[2]rune]bool {
	m := map[[2]rune]bool{}
	for _, c := range compoundSurnameFreq {
		r := []rune(c.surname)
		m[[2]rune{r[0], r[1]}] = true
	}
	return m
}()

func compoundSurname(a, b rune) bool { return compoundSurnames[[2]rune{a, b}] }

// LooksLikeName reports whether s could be a Chinese personal name: two to
// four Han characters starting with a known surname (or an ethnic-minority
// name of Han characters joined by '·'), not ending like a place or an
// organisation. On its own this is weak evidence: scans decide a column of
// names from the share of its values that fit and how their surnames and
// given-name characters are distributed.
func LooksLikeName(s string) bool {
	shape, _ := personName(s)
	return shape == nameTypical
}

func allHan(s string) bool {
	for _, r := range s {
		if classOf(r)&rcHan == 0 && !unicode.Is(unicode.Han, r) {
			return false
		}
	}
	return s != ""
}

// sentencePunct marks prose: an address is a phrase, not a sentence.
const sentencePunct = "，。；！？：、"

// LooksLikeAddress reports whether s reads as a postal address: at least
// four characters, no sentence punctuation, and the structure of an address —
// a road, lane or village followed by a number (人民路27号, 5组) or a
// building, unit or room number (3栋2单元501室) — not ending like the name
// of a facility (…站, …店, …仓, …库, …中心, …超市). With context (the header
// says "address") one street or division word suffices.
func LooksLikeAddress(s string, context bool) bool {
	if len(s) < 12 || len(s) > 300 {
		return false
	}
	f := textFactsOf(s)
	if !f.han || f.punct {
		return false
	}
	if context {
		return f.street || f.houseNumber || f.division
	}
	return f.structured && !facilityName(s)
}

// facilityEndings are the words that end the names of places that are not
// addresses: stations, stores, warehouses, markets.
var facilityEndings = []string{"中心", "超市", "市场", "公司", "商场", "分行", "支行", "营业部", "网点"}

func facilityName(s string) bool {
	last, _ := utf8.DecodeLastRuneInString(s)
	if classOf(last)&rcFacility != 0 {
		return true
	}
	if last == ')' || last == '）' { // 永辉超市(人民路12号店)
		return true
	}
	for _, e := range facilityEndings {
		if strings.HasSuffix(s, e) {
			return true
		}
	}
	return false
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

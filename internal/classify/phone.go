package classify

import (
	"regexp"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// Phone numbers are validated against the mainland-China metadata of
// libphonenumber (github.com/nyaruka/phonenumbers), which tracks the MIIT
// mobile segments and the area codes. Parsing a number with the library
// takes tens of microseconds, too slow for scanning millions of values, so
// the metadata is compiled once into lookup tables: the valid five-digit
// mobile prefixes and, per area code, the valid subscriber-number lengths.

type phoneTables struct {
	mobile [100000]bool      // 11-digit mobile numbers, by their first five digits
	area   map[string]uint16 // area code without the trunk 0 → bit n set when n-digit subscriber numbers are valid
}

var (
	phoneOnce sync.Once
	phones    *phoneTables
)

func tables() *phoneTables {
	phoneOnce.Do(func() { phones = buildPhoneTables() })
	return phones
}

func buildPhoneTables() *phoneTables {
	t := &phoneTables{area: map[string]uint16{}}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		panic("classify: phone metadata: " + err.Error())
	}
	var mobile, fixed *regexp.Regexp
	for _, md := range coll.GetMetadata() {
		if md.GetId() == "CN" {
			mobile = regexp.MustCompile(`^(?:` + md.GetMobile().GetNationalNumberPattern() + `)$`)
			fixed = regexp.MustCompile(`^(?:` + md.GetFixedLine().GetNationalNumberPattern() + `)$`)
		}
	}
	if mobile == nil {
		panic("classify: no CN phone metadata")
	}
	// A five-digit prefix is a mobile segment when numbers with the lowest and
	// the highest six following digits are both valid.
	for p := 10000; p < 20000; p++ {
		s := itoa5(p)
		t.mobile[p] = mobile.MatchString(s+"000000") && mobile.MatchString(s+"999999")
	}
	// Area codes are 2 digits (10, 2x) or 3 digits (3xx–9xx); subscriber
	// numbers are 7 or 8 digits starting 2–8. Sample subscriber numbers per
	// first digit decide which lengths the code accepts.
	for _, code := range areaCandidates() {
		var lengths uint16
		for n := 7; n <= 8; n++ {
			ok := 0
			for first := '2'; first <= '8'; first++ {
				if fixed.MatchString(code + string(first) + strings.Repeat("3", n-1)) {
					ok++
				}
			}
			if ok >= 4 {
				lengths |= 1 << n
			}
		}
		if lengths != 0 {
			t.area[code] = lengths
		}
	}
	return t
}

func areaCandidates() []string {
	out := []string{"10", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29"}
	for n := 300; n <= 999; n++ {
		out = append(out, itoa3(n))
	}
	return out
}

func itoa5(n int) string {
	b := [5]byte{}
	for i := 4; i >= 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[:])
}

func itoa3(n int) string {
	return string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)})
}

// phoneDigits strips the separators people write in phone numbers (spaces,
// '-', '.', parentheses) and a leading +86, 0086 or 86 country code. It
// returns the national number's digits, whether a country code was present,
// and false when anything but digits remains.
func phoneDigits(s string, buf []byte) ([]byte, bool, bool) {
	b := buf[:0]
	plus := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if len(b) == cap(b) {
				return nil, false, false
			}
			b = append(b, c)
		case c == ' ' || c == '-' || c == '(' || c == ')' || c == '.':
		case c == '+' && len(b) == 0 && !plus:
			plus = true
		default:
			return nil, false, false
		}
	}
	country := false
	switch {
	case plus && len(b) > 2 && b[0] == '8' && b[1] == '6':
		b, country = b[2:], true
	case plus:
		return nil, false, false
	case len(b) == 15 && string(b[:4]) == "0086":
		b, country = b[4:], true
	case len(b) == 13 && b[0] == '8' && b[1] == '6' && b[2] == '1':
		b, country = b[2:], true
	}
	return b, country, true
}

// ValidMobile reports whether s is a mainland mobile number in a current
// MIIT segment, with or without +86 and separators.
func ValidMobile(s string) bool {
	var buf [20]byte
	d, _, ok := phoneDigits(s, buf[:])
	return ok && isMobile(d)
}

func isMobile(d []byte) bool {
	if len(d) != 11 || d[0] != '1' {
		return false
	}
	p := 0
	for _, c := range d[:5] {
		p = p*10 + int(c-'0')
	}
	return tables().mobile[p]
}

// ValidLandline reports whether s is a mainland fixed-line number written
// with its area code (010-12345678, (0755)1234-5678, +86 21 12345678).
func ValidLandline(s string) bool {
	var buf [20]byte
	d, country, ok := phoneDigits(s, buf[:])
	return ok && isLandline(d, country)
}

func isLandline(d []byte, country bool) bool {
	if !country {
		if len(d) < 10 || d[0] != '0' {
			return false
		}
		d = d[1:]
	}
	t := tables()
	for _, n := range []int{2, 3} {
		if len(d) <= n {
			continue
		}
		lengths, ok := t.area[string(d[:n])]
		sub := len(d) - n
		if ok && sub <= 8 && lengths&(1<<sub) != 0 && d[n] >= '2' && d[n] <= '8' {
			return true
		}
	}
	return false
}

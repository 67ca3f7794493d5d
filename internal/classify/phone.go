package classify

import (
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// Phone numbers are validated against the mainland-China metadata of
// libphonenumber (github.com/nyaruka/phonenumbers), which tracks the MIIT
// mobile segments and the area codes. Parsing a number with the library
// takes tens of microseconds, too slow for scanning millions of values, so
// the metadata is compiled once into lookup tables: the valid five-digit
// mobile prefixes and, per area code, the valid subscriber-number lengths.

type phoneTables struct {
	mobile [100000]bool // 11-digit mobile numbers, by their first five digits
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
	t := &phoneTables{}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		panic("classify: phone metadata: " + err.Error())
	}
	var mobile *regexp.Regexp
	for _, md := range coll.GetMetadata() {
		if md.GetId() == "CN" {
			mobile = regexp.MustCompile(`^(?:` + md.GetMobile().GetNationalNumberPattern() + `)$`)
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
	return t
}

// areaCode marks the area codes of areaCodes by their number (10, 20–29,
// 310–999; the codes are prefix-free, so the number alone says its length).
var areaCode = func() (t [1000]bool) {
	for _, a := range areaCodes {
		n := 0
		for _, c := range a.code {
			n = n*10 + int(c-'0')
		}
		t[n] = true
	}
	return t
}()

func itoa5(n int) string {
	b := [5]byte{}
	for i := 4; i >= 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[:])
}

// phoneDigits strips the separators people write in phone numbers (spaces,
// '-', '.', parentheses) and a country code: +86, (+86), 0086, or 86
// followed by a separator (86-138...) or by a mobile number (86138...). It
// returns the national number's digits, whether a country code was present,
// and false when anything but digits remains.
func phoneDigits(s string, buf []byte) ([]byte, bool, bool) {
	b := buf[:0]
	plus := false
	firstGroup := -1 // digits before the first separator that follows a digit
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if len(b) == cap(b) {
				return nil, false, false
			}
			b = append(b, c)
		case c == ' ' || c == '-' || c == '(' || c == ')' || c == '.':
			if firstGroup < 0 && len(b) > 0 {
				firstGroup = len(b)
			}
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
	case len(b) >= 13 && string(b[:4]) == "0086":
		b, country = b[4:], true
	case firstGroup == 2 && len(b) >= 11 && b[0] == '8' && b[1] == '6':
		b, country = b[2:], true
	case len(b) == 13 && b[0] == '8' && b[1] == '6' && b[2] == '1':
		b, country = b[2:], true
	}
	return b, country, true
}

// cutExtension returns the number before an extension: 010-12345678-8001,
// 010-12345678转8001, 010 12345678 ext. 8001, 12345678 x801, ...#801. The
// extension must be one to six digits.
func cutExtension(s string) (string, bool) {
	end := len(s)
	for end > 0 && isDigit(s[end-1]) {
		end--
	}
	if digits := len(s) - end; digits == 0 || digits > 6 {
		return "", false
	}
	rest := strings.TrimRight(s[:end], " ")
	if rest == "" {
		return "", false
	}
	switch c := rest[len(rest)-1]; {
	case c == ' ' || c == '-' || c == '#' || c == ',' || c == 'x' || c == 'X' || c == 't' || c == 'T' || c >= 0x80:
	case c == '.' && strings.HasSuffix(rest, "ext."):
	default:
		return "", false
	}
	for _, mark := range []string{"转", "分机", "ext.", "ext", "EXT", "Ext", "x", "X", "#", "-", ","} {
		if number, ok := strings.CutSuffix(rest, mark); ok {
			number = strings.TrimRight(number, " ")
			return number, len(number) >= 7 && isDigit(number[len(number)-1])
		}
	}
	return "", false
}

// asciiPhone rewrites the full-width characters people type in phone
// numbers (（０１０）１２３４ ５６７８, ＋８６, －) as ASCII; it reports false when
// other non-ASCII characters than an extension mark remain.
func asciiPhone(s string) (string, bool) {
	for _, r := range s {
		if r >= utf8.RuneSelf && !(r >= '０' && r <= '９') && !strings.ContainsRune("（）＋－—　转分机", r) {
			return "", false
		}
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			b.WriteByte(byte(r))
		case r >= '０' && r <= '９':
			b.WriteByte(byte('0' + r - '０'))
		case r == '（':
			b.WriteByte('(')
		case r == '）':
			b.WriteByte(')')
		case r == '＋':
			b.WriteByte('+')
		case r == '－' || r == '—':
			b.WriteByte('-')
		case r == '　':
			b.WriteByte(' ')
		case r == '转' || r == '分' || r == '机':
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	return b.String(), true
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
// with its area code (010-12345678, (0755)1234-5678, +86 21 12345678,
// 0931-1234567转801).
func ValidLandline(s string) bool {
	var buf [24]byte
	d, country, ok := phoneDigits(s, buf[:])
	if !ok {
		if number, ext := cutExtension(s); ext {
			d, country, ok = phoneDigits(number, buf[:])
		}
	}
	return ok && isLandline(d, country)
}

// isLandline reports whether d is an area code of the numbering plan (after
// the trunk 0, which may be left out after a country code) and a subscriber
// number starting 2–8: eight digits after a two-digit code, seven or eight
// after a three-digit one.
func isLandline(d []byte, country bool) bool {
	switch {
	case len(d) > 0 && d[0] == '0':
		d = d[1:]
	case !country:
		return false
	}
	if len(d) < 9 || len(d) > 11 {
		return false
	}
	n := 3
	if d[0] == '1' || d[0] == '2' {
		n = 2
	}
	code := 0
	for _, c := range d[:n] {
		code = code*10 + int(c-'0')
	}
	sub := len(d) - n
	return areaCode[code] && d[n] >= '2' && d[n] <= '8' && (sub == 8 || (n == 3 && sub == 7))
}

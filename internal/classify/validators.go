package classify

import (
	"net/netip"
	"strings"
	"unicode/utf8"

	"dataport/internal/identity"
)

// ValidBankCard reports whether s is a payment card number: 16–19 digits
// (optionally in groups separated by spaces or '-') passing the Luhn check,
// in an issuer range of cardRanges. An 18-digit number that is a valid
// identity number is not a card.
func ValidBankCard(s string) bool {
	var buf [24]byte
	d, ok := cardDigits(s, buf[:])
	return ok && isCard(d) && !(len(d) == 18 && ValidResidentID(string(d)))
}

func cardDigits(s string, buf []byte) ([]byte, bool) {
	b := buf[:0]
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if len(b) == cap(b) {
				return nil, false
			}
			b = append(b, c)
		case (c == ' ' || c == '-') && i > 0 && i < len(s)-1:
		default:
			return nil, false
		}
	}
	return b, true
}

// isCard reports whether d, all digits, is a card number: 16–19 digits in
// an issuer range, passing the Luhn check.
func isCard(d []byte) bool {
	return len(d) >= 16 && len(d) <= 19 && cardRange(d) && luhn(d)
}

// cardRanges are the issuer identification number ranges of the cards
// issued in mainland China, by first digits (lo–hi, compared on as many
// digits as they have) and length.
//
// Source: ISO/IEC 7812 issuer ranges as assigned to the schemes (UnionPay
// 62 and 60-series domestic debit BINs registered through China UnionPay,
// e.g. 601382 Bank of China, 603367 Bank of Hangzhou; the pre-UnionPay
// domestic bank cards starting 9, e.g. 9558 ICBC, 95599 ABC; and the
// international schemes that Chinese banks co-brand: Visa 4, Mastercard
// 51–55 and 2221–2720, JCB 3528–3589).
var cardRanges = []struct {
	lo, hi         string
	minLen, maxLen int
}{
	{"62", "62", 16, 19},     // China UnionPay
	{"60", "60", 16, 19},     // domestic debit cards (UnionPay BINs)
	{"9", "9", 16, 19},       // domestic bank cards issued before UnionPay
	{"4", "4", 16, 19},       // Visa
	{"51", "55", 16, 16},     // Mastercard
	{"2221", "2720", 16, 16}, // Mastercard 2-series
	{"3528", "3589", 16, 19}, // JCB
}

func cardRange(d []byte) bool {
	if d[0] == '0' || d[0] == '1' || d[0] >= '7' && d[0] <= '8' {
		return false
	}
	for _, r := range cardRanges {
		if len(d) >= r.minLen && len(d) <= r.maxLen && bytesBetween(d[:len(r.lo)], r.lo, r.hi) {
			return true
		}
	}
	return false
}

// bytesBetween reports whether lo ≤ p ≤ hi, p as long as lo and hi.
func bytesBetween(p []byte, lo, hi string) bool {
	for i := range p {
		if p[i] != lo[i] {
			if p[i] < lo[i] {
				return false
			}
			break
		}
	}
	for i := range p {
		if p[i] != hi[i] {
			return p[i] < hi[i]
		}
	}
	return true
}

func luhn(d []byte) bool {
	sum, double := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

// LuhnCheckDigit returns the digit that completes digits to pass the Luhn check.
func LuhnCheckDigit(digits string) byte {
	for c := byte('0'); c <= '9'; c++ {
		if luhn([]byte(digits + string(c))) {
			return c
		}
	}
	return '0'
}

// usccKinds are the GB 32100 registration-authority and organisation-type
// pairs (first two characters) in use.
const usccKinds = "11 12 13 19 21 29 31 32 33 34 35 39 41 49 51 52 53 59 61 62 69 71 72 79 81 89 91 92 93 A1 A9 N1 N2 N3 N9 Y1"

// USCCStatus says how far a string is a unified social credit code.
type USCCStatus int

// USCC statuses.
const (
	NotUSCC      USCCStatus = iota
	USCCBadCheck            // shaped like a code, but the check character is wrong
	USCCValid
)

// CheckUSCCShape classifies s as a unified social credit code: 18
// characters of the GB 32100 alphabet with a known registration authority
// and organisation type and a six-digit region code. Some codes issued early fail their check
// character, so a wrong check character is reported as USCCBadCheck rather
// than NotUSCC.
func CheckUSCCShape(s string) USCCStatus {
	if len(s) != 18 || !usccKind(s[0], s[1]) || !allDigits(s[2:8]) {
		return NotUSCC
	}
	if s[2:4] < "11" || s[2:4] > "82" {
		return NotUSCC
	}
	want, err := identity.USCCCheckChar(s[:17])
	switch {
	case err != nil:
		return NotUSCC
	case s[17] == want:
		return USCCValid
	case !strings.ContainsRune("0123456789ABCDEFGHJKLMNPQRTUWXY", rune(s[17])):
		return NotUSCC
	}
	return USCCBadCheck
}

// usccKindDigits has, for each first character of usccKinds, bit d set when
// the pair ends in digit d.
var usccKindDigits = func() (t [256]uint16) {
	for _, k := range strings.Fields(usccKinds) {
		t[k[0]] |= 1 << (k[1] - '0')
	}
	return t
}()

// usccKind reports whether a, b is a pair of usccKinds.
func usccKind(a, b byte) bool {
	return b >= '0' && b <= '9' && usccKindDigits[a]&(1<<(b-'0')) != 0
}

// ValidEmail reports whether s is an email address: a local part of
// letters, digits and ._%+- and a domain of at least two labels whose last
// is alphabetic.
func ValidEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	if at < 1 || at > 64 || len(s)-at-1 < 4 || len(s) > 254 {
		return false
	}
	for i := 0; i < at; i++ {
		c := s[i]
		if !(isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-') {
			return false
		}
	}
	if s[0] == '.' || s[at-1] == '.' {
		return false
	}
	return validDomain(s[at+1:])
}

func validDomain(d string) bool {
	labels := 0
	last := ""
	for len(d) > 0 {
		l, rest, _ := strings.Cut(d, ".")
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if !isAlnum(l[i]) && l[i] != '-' {
				return false
			}
		}
		labels++
		last, d = l, rest
	}
	if labels < 2 || len(last) < 2 {
		return false
	}
	for i := 0; i < len(last); i++ {
		if !isLetter(last[i]) {
			return false
		}
	}
	return true
}

// ValidPassport reports whether s is the number of a PRC passport (E and
// eight digits, E and a letter and seven digits, old G numbers, official
// D/S/P numbers), a travel permit to Hong Kong and Macao (C...), a home-
// return permit of Hong Kong or Macao residents (H/M and 8 or 10 digits), or
// a travel permit of Taiwan residents (eight digits; only with context).
func ValidPassport(s string, context bool) bool {
	n := len(s)
	if n < 8 || n > 11 {
		return false
	}
	switch s[0] {
	case 'E':
		return n == 9 && (allDigits(s[1:]) || (isPermitLetter(s[1]) && allDigits(s[2:])))
	case 'G', 'L', 'T':
		return n == 9 && allDigits(s[1:])
	case 'C':
		return n == 9 && (allDigits(s[1:]) || (isPermitLetter(s[1]) && allDigits(s[2:])))
	case 'D', 'S', 'P':
		return (n == 8 && allDigits(s[1:])) || (n == 9 && s[1] == 'E' && allDigits(s[2:]))
	case 'H', 'M':
		return (n == 9 || n == 11) && allDigits(s[1:])
	}
	return context && n == 8 && allDigits(s)
}

func isPermitLetter(c byte) bool { return c >= 'A' && c <= 'Z' && c != 'I' && c != 'O' }

// plateProvinces are the one-character province abbreviations on plates.
const plateProvinces = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"

// ValidPlate reports whether s is a civilian motor-vehicle plate under GA
// 36-2018: a province abbreviation, the issuing office's letter, then five
// characters (ordinary plates, the last possibly 学/警/挂/港/澳/领) or six
// (new-energy plates, D or F first for small vehicles, last for large). A
// separator '·', '•', '-' or space after the office letter is allowed.
func ValidPlate(s string) bool {
	prov, size := utf8.DecodeRuneInString(s)
	if size < 3 || !strings.ContainsRune(plateProvinces, prov) || len(s) <= size {
		return false
	}
	office := s[size]
	if office < 'A' || office > 'Z' || office == 'I' || office == 'O' {
		return false
	}
	rest := s[size+1:]
	for _, sep := range []string{"·", "•", "-", " "} {
		rest = strings.TrimPrefix(rest, sep)
	}
	if suffix, size := utf8.DecodeLastRuneInString(rest); size == 3 && strings.ContainsRune("学警挂港澳领", suffix) {
		return len(rest) == 4+size && plateChars(rest[:4]) && digitsIn(rest[:4]) >= 2
	}
	switch len(rest) {
	case 5:
		return plateChars(rest) && digitsIn(rest) >= 3
	case 6:
		small := (rest[0] == 'D' || rest[0] == 'F') && allDigits(rest[2:]) && (isDigit(rest[1]) || isPermitLetter(rest[1]))
		large := (rest[5] == 'D' || rest[5] == 'F') && allDigits(rest[:5])
		return small || large
	}
	return false
}

func plateChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) && !isPermitLetter(s[i]) {
			return false
		}
	}
	return true
}

func digitsIn(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			n++
		}
	}
	return n
}

// ValidIP reports whether s is an IPv4 address in dotted-quad form or an IPv6 address.
func ValidIP(s string) bool {
	if len(s) < 7 || len(s) > 45 {
		return false
	}
	a, err := netip.ParseAddr(s)
	return err == nil && a.Zone() == ""
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }
func isAlnum(c byte) bool  { return isDigit(c) || isLetter(c) }

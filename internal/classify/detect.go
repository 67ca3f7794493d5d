package classify

import (
	"strings"
	"unicode/utf8"
)

// kind is a Type's index in Types; kindNone is no type.
type kind uint8

const kindNone kind = 255

const numKinds = 13

func kindOf(t Type) kind {
	for i, x := range Types {
		if x == t {
			return kind(i)
		}
	}
	return kindNone
}

var (
	kResidentID  = kindOf(ResidentID)
	kUSCC        = kindOf(USCC)
	kMobile      = kindOf(Mobile)
	kLandline    = kindOf(Landline)
	kBankCard    = kindOf(BankCard)
	kEmail       = kindOf(Email)
	kPassport    = kindOf(Passport)
	kPlate       = kindOf(LicensePlate)
	kIP          = kindOf(IPAddress)
	kName        = kindOf(PersonName)
	kAddress     = kindOf(Address)
	kGeo         = kindOf(GeoCoord)
	kDateOfBirth = kindOf(DateOfBirth)
)

// verdict is what a detector says about one value: its kind, whether it is
// a valid instance (check characters pass) or only shaped like one, and for
// coordinates the number of decimals.
type verdict struct {
	kind     kind
	valid    bool
	decimals int
}

var noMatch = verdict{kind: kindNone}

// shape counts the classes of bytes in a value, so that only the detectors
// its shape allows are run.
type shape struct {
	n, digits, upper, lower, nonASCII, at, dot, colon, dash, space, comma, other int
}

// Byte classes, the indexes of shape's counters after n.
const (
	bcDigit = iota
	bcUpper
	bcLower
	bcNonASCII
	bcAt
	bcDot
	bcColon
	bcDash
	bcSpace
	bcComma
	bcOther
	numByteClasses
)

var byteClass = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c >= '0' && c <= '9':
			t[c] = bcDigit
		case c >= 'A' && c <= 'Z':
			t[c] = bcUpper
		case c >= 'a' && c <= 'z':
			t[c] = bcLower
		case c >= 0x80:
			t[c] = bcNonASCII
		case c == '@':
			t[c] = bcAt
		case c == '.':
			t[c] = bcDot
		case c == ':':
			t[c] = bcColon
		case c == '-' || c == '/':
			t[c] = bcDash
		case c == ' ':
			t[c] = bcSpace
		case c == ',' || c == ';':
			t[c] = bcComma
		default:
			t[c] = bcOther
		}
	}
	return t
}()

func shapeOf(v string) shape {
	var n [numByteClasses]int
	for i := 0; i < len(v); i++ {
		n[byteClass[v[i]]]++
	}
	return shape{n: len(v), digits: n[bcDigit], upper: n[bcUpper], lower: n[bcLower], nonASCII: n[bcNonASCII], at: n[bcAt],
		dot: n[bcDot], colon: n[bcColon], dash: n[bcDash], space: n[bcSpace], comma: n[bcComma], other: n[bcOther]}
}

// Detect returns the type of a single value v and whether it is a valid
// instance, given the type its column's header names (hint, "" for none).
// Names and birth dates are only recognised with a matching hint.
func Detect(v, hint string) (Type, bool) {
	vd := detect(strings.TrimSpace(v), Type(hint))
	if vd.kind == kindNone {
		return "", false
	}
	return Types[vd.kind], vd.valid
}

// detect classifies one trimmed value.
func detect(v string, hint Type) verdict {
	if v == "" {
		return noMatch
	}
	s := shapeOf(v)
	if s.nonASCII == 0 {
		return detectASCII(v, s, hint)
	}
	return detectText(v, s, hint)
}

func detectASCII(v string, s shape, hint Type) verdict {
	switch {
	case s.at == 1:
		if ValidEmail(v) {
			return verdict{kind: kEmail, valid: true}
		}
		return noMatch
	case s.digits == s.n:
		return detectDigits(v, hint)
	case s.colon >= 2 && s.space == 0 && s.comma == 0:
		if ValidIP(v) {
			return verdict{kind: kIP, valid: true}
		}
	case s.dot == 3 && s.digits+s.dot == s.n:
		if ValidIP(v) {
			return verdict{kind: kIP, valid: true}
		}
	case s.n == 18 && s.digits+s.upper+s.lower == s.n:
		return detectAlnum18(v)
	case s.upper >= 1 && s.upper <= 2 && s.digits+s.upper == s.n:
		if ValidPassport(v, hint == Passport) {
			return verdict{kind: kPassport, valid: true}
		}
	case s.comma == 1 || (s.dot >= 1 && s.digits+s.dot+s.dash+s.space+s.comma == s.n && (s.dash == 0 || v[0] == '-')):
		if k, dec := parseCoordinate(v, hint == GeoCoord); k != notCoord {
			return verdict{kind: kGeo, valid: true, decimals: dec}
		}
	}
	if s.digits >= 7 && s.upper+s.lower+s.at+s.colon+s.comma == 0 {
		return detectSeparated(v, s, hint)
	}
	return noMatch
}

// detectDigits classifies a string of digits by its length.
func detectDigits(v string, hint Type) verdict {
	if len(v) > 19 {
		return noMatch
	}
	var buf [20]byte
	d := append(buf[:0], v...)
	switch n := len(v); {
	case n == 18:
		if ValidResidentID(v) {
			return verdict{kind: kResidentID, valid: true}
		}
		if idShaped(v) {
			return verdict{kind: kResidentID}
		}
		if hint == ResidentID { // an identity number that fails its checks is nothing else
			return noMatch
		}
		if st := CheckUSCCShape(v); st != NotUSCC {
			return verdict{kind: kUSCC, valid: st == USCCValid}
		}
		if isCard(d) {
			return verdict{kind: kBankCard, valid: true}
		}
	case n == 15:
		if ValidResidentID(v) {
			return verdict{kind: kResidentID, valid: true}
		}
	case n == 11 && v[0] == '1':
		if isMobile(d) {
			return verdict{kind: kMobile, valid: true}
		}
	case n == 13 && v[:3] == "861":
		if isMobile(d[2:]) {
			return verdict{kind: kMobile, valid: true}
		}
	case (n == 10 || n == 11 || n == 12) && v[0] == '0':
		if isLandline(d, false) {
			return verdict{kind: kLandline, valid: true}
		}
	case n >= 16 && n <= 19:
		if isCard(d) {
			return verdict{kind: kBankCard, valid: true}
		}
	case n == 8:
		if hint == DateOfBirth && ValidBirthDate(v) {
			return verdict{kind: kDateOfBirth, valid: true}
		}
		if hint == Passport {
			return verdict{kind: kPassport, valid: true}
		}
	}
	return noMatch
}

// detectAlnum18 classifies 18 letters and digits: an identity number ending
// in X, or a unified social credit code.
func detectAlnum18(v string) verdict {
	if c := v[17]; (c == 'X' || c == 'x') && allDigits(v[:17]) {
		if ValidResidentID(v) {
			return verdict{kind: kResidentID, valid: true}
		}
		if idShaped(v) {
			return verdict{kind: kResidentID}
		}
		return noMatch
	}
	if st := CheckUSCCShape(v); st != NotUSCC {
		return verdict{kind: kUSCC, valid: st == USCCValid}
	}
	return noMatch
}

// detectSeparated classifies digits written with separators: phone numbers
// (138-0013-8000, (010) 1234 5678, +86 ...), grouped card numbers and dates.
func detectSeparated(v string, s shape, hint Type) verdict {
	var buf [24]byte
	if d, country, ok := phoneDigits(v, buf[:]); ok {
		if isMobile(d) {
			return verdict{kind: kMobile, valid: true}
		}
		if isLandline(d, country) {
			return verdict{kind: kLandline, valid: true}
		}
	}
	if s.digits >= 16 && s.digits <= 19 {
		if d, ok := cardDigits(v, buf[:]); ok && isCard(d) {
			return verdict{kind: kBankCard, valid: true}
		}
	}
	if hint == DateOfBirth && s.digits == s.n-2 && ValidBirthDate(v) {
		return verdict{kind: kDateOfBirth, valid: true}
	}
	return noMatch
}

// detectText classifies values with non-ASCII characters: plates, dates
// written in Chinese, names, addresses.
func detectText(v string, s shape, hint Type) verdict {
	r, _ := utf8.DecodeRuneInString(v)
	if s.n <= 14 && classOf(r)&rcPlate != 0 && ValidPlate(v) {
		return verdict{kind: kPlate, valid: true}
	}
	switch hint {
	case DateOfBirth:
		if ValidBirthDate(v) {
			return verdict{kind: kDateOfBirth, valid: true}
		}
	case PersonName:
		if LooksLikeName(v) {
			return verdict{kind: kName, valid: true}
		}
	}
	if s.n >= 12 && LooksLikeAddress(v, hint == Address) {
		return verdict{kind: kAddress, valid: true}
	}
	return noMatch
}

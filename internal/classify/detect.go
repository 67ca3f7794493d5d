package classify

import (
	"strings"
	"time"
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
	also     kind  // a second kind the value is (or, with vAlsoWeak, is shaped as), or kindNone
	flags    uint8 // vValid, vAlsoWeak, vCommon, vTypical
	decimals uint8
	date     int32 // yyyymmdd of a date
}

// Verdict flags, packed so that a verdict is returned in few registers.
const (
	vValid    uint8 = 1 << iota // a valid instance (check characters pass)
	vAlsoWeak                   // the value is only shaped like also
	vCommon                     // a name with one of the hundred most frequent surnames
	vTypical                    // a name of common given-name characters (else only name-like)
)

func (v verdict) valid() bool { return v.flags&vValid != 0 }

// nameShape returns the shape of a name verdict.
func (v verdict) nameShape() nameShape {
	if v.flags&vTypical != 0 {
		return nameTypical
	}
	return nameLike
}

var noMatch = verdict{kind: kindNone, also: kindNone}

func validAs(k kind) verdict { return verdict{kind: k, flags: vValid, also: kindNone} }

func weakAs(k kind) verdict { return verdict{kind: k, also: kindNone} }

// shape counts the classes of bytes in a value, so that only the detectors
// its shape allows are run.
type shape struct {
	n, digits, upper, lower, nonASCII, at, dot, colon, dash, space, comma, other int32
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

// shapeIncrements packs byteClass into two words of eight 8-bit counters
// (classes 0–7 in the first, 8–10 in the second), so that shapeOf adds two
// table words per byte in registers instead of incrementing a counter in
// memory that the next byte, usually of the same class, waits for.
var shapeIncrements = func() (t [256][2]uint64) {
	for c := range 256 {
		k := byteClass[c]
		t[c][k/8] = 1 << (8 * (k % 8))
	}
	return t
}()

// highBits has the high bit of every byte of a word set.
const highBits = 0x8080808080808080

func shapeOf(v string) (s shape) {
	s.n = int32(len(v))
	for len(v) > 0 {
		chunk := v[:min(len(v), 255)] // at most 255 bytes, so no 8-bit counter overflows
		v = v[len(chunk):]
		var lo, hi uint64
		i := 0
		for ; i+8 <= len(chunk); i += 8 { // eight bytes at a time while they are all digits or all non-ASCII
			b := chunk[i : i+8]
			w := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
				uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
			switch {
			case w&highBits == highBits:
				lo += 8 << (8 * bcNonASCII)
			case ((w-0x3030303030303030)|(w+0x4646464646464646))&highBits == 0:
				lo += 8 << (8 * bcDigit)
			default:
				for j := range 8 {
					inc := &shapeIncrements[b[j]]
					lo += inc[0]
					hi += inc[1]
				}
			}
		}
		for ; i < len(chunk); i++ {
			inc := &shapeIncrements[chunk[i]]
			lo += inc[0]
			hi += inc[1]
		}
		s.digits += int32(lo >> (8 * bcDigit) & 0xff)
		s.upper += int32(lo >> (8 * bcUpper) & 0xff)
		s.lower += int32(lo >> (8 * bcLower) & 0xff)
		s.nonASCII += int32(lo >> (8 * bcNonASCII) & 0xff)
		s.at += int32(lo >> (8 * bcAt) & 0xff)
		s.dot += int32(lo >> (8 * bcDot) & 0xff)
		s.colon += int32(lo >> (8 * bcColon) & 0xff)
		s.dash += int32(lo >> (8 * bcDash) & 0xff)
		s.space += int32(hi >> (8 * (bcSpace - 8)) & 0xff)
		s.comma += int32(hi >> (8 * (bcComma - 8)) & 0xff)
		s.other += int32(hi >> (8 * (bcOther - 8)) & 0xff)
	}
	return s
}

// Detect returns the type of a single value v and whether it is a valid
// instance, given the type its column's header names (hint, "" for none).
// Names and birth dates are only recognised with a matching hint: a single
// value cannot tell them from other words and dates (a scan decides them
// from the distribution of a column's values).
func Detect(v, hint string) (Type, bool) {
	v = strings.TrimSpace(v)
	if isNull(v) {
		return "", false
	}
	vd := detect(v, Type(hint))
	if vd.kind == kindNone || (Types[vd.kind].needsContext() && !hintAgrees(Type(hint), vd.kind)) {
		return "", false
	}
	switch {
	case vd.kind == kDateOfBirth && vd.valid():
		return DateOfBirth, vd.date <= dayKey(time.Now())
	case vd.kind == kName:
		return PersonName, vd.nameShape() == nameTypical
	}
	return Types[vd.kind], vd.valid()
}

// detect classifies one trimmed value.
func detect(v string, hint Type) verdict {
	if v == "" {
		return noMatch
	}
	s := shapeOf(v)
	if s.nonASCII == 0 {
		return detectASCII(v, &s, hint)
	}
	return detectText(v, &s, hint)
}

func detectASCII(v string, s *shape, hint Type) verdict {
	if s.n >= 8 && s.n <= 26 && isDigit(v[0]) && (s.n == 8 || v[4] == '-' || v[4] == '/' || v[4] == '.') {
		if vd, ok := detectDate(v, hint); ok {
			return vd
		}
	}
	switch {
	case s.at == 1:
		if ValidEmail(v) {
			return validAs(kEmail)
		}
		return noMatch
	case s.digits == s.n:
		return detectDigits(v, hint)
	case s.colon >= 2 && s.space == 0 && s.comma == 0:
		if ValidIP(v) {
			return validAs(kIP)
		}
	case s.dot == 3 && s.digits+s.dot == s.n:
		if ValidIP(v) {
			return validAs(kIP)
		}
	case s.n == 18 && s.digits+s.upper+s.lower == s.n:
		return detectAlnum18(v)
	case s.upper >= 1 && s.upper <= 2 && s.digits+s.upper == s.n:
		if ValidPassport(v, hint == Passport) {
			return validAs(kPassport)
		}
	case s.comma == 1 || (s.dot >= 1 && s.digits+s.dot+s.dash+s.space+s.comma == s.n && (s.dash == 0 || v[0] == '-')):
		if k, dec := parseCoordinate(v, hint == GeoCoord); k != notCoord {
			return verdict{kind: kGeo, flags: vValid, also: kindNone, decimals: uint8(min(dec, 255))}
		}
	}
	if s.digits >= 7 && s.at+s.colon+s.comma == 0 {
		if s.upper+s.lower == 0 {
			return detectSeparated(v, s, hint)
		}
		if number, ok := cutExtension(v); ok {
			return detectPhone(number)
		}
	}
	return noMatch
}

// detectDate classifies a value that starts like a date (19900307,
// 1990-03-07, 1990/3/7 00:00:00): a date is a birth-date candidate, valid
// from 1900 on; whether a column holds birth dates is decided from the
// distribution of its dates (or its header). With a passport header, eight
// digits are a Taiwan residents' permit number instead.
func detectDate(v string, hint Type) (verdict, bool) {
	if hint == Passport && len(v) == 8 {
		return noMatch, false
	}
	y, m, d, ok := ParseDate(v)
	if !ok {
		return noMatch, false
	}
	vd := verdict{kind: kDateOfBirth, also: kindNone, date: int32(y*10000 + m*100 + d)}
	if y >= 1900 {
		vd.flags = vValid
	}
	return vd, true
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
		return detectDigits18(v, d, hint)
	case n == 15:
		if ValidResidentID(v) {
			return validAs(kResidentID)
		}
		if v[:4] == "0086" && isMobile(d[4:]) {
			return validAs(kMobile)
		}
	case n == 14 && v[:4] == "0086":
		if isLandline(d[4:], true) {
			return validAs(kLandline)
		}
	case n == 11 && v[0] == '1':
		if isMobile(d) {
			return validAs(kMobile)
		}
	case n == 13 && v[:3] == "861":
		if isMobile(d[2:]) {
			return validAs(kMobile)
		}
	case (n == 10 || n == 11 || n == 12) && v[0] == '0':
		if isLandline(d, false) {
			return validAs(kLandline)
		}
	case n >= 16 && n <= 19:
		if isCard(d) {
			return validAs(kBankCard)
		}
	case n == 8:
		if hint == Passport {
			return validAs(kPassport)
		}
	}
	return noMatch
}

// detectDigits18 classifies 18 digits: an identity number, a credit code or
// a card number, whichever check passes, in that order (a value that passes
// two is counted as what its column holds); then a mistyped identity number
// or credit code. A card number that fails the identity number's check is a
// card.
func detectDigits18(v string, d []byte, hint Type) verdict {
	inRange := cardRange(d)
	card := inRange && luhn(d)
	also, flags := kindNone, vValid
	if inRange {
		also = kBankCard
		if !card {
			flags |= vAlsoWeak
		}
	}
	if ValidResidentID(v) {
		return verdict{kind: kResidentID, flags: flags, also: also}
	}
	st := CheckUSCCShape(v)
	if st == USCCValid {
		return verdict{kind: kUSCC, flags: flags, also: also}
	}
	if card && hint != ResidentID {
		if idShaped(v) { // a card, or an identity number with a wrong check character
			return verdict{kind: kBankCard, flags: vValid | vAlsoWeak, also: kResidentID}
		}
		return validAs(kBankCard)
	}
	if idShaped(v) {
		return weakAs(kResidentID)
	}
	if hint == ResidentID { // an identity number that fails its checks is nothing else
		return noMatch
	}
	if st == USCCBadCheck {
		return weakAs(kUSCC)
	}
	return noMatch
}

// detectAlnum18 classifies 18 letters and digits: an identity number ending
// in X, or a unified social credit code.
func detectAlnum18(v string) verdict {
	if c := v[17]; (c == 'X' || c == 'x') && allDigits(v[:17]) {
		if ValidResidentID(v) {
			return validAs(kResidentID)
		}
		if idShaped(v) {
			return weakAs(kResidentID)
		}
		return noMatch
	}
	if st := CheckUSCCShape(v); st != NotUSCC {
		if st == USCCValid {
			return validAs(kUSCC)
		}
		return weakAs(kUSCC)
	}
	return noMatch
}

// detectSeparated classifies digits written with separators: phone numbers
// (138-0013-8000, (010) 1234 5678, +86 ..., with an extension), grouped
// card numbers.
func detectSeparated(v string, s *shape, hint Type) verdict {
	if vd := detectPhone(v); vd.kind != kindNone {
		return vd
	}
	if s.digits >= 16 && s.digits <= 19 {
		var buf [24]byte
		if d, ok := cardDigits(v, buf[:]); ok && isCard(d) {
			return validAs(kBankCard)
		}
	}
	if number, ok := cutExtension(v); ok {
		return detectPhone(number)
	}
	return noMatch
}

// detectPhone classifies a phone number written with or without separators
// and country code.
func detectPhone(v string) verdict {
	var buf [24]byte
	if d, country, ok := phoneDigits(v, buf[:]); ok {
		if isMobile(d) {
			return validAs(kMobile)
		}
		if isLandline(d, country) {
			return validAs(kLandline)
		}
	}
	return noMatch
}

// detectText classifies values with non-ASCII characters: plates, dates
// written in Chinese, names, phone numbers with full-width brackets or an
// extension (转), addresses.
func detectText(v string, s *shape, hint Type) verdict {
	r, _ := utf8.DecodeRuneInString(v)
	if s.n <= 14 && classOf(r)&rcPlate != 0 && ValidPlate(v) {
		return validAs(kPlate)
	}
	if s.digits >= 4 && s.n <= 40 {
		if isDigit(v[0]) && s.n >= 10 && v[4] >= 0x80 {
			if vd, ok := detectDate(v, hint); ok {
				return vd
			}
		}
		if s.digits >= 7 {
			if number, ok := asciiPhone(v); ok {
				if vd := detectPhone(number); vd.kind != kindNone {
					return vd
				}
				if number, ok := cutExtension(number); ok {
					return detectPhone(number)
				}
			}
		}
	}
	if s.n <= 16 || (s.n <= 60 && (strings.Contains(v, "·") || strings.Contains(v, "•"))) {
		if shape, common := personName(v); shape != notName {
			vd := validAs(kName)
			if shape == nameTypical {
				vd.flags |= vTypical
			}
			if common {
				vd.flags |= vCommon
			}
			return vd
		}
	}
	if s.n >= 12 && LooksLikeAddress(v, hint == Address) {
		return validAs(kAddress)
	}
	return noMatch
}

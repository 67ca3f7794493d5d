package classify

import "time"

// idWeights are the GB 11643 weights 2^(17-i) mod 11 of the first 17 digits.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idCheckChars maps the weighted sum mod 11 to the check character (ISO 7064 MOD 11-2).
const idCheckChars = "10X98765432"

// ResidentIDCheckChar returns the GB 11643 check character for the first 17
// digits of an identity number; it reports false when they are not 17 digits.
func ResidentIDCheckChar(first17 string) (byte, bool) {
	if len(first17) != 17 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := first17[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		sum += int(c-'0') * idWeights[i]
	}
	return idCheckChars[sum%11], true
}

// ValidResidentID reports whether s is a citizen identity number: 18
// characters whose check character is right (an 'x' is accepted for 'X'),
// with a valid birth date and a known region prefix; or the legacy
// 15-digit form (region, YYMMDD birth date in the 1900s, sequence).
func ValidResidentID(s string) bool {
	switch len(s) {
	case 18:
		want, ok := ResidentIDCheckChar(s[:17])
		got := s[17]
		if got == 'x' {
			got = 'X'
		}
		return ok && got == want && KnownRegion(s) && validBirth(s[6:14])
	case 15:
		if !allDigits(s) || !KnownRegion(s) {
			return false
		}
		y := 1900 + int(s[6]-'0')*10 + int(s[7]-'0')
		m := int(s[8]-'0')*10 + int(s[9]-'0')
		d := int(s[10]-'0')*10 + int(s[11]-'0')
		return validDate(y, m, d) && notFuture(y, m, d)
	}
	return false
}

// idShaped reports whether an 18-digit string has an identity number's
// region and birth date, whatever its check character: such a number is a
// mistyped identity number far more often than anything else.
func idShaped(s string) bool {
	return len(s) == 18 && KnownRegion(s) && validBirth(s[6:14])
}

// validBirth reports whether yyyymmdd is a calendar date from 1900 to today.
func validBirth(yyyymmdd string) bool {
	y, m, d, ok := ymd(yyyymmdd)
	if !ok || y < 1900 {
		return false
	}
	return validDate(y, m, d) && notFuture(y, m, d)
}

// startDay is the UTC date (yyyymmdd) when the process started: a date up
// to it is not in the future, and only later dates need the clock.
var startDay = dayKey(time.Now().UTC())

// notFuture reports whether the date y-m-d has begun in UTC.
func notFuture(y, m, d int) bool {
	key := int32(y*10000 + m*100 + d)
	return key <= startDay || key <= dayKey(time.Now().UTC())
}

// ymd splits eight digits into year, month and day.
func ymd(s string) (y, m, d int, ok bool) {
	if len(s) != 8 || !allDigits(s) {
		return 0, 0, 0, false
	}
	y = int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
	m = int(s[4]-'0')*10 + int(s[5]-'0')
	d = int(s[6]-'0')*10 + int(s[7]-'0')
	return y, m, d, true
}

var monthDays = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

func validDate(y, m, d int) bool {
	if m < 1 || m > 12 || d < 1 || d > monthDays[m] {
		return false
	}
	if m == 2 && d == 29 {
		return y%4 == 0 && (y%100 != 0 || y%400 == 0)
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}

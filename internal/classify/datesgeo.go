package classify

import (
	"strconv"
	"strings"
)

// ParseDate reads a calendar date written as 2006-01-02, 2006/1/2,
// 2006.01.02, 20060102 or 2006年1月2日 (a time after a space or 'T' is
// ignored). It reports false for anything else or an impossible date.
func ParseDate(s string) (y, m, d int, ok bool) {
	for i := 1; i < len(s); i++ {
		if s[i] == ' ' || s[i] == 'T' {
			s = s[:i]
			break
		}
	}
	if len(s) == 8 && allDigits(s) {
		y, m, d, _ = ymd(s)
		return y, m, d, validDate(y, m, d)
	}
	if len(s) < 8 || !allDigits(s[:4]) {
		return 0, 0, 0, false
	}
	y = int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
	rest := s[4:]
	var sep2 string
	switch {
	case rest[0] == '-' || rest[0] == '/' || rest[0] == '.':
		sep2, rest = rest[:1], rest[1:]
	case strings.HasPrefix(rest, "年"):
		sep2, rest = "月", rest[len("年"):]
	default:
		return 0, 0, 0, false
	}
	m, rest, ok = number2(rest)
	if !ok || !strings.HasPrefix(rest, sep2) {
		return 0, 0, 0, false
	}
	d, rest, ok = number2(rest[len(sep2):])
	if !ok || (rest != "" && !(sep2 == "月" && rest == "日")) {
		return 0, 0, 0, false
	}
	return y, m, d, validDate(y, m, d)
}

// number2 reads one or two digits at the start of s.
func number2(s string) (int, string, bool) {
	switch {
	case len(s) >= 2 && isDigit(s[0]) && isDigit(s[1]):
		return int(s[0]-'0')*10 + int(s[1]-'0'), s[2:], true
	case len(s) >= 1 && isDigit(s[0]):
		return int(s[0] - '0'), s[1:], true
	}
	return 0, s, false
}

// ValidBirthDate reports whether s is a date from 1900 to today.
func ValidBirthDate(s string) bool {
	y, m, d, ok := ParseDate(s)
	return ok && y >= 1900 && notFuture(y, m, d)
}

// Coordinate results.
const (
	notCoord = iota
	coordPair
	coordAxis
)

// parseCoordinate reads "lng,lat" (or "lat,lng"; also with ';' or a space
// between) with both numbers in range and at least three decimals, or —
// only with context — a lone number of at most 180 with at least three
// decimals. It returns the kind and the number of decimals.
func parseCoordinate(s string, context bool) (kind, decimals int) {
	a, b, pair := cutAny(s, ",; ")
	if !pair {
		if !context {
			return notCoord, 0
		}
		v, dec, ok := decimal(s)
		if ok && dec >= 3 && v >= -180 && v <= 180 {
			return coordAxis, dec
		}
		return notCoord, 0
	}
	x, dx, ok1 := decimal(strings.TrimSpace(a))
	y, dy, ok2 := decimal(strings.TrimSpace(b))
	if !ok1 || !ok2 || dx < 3 || dy < 3 {
		return notCoord, 0
	}
	if (x < -180 || x > 180 || y < -90 || y > 90) && (y < -180 || y > 180 || x < -90 || x > 90) {
		return notCoord, 0
	}
	return coordPair, min(dx, dy)
}

func cutAny(s, seps string) (string, string, bool) {
	i := strings.IndexAny(s, seps)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

// decimal parses a plain decimal number (optional sign, digits, one point)
// and counts the digits after the point.
func decimal(s string) (float64, int, bool) {
	if s == "" || len(s) > 24 {
		return 0, 0, false
	}
	dot, digits := -1, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			digits++
		case c == '.' && dot < 0:
			dot = i
		case (c == '-' || c == '+') && i == 0:
		default:
			return 0, 0, false
		}
	}
	if dot < 0 || digits == 0 {
		return 0, 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, len(s) - dot - 1, err == nil
}

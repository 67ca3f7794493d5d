package classify

import "strings"

// provinces are the GB/T 2260 province-level codes (first two digits of a
// region code), plus 83, which residence permits of Taiwan residents use.
const provinces = "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83"

// prefectures are the four-digit prefecture-level prefixes of the GB/T 2260
// codes in force (Ministry of Civil Affairs list, 2021), written as a
// province code followed by its prefecture numbers, plus the directly
// administered county groups (xx90) and the historical prefixes that
// identity numbers issued before a re-coding still carry (1102, 1202, 3102
// and 5002–5003 for municipal counties, 3414 Chaohu, 3712 Laiwu, 4204
// Shashi, 5102 and 5112 for Chongqing and Wanxian before 1997).
var prefectures = []string{
	"11 01 02", "12 01 02", "13 01-11", "14 01-11", "15 01-09 22 25 29", "21 01-14", "22 01-08 24",
	"23 01-12 27", "31 01 02", "32 01-13", "33 01-11", "34 01-08 10-18", "35 01-09", "36 01-11",
	"37 01-17", "41 01-17 90", "42 01-13 28 90", "43 01-13 31", "44 01-09 12-20 51-53", "45 01-14",
	"46 01-04 90", "50 01-03", "51 01-20 32-34", "52 01-06 23 26 27",
	"53 01 03-09 23 25 26 28 29 31 33 34", "54 01-06 25", "61 01-10", "62 01-12 29 30",
	"63 01 02 22 23 25-28", "64 01-05", "65 01 02 04 05 23 27-32 40 42 43 90",
	"71 00", "81 00", "82 00", "83 00",
}

// regionPrefix holds every accepted four-digit prefix.
var regionPrefix = buildRegionPrefixes()

func buildRegionPrefixes() map[[4]byte]bool {
	known := map[[4]byte]bool{}
	add := func(p string) { known[[4]byte{p[0], p[1], p[2], p[3]}] = true }
	for _, line := range prefectures {
		f := strings.Fields(line)
		for _, r := range f[1:] {
			lo, hi, ok := strings.Cut(r, "-")
			if !ok {
				hi = lo
			}
			for n := atoi2(lo); n <= atoi2(hi); n++ {
				add(f[0] + string(rune('0'+n/10)) + string(rune('0'+n%10)))
			}
		}
	}
	// Prefectures numbered 21–35 were 地区, 盟 and 自治州; many were
	// re-coded as cities, but the numbers issued under them stay valid.
	for _, p := range strings.Fields(provinces) {
		if p >= "71" {
			continue
		}
		for n := 21; n <= 35; n++ {
			add(p + string(rune('0'+n/10)) + string(rune('0'+n%10)))
		}
	}
	return known
}

func atoi2(s string) int { return int(s[0]-'0')*10 + int(s[1]-'0') }

// KnownRegion reports whether the first six characters of s begin with a
// known GB/T 2260 province and prefecture (current or historical); the
// county digits are not checked, because counties are re-coded often and
// identity numbers keep the code of the day they were issued.
func KnownRegion(s string) bool {
	if len(s) < 6 {
		return false
	}
	for i := 0; i < 6; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return regionPrefix[[4]byte{s[0], s[1], s[2], s[3]}]
}

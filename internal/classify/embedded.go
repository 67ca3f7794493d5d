package classify

import (
	"strings"
	"unicode/utf8"
)

// cardContext are words that, in the same text, make a 16–19 digit run a
// card number rather than an order or serial number.
var cardContext = []string{"卡号", "账号", "银行卡", "信用卡", "借记卡", "账户", "card", "Card", "CARD"}

// embedded finds identifiers inside free text ("请联系张先生13800138000，身份证
// 110101199003070017") and counts each valid one by kind. Only types whose
// check characters or segment tables make a stray match unlikely are
// searched: identity numbers, credit codes, mobiles, emails, plates, and
// card numbers where the text speaks of cards.
func embedded(v string, counts *[numKinds]int) {
	cards := -1 // unknown until a card-length run is seen
	for i := 0; i < len(v); {
		c := v[i]
		if c < 0x80 {
			if !isTokenByte(c) {
				i++
				continue
			}
			if isDigit(c) {
				if n := groupedDigits(v, i, counts, &cards); n > 0 {
					i += n
					continue
				}
			}
			j := i
			for j < len(v) && isTokenByte(v[j]) {
				j++
			}
			embeddedToken(v, v[i:j], &cards, counts)
			i = j
			continue
		}
		r, size := decodeRune(v[i:])
		if i+size < len(v) && classOf(r)&rcPlate != 0 && v[i+size] >= 'A' && v[i+size] <= 'Z' {
			if n := plateAt(v[i:]); n > 0 {
				counts[kPlate]++
				i += n
				continue
			}
		}
		i += size
	}
}

func isTokenByte(c byte) bool {
	return isAlnum(c) || c == '@' || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

func embeddedToken(text, tok string, cards *int, counts *[numKinds]int) {
	tok = strings.Trim(tok, ".-_+")
	if len(tok) < 6 {
		return
	}
	if strings.IndexByte(tok, '@') > 0 {
		if ValidEmail(tok) {
			counts[kEmail]++
		}
		return
	}
	if strings.IndexByte(tok, '-') > 0 && len(tok) >= 13 && len(tok) <= 16 {
		if ValidMobile(tok) {
			counts[kMobile]++
		}
		return
	}
	switch n := len(tok); {
	case n == 11 && tok[0] == '1' && allDigits(tok):
		if ValidMobile(tok) {
			counts[kMobile]++
		}
	case n == 18:
		if ValidResidentID(tok) {
			counts[kResidentID]++
		} else if CheckUSCCShape(tok) == USCCValid {
			counts[kUSCC]++
		} else if allDigits(tok) && hasCardContext(text, cards) && ValidBankCard(tok) {
			counts[kBankCard]++
		}
	case n >= 16 && n <= 19 && allDigits(tok):
		if hasCardContext(text, cards) && ValidBankCard(tok) {
			counts[kBankCard]++
		}
	}
}

func hasCardContext(text string, cached *int) bool {
	if *cached < 0 {
		*cached = 0
		if containsAny(text, cardContext) {
			*cached = 1
		}
	}
	return *cached == 1
}

// plateAt returns the length of a plate at the start of s, or 0.
func plateAt(s string) int {
	_, size := utf8.DecodeRuneInString(s)
	for n := min(len(s), size+1+3+7); n >= size+6; n-- { // longest first: new-energy plates are longer
		if ValidPlate(s[:n]) && (n == len(s) || !isAlnum(s[n])) {
			return n
		}
	}
	return 0
}

// groupedDigits recognises numbers written in groups inside text ("6222 0212
// 3456 7890 128", "139 1234 5678"): runs of digits joined by single spaces
// or '-'. It returns the bytes consumed when there are three groups or more
// (counting a mobile or a card number when they form one; the groups of a
// longer number are not searched for shorter ones), else 0 (and the caller
// reads the first run as a token).
func groupedDigits(v string, i int, counts *[numKinds]int, cards *int) int {
	var buf [24]byte
	d := buf[:0]
	j, groups, end := i, 0, i
	for j < len(v) && len(d) < cap(d) {
		k := j
		for k < len(v) && isDigit(v[k]) && len(d) < cap(d) {
			d = append(d, v[k])
			k++
		}
		if k == j || (k < len(v) && isLetter(v[k])) {
			return 0
		}
		groups++
		end = k
		if k+1 < len(v) && (v[k] == ' ' || v[k] == '-') && isDigit(v[k+1]) {
			j = k + 1
			continue
		}
		break
	}
	if groups < 3 {
		return 0
	}
	switch {
	case len(d) == 11 && isMobile(d):
		counts[kMobile]++
	case len(d) >= 16 && len(d) <= 19 && hasCardContext(v, cards) && isCard(d):
		counts[kBankCard]++
	}
	return end - i
}

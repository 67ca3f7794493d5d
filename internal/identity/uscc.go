package identity

import (
	"fmt"
	"strings"
)

// usccAlphabet is the GB 32100-2015 character set: digits and upper-case
// letters without I, O, Z, S and V. A character's value is its index.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccValue is each byte's value in usccAlphabet, or -1.
var usccValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := range len(usccAlphabet) {
		t[usccAlphabet[i]] = int8(i)
	}
	return t
}()

var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// CheckUSCC validates a unified social credit code (统一社会信用代码): 18
// characters from the GB 32100 alphabet whose last character is the check
// character computed over the first 17. The error says what is wrong.
func CheckUSCC(code string) error {
	runes := []rune(code)
	if len(runes) != 18 {
		return fmt.Errorf("must be 18 characters (got %d)", len(runes))
	}
	for i, c := range runes {
		if !strings.ContainsRune(usccAlphabet, c) {
			return fmt.Errorf("character %d (%q) is not allowed: use digits and upper-case letters except I, O, Z, S, V", i+1, c)
		}
	}
	want, _ := USCCCheckChar(code[:17])
	if code[17] != want {
		return fmt.Errorf("check character is %q but should be %q (GB 32100): the code is mistyped", code[17], want)
	}
	return nil
}

// USCCCheckChar computes the GB 32100 check character for the first 17
// characters of a code.
func USCCCheckChar(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, fmt.Errorf("need 17 characters, got %d", len(first17))
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := int(usccValue[first17[i]])
		if v < 0 {
			return 0, fmt.Errorf("character %d (%q) is not allowed", i+1, first17[i])
		}
		sum += v * usccWeights[i]
	}
	return usccAlphabet[(31-sum%31)%31], nil
}

package identity_test

import (
	"strings"
	"testing"

	"dataport/internal/identity"
)

// withCheckChar completes the first 17 characters of a USCC with the check
// character USCCCheckChar computes for them.
func withCheckChar(t *testing.T, first17 string) string {
	t.Helper()
	c, err := identity.USCCCheckChar(first17)
	if err != nil {
		t.Fatalf("USCCCheckChar(%q): %v", first17, err)
	}
	return first17 + string(c)
}

// wrongCheckChar replaces the check character of a valid code with another
// character of the alphabet.
func wrongCheckChar(code string) string {
	wrong := byte('0')
	if code[17] == '0' {
		wrong = '1'
	}
	return code[:17] + string(wrong)
}

func TestCheckUSCCAcceptsValidCodes(t *testing.T) {
	tests := []struct {
		name string
		code string
	}{
		// Codes published by well-known companies: they check the algorithm
		// against the standard, not against itself.
		{"Huawei", "914403001922038216"},
		{"Baidu", "91110000802100433B"},
		{"Xiaomi", "91110108551385082Q"},
		{"Alibaba", "91330100716105852F"},
		{"Tencent", "9144030071526726XG"},
		{"constructed enterprise", withCheckChar(t, "91110108"+"MA01ABCD"+"X")},
		{"constructed institution", withCheckChar(t, "12110000"+"40000123"+"4")},
		{"constructed all zeros", withCheckChar(t, "00000000000000000")},
		{"constructed highest letters", withCheckChar(t, "YYYYYYYYYYYYYYYYY")},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if err := identity.CheckUSCC(test.code); err != nil {
				t.Errorf("CheckUSCC(%q) = %v, want nil", test.code, err)
			}
		})
	}
}

func TestCheckUSCCRefusesInvalidCodes(t *testing.T) {
	valid := withCheckChar(t, "91110108MA01ABCDX")
	tests := []struct {
		name string
		code string
		want []string // substrings the error message must hold
	}{
		{"wrong check character", wrongCheckChar(valid), []string{"check character is '" + wrongCheckChar(valid)[17:] + "'", "should be '" + valid[17:] + "'"}},
		{"wrong check character of a published code", "914403001922038217", []string{"should be '6'"}},
		{"empty", "", []string{"must be 18 characters (got 0)"}},
		{"17 characters", valid[:17], []string{"must be 18 characters (got 17)"}},
		{"19 characters", valid + "0", []string{"must be 18 characters (got 19)"}},
		{"18 characters counting a Chinese one as one", valid[:16] + "中", []string{"must be 18 characters (got 17)"}},
		{"letter I", "9111010" + "I" + valid[8:], []string{"character 8 ('I') is not allowed"}},
		{"letter O", "91110108" + "O" + valid[9:], []string{"character 9 ('O') is not allowed"}},
		{"letter Z", valid[:10] + "Z" + valid[11:], []string{"character 11 ('Z') is not allowed"}},
		{"letter S", valid[:12] + "S" + valid[13:], []string{"character 13 ('S') is not allowed"}},
		{"letter V", valid[:17] + "V", []string{"character 18 ('V') is not allowed"}},
		{"lower-case letter", strings.ToLower(valid[:9]) + valid[9:], []string{"character 9 ('m') is not allowed"}},
		{"space", " " + valid[1:], []string{"character 1 (' ') is not allowed"}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			err := identity.CheckUSCC(test.code)
			if err == nil {
				t.Fatalf("CheckUSCC(%q) = nil, want an error", test.code)
			}
			for _, w := range test.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("CheckUSCC(%q) = %q, want it to say %q", test.code, err, w)
				}
			}
		})
	}
}

// TestCheckUSCCDetectsEveryMistypedCharacter changes each of the first 17
// characters of a valid code to every other allowed character: GB 32100's
// weights guarantee that each such typo is caught.
func TestCheckUSCCDetectsEveryMistypedCharacter(t *testing.T) {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	valid := "914403001922038216"
	for i := range 17 {
		for _, c := range []byte(alphabet) {
			if c == valid[i] {
				continue
			}
			typo := valid[:i] + string(c) + valid[i+1:]
			if err := identity.CheckUSCC(typo); err == nil || !strings.Contains(err.Error(), "check character") {
				t.Errorf("CheckUSCC(%q) = %v, want a check-character error", typo, err)
			}
		}
	}
}

func TestUSCCCheckCharRefusesBadInput(t *testing.T) {
	tests := []struct {
		name, first17 string
	}{
		{"16 characters", "9111010800000000"},
		{"18 characters", "911101080000000000"},
		{"forbidden letter", "91110108I00000000"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if c, err := identity.USCCCheckChar(test.first17); err == nil {
				t.Errorf("USCCCheckChar(%q) = %q, nil; want an error", test.first17, c)
			}
		})
	}
}

package ingest

import (
	"regexp"
	"strings"

	"dataport/internal/catalog"
	"dataport/internal/classify"
)

// PersonalInfoCheck finds personal information in a column. It is the
// pluggable legality check of a load: the classification package's column
// scanner is meant to implement it; until then DefaultPersonalInfoCheck
// stands in. Implementations see a sample of each column's non-empty
// values (never more than SampleSize) and must not keep them.
type PersonalInfoCheck interface {
	CheckColumn(item catalog.Item, values []string) []PIIFinding
}

// SampleSize is how many non-empty values of each column a load collects
// for the personal information check.
const SampleSize = 500

// PIIFinding is personal information detected in a column. It carries counts,
// never the values themselves (it is stored in the quality report).
type PIIFinding struct {
	Item    string `json:"item"`
	Kind    string `json:"kind"` // e.g. "id_card", "mobile_phone", "email"
	Matches int    `json:"matches"`
	Sampled int    `json:"sampled"`
}

// DefaultPersonalInfoCheck flags columns holding resident identity numbers
// (GB 11643, checksum verified), mainland mobile numbers or e-mail
// addresses in at least a tenth of the sampled values.
type DefaultPersonalInfoCheck struct{}

var (
	mobilePattern = regexp.MustCompile(`^(\+?86[- ]?)?1[3-9]\d{9}$`)
	emailPattern  = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$`)
)

// CheckColumn implements PersonalInfoCheck.
func (DefaultPersonalInfoCheck) CheckColumn(item catalog.Item, values []string) []PIIFinding {
	detectors := []struct {
		kind  string
		match func(string) bool
	}{
		{"id_card", classify.ValidResidentID},
		{"mobile_phone", mobilePattern.MatchString},
		{"email", emailPattern.MatchString},
	}
	var out []PIIFinding
	for _, d := range detectors {
		n := 0
		for _, v := range values {
			if d.match(strings.TrimSpace(v)) {
				n++
			}
		}
		if n > 0 && n*10 >= len(values) {
			out = append(out, PIIFinding{Item: item.Name, Kind: d.kind, Matches: n, Sampled: len(values)})
		}
	}
	return out
}

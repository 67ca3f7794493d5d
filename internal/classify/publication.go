package classify

import "slices"

// PublicationBlockers are the detections that hold a loaded version back
// from publication while its resource does not declare personal
// information: the direct identifiers of persons. Addresses, coordinates,
// plates and landlines are left out: in public data they mostly belong to
// organisations and places.
var PublicationBlockers = []Type{ResidentID, Mobile, BankCard, Passport, Email, PersonName}

// BlocksPublication scans a sample of one column, with header (its label)
// as the scanner's hint, and reports the type the column holds and on how
// many of the values, when that type is one of PublicationBlockers.
func BlocksPublication(header string, values []string) (t Type, matches int, ok bool) {
	sc := NewScanner([]string{header})
	for _, v := range values {
		sc.Add([]string{v})
	}
	res := sc.Result()
	if len(res.Columns) == 0 || res.Columns[0].Detected == nil || !slices.Contains(PublicationBlockers, *res.Columns[0].Detected) {
		return "", 0, false
	}
	t = *res.Columns[0].Detected
	return t, res.Columns[0].Matches[t], true
}

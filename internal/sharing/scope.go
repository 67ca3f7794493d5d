package sharing

import (
	"fmt"
	"slices"
	"strings"

	"dataport/internal/catalog"
	"dataport/internal/validate"
)

// Fields returns the data items a requester names, trimmed, without
// blanks and repeats.
func Fields(names []string) []string {
	fields := []string{}
	for _, f := range names {
		if f = strings.TrimSpace(f); f != "" && !slices.Contains(fields, f) {
			fields = append(fields, f)
		}
	}
	return fields
}

// ValidateScope adds to errs what is wrong with the scope a requester asks
// of r: a duration of 1 to 1095 days, fields among r's data items. Share
// requests and open applications (package opening) ask alike.
func ValidateScope(errs *validate.Errors, r catalog.Resource, fields []string, days int) {
	if days < 1 || days > 1095 {
		errs.Add("duration_days", days, "range_days", "must be between %d and %d days", 1, 1095)
	}
	for i, f := range fields {
		if !slices.ContainsFunc(r.Items, func(it catalog.Item) bool { return it.Name == f }) {
			errs.Add(fmt.Sprintf("fields[%d]", i), f, "not_item", "is not a data item of this resource")
		}
	}
}

// Package catalog is the public data catalog (公共数据目录): data resources
// described to one spec, their lifecycle from draft to published, and the
// history of every change.
package catalog

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"dataport/internal/validate"
)

// ErrState means the resource's status does not allow the action.
var ErrState = errors.New("not allowed in the resource's current status")

// Code is one entry of an item's code list.
type Code struct {
	Code  string `json:"code" required:"false"`
	Label string `json:"label" required:"false"`
}

// Item is a data item (数据项): one column of the resource's data.
type Item struct {
	Name        string   `json:"name" required:"false"`
	LabelZh     string   `json:"label_zh" required:"false"`
	Type        ItemType `json:"type" required:"false"`
	Length      int      `json:"length,omitempty" required:"false"`
	Precision   int      `json:"precision,omitempty" required:"false"`
	Description string   `json:"description,omitempty" required:"false"`
	Required    bool     `json:"required" required:"false"`
	Key         bool     `json:"key" required:"false"`
	CodeList    []Code   `json:"code_list,omitempty" required:"false"`
}

// Resource is a data resource (数据资源) in the catalog.
type Resource struct {
	ID             string `json:"id"`
	Code           string `json:"code"`
	OrganizationID string `json:"organization_id"`
	Input
	Status        Status     `json:"status"`
	ReviewComment string     `json:"review_comment"`
	Version       int        `json:"version"`
	CreatedBy     string     `json:"created_by"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	PublishedAt   *time.Time `json:"published_at"`
}

// Input is the part of a resource its institution writes. Which fields are
// required is decided by Validate (so every problem is reported by field),
// not by the API schema.
type Input struct {
	TitleZh         string         `json:"title_zh" required:"false"`
	TitleEn         string         `json:"title_en" required:"false"`
	DescriptionZh   string         `json:"description_zh" required:"false"`
	DescriptionEn   string         `json:"description_en" required:"false"`
	Subject         string         `json:"subject" required:"false"`
	Industry        string         `json:"industry" required:"false"`
	Keywords        []string       `json:"keywords" required:"false"`
	Formats         []string       `json:"formats" required:"false"`
	Items           []Item         `json:"items" required:"false"`
	UpdateFrequency Frequency      `json:"update_frequency" required:"false"`
	ShareType       ShareType      `json:"share_type" required:"false"`
	ShareBasis      string         `json:"share_basis" required:"false"`
	OpenType        OpenType       `json:"open_type" required:"false"`
	OpenBasis       string         `json:"open_basis" required:"false"`
	Classification  Classification `json:"classification" required:"false"`
	Level           int            `json:"level" required:"false"`
	PersonalInfo    bool           `json:"personal_info" required:"false"`
	SourceSystem    string         `json:"source_system" required:"false"`
	ContactName     string         `json:"contact_name" required:"false"`
	ContactPhone    string         `json:"contact_phone" required:"false"`
	ContactEmail    string         `json:"contact_email" required:"false"`
}

var itemNamePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// Normalize trims text and drops empty keywords, so equal inputs compare equal.
func (in *Input) Normalize() {
	for _, p := range []*string{&in.TitleZh, &in.TitleEn, &in.DescriptionZh, &in.DescriptionEn, &in.Subject,
		&in.Industry, &in.ShareBasis, &in.OpenBasis, &in.SourceSystem, &in.ContactName, &in.ContactPhone, &in.ContactEmail} {
		*p = strings.TrimSpace(*p)
	}
	in.Keywords = cleanList(in.Keywords, false)
	in.Formats = cleanList(in.Formats, true)
	// Copy the items: Input is passed by value but its slices are shared
	// with the caller, who must not see them change.
	in.Items = append([]Item{}, in.Items...)
	for i := range in.Items {
		it := &in.Items[i]
		it.Name, it.LabelZh, it.Description = strings.TrimSpace(it.Name), strings.TrimSpace(it.LabelZh), strings.TrimSpace(it.Description)
	}
}

func cleanList(list []string, formats bool) []string {
	out := []string{}
	for _, s := range list {
		s = strings.TrimSpace(s)
		if formats {
			s = canonicalFormat(s)
		}
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// canonicalFormat spells a format as Formats does ("geojson" → "GeoJSON"),
// or upper-cases an unknown one for Validate to name.
func canonicalFormat(s string) string {
	for _, f := range Formats {
		if strings.EqualFold(f, s) {
			return f
		}
	}
	return strings.ToUpper(s)
}

// Validate checks the input against the catalog spec and returns every
// problem, field by field.
func (in Input) Validate() error {
	var errs validate.Errors
	errs.Required("title_zh", in.TitleZh)
	errs.MaxLen("title_zh", in.TitleZh, 200)
	errs.MaxLen("title_en", in.TitleEn, 300)
	errs.Required("description_zh", in.DescriptionZh)
	errs.MaxLen("description_zh", in.DescriptionZh, 4000)
	errs.MaxLen("description_en", in.DescriptionEn, 8000)
	if errs.Required("subject", in.Subject) {
		validate.OneOf(&errs, "subject", in.Subject, codes(Subjects)...)
	}
	if in.Industry != "" {
		validate.OneOf(&errs, "industry", in.Industry, codes(Industries)...)
	}
	if len(in.Keywords) > 20 {
		errs.Add("keywords", len(in.Keywords), validate.CodeTooMany, "at most %d keywords", 20)
	}
	for i, k := range in.Keywords {
		errs.MaxLen(fmt.Sprintf("keywords[%d]", i), k, 40)
	}
	for i, f := range in.Formats {
		validate.OneOf(&errs, fmt.Sprintf("formats[%d]", i), f, Formats...)
	}
	validate.OneOf(&errs, "update_frequency", in.UpdateFrequency, Frequencies...)
	in.validateTypes(&errs)
	in.validateItems(&errs)
	errs.MaxLen("source_system", in.SourceSystem, 200)
	errs.MaxLen("contact_name", in.ContactName, 50)
	errs.MaxLen("contact_phone", in.ContactPhone, 30)
	if in.ContactEmail != "" && !strings.Contains(in.ContactEmail, "@") {
		errs.Add("contact_email", in.ContactEmail, validate.CodeEmail, "is not an email address")
	}
	return errs.Err()
}

// validateTypes checks share and open types, their bases, and the grading.
func (in Input) validateTypes(errs *validate.Errors) {
	validate.OneOf(errs, "share_type", in.ShareType, ShareTypes...)
	validate.OneOf(errs, "open_type", in.OpenType, OpenTypes...)
	switch in.ShareType {
	case ShareConditional:
		errs.Required("share_basis", in.ShareBasis) // the conditions of sharing
	case ShareNone:
		if strings.TrimSpace(in.ShareBasis) == "" {
			errs.Add("share_basis", "", "share_basis", "is required when share_type is none: cite the law, regulation or policy that forbids sharing")
		}
	}
	switch in.OpenType {
	case OpenConditional:
		errs.Required("open_basis", in.OpenBasis)
	case OpenNone:
		if strings.TrimSpace(in.OpenBasis) == "" {
			errs.Add("open_basis", "", "open_basis", "is required when open_type is none: cite the basis for not opening")
		}
	}
	errs.MaxLen("share_basis", in.ShareBasis, 1000)
	errs.MaxLen("open_basis", in.OpenBasis, 1000)
	if slices.Index(OpenTypes, in.OpenType) >= 0 && slices.Index(ShareTypes, in.ShareType) > slices.Index(OpenTypes, in.OpenType) {
		errs.Add("open_type", string(in.OpenType), "more_open_than_shared", "cannot be more open to the public than share_type (%s) is to institutions", in.ShareType)
	}
	validate.OneOf(errs, "classification", in.Classification, Classifications...)
	if in.Level < 1 || in.Level > 4 {
		errs.Add("level", in.Level, validate.CodeRange, "must be between %d and %d", 1, 4)
	}
	if in.Classification == ClassCore && in.OpenType != OpenNone {
		errs.Add("open_type", string(in.OpenType), "core_not_open", "must be none for core data")
	}
}

func (in Input) validateItems(errs *validate.Errors) {
	if len(in.Items) == 0 {
		errs.Add("items", nil, "at_least_one", "at least one data item is required")
	}
	if len(in.Items) > 500 {
		errs.Add("items", len(in.Items), validate.CodeTooMany, "at most %d data items", 500)
	}
	seen := map[string]int{}
	for i, it := range in.Items {
		at := fmt.Sprintf("items[%d]", i)
		if !itemNamePattern.MatchString(it.Name) {
			errs.Add(at+".name", it.Name, "item_name", "must start with a lower-case letter and hold only lower-case letters, digits and '_' (at most 63)")
		} else if j, dup := seen[it.Name]; dup {
			errs.Add(at+".name", it.Name, "duplicate_name", "duplicates the name of items[%d]", j)
		} else {
			seen[it.Name] = i
		}
		errs.Required(at+".label_zh", it.LabelZh)
		errs.MaxLen(at+".label_zh", it.LabelZh, 100)
		errs.MaxLen(at+".description", it.Description, 1000)
		validate.OneOf(errs, at+".type", it.Type, ItemTypes...)
		if it.Length < 0 || it.Length > 100000 {
			errs.Add(at+".length", it.Length, validate.CodeRange, "must be between %d and %d", 0, 100000)
		}
		if it.Precision < 0 || (it.Precision > 0 && it.Type != TypeDecimal) {
			errs.Add(at+".precision", it.Precision, "decimal_only", "applies only to decimal items and cannot be negative")
		}
		if it.Type == TypeCode && len(it.CodeList) == 0 {
			errs.Add(at+".code_list", nil, "code_list", "is required for an item of type code")
		}
		codeSeen := map[string]bool{}
		for j, c := range it.CodeList {
			if strings.TrimSpace(c.Code) == "" || codeSeen[c.Code] {
				errs.Add(fmt.Sprintf("%s.code_list[%d].code", at, j), c.Code, "unique", "must be non-empty and unique")
			}
			codeSeen[c.Code] = true
		}
	}
}

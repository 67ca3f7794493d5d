// Package ckanpkg maps between the catalog and CKAN's package dict: the
// licences that stand for open types, the groups that stand for subjects,
// the extras that carry the fields CKAN lacks, and reading a package dict
// into a catalog input. The CKAN API (internal/web/ckan) writes and reads
// packages in these terms and harvesting (internal/harvest) reads other
// portals' packages with the same InputOf, from this one place.
package ckanpkg

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"dataport/internal/catalog"
)

// License is an entry of license_list. dataport's terms of use follow the
// open type (art. 18): open to all, open on application, not open.
type License struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	URL   string `json:"url"`
	// OpenType is the open type the licence stands for.
	OpenType catalog.OpenType `json:"-"`
	IsOpen   bool             `json:"od_conformance_open"`
	Status   string           `json:"status"`
}

// Licenses are the licences of license_list, one per open type.
func Licenses() []License {
	return []License{
		{ID: "open-unconditional", Title: "无条件开放 · Open to all", OpenType: catalog.OpenUnconditional, IsOpen: true},
		{ID: "open-conditional", Title: "有条件开放 · Open on application", OpenType: catalog.OpenConditional},
		{ID: "not-open", Title: "不予开放 · Not open", OpenType: catalog.OpenNone},
	}
}

// LicenseFor returns the licence of an open type.
func LicenseFor(t catalog.OpenType) License {
	for _, l := range Licenses() {
		if l.OpenType == t {
			return l
		}
	}
	return License{ID: "notspecified", Title: "License not specified"}
}

// GroupName is the CKAN group name of a subject: its English label as a
// slug ("04" → "transport").
func GroupName(subject string) string {
	l := catalog.SubjectLabel(subject)
	if l.Code == "" {
		return "subject-" + strings.ToLower(subject)
	}
	return strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(l.En), "-"), "-")
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// SubjectOfGroup is the subject whose group is named or identified by g:
// its group name, its code or its Chinese label.
func SubjectOfGroup(g string) (string, bool) {
	g = strings.ToLower(strings.TrimSpace(g))
	for _, s := range catalog.Subjects {
		if GroupName(s.Code) == g || s.Code == g || strings.ToLower(s.Zh) == g {
			return s.Code, true
		}
	}
	return "", false
}

// ExtraKeys are the resource fields CKAN has no place for, carried as
// extras, in the order a package lists them.
var ExtraKeys = []string{"code", "title_en", "description_en", "subject", "industry", "update_frequency",
	"share_type", "share_basis", "open_type", "open_basis", "classification", "level", "personal_info",
	"source_system", "contact_phone", "items", "status", "published_at"}

// Text is a dict value as text: strings as they are, numbers and booleans
// written out, "" for nothing, anything else as JSON.
func Text(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return ""
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// Truthy reports whether s is one of the ways CKAN clients write true
// ("true", "1", "yes", "on", "y", "t", in any case).
func Truthy(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "on", "y", "t":
		return true
	}
	return false
}

package ckan

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/catalog/ckanpkg"
	"dataport/internal/catalog/vocab"
	"dataport/internal/datastore"
	"dataport/internal/search"
	nativeapi "dataport/internal/web/api"
)

// The mapping between a dataport resource and a CKAN package; the table in
// docs/ckan-mapping.md is the reader's version of this file.

// timeFormat is how CKAN writes timestamps: UTC without a zone.
const timeFormat = "2006-01-02T15:04:05.000000"

// Package is a CKAN package (dataset) as package_show returns it. ID stays
// the first field: encodedID reads it from a cached encoding.
type Package struct {
	ID                string            `json:"id"`
	Name              string            `json:"name"`
	Title             string            `json:"title"`
	TitleTranslated   map[string]string `json:"title_translated"`
	Notes             string            `json:"notes"`
	NotesTranslated   map[string]string `json:"notes_translated"`
	URL               string            `json:"url"`
	Version           string            `json:"version"`
	State             string            `json:"state"`
	Private           bool              `json:"private"`
	Type              string            `json:"type"`
	OwnerOrg          string            `json:"owner_org"`
	Organization      *Organization     `json:"organization"`
	Author            string            `json:"author"`
	AuthorEmail       string            `json:"author_email"`
	Maintainer        string            `json:"maintainer"`
	MaintainerEmail   string            `json:"maintainer_email"`
	LicenseID         string            `json:"license_id"`
	LicenseTitle      string            `json:"license_title"`
	LicenseURL        string            `json:"license_url"`
	IsOpen            bool              `json:"isopen"`
	MetadataCreated   string            `json:"metadata_created"`
	MetadataModified  string            `json:"metadata_modified"`
	CreatorUserID     string            `json:"creator_user_id"`
	NumResources      int               `json:"num_resources"`
	NumTags           int               `json:"num_tags"`
	Tags              []Tag             `json:"tags"`
	Groups            []Group           `json:"groups"`
	Resources         []Resource        `json:"resources"`
	Extras            []Extra           `json:"extras"`
	RelationshipsObj  []any             `json:"relationships_as_object"`
	RelationshipsSubj []any             `json:"relationships_as_subject"`
}

// Resource is a CKAN resource: one format (distribution) of a package.
type Resource struct {
	ID           string `json:"id"`
	PackageID    string `json:"package_id"`
	Name         string `json:"name"`
	Description  string `json:"description"`
	Format       string `json:"format"`
	Mimetype     string `json:"mimetype"`
	URL          string `json:"url"`
	URLType      any    `json:"url_type"`
	State        string `json:"state"`
	Created      string `json:"created"`
	LastModified string `json:"last_modified"`
	Position     int    `json:"position"`
	// DatastoreActive is true when the package has a current data version,
	// which datastore_search serves (every format has the same rows).
	DatastoreActive bool `json:"datastore_active"`
}

// Tag is a CKAN tag (a dataport keyword).
type Tag struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	DisplayName  string `json:"display_name"`
	State        string `json:"state"`
	VocabularyID any    `json:"vocabulary_id"`
}

// Extra is a CKAN extra: a field CKAN's schema lacks.
type Extra struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Organization is a CKAN organization (a dataport institution).
type Organization struct {
	ID              string            `json:"id"`
	Name            string            `json:"name"`
	Title           string            `json:"title"`
	TitleTranslated map[string]string `json:"title_translated"`
	DisplayName     string            `json:"display_name,omitempty"`
	Description     string            `json:"description"`
	Type            string            `json:"type"`
	IsOrganization  bool              `json:"is_organization"`
	State           string            `json:"state"`
	ApprovalStatus  string            `json:"approval_status"`
	ImageURL        string            `json:"image_url"`
	Created         string            `json:"created"`
	PackageCount    *int              `json:"package_count,omitempty"`
	Packages        []Package         `json:"packages,omitempty"`
}

// Group is a CKAN group (a dataport subject category).
type Group struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	Title          string    `json:"title"`
	DisplayName    string    `json:"display_name"`
	Description    string    `json:"description"`
	Type           string    `json:"type"`
	IsOrganization bool      `json:"is_organization"`
	State          string    `json:"state"`
	ApprovalStatus string    `json:"approval_status"`
	ImageURL       string    `json:"image_url"`
	PackageCount   *int      `json:"package_count,omitempty"`
	Packages       []Package `json:"packages,omitempty"`
}

func groupOf(subject string) Group {
	l := catalog.SubjectLabel(subject)
	name := ckanpkg.GroupName(subject)
	return Group{ID: name, Name: name, Title: l.Zh, DisplayName: l.Zh, Description: l.En, Type: "group",
		State: "active", ApprovalStatus: "approved"}
}

// OrgName is an institution's CKAN name: its code in lower case.
func OrgName(o search.Org) string { return strings.ToLower(o.Code) }

func organizationOf(o search.Org) *Organization {
	return &Organization{ID: o.ID, Name: OrgName(o), Title: o.NameZh, TitleTranslated: map[string]string{"zh_Hans": o.NameZh, "en": o.NameEn},
		Description: o.Description, Type: "organization", IsOrganization: true, State: "active",
		ApprovalStatus: "approved", Created: o.CreatedAt.UTC().Format(timeFormat)}
}

// state is the CKAN state of a status: published is active, retired is
// deleted, the rest of the workflow is draft.
func state(s catalog.Status) string {
	switch s {
	case catalog.StatusPublished:
		return "active"
	case catalog.StatusRetired:
		return "deleted"
	}
	return "draft"
}

// DatasetURL is the portal page of a resource.
func DatasetURL(base string, r catalog.Resource) string { return base + "/dataset/" + search.Name(r) }

// DownloadURL is where a format of a resource is downloaded: the native
// API's export of the current rows (GET /api/v1/resources/{id}/export) for
// the formats it writes, so that a CKAN client's or a browser's download of
// a resource's url gets the file; a format the export does not write (API,
// PDF, SHP, ...) links the dataset page's distribution instead.
func DownloadURL(base string, r catalog.Resource, format string) string {
	f := strings.ToLower(format)
	if _, ok := datastore.ExportFormats[f]; !ok {
		return DatasetURL(base, r) + "#distribution-" + f
	}
	return base + nativeapi.Prefix + "/resources/" + r.ID + "/export?" + url.Values{"format": {f}}.Encode()
}

// resourceID is the CKAN id of a resource's format: the package id and the
// format, so that resource_show finds the package without a lookup table.
func resourceID(pkgID, format string) string { return pkgID + "-" + strings.ToLower(format) }

// packageOf renders a resource as a CKAN package.
func packageOf(base string, r catalog.Resource, o search.Org) Package {
	lic := ckanpkg.LicenseFor(r.OpenType)
	p := Package{ID: r.ID, Name: search.Name(r), Title: r.TitleZh, Notes: r.DescriptionZh,
		TitleTranslated: map[string]string{"zh_Hans": r.TitleZh, "en": r.TitleEn},
		NotesTranslated: map[string]string{"zh_Hans": r.DescriptionZh, "en": r.DescriptionEn},
		URL:             DatasetURL(base, r), Version: strconv.Itoa(r.Version), State: state(r.Status),
		Private: !catalog.Public(r), Type: "dataset",
		OwnerOrg: r.OrganizationID, Organization: organizationOf(o), Author: o.NameZh,
		Maintainer: r.ContactName, MaintainerEmail: r.ContactEmail,
		LicenseID: lic.ID, LicenseTitle: lic.Title, LicenseURL: lic.URL, IsOpen: lic.IsOpen,
		MetadataCreated: r.CreatedAt.UTC().Format(timeFormat), MetadataModified: r.UpdatedAt.UTC().Format(timeFormat),
		CreatorUserID: r.CreatedBy, NumTags: len(r.Keywords), Tags: []Tag{}, Groups: []Group{groupOf(r.Subject)},
		Resources: []Resource{}, Extras: extrasOf(r), RelationshipsObj: []any{}, RelationshipsSubj: []any{}}
	for _, k := range r.Keywords {
		p.Tags = append(p.Tags, Tag{ID: k, Name: k, DisplayName: k, State: "active"})
	}
	for i, f := range r.Formats {
		p.Resources = append(p.Resources, Resource{ID: resourceID(r.ID, f), PackageID: r.ID,
			Name: r.TitleZh + " (" + f + ")", Description: r.DescriptionZh, Format: f, Mimetype: vocab.MediaTypes[f],
			URL: DownloadURL(base, r, f), State: "active",
			Created: p.MetadataCreated, LastModified: p.MetadataModified, Position: i})
	}
	p.NumResources = len(p.Resources)
	return p
}

func extrasOf(r catalog.Resource) []Extra {
	items, _ := json.Marshal(r.Items)
	published := ""
	if r.PublishedAt != nil {
		published = r.PublishedAt.UTC().Format(timeFormat)
	}
	values := map[string]string{"code": r.Code, "title_en": r.TitleEn, "description_en": r.DescriptionEn,
		"subject": r.Subject, "industry": r.Industry, "update_frequency": string(r.UpdateFrequency),
		"share_type": string(r.ShareType), "share_basis": r.ShareBasis, "open_type": string(r.OpenType),
		"open_basis": r.OpenBasis, "classification": string(r.Classification), "level": strconv.Itoa(r.Level),
		"personal_info": strconv.FormatBool(r.PersonalInfo), "source_system": r.SourceSystem,
		"contact_phone": r.ContactPhone, "items": string(items), "status": string(r.Status), "published_at": published}
	out := make([]Extra, 0, len(ckanpkg.ExtraKeys))
	for _, k := range ckanpkg.ExtraKeys {
		out = append(out, Extra{Key: k, Value: values[k]})
	}
	return out
}

// ckanField names a catalog input field as a CKAN client wrote it.
func ckanField(field string) string {
	for prefix, ckan := range map[string]string{"title_zh": "title", "description_zh": "notes", "keywords": "tags",
		"formats": "resources", "contact_name": "maintainer", "contact_email": "maintainer_email", "organization_id": "owner_org"} {
		if field == prefix || strings.HasPrefix(field, prefix+"[") {
			return ckan + strings.TrimPrefix(field, prefix)
		}
	}
	return field
}

// dictOf turns a package back into the parameters package_update takes,
// for package_patch and the resource actions to change a few fields of.
func dictOf(pkg Package) (params, error) {
	b, err := json.Marshal(pkg)
	if err != nil {
		return nil, err
	}
	var p params
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("ckan: package dict: %w", err)
	}
	return p, nil
}

// parseTime reads a CKAN or Solr timestamp ("2024-05-01T10:00:00.123456Z",
// without the zone, or a date), or NOW with an offset ("NOW-7DAYS").
func parseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(strings.ToUpper(s), "NOW") {
		return solrDateMath(strings.ToUpper(s[3:]), now)
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date and time", s)
}

var dateMath = regexp.MustCompile(`^(/DAY)?([+-])(\d+)(SECONDS?|MINUTES?|HOURS?|DAYS?|MONTHS?|YEARS?)$`)

func solrDateMath(expr string, now time.Time) (time.Time, error) {
	t := now.UTC()
	if expr == "" {
		return t, nil
	}
	if expr == "/DAY" {
		return t.Truncate(24 * time.Hour), nil
	}
	m := dateMath.FindStringSubmatch(expr)
	if m == nil {
		return time.Time{}, fmt.Errorf("NOW%s is not a date expression this server understands", expr)
	}
	if m[1] != "" {
		t = t.Truncate(24 * time.Hour)
	}
	n, _ := strconv.Atoi(m[3])
	if m[2] == "-" {
		n = -n
	}
	switch strings.TrimSuffix(m[4], "S") {
	case "SECOND":
		return t.Add(time.Duration(n) * time.Second), nil
	case "MINUTE":
		return t.Add(time.Duration(n) * time.Minute), nil
	case "HOUR":
		return t.Add(time.Duration(n) * time.Hour), nil
	case "DAY":
		return t.AddDate(0, 0, n), nil
	case "MONTH":
		return t.AddDate(0, n, 0), nil
	}
	return t.AddDate(n, 0, 0), nil
}

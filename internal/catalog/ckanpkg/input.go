package ckanpkg

import (
	"encoding/json"
	"strconv"
	"strings"

	"dataport/internal/catalog"
	"dataport/internal/validate"
)

// dict is a package dict or a part of it (a resource, an extra, a group).
type dict map[string]any

func (d dict) str(key string) string { return Text(d[key]) }

// InputOf reads a package dict, as package_create takes it and
// package_show returns it (from dataport or another CKAN), into a catalog
// input. Fields may come as CKAN's own, as extras, or at the top level
// (ckanext-scheming style); the top level wins. What cannot be read is a
// validate.Errors naming the field.
func InputOf(pkg map[string]any) (catalog.Input, error) {
	p := dict(pkg)
	var errs validate.Errors
	f := fieldsOf(p, &errs)
	in := catalog.Input{
		TitleZh:       FirstOf(f["title_zh"], translated(p, "title_translated", "zh_Hans", "zh"), p.str("title")),
		TitleEn:       FirstOf(f["title_en"], translated(p, "title_translated", "en", "")),
		DescriptionZh: FirstOf(f["description_zh"], p.str("notes"), translated(p, "notes_translated", "zh_Hans", "zh")),
		DescriptionEn: FirstOf(f["description_en"], translated(p, "notes_translated", "en", "")),
		Subject:       f["subject"], Industry: f["industry"],
		UpdateFrequency: catalog.Frequency(f["update_frequency"]), ShareType: catalog.ShareType(f["share_type"]),
		ShareBasis: f["share_basis"], OpenType: catalog.OpenType(f["open_type"]), OpenBasis: f["open_basis"],
		Classification: catalog.Classification(f["classification"]), SourceSystem: f["source_system"],
		ContactName: FirstOf(f["contact_name"], p.str("maintainer")), ContactPhone: f["contact_phone"],
		ContactEmail: FirstOf(f["contact_email"], p.str("maintainer_email")),
	}
	if in.Subject == "" {
		in.Subject = subjectFromGroups(p)
	}
	if in.OpenType == "" {
		in.OpenType = openTypeOfLicense(p.str("license_id"))
	}
	if lv := f["level"]; lv != "" {
		n, err := strconv.Atoi(lv)
		if err != nil {
			errs.Add("level", lv, validate.CodeRange, "must be a number from %d to %d", 1, 4)
		}
		in.Level = n
	}
	in.PersonalInfo = Truthy(f["personal_info"])
	in.Keywords = tagsOf(p)
	in.Formats = formatsOf(p)
	if raw := f["items"]; raw != "" {
		if err := json.Unmarshal([]byte(raw), &in.Items); err != nil {
			errs.Add("items", "", "items_json", "must be a JSON list of data items: %v", err)
		}
	}
	return in, errs.Err()
}

// openTypeOfLicense is the open type a licence id stands for, "" for none.
func openTypeOfLicense(id string) catalog.OpenType {
	for _, l := range Licenses() {
		if l.ID == id {
			return l.OpenType
		}
	}
	return ""
}

// fieldsOf collects the extra fields: from "extras" (a list of key/value or
// a dict), then from the top level.
func fieldsOf(p dict, errs *validate.Errors) map[string]string {
	f := map[string]string{}
	switch ex := p["extras"].(type) {
	case []any:
		for _, e := range ex {
			if m, ok := e.(map[string]any); ok {
				kv := dict(m)
				f[kv.str("key")] = kv.str("value")
			}
		}
	case map[string]any:
		for k := range ex {
			f[k] = dict(ex).str(k)
		}
	case nil:
	default:
		errs.Add("extras", "", "extras_list", "must be a list of {key, value}")
	}
	for _, k := range ExtraKeys {
		if _, ok := p[k]; ok {
			f[k] = p.str(k)
		}
	}
	return f
}

func translated(p dict, key, lang, alt string) string {
	m, ok := p[key].(map[string]any)
	if !ok {
		return ""
	}
	if v := dict(m).str(lang); v != "" {
		return v
	}
	if alt != "" {
		return dict(m).str(alt)
	}
	return ""
}

// FirstOf is the first of values that is not blank, "" when all are: how
// a field is taken from the first of the places a dict may hold it.
func FirstOf(values ...string) string {
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

func subjectFromGroups(p dict) string {
	groups, _ := p["groups"].([]any)
	for _, g := range groups {
		m, ok := g.(map[string]any)
		if !ok {
			continue
		}
		for _, k := range []string{"name", "id"} {
			if s, ok := SubjectOfGroup(dict(m).str(k)); ok {
				return s
			}
		}
	}
	return ""
}

// tagsOf reads tags as a list of {name} or a comma-separated tag_string.
func tagsOf(p dict) []string {
	var out []string
	if tags, ok := p["tags"].([]any); ok {
		for _, t := range tags {
			switch v := t.(type) {
			case map[string]any:
				out = append(out, dict(v).str("name"))
			case string:
				out = append(out, v)
			}
		}
		return out
	}
	for _, t := range strings.Split(p.str("tag_string"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// formatsOf reads the formats of the package's resources.
func formatsOf(p dict) []string {
	var out []string
	res, _ := p["resources"].([]any)
	for _, r := range res {
		if m, ok := r.(map[string]any); ok {
			out = append(out, FormatOf(m))
		}
	}
	return out
}

// FormatOf is a CKAN resource dict's format, from its format field or else
// its URL's extension ("" when neither says).
func FormatOf(resource map[string]any) string {
	r := dict(resource)
	if f := strings.TrimSpace(r.str("format")); f != "" {
		return f
	}
	u := r.str("url")
	if i := strings.LastIndex(u, "."); i >= 0 && !strings.Contains(u[i:], "/") {
		return strings.ToUpper(strings.TrimPrefix(u[i:], "."))
	}
	return ""
}

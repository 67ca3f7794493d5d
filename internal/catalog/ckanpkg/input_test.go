package ckanpkg_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"dataport/internal/catalog"
	"dataport/internal/catalog/ckanpkg"
	"dataport/internal/validate"
)

// dictOf decodes a package dict as the CKAN API and the harvester do
// (numbers kept as json.Number).
func dictOf(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestInputOf(t *testing.T) {
	for _, test := range []struct {
		name, dict string
		want       catalog.Input
	}{
		{
			name: "CKAN's own fields",
			dict: `{"title": "公交线路", "notes": "线路与站点", "maintainer": "王", "maintainer_email": "w@example.cn",
				"license_id": "open-conditional", "groups": [{"name": "transport"}],
				"tags": [{"name": "公交"}, "地铁"], "resources": [{"format": "CSV"}, {"url": "https://x.example/a.json"}]}`,
			want: catalog.Input{TitleZh: "公交线路", DescriptionZh: "线路与站点", ContactName: "王", ContactEmail: "w@example.cn",
				OpenType: catalog.OpenConditional, Subject: "04", Keywords: []string{"公交", "地铁"}, Formats: []string{"CSV", "JSON"}},
		},
		{
			name: "extras as a list, the top level wins, translations",
			dict: `{"title_translated": {"zh_Hans": "空气质量", "en": "Air quality"}, "extras": [
				{"key": "subject", "value": "09"}, {"key": "level", "value": "2"}, {"key": "personal_info", "value": "yes"},
				{"key": "open_type", "value": "none"}], "open_type": "unconditional", "license_id": "not-open",
				"tag_string": "空气, 监测 ,"}`,
			want: catalog.Input{TitleZh: "空气质量", TitleEn: "Air quality", Subject: "09", Level: 2, PersonalInfo: true,
				OpenType: "unconditional", Keywords: []string{"空气", "监测"}},
		},
		{
			name: "extras as a dict, items as JSON, a numeric level",
			dict: `{"title": "t", "extras": {"items": "[{\"name\": \"id\", \"label_zh\": \"编号\"}]"}, "level": 3}`,
			want: catalog.Input{TitleZh: "t", Level: 3, Items: []catalog.Item{{Name: "id", LabelZh: "编号"}}},
		},
	} {
		t.Run(test.name, func(t *testing.T) {
			got, err := ckanpkg.InputOf(dictOf(t, test.dict))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(test.want, got); diff != "" {
				t.Errorf("InputOf (-want +got):\n%s", diff)
			}
		})
	}
}

// TestInputOfRefuses: what cannot be read is named by field and code.
func TestInputOfRefuses(t *testing.T) {
	_, err := ckanpkg.InputOf(dictOf(t, `{"level": "high", "items": "not json", "extras": "x"}`))
	var errs validate.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v, want validate.Errors", err)
	}
	var got []string
	for _, fe := range errs {
		got = append(got, fe.Field+":"+fe.Code)
	}
	want := []string{"extras:extras_list", "level:" + validate.CodeRange, "items:items_json"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestGroupsAndLicenses(t *testing.T) {
	for _, s := range catalog.Subjects {
		if got, ok := ckanpkg.SubjectOfGroup(ckanpkg.GroupName(s.Code)); !ok || got != s.Code {
			t.Errorf("subject %s: group %q reads back as %q, %v", s.Code, ckanpkg.GroupName(s.Code), got, ok)
		}
	}
	if _, ok := ckanpkg.SubjectOfGroup("no-such-group"); ok {
		t.Error("an unknown group names a subject")
	}
	for _, l := range ckanpkg.Licenses() {
		if got := ckanpkg.LicenseFor(l.OpenType); got.ID != l.ID {
			t.Errorf("LicenseFor(%s) = %s, want %s", l.OpenType, got.ID, l.ID)
		}
	}
	if got := ckanpkg.LicenseFor("other").ID; got != "notspecified" {
		t.Errorf("LicenseFor(other) = %s", got)
	}
}

package harvest

import (
	"slices"
	"testing"

	"dataport/internal/catalog"
)

// A catalog page as rdflib writes JSON-LD for ckanext-dcat: expanded, full
// IRIs, no context, nodes referring to each other by @id, Hydra paging.
const expandedCatalog = `[
  {"@id": "https://other.example/catalog.jsonld?page=1", "@type": ["http://www.w3.org/ns/hydra/core#PagedCollection"],
   "http://www.w3.org/ns/hydra/core#nextPage": [{"@value": "https://other.example/catalog.jsonld?page=2"}]},
  {"@id": "https://other.example/dataset/air", "@type": ["http://www.w3.org/ns/dcat#Dataset"],
   "http://purl.org/dc/terms/title": [{"@value": "空气质量监测", "@language": "zh"}, {"@value": "Air quality", "@language": "en"}],
   "http://purl.org/dc/terms/description": [{"@value": "各站点小时浓度。"}],
   "http://purl.org/dc/terms/identifier": [{"@value": "AIR-1"}],
   "http://purl.org/dc/terms/modified": [{"@value": "2024-05-01T10:00:00Z", "@type": "http://www.w3.org/2001/XMLSchema#dateTime"}],
   "http://www.w3.org/ns/dcat#keyword": [{"@value": "空气"}, {"@value": "PM2.5"}],
   "http://www.w3.org/ns/dcat#theme": [{"@id": "http://publications.europa.eu/resource/authority/data-theme/ENVI"}],
   "http://purl.org/dc/terms/accessRights": [{"@id": "http://publications.europa.eu/resource/authority/access-right/PUBLIC"}],
   "http://purl.org/dc/terms/accrualPeriodicity": [{"@id": "http://publications.europa.eu/resource/authority/frequency/DAILY"}],
   "http://www.w3.org/ns/dcat#contactPoint": [{"@id": "_:c1"}],
   "http://www.w3.org/ns/dcat#distribution": [{"@id": "https://other.example/dataset/air/csv"}, {"@id": "https://other.example/dataset/air/json"}]},
  {"@id": "_:c1", "@type": ["http://www.w3.org/2006/vcard/ns#Organization"],
   "http://www.w3.org/2006/vcard/ns#fn": [{"@value": "监测中心"}],
   "http://www.w3.org/2006/vcard/ns#hasEmail": [{"@id": "mailto:air@other.example"}]},
  {"@id": "https://other.example/dataset/air/csv", "@type": ["http://www.w3.org/ns/dcat#Distribution"],
   "http://purl.org/dc/terms/format": [{"@id": "http://publications.europa.eu/resource/authority/file-type/CSV"}]},
  {"@id": "https://other.example/dataset/air/json", "@type": ["http://www.w3.org/ns/dcat#Distribution"],
   "http://www.w3.org/ns/dcat#mediaType": [{"@id": "http://www.iana.org/assignments/media-types/application/json"}]}
]`

func TestReadExpandedDCAT(t *testing.T) {
	g, err := parseJSONLD([]byte(expandedCatalog))
	if err != nil {
		t.Fatal(err)
	}
	if next := g.nextPage(); next != "https://other.example/catalog.jsonld?page=2" {
		t.Errorf("next page = %q", next)
	}
	datasets := g.ofType(nsDCAT + "Dataset")
	if len(datasets) != 1 {
		t.Fatalf("datasets: %v", datasets)
	}
	r := g.record(datasets[0], "https://other.example/catalog.jsonld", Options{})
	in := r.Input
	if r.Name != "AIR-1" || r.Modified.IsZero() || in.TitleZh != "空气质量监测" || in.TitleEn != "Air quality" || in.DescriptionZh != "各站点小时浓度。" {
		t.Errorf("record: %+v", r)
	}
	if in.Subject != "09" || in.OpenType != catalog.OpenUnconditional || in.UpdateFrequency != catalog.FreqDaily {
		t.Errorf("subject %q open %q frequency %q", in.Subject, in.OpenType, in.UpdateFrequency)
	}
	if !slices.Equal(in.Formats, []string{"CSV", "JSON"}) || !slices.Equal(in.Keywords, []string{"空气", "PM2.5"}) {
		t.Errorf("formats %v keywords %v", in.Formats, in.Keywords)
	}
	if in.ContactName != "监测中心" || in.ContactEmail != "air@other.example" {
		t.Errorf("contact %q %q", in.ContactName, in.ContactEmail)
	}
	if !r.Placeholder || len(in.Items) != 1 || in.ShareType != catalog.ShareUnconditional || in.Classification != catalog.ClassGeneral {
		t.Errorf("defaults: placeholder %v items %v share %q class %q", r.Placeholder, in.Items, in.ShareType, in.Classification)
	}
	in.Normalize()
	if err := in.Validate(); err != nil {
		t.Errorf("the record does not meet the catalog spec: %v", err)
	}
	if a, b := LocalID("https://x", r.RemoteID), LocalID("https://x", r.RemoteID); a != b || a == LocalID("https://y", r.RemoteID) {
		t.Errorf("local ids: %s %s", a, b)
	}
}

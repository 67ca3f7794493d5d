// Package vocab maps the catalog's codes to the shared vocabularies that
// other catalogs speak: the EU authority tables DCAT-AP uses (data themes,
// frequencies, access rights, file types) and IANA media types. Publishing
// (internal/web/dcat, internal/web/ckan) writes the catalog in these terms
// and harvesting (internal/harvest) reads them back, from this one table.
package vocab

import "dataport/internal/catalog"

// EUAuthority is the base IRI of the EU authority tables; a table's terms
// are <EUAuthority><table>/<code> (data-theme/TRAN, frequency/DAILY).
const EUAuthority = "http://publications.europa.eu/resource/authority/"

// Themes maps each catalog subject to the EU data theme it falls under.
var Themes = map[string]string{
	"01": "ECON", "02": "ECON", "03": "ECON", "04": "TRAN", "05": "HEAL", "06": "EDUC", "07": "EDUC",
	"08": "ECON", "09": "ENVI", "10": "REGI", "11": "SOCI", "12": "SOCI", "13": "SOCI", "14": "JUST",
	"15": "JUST", "16": "AGRI", "17": "ECON", "18": "GOVE", "19": "REGI", "20": "GOVE", "21": "SOCI", "22": "TECH",
}

// Frequencies maps update frequencies to the EU frequency table.
var Frequencies = map[catalog.Frequency]string{
	catalog.FreqRealtime: "UPDATE_CONT", catalog.FreqDaily: "DAILY", catalog.FreqWeekly: "WEEKLY",
	catalog.FreqMonthly: "MONTHLY", catalog.FreqQuarterly: "QUARTERLY", catalog.FreqYearly: "ANNUAL",
	catalog.FreqIrregular: "IRREG",
}

// AccessRights maps open types to the EU access-right table.
var AccessRights = map[catalog.OpenType]string{
	catalog.OpenUnconditional: "PUBLIC", catalog.OpenConditional: "RESTRICTED", catalog.OpenNone: "NON_PUBLIC",
}

// FileTypes maps the catalog's formats to the EU file-type table (API has none).
var FileTypes = map[string]string{
	"CSV": "CSV", "XLSX": "XLSX", "JSON": "JSON", "XML": "XML", "PDF": "PDF", "GeoJSON": "GEOJSON",
	"SHP": "SHP", "Parquet": "PARQUET", "RDF": "RDF_XML",
}

// MediaTypes are the IANA media types of the catalog's formats ("" for API).
var MediaTypes = map[string]string{
	"CSV": "text/csv", "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"JSON": "application/json", "XML": "application/xml", "PDF": "application/pdf",
	"GeoJSON": "application/geo+json", "SHP": "application/vnd.shp", "Parquet": "application/vnd.apache.parquet",
	"RDF": "application/rdf+xml", "API": "",
}

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

// The EU authority tables the catalog's codes map to.
const (
	TableTheme       = "data-theme"
	TableFrequency   = "frequency"
	TableAccessRight = "access-right"
	TableFileType    = "file-type"
	TableLanguage    = "language"
)

// SchemeIRI is the IRI of an EU authority table (its skos:ConceptScheme).
func SchemeIRI(table string) string { return EUAuthority + table }

// TermIRI is the IRI of code in an EU authority table.
func TermIRI(table, code string) string { return EUAuthority + table + "/" + code }

// PublisherTypeScheme is the ADMS publisher-type scheme and
// PublisherTypeLocalAuthority its term for the city's institutions.
const (
	PublisherTypeScheme         = "http://purl.org/adms/publishertype/1.0"
	PublisherTypeLocalAuthority = "http://purl.org/adms/publishertype/LocalAuthority"
)

// PublisherTypeLocalAuthorityLabel is the label of PublisherTypeLocalAuthority.
var PublisherTypeLocalAuthorityLabel = catalog.Label{Code: "LocalAuthority", Zh: "地方政府机构", En: "Local Authority"}

// termLabels are the preferred labels of the EU authority terms the tables
// below use: English as the EU tables give it, Chinese our translation.
// File types are names, the same in every language.
var termLabels = map[string][]catalog.Label{
	TableTheme: {
		{Code: "AGRI", Zh: "农业、渔业、林业和食品", En: "Agriculture, fisheries, forestry and food"},
		{Code: "ECON", Zh: "经济和金融", En: "Economy and finance"},
		{Code: "EDUC", Zh: "教育、文化和体育", En: "Education, culture and sport"},
		{Code: "ENER", Zh: "能源", En: "Energy"},
		{Code: "ENVI", Zh: "环境", En: "Environment"},
		{Code: "GOVE", Zh: "政府和公共部门", En: "Government and public sector"},
		{Code: "HEAL", Zh: "卫生", En: "Health"},
		{Code: "INTR", Zh: "国际事务", En: "International issues"},
		{Code: "JUST", Zh: "司法、法律制度和公共安全", En: "Justice, legal system and public safety"},
		{Code: "REGI", Zh: "地区和城市", En: "Regions and cities"},
		{Code: "SOCI", Zh: "人口和社会", En: "Population and society"},
		{Code: "TECH", Zh: "科学和技术", En: "Science and technology"},
		{Code: "TRAN", Zh: "交通", En: "Transport"},
	},
	TableFrequency: {
		{Code: "UPDATE_CONT", Zh: "持续更新", En: "continuously updated"},
		{Code: "DAILY", Zh: "每日", En: "daily"},
		{Code: "WEEKLY", Zh: "每周", En: "weekly"},
		{Code: "MONTHLY", Zh: "每月", En: "monthly"},
		{Code: "QUARTERLY", Zh: "每季度", En: "quarterly"},
		{Code: "ANNUAL", Zh: "每年", En: "annual"},
		{Code: "IRREG", Zh: "不定期", En: "irregular"},
	},
	TableAccessRight: {
		{Code: "PUBLIC", Zh: "公开", En: "public"},
		{Code: "RESTRICTED", Zh: "受限", En: "restricted"},
		{Code: "NON_PUBLIC", Zh: "非公开", En: "non-public"},
	},
	TableFileType: {
		{Code: "CSV", Zh: "CSV", En: "CSV"}, {Code: "XLSX", Zh: "XLSX", En: "XLSX"}, {Code: "JSON", Zh: "JSON", En: "JSON"},
		{Code: "XML", Zh: "XML", En: "XML"}, {Code: "PDF", Zh: "PDF", En: "PDF"}, {Code: "GEOJSON", Zh: "GeoJSON", En: "GeoJSON"},
		{Code: "SHP", Zh: "SHP", En: "SHP"}, {Code: "PARQUET", Zh: "Parquet", En: "Parquet"}, {Code: "RDF_XML", Zh: "RDF/XML", En: "RDF/XML"},
	},
	TableLanguage: {
		{Code: "ZHO", Zh: "中文", En: "Chinese"},
		{Code: "ENG", Zh: "英语", En: "English"},
	},
}

// TermLabel returns the label of code in an EU authority table, and false
// when the table or the code is not one the catalog uses.
func TermLabel(table, code string) (catalog.Label, bool) {
	for _, l := range termLabels[table] {
		if l.Code == code {
			return l, true
		}
	}
	return catalog.Label{}, false
}

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

// Languages are the EU language codes of the catalog's text: Chinese, English.
var Languages = []string{"ZHO", "ENG"}

// MediaTypes are the IANA media types of the catalog's formats ("" for API).
var MediaTypes = map[string]string{
	"CSV": "text/csv", "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"JSON": "application/json", "XML": "application/xml", "PDF": "application/pdf",
	"GeoJSON": "application/geo+json", "SHP": "application/vnd.shp", "Parquet": "application/vnd.apache.parquet",
	"RDF": "application/rdf+xml", "API": "",
}

package ui

// The resource form creates (GET /my/resources/new?organization_id=ID, POST
// /my/resources) and edits (GET and POST /resources/{id}/edit) a catalog
// resource. Its fields, all application/x-www-form-urlencoded:
//
//	csrf_token        the browser's CSRF token (every form)
//	organization_id   the institution (create only)
//	title_zh, title_en, description_zh, description_en
//	subject           code from catalog.Subjects (fixed after creation; on edit a hidden field)
//	industry          code from catalog.Industries, optional
//	keywords          one text, separated by "," "，" "、" ";" "；" or new lines
//	formats           checkboxes, repeated: CSV, XLSX, ... (catalog.Formats)
//	update_frequency  realtime|daily|weekly|monthly|quarterly|yearly|irregular
//	share_type        unconditional|conditional|none
//	share_basis
//	open_type         unconditional|conditional|none
//	open_basis
//	classification    general|important|core
//	level             1–4
//	personal_info     checkbox, "on" when checked
//	source_system, contact_name, contact_phone, contact_email
//	items.N.name, items.N.label_zh, items.N.type, items.N.length,
//	items.N.precision, items.N.description,
//	items.N.required  checkbox, "on"
//	items.N.key       checkbox, "on"
//	items.N.code_list text "code=label; code=label"
//	                  for rows N = 0, 1, 2, ...; rows whose name and label_zh
//	                  are both empty are ignored
//	action            "add_rows" re-renders the form with more blank rows
//	                  and saves nothing; anything else saves
//
// Invalid input answers 422 with the form as the user filled it, an error
// summary linking to each field (#field-title_zh, #field-items-1-name) and
// each message beside its field.

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/validate"
)

// blankRows is how many empty item rows the form offers (and adds).
const blankRows = 3

// maxRows bounds the item rows read from one form.
const maxRows = 1000

// resourceForm is the resource form as the user filled it: text as typed,
// so that a wrong number is shown back rather than lost.
type resourceForm struct {
	Edit          bool
	ResourceID    string
	Code          string
	Organizations []identity.Organization // choices of organization_id (create only)

	OrganizationID                                 string
	TitleZh, TitleEn, DescriptionZh, DescriptionEn string
	Subject, Industry, Keywords                    string
	Formats                                        []string
	UpdateFrequency, ShareType, ShareBasis         string
	OpenType, OpenBasis, Classification, Level     string
	PersonalInfo                                   bool
	SourceSystem, ContactName                      string
	ContactPhone, ContactEmail                     string
	Items                                          []itemRow
	Sample                                         *sampleView // the sample file the items were inferred from (desk_infer.go)

	Errors formErrors
}

// itemRow is one data item row of the form.
type itemRow struct {
	Name, LabelZh, Type, Length, Precision, Description, CodeList string
	Required, Key                                                 bool
	Personal                                                      string // the personal information a sample's column holds (classify.Type), shown, not posted
}

func (it itemRow) blank() bool {
	return strings.TrimSpace(it.Name) == "" && strings.TrimSpace(it.LabelZh) == ""
}

// readResourceForm reads the posted form.
func readResourceForm(v url.Values) resourceForm {
	f := resourceForm{
		OrganizationID: v.Get("organization_id"),
		TitleZh:        v.Get("title_zh"), TitleEn: v.Get("title_en"),
		DescriptionZh: v.Get("description_zh"), DescriptionEn: v.Get("description_en"),
		Subject: v.Get("subject"), Industry: v.Get("industry"), Keywords: v.Get("keywords"),
		Formats:         v["formats"],
		UpdateFrequency: v.Get("update_frequency"),
		ShareType:       v.Get("share_type"), ShareBasis: v.Get("share_basis"),
		OpenType: v.Get("open_type"), OpenBasis: v.Get("open_basis"),
		Classification: v.Get("classification"), Level: v.Get("level"),
		PersonalInfo: v.Get("personal_info") != "",
		SourceSystem: v.Get("source_system"), ContactName: v.Get("contact_name"),
		ContactPhone: v.Get("contact_phone"), ContactEmail: v.Get("contact_email"),
	}
	for i := range itemRowCount(v) {
		at := func(col string) string { return v.Get(fmt.Sprintf("items.%d.%s", i, col)) }
		f.Items = append(f.Items, itemRow{Name: at("name"), LabelZh: at("label_zh"), Type: at("type"),
			Length: at("length"), Precision: at("precision"), Description: at("description"),
			CodeList: at("code_list"), Required: at("required") != "", Key: at("key") != ""})
	}
	return f
}

// itemRowCount is one more than the highest row index posted.
func itemRowCount(v url.Values) int {
	n := 0
	for key := range v {
		rest, ok := strings.CutPrefix(key, "items.")
		if !ok {
			continue
		}
		index, _, _ := strings.Cut(rest, ".")
		if i, err := strconv.Atoi(index); err == nil && i >= 0 && i < maxRows && i+1 > n {
			n = i + 1
		}
	}
	return n
}

// formFromResource fills the form with a stored resource.
func formFromResource(r catalog.Resource) resourceForm {
	f := resourceForm{Edit: true, ResourceID: r.ID, Code: r.Code, OrganizationID: r.OrganizationID,
		TitleZh: r.TitleZh, TitleEn: r.TitleEn, DescriptionZh: r.DescriptionZh, DescriptionEn: r.DescriptionEn,
		Subject: r.Subject, Industry: r.Industry, Keywords: strings.Join(r.Keywords, ", "), Formats: r.Formats,
		UpdateFrequency: string(r.UpdateFrequency), ShareType: string(r.ShareType), ShareBasis: r.ShareBasis,
		OpenType: string(r.OpenType), OpenBasis: r.OpenBasis, Classification: string(r.Classification),
		Level: strconv.Itoa(r.Level), PersonalInfo: r.PersonalInfo, SourceSystem: r.SourceSystem,
		ContactName: r.ContactName, ContactPhone: r.ContactPhone, ContactEmail: r.ContactEmail}
	for _, it := range r.Items {
		f.Items = append(f.Items, itemRow{Name: it.Name, LabelZh: it.LabelZh, Type: string(it.Type),
			Length: number(it.Length), Precision: number(it.Precision), Description: it.Description,
			CodeList: formatCodeList(it.CodeList), Required: it.Required, Key: it.Key})
	}
	return f
}

func number(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// withBlankRows returns the form with its filled rows and n blank ones after them.
func (f resourceForm) withBlankRows(n int) resourceForm {
	f.Items = append(f.filledRows(), blankItemRows(n)...)
	return f
}

// blankItemRows are n empty rows; their type defaults to text.
func blankItemRows(n int) []itemRow {
	rows := make([]itemRow, n)
	for i := range rows {
		rows[i].Type = string(catalog.TypeText)
	}
	return rows
}

// input converts the form to a catalog input. Text that is not a number where
// one belongs is a field problem; the catalog's own checks come on top.
func (f resourceForm) input() (catalog.Input, validate.Errors) {
	var errs validate.Errors
	in := catalog.Input{TitleZh: f.TitleZh, TitleEn: f.TitleEn, DescriptionZh: f.DescriptionZh,
		DescriptionEn: f.DescriptionEn, Subject: f.Subject, Industry: f.Industry, Keywords: splitKeywords(f.Keywords),
		Formats: f.Formats, UpdateFrequency: catalog.Frequency(f.UpdateFrequency),
		ShareType: catalog.ShareType(f.ShareType), ShareBasis: f.ShareBasis, OpenType: catalog.OpenType(f.OpenType),
		OpenBasis: f.OpenBasis, Classification: catalog.Classification(f.Classification),
		Level: whole(&errs, "level", f.Level), PersonalInfo: f.PersonalInfo, SourceSystem: f.SourceSystem,
		ContactName: f.ContactName, ContactPhone: f.ContactPhone, ContactEmail: f.ContactEmail, Items: []catalog.Item{}}
	for i, row := range f.filledRows() {
		at := fmt.Sprintf("items[%d].", i)
		in.Items = append(in.Items, catalog.Item{Name: row.Name, LabelZh: row.LabelZh, Type: catalog.ItemType(row.Type),
			Length: whole(&errs, at+"length", row.Length), Precision: whole(&errs, at+"precision", row.Precision),
			Description: row.Description, Required: row.Required, Key: row.Key, CodeList: parseCodeList(row.CodeList)})
	}
	return in, errs
}

// filledRows are the item rows that are not blank, in order.
func (f resourceForm) filledRows() []itemRow {
	return slices.DeleteFunc(slices.Clone(f.Items), itemRow.blank)
}

// whole parses an optional whole number, recording a problem for field when
// the text is not one.
func whole(errs *validate.Errors, field, s string) int {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		errs.Add(field, s, validate.CodeInteger, "must be a whole number")
	}
	return n
}

// splitKeywords splits keywords at ASCII and Chinese separators.
func splitKeywords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(",，、;；\n\r", r) })
}

// parseCodeList reads "code=label; code=label" (full-width ；＝ too, or one per line).
func parseCodeList(s string) []catalog.Code {
	var out []catalog.Code
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(";；\n\r", r) }) {
		part = strings.ReplaceAll(part, "＝", "=")
		code, label, _ := strings.Cut(part, "=")
		if strings.TrimSpace(code) == "" && strings.TrimSpace(label) == "" {
			continue
		}
		out = append(out, catalog.Code{Code: strings.TrimSpace(code), Label: strings.TrimSpace(label)})
	}
	return out
}

// formatCodeList writes a code list the way parseCodeList reads it.
func formatCodeList(list []catalog.Code) string {
	parts := make([]string, len(list))
	for i, c := range list {
		parts[i] = c.Code + "=" + c.Label
	}
	return strings.Join(parts, "; ")
}

// check converts the form and returns every problem at once: the form's own
// and the catalog's (a field with a form problem is not reported twice).
func (f resourceForm) check() (catalog.Input, validate.Errors) {
	in, errs := f.input()
	if len(errs) == 0 {
		return in, nil
	}
	checked := in
	checked.Normalize()
	for _, e := range fieldErrors(checked.Validate()) {
		if !errs.Has(e.Field) {
			errs = append(errs, e)
		}
	}
	return in, errs
}

// renderResourceForm shows the form with blank rows after the filled ones.
func (s *server) renderResourceForm(w http.ResponseWriter, r *http.Request, status int, f resourceForm) error {
	return s.render(w, r, status, "resource_form", f)
}

// failResourceForm shows the form again (422) with the user's input and errs.
func (s *server) failResourceForm(w http.ResponseWriter, r *http.Request, f resourceForm, errs validate.Errors) error {
	f = f.withBlankRows(blankRows)
	f.Errors = newFormErrors(langOf(r), errs)
	return s.renderResourceForm(w, r, http.StatusUnprocessableEntity, f)
}

// addRows shows the form again with more blank rows, saving nothing.
func (s *server) addRows(w http.ResponseWriter, r *http.Request, f resourceForm) error {
	f.Items = append(f.Items, blankItemRows(blankRows)...)
	return s.renderResourceForm(w, r, http.StatusOK, f)
}

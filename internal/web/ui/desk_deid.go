package ui

// De-identification presets in plain words on the de-identification page
// (POST /resources/{id}/deid/preset, form fields: csrf_token, preset,
// columns repeated): the editor picks what the data is for, the columns
// found to hold personal information come preselected, and a profile is
// made from the preset to preview and keep.

import (
	"context"
	"net/http"
	"slices"

	"dataport/internal/catalog"
	"dataport/internal/classify"
	"dataport/internal/deid"
	"dataport/internal/identity"
	"dataport/internal/validate"
)

// presetForm is the preset section of the page.
type presetForm struct {
	Presets []string
	Columns []presetColumn
}

// presetColumn is an item as the preset form offers it.
type presetColumn struct {
	Name, Label string
	Type        classify.Type // detected personal information, "" for none
	Age         bool
	Checked     bool // preselected: something to de-identify was found
}

// presetFormOf offers the presets over res's items, with the personal
// information found in them: by their labels, and by the legality check of
// the newest version that has findings.
func (s *server) presetFormOf(ctx context.Context, p identity.Principal, res catalog.Resource) *presetForm {
	found := s.foundPersonal(ctx, p, res.ID)
	f := &presetForm{Presets: deid.Presets}
	for _, it := range res.Items {
		c := presetColumn{Name: it.Name, Label: it.LabelZh, Type: classify.Type(found[it.Name]), Age: deid.AgeColumn(it.LabelZh) || deid.AgeColumn(it.Name)}
		if c.Type == "" {
			c.Type = classify.HeaderHint(it.LabelZh)
		}
		c.Checked = (c.Type != "" && c.Type.PersonalInfo()) || c.Age
		f.Columns = append(f.Columns, c)
	}
	return f
}

// foundPersonal maps items to what the legality check found in them, in
// the newest version with findings (none without a datastore).
func (s *server) foundPersonal(ctx context.Context, p identity.Principal, resourceID string) map[string]string {
	found := map[string]string{}
	if s.datastore == nil {
		return found
	}
	vs, err := s.datastore.Versions(ctx, p, resourceID, true)
	if err != nil {
		return found
	}
	for _, v := range vs {
		if v.Report == nil || len(v.Report.Legality.Findings) == 0 {
			continue
		}
		for _, f := range v.Report.Legality.Findings {
			found[f.Item] = f.Kind
			if t, ok := legacyKinds[f.Kind]; ok {
				found[f.Item] = string(t)
			}
		}
		break
	}
	return found
}

// legacyKinds are the kinds of ingest's own legality check (the default
// when the datastore runs without the classification scanner) as types.
var legacyKinds = map[string]classify.Type{"id_card": classify.ResidentID, "mobile_phone": classify.Mobile, "email": classify.Email}

// createPresetProfile makes a profile from the chosen preset over the
// chosen columns.
func (s *server) createPresetProfile(w http.ResponseWriter, r *http.Request) error {
	p, page, err := s.manageDeidPage(r)
	if err != nil {
		return err
	}
	preset, chosen := r.PostForm.Get("preset"), r.PostForm["columns"]
	var cols []deid.PresetColumn
	for _, c := range s.presetFormOf(r.Context(), p, page.Resource).Columns {
		if slices.Contains(chosen, c.Name) {
			cols = append(cols, deid.PresetColumn{Name: c.Name, Type: c.Type, Age: c.Age})
		}
	}
	prof, err := deid.PresetProfile(preset, cols)
	if err != nil {
		return validate.Errors{{Field: "preset", Value: preset, Code: validate.CodeOneOf, Message: "must be one of the presets offered"}}
	}
	name := codeLabel(langOf(r), "deidpreset", preset)
	if _, err := s.profiles.Create(r.Context(), p, page.Resource.ID, deid.ProfileInput{Name: name, Profile: prof}); err != nil {
		return err
	}
	return seeOther(w, r, "/resources/"+page.Resource.ID+"/deid", "deid_created")
}

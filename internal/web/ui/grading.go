package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"dataport/internal/catalog"
	"dataport/internal/classify"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// The classification and grading section of the resource page (GB/T 43697):
// the stored grade with its reasons and column findings, what the rules
// computed from the scanned data beside what the institution declared, and
// an override with a written reason. Members of the resource's institution
// and platform staff see it; everyone else sees only the declared grade in
// the metadata. Platform operators may set any grade; the institution's
// admins may only make it stricter (the classify service decides).

// gradingSection is the data of the section.
type gradingSection struct {
	Graded      *classify.ResourceGrading // nil when the resource's data was never scanned
	Findings    []gradingFinding          // the columns the scan recognised something in
	OverrideBy  string                    // username of whoever overrode the grade
	CanOverride bool                      // the override form is offered
	AdminOnly   bool                      // the viewer overrides as the institution's admin: only stricter
	Form        overrideForm
	DeidLink    bool // the de-identification page exists
}

// gradingFinding is one scanned column as the section shows it.
type gradingFinding struct {
	Name       string
	Detected   string // type name, "" when nothing was detected
	Matches    int    // valid values of any type, whole or embedded
	Confidence string // "97%"
	Category   string // sensitive category, "" for none
}

// overrideForm keeps what the user typed when the override failed.
type overrideForm struct{ Class, Level, Reason string }

// seesGrading: the institution's members and platform staff.
func seesGrading(p identity.Principal, r catalog.Resource) bool {
	return p.RoleIn(r.OrganizationID) != "" || p.IsPlatformStaff()
}

// gradingSection gathers the section for p; nil when p may not see it or
// the application runs without the grading service.
func (s *server) gradingSection(ctx context.Context, p identity.Principal, r catalog.Resource) (*gradingSection, error) {
	if s.grades == nil || !seesGrading(p, r) {
		return nil, nil
	}
	sec := &gradingSection{DeidLink: s.profiles != nil}
	g, err := s.grades.Get(ctx, p, r.ID)
	if errors.Is(err, store.ErrNotFound) {
		return sec, nil
	} else if err != nil {
		return nil, err
	}
	sec.Graded = &g
	for _, c := range g.Columns {
		f := gradingFinding{Name: c.Name, Category: string(c.Category)}
		if c.Detected != nil {
			f.Detected = string(*c.Detected)
			f.Confidence = fmt.Sprintf("%.0f%%", c.Confidence*100)
		}
		for _, n := range c.Matches {
			f.Matches += n
		}
		for _, n := range c.Embedded {
			f.Matches += n
		}
		if f.Detected != "" || f.Matches > 0 || f.Category != "" {
			sec.Findings = append(sec.Findings, f)
		}
	}
	if o := g.Override; o != nil && o.By != "" {
		names, err := s.identity.Usernames(ctx, []string{o.By})
		if err != nil {
			return nil, err
		}
		sec.OverrideBy = names[o.By]
	}
	sec.CanOverride = catalog.CanReview(p) || p.AtLeast(r.OrganizationID, identity.RoleAdmin)
	sec.AdminOnly = !catalog.CanReview(p)
	sec.Form = overrideForm{Class: string(g.Class), Level: strconv.Itoa(g.Level)}
	return sec, nil
}

// overrideGrading sets the resource's grade by hand. Form fields:
// csrf_token, grading_class, grading_level, grading_reason.
func (s *server) overrideGrading(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	if s.grades == nil {
		return s.notFound(w, r)
	}
	res, err := s.catalog.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	form := overrideForm{Class: r.PostForm.Get("grading_class"), Level: r.PostForm.Get("grading_level"), Reason: r.PostForm.Get("grading_reason")}
	level, _ := strconv.Atoi(strings.TrimSpace(form.Level)) // 0 is refused by the service as out of range
	_, err = s.grades.Override(r.Context(), p, res.ID, classify.OverrideInput{Class: catalog.Classification(form.Class), Level: level, Reason: form.Reason})
	if errors.Is(err, identity.ErrForbidden) && !catalog.CanReview(p) && p.AtLeast(res.OrganizationID, identity.RoleAdmin) {
		// The institution's admin asked for a weaker grade than the current one.
		err = validate.Errors{{Field: "level", Value: level, Message: "an institution's admin may only make the grade stricter, never weaker", Code: "grade_stricter"}}
	}
	if errs := fieldErrors(err); errs != nil {
		return s.resourceFormFailed(w, r, prefixFields("grading_", errs), func(page *resourcePage) error {
			if page.Grading == nil || !page.Grading.CanOverride {
				return identity.ErrForbidden
			}
			page.Grading.Form = form
			return nil
		})
	} else if err != nil {
		return err
	}
	return seeOther(w, r, "/resources/"+res.ID, "grading_overridden")
}

// prefixFields renames the domain's fields to the form's inputs, so that
// they do not clash with the other forms of the same page.
func prefixFields(prefix string, errs validate.Errors) validate.Errors {
	out := make(validate.Errors, len(errs))
	for i, e := range errs {
		e.Field = prefix + fieldKey(e.Field)
		out[i] = e
	}
	return out
}

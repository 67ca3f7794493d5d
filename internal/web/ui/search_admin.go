package ui

import (
	"errors"
	"net/http"
	"regexp"
	"strconv"

	"dataport/internal/identity"
	"dataport/internal/search"
	"dataport/internal/validate"
	"dataport/internal/web/ui/i18n"
)

// searchRoutes are the pages of the search's settings: the synonym list,
// which platform operators and sysadmins edit (search.Indexer decides).
func (s *server) searchRoutes() []route {
	return []route{
		{"GET /admin/search/synonyms", s.synonymsPage},
		{"POST /admin/search/synonyms", s.saveSynonyms},
	}
}

// synonymsPage is the synonym list as one text to edit: a group a line.
type synonymsPage struct {
	Text   string
	Groups int
	Errors formErrors
}

// synonymsPage shows the synonym list to the platform staff who may edit it.
func (s *server) synonymsPage(w http.ResponseWriter, r *http.Request) error {
	if err := s.requireSynonymEditor(r); err != nil {
		return err
	}
	groups, err := s.acc.Indexer.Synonyms(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, http.StatusOK, "admin_search_synonyms", synonymsPage{Text: search.FormatSynonyms(groups), Groups: len(groups)})
}

// saveSynonyms replaces the list. Form fields: csrf_token, synonyms (a
// group a line, words separated by commas). A refused list is shown again
// as typed, with each problem naming its group; nothing is stored.
func (s *server) saveSynonyms(w http.ResponseWriter, r *http.Request) error {
	if err := s.requireSynonymEditor(r); err != nil {
		return err
	}
	text := r.PostForm.Get("synonyms")
	groups := search.ParseSynonyms(text)
	_, err := s.acc.Indexer.SetSynonyms(r.Context(), principal(r), groups)
	var errs validate.Errors
	if errors.As(err, &errs) {
		return s.render(w, r, http.StatusUnprocessableEntity, "admin_search_synonyms",
			synonymsPage{Text: text, Groups: len(groups), Errors: synonymErrors(langOf(r), errs)})
	}
	if err != nil {
		return err
	}
	return seeOther(w, r, "/admin/search/synonyms", "synonyms_saved")
}

// requireSynonymEditor admits platform operators and sysadmins.
func (s *server) requireSynonymEditor(r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	if s.acc.Indexer == nil {
		return s.notFound(nil, r)
	}
	if !p.Has(identity.PlatformOperator) && !p.Has(identity.PlatformSysadmin) {
		return identity.ErrForbidden
	}
	return nil
}

var synonymGroupField = regexp.MustCompile(`^groups\[(\d+)\]`)

// synonymErrors attaches the list's problems to its one input, each
// naming the group (the line, blank lines not counted) and the word.
func synonymErrors(lang string, errs validate.Errors) formErrors {
	fe := formErrors{byKey: map[string][]string{}}
	for _, e := range errs {
		label := i18n.T(lang, "field.synonyms")
		if m := synonymGroupField.FindStringSubmatch(e.Field); m != nil {
			n, _ := strconv.Atoi(m[1])
			label = i18n.T(lang, "synonyms.group", n+1)
		}
		text := labelled(lang, label, problemText(lang, e.Code, e.Args, e.Message))
		if w, ok := e.Value.(string); ok {
			text += " (" + w + ")"
		}
		fe.list = append(fe.list, formError{ID: fieldID("synonyms"), Text: text})
		fe.byKey["synonyms"] = append(fe.byKey["synonyms"], text)
	}
	return fe
}

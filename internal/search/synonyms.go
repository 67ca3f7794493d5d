package search

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// SynonymGroup is words a search treats as one: a search for any of them
// finds what holds any other (出租车 finds 出租汽车). The list is applied
// when a search runs, so a change takes effect at once, without reindexing.
type SynonymGroup struct {
	Words []string `json:"words" minItems:"2" maxItems:"20" doc:"Two or more words that mean the same in a search"`
}

// Limits of the synonym list.
const (
	MaxSynonymGroups = 500
	MaxSynonymWords  = 20 // per group
	MaxSynonymLen    = 40 // characters per word
)

// setSynonyms makes groups the synonyms of every search from now on.
func (e *engine) setSynonyms(groups []SynonymGroup) {
	m := map[string][]string{}
	for _, g := range groups {
		words := make([]string, len(g.Words))
		for i, w := range g.Words {
			words[i] = strings.ToLower(w)
		}
		for _, w := range words {
			m[w] = append(m[w], words...)
		}
	}
	keys := make([]string, 0, len(m))
	for w, all := range m {
		slices.Sort(all)
		m[w] = slices.Compact(all)
		keys = append(keys, w)
	}
	slices.Sort(keys)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.synonyms, e.synonymKeys = m, keys
	e.words.clear()
}

// maxAlternatives bounds the forms one query word is looked for in.
const maxAlternatives = 12

// expand is w and what its synonyms make of it: each word of its group
// when w is in one, else w with a synonym inside it replaced by each other
// word of the group (朝阳区出租汽车 is also looked for as 朝阳区出租车).
// Replacements inside a Chinese word use Chinese words only.
func (e *engine) expand(w string) []string {
	lw := strings.ToLower(w)
	out := []string{w}
	if alts, ok := e.synonyms[lw]; ok {
		for _, a := range alts {
			if a != lw && len(out) < maxAlternatives {
				out = append(out, a)
			}
		}
		return out
	}
	for _, s := range e.synonymKeys {
		if len(s) >= len(lw) || !strings.Contains(lw, s) {
			continue
		}
		for _, a := range e.synonyms[s] {
			if a != s && !isASCII(a) && len(out) < maxAlternatives {
				out = append(out, strings.Replace(lw, s, a, 1))
			}
		}
	}
	return out
}

// SetSynonyms makes groups the synonyms of every search of this index from
// now on (the indexer calls it when the stored list changes).
func (ix *Index) SetSynonyms(groups []SynonymGroup) {
	ix.engine.setSynonyms(groups)
	ix.generation.Add(1) // cached results were found with the old list
}

// Synonyms is the stored synonym list, in its order.
func (x *Indexer) Synonyms(ctx context.Context) ([]SynonymGroup, error) {
	rows, err := x.db.QueryContext(ctx, `SELECT words FROM search_synonyms ORDER BY position`)
	if err != nil {
		return nil, fmt.Errorf("search: read synonyms: %w", err)
	}
	defer rows.Close()
	out := []SynonymGroup{}
	for rows.Next() {
		var raw string
		var g SynonymGroup
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(raw), &g.Words); err != nil {
			return nil, fmt.Errorf("search: stored synonyms: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// SetSynonyms replaces the stored synonym list with groups (platform
// operators and sysadmins only: identity.ErrForbidden otherwise), emitting
// search_synonyms.replaced in the same transaction, and applies it to the
// index at once; other replicas apply it when their indexer reads the
// event. Words are trimmed and a group's repeats dropped; a group with
// fewer than two words, a word too long, or a word in two groups is
// refused with the field that holds it ("groups[2].words[1]").
func (x *Indexer) SetSynonyms(ctx context.Context, p identity.Principal, groups []SynonymGroup) ([]SynonymGroup, error) {
	if !p.Has(identity.PlatformOperator) && !p.Has(identity.PlatformSysadmin) {
		return nil, identity.ErrForbidden
	}
	groups, err := cleanSynonyms(groups)
	if err != nil {
		return nil, err
	}
	err = x.db.Transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM search_synonyms`); err != nil {
			return err
		}
		words := 0
		for i, g := range groups {
			raw, _ := json.Marshal(g.Words)
			if _, err := tx.ExecContext(ctx, `INSERT INTO search_synonyms (position, words) VALUES ($1, $2)`, i+1, string(raw)); err != nil {
				return err
			}
			words += len(g.Words)
		}
		return tx.Emit(ctx, store.Event{Type: "search_synonyms.replaced", ActorUserID: p.UserID, SubjectKind: synonymsKind, SubjectID: "catalog"},
			map[string]int{"groups": len(groups), "words": words})
	})
	if err != nil {
		return nil, fmt.Errorf("search: save synonyms: %w", err)
	}
	x.ix.SetSynonyms(groups)
	return groups, nil
}

// synonymsKind is the subject kind of the synonym list's events.
const synonymsKind = "search_synonyms"

// loadSynonyms applies the stored list to the index.
func (x *Indexer) loadSynonyms(ctx context.Context) error {
	groups, err := x.Synonyms(ctx)
	if err != nil {
		return err
	}
	x.ix.SetSynonyms(groups)
	return nil
}

// cleanSynonyms trims the words, drops empty ones and a group's repeats,
// and checks the limits.
func cleanSynonyms(groups []SynonymGroup) ([]SynonymGroup, error) {
	var errs validate.Errors
	if len(groups) > MaxSynonymGroups {
		errs.Add("groups", len(groups), validate.CodeTooMany, "at most %d groups", MaxSynonymGroups)
		return nil, errs
	}
	seen := map[string]string{} // word in lower case → where it was first
	out := make([]SynonymGroup, 0, len(groups))
	for i, g := range groups {
		var words []string
		before := len(errs)
		for j, w := range g.Words {
			w = strings.TrimSpace(w)
			field := fmt.Sprintf("groups[%d].words[%d]", i, j)
			switch lw := strings.ToLower(w); {
			case w == "":
				continue
			case utf8.RuneCountInString(w) > MaxSynonymLen:
				errs.Add(field, w, validate.CodeMaxLen, "at most %d characters (%d given)", MaxSynonymLen, utf8.RuneCountInString(w))
			case strings.ContainsAny(w, ",，、;；\n"):
				errs.Add(field, w, validate.CodeFormat, "one word or phrase, without commas")
			case slices.ContainsFunc(words, func(o string) bool { return strings.EqualFold(o, w) }):
				continue
			case seen[lw] != "":
				errs.Add(field, w, validate.CodeDuplicate, "is already in %s", seen[lw])
			default:
				seen[lw] = fmt.Sprintf("groups[%d]", i)
				words = append(words, w)
			}
		}
		if len(words) > MaxSynonymWords {
			errs.Add(fmt.Sprintf("groups[%d].words", i), len(words), validate.CodeTooMany, "at most %d words", MaxSynonymWords)
		}
		switch {
		case len(errs) > before: // the group's words are refused already
		case len(words) == 1:
			errs.Add(fmt.Sprintf("groups[%d].words", i), words[0], validate.CodeAtLeast, "a group needs at least %d words", 2)
		case len(words) >= 2:
			out = append(out, SynonymGroup{Words: words})
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// ParseSynonyms reads the synonym list as the UI's form writes it: one
// group a line, words separated by commas (, ， 、 or ;). Blank lines are
// skipped; the groups are checked by SetSynonyms.
func ParseSynonyms(text string) []SynonymGroup {
	var out []SynonymGroup
	for line := range strings.Lines(text) {
		words := strings.FieldsFunc(line, func(r rune) bool { return strings.ContainsRune(",，、;；\r\n", r) })
		var g SynonymGroup
		for _, w := range words {
			if w = strings.TrimSpace(w); w != "" {
				g.Words = append(g.Words, w)
			}
		}
		if len(g.Words) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// FormatSynonyms writes groups as ParseSynonyms reads them.
func FormatSynonyms(groups []SynonymGroup) string {
	var b strings.Builder
	for _, g := range groups {
		b.WriteString(strings.Join(g.Words, ", "))
		b.WriteByte('\n')
	}
	return b.String()
}

// AlsoSearched is what the synonym list adds to text's words: the other
// forms each word is looked for in, in order, each once.
func (ix *Index) AlsoSearched(text string) []string {
	e := ix.engine
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out []string
	for _, w := range words(text) {
		for _, alt := range e.expand(w)[1:] {
			if !slices.Contains(out, alt) {
				out = append(out, alt)
			}
		}
	}
	return out
}

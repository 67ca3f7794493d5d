// Package validate collects field-level problems with user input so that a
// write can refuse bad input with every problem named at once.
package validate

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// FieldError is one problem with one input field. Field is a dotted path in
// the API's snake_case names, with indexes for lists ("items[2].name").
//
// Code names the kind of problem and stays the same across releases and
// languages ("required", "max_len", ...); Args are the values the problem
// quotes, in the order of Message's verbs. The web layer translates a
// problem by Code and Args, never by matching Message, which is English.
type FieldError struct {
	Field   string `json:"field"`
	Value   any    `json:"value,omitempty"`
	Message string `json:"message"`
	Code    string `json:"code,omitempty"`
	Args    []any  `json:"args,omitempty"`
}

// Generic codes, shared by many fields. Specific problems have codes of
// their own, named where they are added; every code is translated in the UI.
const (
	CodeRequired  = "required"       // blank; no args
	CodeMaxLen    = "max_len"        // too long; args: max characters, characters given
	CodeOneOf     = "one_of"         // not one of a fixed list; args: the list, comma-separated
	CodeTooMany   = "too_many"       // a list is too long; args: the most allowed
	CodeRange     = "range"          // a number out of range; args: lowest, highest
	CodeAtLeast   = "at_least"       // a number or length below a floor; args: the floor
	CodeInteger   = "integer"        // not a whole number; no args
	CodeNumber    = "number"         // not a number; no args
	CodeDate      = "date"           // not a date written YYYY-MM-DD; no args
	CodeEmail     = "email"          // not an email address; no args
	CodeDuplicate = "duplicate"      // listed twice; no args
	CodeUnknown   = "unknown"        // names nothing that exists (an organization, a user, a column); no args
	CodeCursor    = "cursor"         // not a cursor from a previous page; no args
	CodeFormat    = "invalid_format" // malformed in a way the message explains; args as the message quotes them
)

// Errors is a list of field problems; a non-empty Errors is an error.
type Errors []FieldError

func (e Errors) Error() string {
	parts := make([]string, len(e))
	for i, fe := range e {
		parts[i] = fe.Field + ": " + fe.Message
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Add records a problem with field: its code, and its English message
// formatted from args, which the problem keeps as its Args.
func (e *Errors) Add(field string, value any, code, format string, args ...any) {
	*e = append(*e, FieldError{Field: field, Value: value, Message: fmt.Sprintf(format, args...), Code: code, Args: plain(args)})
}

// plain returns args as values that encode to JSON as they print: errors
// and other Stringers become their text.
func plain(args []any) []any {
	if len(args) == 0 {
		return nil
	}
	out := make([]any, len(args))
	for i, a := range args {
		switch a := a.(type) {
		case nil, bool, string, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
			out[i] = a
		case error:
			out[i] = a.Error()
		case fmt.Stringer:
			out[i] = a.String()
		default:
			out[i] = fmt.Sprint(a)
		}
	}
	return out
}

// Err returns e as an error, or nil when there are no problems.
func (e Errors) Err() error {
	if len(e) == 0 {
		return nil
	}
	return e
}

// Has reports whether a problem was recorded for field.
func (e Errors) Has(field string) bool {
	for _, fe := range e {
		if fe.Field == field {
			return true
		}
	}
	return false
}

// Required records a problem when s is blank.
func (e *Errors) Required(field, s string) bool {
	if strings.TrimSpace(s) == "" {
		e.Add(field, s, CodeRequired, "is required")
		return false
	}
	return true
}

// MaxLen records a problem when s has more than n characters.
func (e *Errors) MaxLen(field, s string, n int) {
	if utf8.RuneCountInString(s) > n {
		e.Add(field, s, CodeMaxLen, "must be at most %d characters (got %d)", n, utf8.RuneCountInString(s))
	}
}

// Text records a problem when s has more than n characters or is not
// text the records may hold (invalid UTF-8, a NUL character).
func (e *Errors) Text(field, s string, n int) {
	e.MaxLen(field, s, n)
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		e.Add(field, nil, CodeFormat, "is not plain text")
	}
}

// OneOf records a problem when s is not one of allowed.
func OneOf[T ~string](e *Errors, field string, s T, allowed ...T) {
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	e.Add(field, string(s), CodeOneOf, "must be one of %s", strings.Join(names, ", "))
}

// Fields returns the fields named by err when it is (or wraps) Errors.
func Fields(err error) ([]string, bool) {
	var errs Errors
	if !errors.As(err, &errs) {
		return nil, false
	}
	fields := make([]string, len(errs))
	for i, fe := range errs {
		fields[i] = fe.Field
	}
	return fields, true
}

// Refusal is a problem that is not one field's: the state of the records
// does not allow the change. It wraps Kind (a domain sentinel such as
// catalog.ErrState, which decides the HTTP status) and, like FieldError,
// carries a stable Code and the Args its English message quotes.
type Refusal struct {
	Kind    error
	Code    string
	Args    []any
	Message string
}

// Refuse returns a Refusal of kind whose text is kind's, a colon and the
// message formatted from args.
func Refuse(kind error, code, format string, args ...any) error {
	return &Refusal{Kind: kind, Code: code, Args: plain(args), Message: fmt.Sprintf(format, args...)}
}

func (r *Refusal) Error() string { return r.Kind.Error() + ": " + r.Message }

// Unwrap makes errors.Is(err, r.Kind) hold.
func (r *Refusal) Unwrap() error { return r.Kind }

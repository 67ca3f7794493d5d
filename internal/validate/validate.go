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
type FieldError struct {
	Field   string `json:"field"`
	Value   any    `json:"value,omitempty"`
	Message string `json:"message"`
}

// Errors is a list of field problems; a non-empty Errors is an error.
type Errors []FieldError

func (e Errors) Error() string {
	parts := make([]string, len(e))
	for i, fe := range e {
		parts[i] = fe.Field + ": " + fe.Message
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Add records a problem with field.
func (e *Errors) Add(field string, value any, format string, args ...any) {
	*e = append(*e, FieldError{Field: field, Value: value, Message: fmt.Sprintf(format, args...)})
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
		e.Add(field, s, "is required")
		return false
	}
	return true
}

// MaxLen records a problem when s has more than n characters.
func (e *Errors) MaxLen(field, s string, n int) {
	if utf8.RuneCountInString(s) > n {
		e.Add(field, s, "must be at most %d characters (got %d)", n, utf8.RuneCountInString(s))
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
	e.Add(field, string(s), "must be one of %s", strings.Join(names, ", "))
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

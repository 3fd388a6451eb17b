package models

import (
	"errors"
	"strings"
)

// ErrNotFound means the object does not exist, or exists but the actor may not see it:
// the two are deliberately indistinguishable.
var ErrNotFound = errors.New("not found")

// ErrForbidden means the actor can see the object but may not do this to it.
var ErrForbidden = errors.New("forbidden")

// ValidationError reports input that breaks a rule, field by field, in words a user reads.
type ValidationError struct {
	Fields map[string]string
}

// Error lists the failing fields.
func (e *ValidationError) Error() string {
	parts := make([]string, 0, len(e.Fields))
	for f, m := range e.Fields {
		parts = append(parts, f+": "+m)
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// add records a message for field (the first message per field wins).
func (e *ValidationError) add(field, msg string) {
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	if _, ok := e.Fields[field]; !ok {
		e.Fields[field] = msg
	}
}

// err returns e when it holds messages, nil otherwise.
func (e *ValidationError) err() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

package models

import (
	"errors"
	"strings"
	"time"
)

// Code classifies a domain error. Each way in (pages, OAuth endpoints, the JSON API)
// maps codes to its own answers in one place; the domain never speaks HTTP.
type Code string

// The domain's error codes.
const (
	// CodeInvalid: the input breaks a rule (a *ValidationError, or an *Error naming a Field).
	CodeInvalid Code = "invalid"
	// CodeNotFound: no such object, or one the actor may not see — deliberately the same.
	CodeNotFound Code = "not_found"
	// CodeForbidden: the actor sees the object but may not do this to it.
	CodeForbidden Code = "forbidden"
	// CodeConflict: the object's state does not allow it (already decided, last owner…).
	CodeConflict Code = "conflict"
	// CodeGone: it existed and can no longer be used (an expired invitation).
	CodeGone Code = "gone"
	// CodeUnavailable: the database or the signer cannot be reached; nothing changed and
	// the same request can succeed later.
	CodeUnavailable Code = "unavailable"
	// CodeUnauthenticated: the caller's credential (a personal access token) is missing,
	// malformed, unknown, expired or revoked — deliberately the same.
	CodeUnauthenticated Code = "unauthenticated"
)

// Error is a domain error: a code, the input field it concerns (a domain name such as
// "expires_in", or ""), and a message a user can read.
type Error struct {
	Code    Code
	Field   string
	Message string
}

func (e *Error) Error() string { return e.Message }

// ErrorCode is err's code: that of the *Error or *ValidationError it wraps, "" for
// anything else (a bug: answer 500). The store wraps a full disk in ErrUnavailable.
func ErrorCode(err error) Code {
	var de *Error
	var ve *ValidationError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &de):
		return de.Code
	case errors.As(err, &ve):
		return CodeInvalid
	}
	return ""
}

// ErrNotFound means the object does not exist, or exists but the actor may not see it:
// the two are deliberately indistinguishable.
var ErrNotFound = &Error{Code: CodeNotFound, Message: "not found"}

// ErrForbidden means the actor can see the object but may not do this to it.
var ErrForbidden = &Error{Code: CodeForbidden, Message: "forbidden"}

// ValidationError reports input that breaks a rule, field by field, in words a user
// reads. Fields are keyed by the domain's names for the input ("name", "expires_in",
// "token_ttl"), which each way in maps to its own (a form's field, a JSON pointer).
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

// Add records a message for field (the first message per field wins).
func (e *ValidationError) Add(field, msg string) {
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	if _, ok := e.Fields[field]; !ok {
		e.Fields[field] = msg
	}
}

// err returns e when it holds messages, nil otherwise.
func (e *ValidationError) AsError() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

func conflict(msg string) *Error { return &Error{Code: CodeConflict, Message: msg} }

func gone(msg string) *Error { return &Error{Code: CodeGone, Message: msg} }

func unavailableErr(msg string) *Error { return &Error{Code: CodeUnavailable, Message: msg} }

func invalid(field, msg string) *Error { return &Error{Code: CodeInvalid, Field: field, Message: msg} }

// InvalidLifetime stands for a lifetime that could not be read (a form's value that is
// not a number): every method that takes a lifetime refuses it as a validation error on
// "expires_in", after deciding whether the actor may act at all.
const InvalidLifetime time.Duration = -1

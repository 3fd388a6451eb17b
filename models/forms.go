package models

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
)

// FormSubmission records a form's one-time token so that submitting the same form twice
// (a double click, a retried POST) creates one object.
type FormSubmission struct {
	TokenHash string `gorm:"primaryKey"`
	UserID    string
	Result    string
	CreatedAt time.Time
}

// DuplicateSubmitError says this form was already submitted; Result names what the
// first submission created.
type DuplicateSubmitError struct{ Result string }

func (e *DuplicateSubmitError) Error() string { return "form already submitted" }

// NewFormToken returns a token for a form about to be rendered.
func NewFormToken() string { return randomToken(16) }

// claimForm records token for the actor inside the transaction that creates result. A
// second claim of the same token fails with *DuplicateSubmitError. An empty token
// (a client that does not send one) claims nothing.
func (s *Store) claimForm(tx *gorm.DB, actor Actor, token, result string) error {
	if token == "" {
		return nil
	}
	if len(token) > 64 {
		return &ValidationError{Fields: map[string]string{"idempotency_key": "is not valid"}}
	}
	hash := sha256Hex(actor.id() + "\x00" + token)
	var prev FormSubmission
	err := tx.Where("token_hash = ?", hash).Take(&prev).Error
	if err == nil {
		return &DuplicateSubmitError{Result: prev.Result}
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return err
	}
	return tx.Create(&FormSubmission{TokenHash: hash, UserID: actor.id(), Result: result, CreatedAt: s.now()}).Error
}

// cleanName trims a display name and checks it: required, at most max characters,
// no control characters.
func cleanName(v *ValidationError, field, value string, max int) string {
	value = strings.TrimSpace(value)
	switch {
	case value == "":
		v.add(field, "is required")
	case !utf8.ValidString(value):
		v.add(field, "is not valid text")
	case utf8.RuneCountInString(value) > max:
		v.add(field, fmt.Sprintf("must be at most %d characters", max))
	case strings.IndexFunc(value, unicode.IsControl) >= 0:
		v.add(field, "must not contain control characters")
	}
	return value
}

// cleanText checks optional free text (newlines and tabs allowed).
func cleanText(v *ValidationError, field, value string, max int) string {
	value = strings.TrimSpace(value)
	switch {
	case !utf8.ValidString(value):
		v.add(field, "is not valid text")
	case utf8.RuneCountInString(value) > max:
		v.add(field, fmt.Sprintf("must be at most %d characters", max))
	case strings.IndexFunc(value, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) >= 0:
		v.add(field, "must not contain control characters")
	}
	return value
}

// scopeToken is RFC 6749 §3.3's scope-token: printable ASCII except space, " and \.
var scopeToken = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]{1,100}$`)

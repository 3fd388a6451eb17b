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

// IdempotencyRecord records an idempotency key — a form's one-time token, later an API
// client's Idempotency-Key — so that sending the same request twice (a double click, a
// retried POST) creates one object.
type IdempotencyRecord struct {
	TokenHash string `gorm:"primaryKey"`
	UserID    string
	Result    string
	CreatedAt time.Time
}

// DuplicateRequestError says a request with this idempotency key was already made;
// Result names what the first one created.
type DuplicateRequestError struct{ Result string }

func (e *DuplicateRequestError) Error() string { return "request already made" }

// TableName keeps the table's first name.
func (IdempotencyRecord) TableName() string { return "form_submissions" }

// NewIdempotencyKey returns a fresh idempotency key (a form about to be rendered carries one).
func NewIdempotencyKey() string { return randomToken(16) }

// claimIdempotencyKey records token for the actor inside the transaction that creates result. A
// second claim of the same token fails with *DuplicateRequestError. An empty token
// (a client that does not send one) claims nothing.
func (s *Store) claimIdempotencyKey(tx *gorm.DB, actor Actor, token, result string) error {
	if token == "" {
		return nil
	}
	if len(token) > 64 {
		return &ValidationError{Fields: map[string]string{"idempotency_key": "is not valid"}}
	}
	hash := sha256Hex(actor.id() + "\x00" + token)
	var prev IdempotencyRecord
	err := tx.Where("token_hash = ?", hash).Take(&prev).Error
	if err == nil {
		return &DuplicateRequestError{Result: prev.Result}
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return err
	}
	return tx.Create(&IdempotencyRecord{TokenHash: hash, UserID: actor.id(), Result: result, CreatedAt: s.now()}).Error
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

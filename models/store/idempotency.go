package store

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-dev/gatehouse/models"
	"gorm.io/gorm"
)

// claimIdempotencyKey records token for the actor inside the transaction that creates result. A
// second claim of the same token fails with *DuplicateRequestError. An empty token
// (a client that does not send one) claims nothing.
func (s *Store) claimIdempotencyKey(tx *gorm.DB, actor models.Actor, token, result string) error {
	if token == "" {
		return nil
	}
	if len(token) > 64 {
		return &models.ValidationError{Fields: map[string]string{"idempotency_key": "is not valid"}}
	}
	hash := models.SHA256Hex(actor.UserID() + "\x00" + token)
	var prev models.IdempotencyRecord
	err := tx.Where("token_hash = ?", hash).Take(&prev).Error
	if err == nil {
		if err := sameRequest(tx, hash); err != nil {
			return err
		}
		return &models.DuplicateRequestError{Result: prev.Result}
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return err
	}
	if err := tx.Create(&models.IdempotencyRecord{TokenHash: hash, UserID: actor.UserID(), Result: result, CreatedAt: s.now()}).Error; err != nil {
		return err
	}
	return s.recordFingerprint(tx, actor, hash, result)
}

// cleanName trims a display name and checks it: required, at most max characters,
// no control characters.
func cleanName(v *models.ValidationError, field, value string, max int) string {
	value = strings.TrimSpace(value)
	switch {
	case value == "":
		v.Add(field, "is required")
	case !utf8.ValidString(value):
		v.Add(field, "is not valid text")
	case utf8.RuneCountInString(value) > max:
		v.Add(field, fmt.Sprintf("must be at most %d characters", max))
	case strings.IndexFunc(value, unicode.IsControl) >= 0:
		v.Add(field, "must not contain control characters")
	}
	return value
}

// cleanText checks optional free text (newlines and tabs allowed).
func cleanText(v *models.ValidationError, field, value string, max int) string {
	value = strings.TrimSpace(value)
	switch {
	case !utf8.ValidString(value):
		v.Add(field, "is not valid text")
	case utf8.RuneCountInString(value) > max:
		v.Add(field, fmt.Sprintf("must be at most %d characters", max))
	case strings.IndexFunc(value, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) >= 0:
		v.Add(field, "must not contain control characters")
	}
	return value
}

// scopeToken is RFC 6749 §3.3's scope-token: printable ASCII except space, " and \.
var scopeToken = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]{1,100}$`)

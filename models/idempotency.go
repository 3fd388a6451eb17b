package models

import (
	"time"
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
func NewIdempotencyKey() string { return RandomToken(16) }

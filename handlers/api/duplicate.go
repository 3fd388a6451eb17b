package api

import (
	"errors"

	"github.com/gatehouse-dev/gatehouse/models"
)

// asDuplicate reports whether err says an Idempotency-Key was used before.
func asDuplicate(err error, dup **models.DuplicateRequestError) bool { return errors.As(err, dup) }

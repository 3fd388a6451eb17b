package api

import (
	"errors"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// asDuplicate reports whether err says an Idempotency-Key was used before.
func asDuplicate(err error, dup **models.DuplicateRequestError) bool { return errors.As(err, dup) }

// replayed answers a repeated create (same Idempotency-Key, same body) with what the
// first request created, which show answers by id, marked Idempotent-Replayed. It
// reports whether err was such a repeat; if so, return its error.
func replayed(c echo.Context, err error, show func(id string) error) (bool, error) {
	var dup *models.DuplicateRequestError
	if !asDuplicate(err, &dup) {
		return false, nil
	}
	c.Response().Header().Set("Idempotent-Replayed", "true")
	return true, show(dup.Result)
}

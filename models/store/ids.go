package store

import "github.com/gatehouse-dev/gatehouse/models"

// newID returns prefix + "_" + 26 characters carrying 128 random bits, e.g. "team_…".
// Prefixes keep kinds of ids apart: a project's client_id can never equal a user's id.
func newID(prefix string) string {
	return prefix + "_" + models.RandomToken(16)
}

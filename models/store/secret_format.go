package store

import "github.com/gatehouse-dev/gatehouse/models"

// secretHint is what may be shown of a secret later: its prefix and last 4 characters.
func secretHint(s string) string {
	return models.ClientSecretPrefix + "…" + s[len(s)-4:]
}

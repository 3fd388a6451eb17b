package store

import (
	"context"

	"github.com/gatehouse-dev/gatehouse/models"
)

// PublishedResource returns the API whose identifier is exactly identifier, with its
// scopes, for its public RFC 9728 protected resource metadata. Only an API listed in
// the catalog, that accepts access tokens, and whose identifier is an https URL with a
// host and no query or fragment (RFC 9728 §1.2) has one: anything else is ErrNotFound,
// so the public document reveals no scope of an API its team keeps to itself.
func (s *Store) PublishedResource(ctx context.Context, identifier string) (*models.APIView, error) {
	if !models.IsResourceURL(identifier) {
		return nil, models.ErrNotFound
	}
	db := s.db.WithContext(ctx)
	var api models.API
	err := db.Where("identifier = ? AND listed AND accepts_access_tokens", identifier).Take(&api).Error
	if err != nil {
		return nil, notFound(err)
	}
	return apiView(db, &api, "")
}

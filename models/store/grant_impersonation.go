package store

import (
	"context"

	"github.com/gatehouse-dev/gatehouse/models"
	"gorm.io/gorm"
)

// SetGrantImpersonation lets the project holding a grant on the API impersonate, or
// stops it: exchanging a token it received (RFC 8693), it may then get a token for the
// API that does not name it in an act claim. Owners and admins of the API's team
// decide; the change is audited in both teams.
func (s *Store) SetGrantImpersonation(ctx context.Context, actor models.Actor, apiID, grantID string, allow bool) error {
	_, err := s.PatchGrantIf(ctx, actor, apiID, grantID, nil, &allow, nil)
	return err
}

// PatchGrantIf changes a grant on the API in one transaction: its scopes (nil leaves
// them; narrowing revokes the keys they no longer cover, which are returned) and whether
// its project may impersonate (nil leaves it). pre is a precondition on the grant as it
// stands (an API's If-Match), checked once the actor is authorized and before the input
// is validated. Owners and admins of the API's team may.
func (s *Store) PatchGrantIf(ctx context.Context, actor models.Actor, apiID, grantID string, scopes []string, impersonation *bool, pre func(*models.GrantInfo) error) ([]models.APIKey, error) {
	var revoked []models.APIKey
	err := s.tx(ctx, func(tx *gorm.DB) error {
		api, _, err := apiFor(tx, actor, apiID, models.ActAPIManage)
		if err != nil {
			return err
		}
		var g models.Grant
		if err := tx.Where("id = ? AND api_id = ?", grantID, api.ID).Take(&g).Error; err != nil {
			return notFound(err)
		}
		if err := s.checkGrant(tx, api.ID, g.ID, pre); err != nil {
			return err
		}
		if scopes != nil {
			var v models.ValidationError
			clean, err := checkGrantScopes(tx, &v, "scopes", api, scopes)
			if err != nil {
				return err
			}
			if err := v.AsError(); err != nil {
				return err
			}
			if revoked, err = s.setGrantScopes(tx, actor, api, &g, clean, "changed by the API's team"); err != nil {
				return err
			}
		}
		if impersonation == nil || g.Impersonation == *impersonation {
			return nil
		}
		allow := *impersonation
		if err := tx.Model(&models.Grant{}).Where("id = ?", g.ID).Updates(map[string]any{"impersonation": allow, "updated_at": s.now()}).Error; err != nil {
			return err
		}
		g.Impersonation = allow
		var p models.Project
		if err := tx.Where("id = ?", g.ProjectID).Take(&p).Error; err != nil {
			return err
		}
		return s.auditGrant(tx, actor, api, &p, "grant.impersonation", &g, map[string]any{"impersonation": allow})
	})
	if err != nil {
		return nil, err
	}
	return revoked, nil
}

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
	return s.SetGrantImpersonationIf(ctx, actor, apiID, grantID, allow, nil)
}

// SetGrantImpersonationIf is SetGrantImpersonation with a precondition on the grant as
// it stands (an API's If-Match), checked once the actor is authorized.
func (s *Store) SetGrantImpersonationIf(ctx context.Context, actor models.Actor, apiID, grantID string, allow bool, pre func(*models.GrantInfo) error) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
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
		if g.Impersonation == allow {
			return nil
		}
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
}

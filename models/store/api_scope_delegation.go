package store

import (
	"context"

	"github.com/gatehouse-dev/gatehouse/models"
	"gorm.io/gorm"
)

// SetScopeDelegable says whether users may delegate an API's scope to apps acting for
// them (the authorization code grant). Owners and admins of the API's team decide
// (api.manage); it is off for every scope until they turn it on. Turning it off stops
// new codes and tokens for it at once; tokens already issued expire within their
// lifetime.
func (s *Store) SetScopeDelegable(ctx context.Context, actor models.Actor, apiID, scope string, delegable bool) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		api, _, err := apiFor(tx, actor, apiID, models.ActAPIManage)
		if err != nil {
			return err
		}
		res := tx.Model(&models.APIScope{}).Where("api_id = ? AND name = ?", api.ID, scope).Update("delegable", delegable)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return &models.ValidationError{Fields: map[string]string{"scope": api.Name + " defines no scope " + models.QuoteForError(scope)}}
		}
		return s.audit(tx, actor, event{team: api.TeamID, action: "api.scope_delegation", targetType: "api", targetID: api.ID, target: api.Name,
			details: map[string]any{"scope": scope, "delegable": delegable}})
	})
}

package store

import (
	"context"
	"slices"
	"strings"

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

// MaxDelegationTeams bounds how many teams an API names as its delegators.
const MaxDelegationTeams = 20

// SetDelegationTeams says who may delegate the API's delegable scopes: any signed-in
// user (no teams), or members of teamIDs. Owners and admins of the API's team decide
// (api.manage), and may name only teams they belong to themselves, so nobody lists a
// team they cannot see; a team named before by a colleague may stay. It takes effect at
// once: codes and refreshes check it again when they are redeemed.
func (s *Store) SetDelegationTeams(ctx context.Context, actor models.Actor, apiID string, teamIDs []string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		api, _, err := apiFor(tx, actor, apiID, models.ActAPIManage)
		if err != nil {
			return err
		}
		before := strings.Fields(api.DelegationTeams)
		var ids []string
		for _, id := range teamIDs {
			if id = strings.TrimSpace(id); id != "" && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		if len(ids) > MaxDelegationTeams {
			return &models.ValidationError{Fields: map[string]string{"teams": "name at most 20 teams"}}
		}
		for _, id := range ids {
			if slices.Contains(before, id) {
				continue
			}
			var n int64
			err := tx.Model(&models.TeamMember{}).Where("team_id = ? AND user_id = ?", id, actor.UserID()).Count(&n).Error
			if err != nil {
				return err
			}
			if n == 0 {
				return &models.ValidationError{Fields: map[string]string{"teams": "you can name only teams you belong to"}}
			}
		}
		joined := strings.Join(ids, " ")
		if joined == api.DelegationTeams {
			return nil
		}
		if err := tx.Model(&models.API{}).Where("id = ?", api.ID).Update("delegation_teams", joined).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, event{team: api.TeamID, action: "api.delegation_teams", targetType: "api", targetID: api.ID, target: api.Name,
			details: map[string]any{"teams": joined, "before": api.DelegationTeams}})
	})
}

// mayDelegate reports whether the user may delegate the API's scopes: anyone when the
// API names no teams, else a member of one of them.
func mayDelegate(db *gorm.DB, userID, apiID string) (bool, error) {
	var teams string
	if err := db.Raw(`SELECT delegation_teams FROM apis WHERE id = ?`, apiID).Scan(&teams).Error; err != nil {
		return false, err
	}
	ids := strings.Fields(teams)
	if len(ids) == 0 {
		return true, nil
	}
	var n int64
	err := db.Model(&models.TeamMember{}).Where("user_id = ? AND team_id IN ?", userID, ids).Count(&n).Error
	return n > 0, err
}

// MayDelegate reports whether the user may delegate to apps the scopes of the API (an
// identity authorization, apiID "", is always theirs to give).
func (s *Store) MayDelegate(ctx context.Context, userID, apiID string) (bool, error) {
	if apiID == "" {
		return true, nil
	}
	ok, err := mayDelegate(s.db.WithContext(ctx), userID, apiID)
	if err != nil {
		return false, unavailable(ctx, err)
	}
	return ok, nil
}

// DelegationTeamNames names the teams the API lists as its delegators, for its own
// team's members (api.view); ids of teams deleted since are left out.
func (s *Store) DelegationTeamNames(ctx context.Context, actor models.Actor, apiID string) ([]models.Team, error) {
	var out []models.Team
	err := s.tx(ctx, func(tx *gorm.DB) error {
		api, _, err := apiFor(tx, actor, apiID, models.ActAPIView)
		if err != nil {
			return err
		}
		ids := strings.Fields(api.DelegationTeams)
		if len(ids) == 0 {
			return nil
		}
		return tx.Select("id", "name").Where("id IN ?", ids).Order("name").Find(&out).Error
	})
	return out, err
}

package store

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"gorm.io/gorm"
)

// CreatePersonalToken creates a personal access token for the acting user and returns
// it in plain text, this one time. Its scope is a subset of the user's authority: read
// or write, optionally one of the user's teams. A token cannot create tokens.
func (s *Store) CreatePersonalToken(ctx context.Context, actor models.Actor, in models.PersonalTokenInput, idempotencyKey string) (*models.PersonalToken, string, error) {
	if actor.Kind() != models.PrincipalUser || actor.Limits != nil || actor.User.IsService() {
		return nil, "", models.ErrForbidden
	}
	var v models.ValidationError
	name := cleanName(&v, "name", in.Name, 60)
	if in.Scope != models.PersonalTokenRead && in.Scope != models.PersonalTokenWrite {
		v.Add("scope", "choose read or write")
	}
	if !slices.Contains(models.PersonalTokenLifetimes, int(in.TTL/(24*time.Hour))) || in.TTL%(24*time.Hour) != 0 {
		v.Add("expires_in", "choose 7, 30, 90 or 365 days")
	}
	plain := models.NewPersonalToken()
	now := s.now()
	t := &models.PersonalToken{ID: newID("pat"), UserID: actor.User.ID, Name: name, Hash: models.SHA256Hex(plain),
		Hint: models.PersonalTokenPrefix + "…" + plain[len(plain)-4:], Scope: in.Scope, CreatedAt: now, ExpiresAt: now.Add(in.TTL)}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		teamName := ""
		if in.TeamID != "" {
			// Only a team the user is in: a token cannot reach further than its user.
			var team models.Team
			err := tx.Table("teams AS t").Select("t.*").Joins("JOIN team_members m ON m.team_id = t.id AND m.user_id = ?", actor.User.ID).
				Where("t.id = ?", in.TeamID).Take(&team).Error
			if errors.Is(err, gorm.ErrRecordNotFound) {
				v.Add("team", "choose one of your teams")
			} else if err != nil {
				return err
			}
			t.TeamID, teamName = &team.ID, team.Name
		}
		if err := v.AsError(); err != nil {
			return err
		}
		if err := s.claimIdempotencyKey(tx, actor, idempotencyKey, t.ID); err != nil {
			return err
		}
		if err := tx.Create(t).Error; err != nil {
			return err
		}
		return s.auditToken(tx, actor, t, "personal_token.create", map[string]any{"hint": t.Hint, "scope": t.Scope,
			"team": teamName, "expires_at": t.ExpiresAt.Format(time.RFC3339)})
	})
	if err != nil {
		return nil, "", err
	}
	return t, plain, nil
}

// auditToken records a personal access token's event: in the user's own log (no team),
// and in the team's too when the token is limited to one.
func (s *Store) auditToken(tx *gorm.DB, actor models.Actor, t *models.PersonalToken, action string, details map[string]any) error {
	ev := event{action: action, targetType: "personal_access_token", targetID: t.ID, target: t.Name, details: details}
	if err := s.audit(tx, actor, ev); err != nil {
		return err
	}
	if t.TeamID == nil {
		return nil
	}
	ev.team = *t.TeamID
	return s.audit(tx, actor, ev)
}

// PersonalTokens lists the acting user's tokens, newest first.
func (s *Store) PersonalTokens(ctx context.Context, actor models.Actor) ([]models.PersonalTokenInfo, error) {
	if actor.Kind() != models.PrincipalUser {
		return nil, models.ErrNotFound
	}
	var out []models.PersonalTokenInfo
	err := s.db.WithContext(ctx).Table("personal_access_tokens AS p").
		Select("p.*, COALESCE(t.name, '') AS team_name").
		Joins("LEFT JOIN teams t ON t.id = p.team_id").
		Where("p.user_id = ?", actor.User.ID).Order("p.created_at DESC, p.id DESC").Scan(&out).Error
	return out, err
}

// RevokePersonalToken revokes one of the acting user's tokens; another user's token is
// ErrNotFound. Revoking twice changes nothing and writes no second event.
func (s *Store) RevokePersonalToken(ctx context.Context, actor models.Actor, tokenID string) error {
	if actor.Kind() != models.PrincipalUser || actor.Limits != nil {
		return models.ErrNotFound
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		var t models.PersonalToken
		if err := tx.Where("id = ? AND user_id = ?", tokenID, actor.User.ID).Take(&t).Error; err != nil {
			return notFound(err)
		}
		_, err := s.revokePersonalToken(tx, actor, &t, nil)
		return err
	})
}

// revokePersonalToken revokes t in tx with its audit events (details added to their
// own). A token already revoked is left alone: revoked reports whether this call
// revoked it.
func (s *Store) revokePersonalToken(tx *gorm.DB, actor models.Actor, t *models.PersonalToken, details map[string]any) (revoked bool, err error) {
	if t.RevokedAt != nil {
		return false, nil
	}
	now := s.now()
	if ok, err := markRevoked(tx, &models.PersonalToken{}, t.ID, now); !ok {
		return false, err
	}
	t.RevokedAt = &now
	audited := map[string]any{"hint": t.Hint}
	maps.Copy(audited, details)
	return true, s.auditToken(tx, actor, t, "personal_token.revoke", audited)
}

// AuthenticatePersonalToken finds the user a personal access token belongs to. A
// malformed token fails before any lookup; unknown, expired and revoked tokens get the
// same ErrInvalidPersonalToken. The use is recorded (batched, like client secrets).
// The returned actor carries the token's limits; its role is read by every call.
func (s *Store) AuthenticatePersonalToken(ctx context.Context, token string) (models.Actor, error) {
	if models.CheckPersonalTokenFormat(token) != nil {
		return models.Actor{}, models.ErrInvalidPersonalToken
	}
	db := s.db.WithContext(ctx)
	var t models.PersonalToken
	err := db.Where("hash = ?", models.SHA256Hex(token)).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return models.Actor{}, models.ErrInvalidPersonalToken
	}
	if err != nil {
		return models.Actor{}, err
	}
	now := s.now()
	if t.Status(now) != "active" {
		return models.Actor{}, models.ErrInvalidPersonalToken
	}
	var u models.User
	if err := db.Where("id = ?", t.UserID).Take(&u).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return models.Actor{}, models.ErrInvalidPersonalToken
		}
		return models.Actor{}, err
	}
	s.markUsed("personal_access_tokens", "id", t.ID, now)
	return models.Actor{User: &u, Limits: t.Limits()}, nil
}

// TeamsFor lists the actor's teams as TeamsOf does, within a token's limits.
func (s *Store) TeamsFor(ctx context.Context, actor models.Actor) ([]models.Membership, error) {
	if actor.Kind() != models.PrincipalUser {
		return nil, models.ErrNotFound
	}
	all, err := s.TeamsOf(ctx, actor.User.ID)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, m := range all {
		if visible, _ := actor.Limits.Allows(m.Team.ID, models.ActTeamView); visible {
			out = append(out, m)
		}
	}
	return out, nil
}

package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"gorm.io/gorm"
)

const (
	maxScopesPerAPI = 100
)

// validateAPI checks an API definition and returns the cleaned identifier and its key.
func (s *Store) validateAPI(v *models.ValidationError, in *models.APIInput) (identifier, key string) {
	in.Name = cleanName(v, "name", in.Name, 80)
	in.Description = cleanText(v, "description", in.Description, 1000)
	identifier, err := models.CleanIdentifier(in.Identifier)
	if err == nil {
		key, err = models.IdentifierKey(identifier)
	}
	if err != nil {
		v.Add("identifier", err.Error())
	} else if mk, merr := models.IdentifierKey(s.ManagementAudience()); merr == nil && key == mk {
		v.Add("identifier", "is the portal's own management API; choose another")
	} else if uk, uerr := models.IdentifierKey(s.UserinfoAudience()); uerr == nil && key == uk {
		v.Add("identifier", "is the portal's own userinfo endpoint; choose another")
	}
	in.DocsURL = strings.TrimSpace(in.DocsURL)
	if in.DocsURL != "" {
		u, err := url.Parse(in.DocsURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(in.DocsURL) > 500 {
			v.Add("docs_url", "give an http(s) URL of at most 500 characters, or leave it empty")
		}
	}
	if !in.AcceptsAPIKeys && !in.AcceptsAccessTokens {
		v.Add("accepts", "accept API keys, access tokens or both")
	}
	if in.MaxTokenTTL < 0 || in.MaxTokenTTL > models.MaxAccessTokenTTL {
		v.Add("max_token_ttl", "choose at most 1440 minutes (24 hours), or 0 for no cap")
	}
	if max := s.keyMaxLifetime(); in.MaxKeyTTL < 0 || in.MaxKeyTTL > max {
		v.Add("max_key_ttl", fmt.Sprintf("choose at most %d days, or 0 for the portal's cap", int(max.Hours()/24)))
	}
	return identifier, key
}

// keyMaxLifetime is the portal's cap on API key lifetimes.
func (s *Store) keyMaxLifetime() time.Duration {
	if s.signer == nil {
		return 365 * 24 * time.Hour
	}
	return s.signer.Config().KeyMaxLifetime
}

// cleanScopes checks scope definitions: RFC 6749 scope-tokens, each once, with an
// optional description.
func cleanScopes(v *models.ValidationError, field string, in []models.ScopeInput) []models.ScopeInput {
	var out []models.ScopeInput
	seen := map[string]bool{}
	for _, sc := range in {
		name := strings.TrimSpace(sc.Name)
		if !scopeToken.MatchString(name) {
			v.Add(field, fmt.Sprintf("%q is not a scope name: use letters, digits and punctuation such as : . / _ -, without spaces, quotes or backslashes", models.Truncate(name, 40)))
			return nil
		}
		if seen[name] {
			v.Add(field, fmt.Sprintf("%q is defined twice", models.Truncate(name, 40)))
			return nil
		}
		seen[name] = true
		out = append(out, models.ScopeInput{Name: name, Description: cleanText(v, field, sc.Description, 300)})
	}
	if len(out) > maxScopesPerAPI {
		v.Add(field, fmt.Sprintf("at most %d scopes", maxScopesPerAPI))
	}
	return out
}

// CreateAPI registers an API owned by the team. Owners and admins may; the identifier
// must not be registered already in any spelling.
func (s *Store) CreateAPI(ctx context.Context, actor models.Actor, teamID string, in models.APIInput, idempotencyKey string) (*models.API, error) {
	var v models.ValidationError
	identifier, key := s.validateAPI(&v, &in)
	scopes := cleanScopes(&v, "scopes", in.Scopes)
	now := s.now()
	api := &models.API{ID: newID("api"), TeamID: teamID, Name: in.Name, Description: in.Description, Identifier: identifier,
		IdentifierKey: key, DocsURL: in.DocsURL, AcceptsAPIKeys: in.AcceptsAPIKeys, AcceptsAccessTokens: in.AcceptsAccessTokens,
		MaxTokenTTL: int(in.MaxTokenTTL / time.Second), MaxKeyTTL: int(in.MaxKeyTTL / time.Second), Listed: in.Listed,
		CreatedBy: optional(actor.UserID()), CreatedAt: now, UpdatedAt: now}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := authorize(tx, actor, teamID, models.ActAPIManage); err != nil {
			return err
		}
		if err := v.AsError(); err != nil { // only once the actor may register APIs here
			return err
		}
		if err := s.claimIdempotencyKey(tx, actor, idempotencyKey, api.ID); err != nil {
			return err
		}
		return s.createAPI(tx, actor, api, scopes)
	})
	if err != nil {
		return nil, err
	}
	return api, nil
}

// createAPI inserts an API with its scopes and audit event (already authorized).
func (s *Store) createAPI(tx *gorm.DB, actor models.Actor, api *models.API, scopes []models.ScopeInput) error {
	if taken, err := identifierTaken(tx, api.IdentifierKey, ""); err != nil {
		return err
	} else if taken {
		return &models.ValidationError{Fields: map[string]string{"identifier": "is already registered (in this or another spelling); choose another"}}
	}
	if err := tx.Create(api).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return &models.ValidationError{Fields: map[string]string{"identifier": "is already registered (in this or another spelling); choose another"}}
		}
		return err
	}
	for _, sc := range scopes {
		if err := tx.Create(&models.APIScope{APIID: api.ID, Name: sc.Name, Description: sc.Description, CreatedAt: api.CreatedAt}).Error; err != nil {
			return err
		}
	}
	names := make([]string, len(scopes))
	for i, sc := range scopes {
		names[i] = sc.Name
	}
	return s.audit(tx, actor, event{team: api.TeamID, action: "api.create", targetType: "api", targetID: api.ID, target: api.Name,
		details: map[string]any{"identifier": api.Identifier, "scopes": strings.Join(names, " "), "listed": api.Listed}})
}

// identifierTaken reports whether another API (not except) holds the key.
func identifierTaken(tx *gorm.DB, key, except string) (bool, error) {
	var n int64
	q := tx.Model(&models.API{}).Where("identifier_key = ?", key)
	if except != "" {
		q = q.Where("id <> ?", except)
	}
	err := q.Count(&n).Error
	return n > 0, err
}

// apiFor loads an API and authorizes the actor for action in its team, inside tx. An
// API of a team the actor is not in is ErrNotFound.
func apiFor(tx *gorm.DB, actor models.Actor, apiID string, a models.Action) (*models.API, models.Role, error) {
	var api models.API
	if err := tx.Where("id = ?", apiID).Take(&api).Error; err != nil {
		return nil, "", notFound(err)
	}
	role, err := authorize(tx, actor, api.TeamID, a)
	if err != nil {
		return nil, role, err
	}
	return &api, role, nil
}

// APIFor returns an API if the actor may see it: a member of its team sees it always,
// anyone signed in sees it when it is listed in the catalog. Otherwise ErrNotFound.
func (s *Store) APIFor(ctx context.Context, actor models.Actor, apiID string) (*models.APIView, error) {
	if actor.User == nil {
		return nil, models.ErrNotFound
	}
	db := s.db.WithContext(ctx)
	var api models.API
	if err := db.Where("id = ?", apiID).Take(&api).Error; err != nil {
		return nil, notFound(err)
	}
	role, err := authorize(db, actor, api.TeamID, models.ActAPIView)
	if visible, _ := actor.Limits.Allows(api.TeamID, models.ActAPIView); errors.Is(err, models.ErrNotFound) && api.Listed && visible {
		role, err = "", nil
	}
	if err != nil {
		return nil, err
	}
	return apiView(db, &api, role)
}

// Catalog lists the APIs the user can see: those of their teams, and those other teams
// list in the catalog. Theirs come first, then by name.
func (s *Store) Catalog(ctx context.Context, actor models.Actor) ([]models.APISummary, error) {
	var out []models.APISummary
	q := s.db.WithContext(ctx)
	if actor.Limits != nil && actor.Limits.TeamID != "" { // a token limited to one team sees only its APIs
		q = q.Where("a.team_id = ?", actor.Limits.TeamID)
	}
	err := q.Table("apis AS a").
		Select(`a.*, t.name AS team_name, (m.user_id IS NOT NULL) AS mine,
			(SELECT COUNT(*) FROM api_grants g WHERE g.api_id = a.id) AS grants,
			CASE WHEN m.user_id IS NULL THEN 0 ELSE
				(SELECT COUNT(*) FROM access_requests r WHERE r.api_id = a.id AND r.status = 'pending') END AS pending_requests`).
		Joins("JOIN teams t ON t.id = a.team_id").
		Joins("LEFT JOIN team_members m ON m.team_id = a.team_id AND m.user_id = ?", actor.UserID()).
		Where("m.user_id IS NOT NULL OR a.listed").
		Order("mine DESC, a.name, a.id").Scan(&out).Error
	return out, err
}

// TeamAPIs lists a team's APIs by name.
func (s *Store) TeamAPIs(ctx context.Context, actor models.Actor, teamID string) ([]models.API, error) {
	db := s.db.WithContext(ctx)
	if _, err := authorize(db, actor, teamID, models.ActAPIView); err != nil {
		return nil, err
	}
	var out []models.API
	return out, db.Where("team_id = ?", teamID).Order("name, id").Find(&out).Error
}

// UpdateAPI changes an API's definition (not its scopes: AddScope, RemoveScope). The
// identifier may change only while no grant exists. Tightening the lifetimes or the
// credential kinds affects what is issued from now on; keys already issued stay valid
// until they expire or are revoked.
func (s *Store) UpdateAPI(ctx context.Context, actor models.Actor, apiID string, in models.APIInput) error {
	return s.UpdateAPIIf(ctx, actor, apiID, in, nil)
}

// UpdateAPIIf is UpdateAPI with a precondition on the API as it stands, checked in the
// changing transaction once the actor is authorized and before the input is validated
// (an API's If-Match).
func (s *Store) UpdateAPIIf(ctx context.Context, actor models.Actor, apiID string, in models.APIInput, pre func(*models.APIView) error) error {
	var v models.ValidationError
	identifier, key := s.validateAPI(&v, &in)
	return s.tx(ctx, func(tx *gorm.DB) error {
		api, role, err := apiFor(tx, actor, apiID, models.ActAPIManage)
		if err != nil {
			return err
		}
		if err := s.checkAPI(tx, api, role, pre); err != nil {
			return err
		}
		if err := v.AsError(); err != nil {
			return err
		}
		if identifier != api.Identifier {
			if api.LockedAt != nil {
				return &models.ValidationError{Fields: map[string]string{"identifier": models.ErrIdentifierLocked.Error() +
					": credentials may carry it. Register a new API instead."}}
			}
			if taken, err := identifierTaken(tx, key, api.ID); err != nil {
				return err
			} else if taken {
				return &models.ValidationError{Fields: map[string]string{"identifier": "is already registered (in this or another spelling); choose another"}}
			}
		}
		next := map[string]any{"name": in.Name, "description": in.Description, "identifier": identifier, "identifier_key": key,
			"docs_url": in.DocsURL, "accepts_api_keys": in.AcceptsAPIKeys, "accepts_access_tokens": in.AcceptsAccessTokens,
			"max_token_ttl": int(in.MaxTokenTTL / time.Second), "max_key_ttl": int(in.MaxKeyTTL / time.Second), "listed": in.Listed}
		prev := map[string]any{"name": api.Name, "description": api.Description, "identifier": api.Identifier, "identifier_key": api.IdentifierKey,
			"docs_url": api.DocsURL, "accepts_api_keys": api.AcceptsAPIKeys, "accepts_access_tokens": api.AcceptsAccessTokens,
			"max_token_ttl": api.MaxTokenTTL, "max_key_ttl": api.MaxKeyTTL, "listed": api.Listed}
		changed := map[string]any{}
		for k, val := range next {
			if prev[k] != val && k != "identifier_key" {
				changed[k] = val
			}
		}
		if len(changed) == 0 {
			return nil
		}
		next["updated_at"] = s.now()
		if err := tx.Model(&models.API{}).Where("id = ?", api.ID).Updates(next).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return &models.ValidationError{Fields: map[string]string{"identifier": "is already registered (in this or another spelling); choose another"}}
			}
			return err
		}
		return s.audit(tx, actor, event{team: api.TeamID, action: "api.update", targetType: "api", targetID: api.ID, target: in.Name, details: changed})
	})
}

// AddScope defines a new scope on an API (owners and admins).
func (s *Store) AddScope(ctx context.Context, actor models.Actor, apiID string, in models.ScopeInput) error {
	var v models.ValidationError
	scopes := cleanScopes(&v, "scope", []models.ScopeInput{in})
	return s.tx(ctx, func(tx *gorm.DB) error {
		api, _, err := apiFor(tx, actor, apiID, models.ActAPIManage)
		if err != nil {
			return err
		}
		if err := v.AsError(); err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&models.APIScope{}).Where("api_id = ?", api.ID).Count(&n).Error; err != nil {
			return err
		}
		if n >= maxScopesPerAPI {
			return &models.ValidationError{Fields: map[string]string{"scope": fmt.Sprintf("an API defines at most %d scopes", maxScopesPerAPI)}}
		}
		sc := models.APIScope{APIID: api.ID, Name: scopes[0].Name, Description: scopes[0].Description, CreatedAt: s.now()}
		if err := tx.Create(&sc).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return &models.ValidationError{Fields: map[string]string{"scope": "this API already defines " + models.QuoteForError(sc.Name)}}
			}
			return err
		}
		return s.audit(tx, actor, event{team: api.TeamID, action: "api.scope_add", targetType: "api", targetID: api.ID, target: api.Name,
			details: map[string]any{"scope": sc.Name}})
	})
}

// RemoveScope deletes a scope from an API: every grant loses it, and every API key
// that carries it is revoked (access tokens carrying it expire within their lifetime).
func (s *Store) RemoveScope(ctx context.Context, actor models.Actor, apiID, scope string) ([]models.APIKey, error) {
	return s.RemoveScopeIf(ctx, actor, apiID, scope, nil)
}

// RemoveScopeIf is RemoveScope with a precondition on the API (whose scopes are part of
// it), checked in the changing transaction once the actor is authorized (an API's
// If-Match).
func (s *Store) RemoveScopeIf(ctx context.Context, actor models.Actor, apiID, scope string, pre func(*models.APIView) error) ([]models.APIKey, error) {
	var revoked []models.APIKey
	err := s.tx(ctx, func(tx *gorm.DB) error {
		api, role, err := apiFor(tx, actor, apiID, models.ActAPIManage)
		if err != nil {
			return err
		}
		if err := s.checkAPI(tx, api, role, pre); err != nil {
			return err
		}
		res := tx.Where("api_id = ? AND name = ?", api.ID, scope).Delete(&models.APIScope{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return &models.ValidationError{Fields: map[string]string{"scope": api.Name + " defines no scope " + models.QuoteForError(scope)}}
		}
		if err := s.audit(tx, actor, event{team: api.TeamID, action: "api.scope_remove", targetType: "api", targetID: api.ID,
			target: api.Name, details: map[string]any{"scope": scope}}); err != nil {
			return err
		}
		var grants []models.Grant
		if err := tx.Where("api_id = ?", api.ID).Find(&grants).Error; err != nil {
			return err
		}
		for i := range grants {
			g := &grants[i]
			if !slices.Contains(strings.Fields(g.Scopes), scope) {
				continue
			}
			left := slices.DeleteFunc(strings.Fields(g.Scopes), func(x string) bool { return x == scope })
			keys, err := s.setGrantScopes(tx, actor, api, g, left, "scope "+scope+" removed from the API")
			if err != nil {
				return err
			}
			revoked = append(revoked, keys...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return revoked, nil
}

// DeleteAPI deletes an API: every grant on it goes, and every API key for it is revoked
// (their status bits set), in every team that held one.
func (s *Store) DeleteAPI(ctx context.Context, actor models.Actor, apiID string) ([]models.APIKey, error) {
	return s.DeleteAPIIf(ctx, actor, apiID, nil)
}

// DeleteAPIIf is DeleteAPI with a precondition on the API, checked in the deleting
// transaction once the actor is authorized (an API's If-Match).
func (s *Store) DeleteAPIIf(ctx context.Context, actor models.Actor, apiID string, pre func(*models.APIView) error) ([]models.APIKey, error) {
	var revoked []models.APIKey
	err := s.tx(ctx, func(tx *gorm.DB) error {
		api, role, err := apiFor(tx, actor, apiID, models.ActAPIManage)
		if err != nil {
			return err
		}
		if err := s.checkAPI(tx, api, role, pre); err != nil {
			return err
		}
		revoked, err = s.deleteAPI(tx, actor, api)
		return err
	})
	if err != nil {
		return nil, err
	}
	return revoked, nil
}

// deleteAPI removes every grant on the API (revoking the keys they covered), the API
// and its scopes and requests, with audit events in every team concerned.
func (s *Store) deleteAPI(tx *gorm.DB, actor models.Actor, api *models.API) ([]models.APIKey, error) {
	var grants []models.Grant
	if err := tx.Where("api_id = ?", api.ID).Find(&grants).Error; err != nil {
		return nil, err
	}
	var revoked []models.APIKey
	for i := range grants {
		keys, err := s.removeGrant(tx, actor, api, &grants[i], "API deleted")
		if err != nil {
			return nil, err
		}
		revoked = append(revoked, keys...)
	}
	if err := tx.Delete(&models.API{}, "id = ?", api.ID).Error; err != nil {
		return nil, err
	}
	return revoked, s.audit(tx, actor, event{team: api.TeamID, action: "api.delete", targetType: "api", targetID: api.ID, target: api.Name,
		details: map[string]any{"identifier": api.Identifier, "grants_removed": len(grants), "keys_revoked": len(revoked)}})
}

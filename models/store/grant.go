package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gatehouse-dev/gatehouse/models"
	"gorm.io/gorm"
)

// grantInfoQuery selects grants with both sides' names.
func grantInfoQuery(tx *gorm.DB) *gorm.DB {
	return tx.Table("api_grants AS g").
		Select(`g.*, a.name AS api_name, a.identifier, a.team_id AS api_team_id, at.name AS api_team_name,
			p.name AS project_name, p.team_id AS project_team_id, pt.name AS project_team_name,
			a.accepts_api_keys, a.accepts_access_tokens`).
		Joins("JOIN apis a ON a.id = g.api_id").
		Joins("JOIN teams at ON at.id = a.team_id").
		Joins("JOIN projects p ON p.id = g.project_id").
		Joins("JOIN teams pt ON pt.id = p.team_id")
}

// APIGrants lists the projects holding access to an API (for its team's members).
func (s *Store) APIGrants(ctx context.Context, actor models.Actor, apiID string) ([]models.GrantInfo, error) {
	db := s.db.WithContext(ctx)
	if _, _, err := apiFor(db, actor, apiID, models.ActAPIView); err != nil {
		return nil, err
	}
	var out []models.GrantInfo
	return out, grantInfoQuery(db).Where("g.api_id = ?", apiID).Order("pt.name, p.name, g.id").Scan(&out).Error
}

// ProjectGrants lists the APIs a project holds access to (for its team's members).
func (s *Store) ProjectGrants(ctx context.Context, actor models.Actor, projectID string) ([]models.GrantInfo, error) {
	db := s.db.WithContext(ctx)
	if _, err := projectFor(db, actor, projectID, models.ActProjectView); err != nil {
		return nil, err
	}
	var out []models.GrantInfo
	return out, grantInfoQuery(db).Where("g.project_id = ?", projectID).Order("a.name, g.id").Scan(&out).Error
}

// checkGrantScopes checks that scopes are defined by the API; it returns them deduplicated.
func checkGrantScopes(tx *gorm.DB, v *models.ValidationError, field string, api *models.API, scopes []string) ([]string, error) {
	var defined []string
	if err := tx.Model(&models.APIScope{}).Where("api_id = ?", api.ID).Pluck("name", &defined).Error; err != nil {
		return nil, err
	}
	var out []string
	for _, sc := range scopes {
		sc = strings.TrimSpace(sc)
		if sc == "" || slices.Contains(out, sc) {
			continue
		}
		if !slices.Contains(defined, sc) {
			v.Add(field, fmt.Sprintf("%q is not a scope of %s", models.Truncate(sc, 40), api.Name))
			continue
		}
		out = append(out, sc)
	}
	slices.Sort(out)
	return out, nil
}

// GrantAccess gives a project of the API's own team access to the API with scopes (or
// changes the scopes of its grant). Owners and admins of the API's team may; projects of
// other teams ask through an access request.
func (s *Store) GrantAccess(ctx context.Context, actor models.Actor, apiID, projectID string, scopes []string) (*models.Grant, []models.APIKey, error) {
	var (
		g       *models.Grant
		revoked []models.APIKey
	)
	err := s.tx(ctx, func(tx *gorm.DB) error {
		api, _, err := apiFor(tx, actor, apiID, models.ActAPIManage)
		if err != nil {
			return err
		}
		var p models.Project
		if err := tx.Where("id = ? AND team_id = ?", projectID, api.TeamID).Take(&p).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return &models.ValidationError{Fields: map[string]string{"project": "choose one of your team's projects; other teams request access from the catalog"}}
			}
			return err
		}
		var v models.ValidationError
		clean, err := checkGrantScopes(tx, &v, "scopes", api, scopes)
		if err != nil {
			return err
		}
		if err := v.AsError(); err != nil {
			return err
		}
		g, revoked, err = s.putGrant(tx, actor, api, &p, clean, nil, "")
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return g, revoked, nil
}

// putGrant creates the project's grant on the API, or sets its scopes (and makes it
// definite if it was provisional); request names the access request it answers.
func (s *Store) putGrant(tx *gorm.DB, actor models.Actor, api *models.API, p *models.Project, scopes []string, request *string, reason string) (*models.Grant, []models.APIKey, error) {
	var g models.Grant
	err := tx.Where("api_id = ? AND project_id = ?", api.ID, p.ID).Take(&g).Error
	if err == nil {
		if g.Provisional {
			if err := tx.Model(&models.Grant{}).Where("id = ?", g.ID).Updates(map[string]any{"provisional": false, "request_id": request}).Error; err != nil {
				return nil, nil, err
			}
			g.Provisional, g.RequestID = false, request
		}
		if reason == "" {
			reason = "grant changed"
		}
		keys, err := s.setGrantScopes(tx, actor, api, &g, scopes, reason)
		return &g, keys, err
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, err
	}
	now := s.now()
	g = models.Grant{ID: newID("grt"), APIID: api.ID, ProjectID: p.ID, Scopes: strings.Join(scopes, " "), RequestID: request,
		CreatedBy: optional(actor.UserID()), CreatedAt: now, UpdatedAt: now}
	if err := tx.Create(&g).Error; err != nil {
		return nil, nil, err
	}
	if api.LockedAt == nil {
		if err := tx.Model(&models.API{}).Where("id = ? AND locked_at IS NULL", api.ID).Update("locked_at", now).Error; err != nil {
			return nil, nil, err
		}
		api.LockedAt = &now
	}
	return &g, nil, s.auditGrant(tx, actor, api, p, "grant.create", &g, map[string]any{"scopes": g.Scopes})
}

// auditGrant records a grant event in the API's team and, when it differs, the project's.
func (s *Store) auditGrant(tx *gorm.DB, actor models.Actor, api *models.API, p *models.Project, action string, g *models.Grant, details map[string]any) error {
	details["api"], details["identifier"], details["project"] = api.Name, api.Identifier, p.Name
	if err := s.audit(tx, actor, event{team: api.TeamID, action: action, targetType: "grant", targetID: g.ID,
		target: p.Name + " → " + api.Name, details: details}); err != nil {
		return err
	}
	if p.TeamID != api.TeamID {
		if err := s.audit(tx, actor, event{team: p.TeamID, project: p.ID, action: action, targetType: "grant", targetID: g.ID,
			target: p.Name + " → " + api.Name, details: details}); err != nil {
			return err
		}
	}
	typ := ""
	switch {
	case action == "grant.create" && g.RequestID == nil:
		typ = models.EventGrantApproved // granted directly; an approved request says so itself
	case action == "grant.revoke":
		typ = models.EventGrantRevoked
	default:
		return nil
	}
	return s.emitTo(tx, models.Event{Type: typ, TeamID: p.TeamID, ProjectID: p.ID, SubjectID: g.ID, Data: map[string]any{
		"api_id": api.ID, "identifier": api.Identifier, "project_id": p.ID, "scopes": strings.Fields(g.Scopes)}}, p.TeamID, api.TeamID)
}

// setGrantScopes changes a grant's scopes; keys it no longer covers are revoked (and
// returned, so their owners see what to reissue).
func (s *Store) setGrantScopes(tx *gorm.DB, actor models.Actor, api *models.API, g *models.Grant, scopes []string, reason string) ([]models.APIKey, error) {
	slices.Sort(scopes)
	joined := strings.Join(scopes, " ")
	if joined == g.Scopes {
		return nil, nil
	}
	var p models.Project
	if err := tx.Where("id = ?", g.ProjectID).Take(&p).Error; err != nil {
		return nil, err
	}
	prev := g.Scopes
	if err := tx.Model(&models.Grant{}).Where("id = ?", g.ID).Updates(map[string]any{"scopes": joined, "updated_at": s.now()}).Error; err != nil {
		return nil, err
	}
	g.Scopes = joined
	if err := s.auditGrant(tx, actor, api, &p, "grant.update", g, map[string]any{"from": prev, "to": joined, "reason": reason}); err != nil {
		return nil, err
	}
	return s.revokeUncovered(tx, actor, &p, "access to "+api.Name+" narrowed ("+reason+")")
}

// UpdateGrant sets the scopes of a grant on the API (owners and admins of the API's team).
// Narrowing revokes the project's keys that carry a scope it no longer has; they are
// returned so the caller can list them.
func (s *Store) UpdateGrant(ctx context.Context, actor models.Actor, apiID, grantID string, scopes []string) ([]models.APIKey, error) {
	return s.UpdateGrantIf(ctx, actor, apiID, grantID, scopes, nil)
}

// UpdateGrantIf is UpdateGrant with a precondition on the grant as it stands, checked
// in the changing transaction once the actor is authorized and before the scopes are
// validated (an API's If-Match).
func (s *Store) UpdateGrantIf(ctx context.Context, actor models.Actor, apiID, grantID string, scopes []string, pre func(*models.GrantInfo) error) ([]models.APIKey, error) {
	if scopes == nil {
		scopes = []string{} // no scopes, as asked (to PatchGrantIf nil means "leave them")
	}
	return s.PatchGrantIf(ctx, actor, apiID, grantID, scopes, nil, pre)
}

// RevokeGrant removes a project's access to the API: issuance stops at once and the
// project's keys for the API are revoked.
func (s *Store) RevokeGrant(ctx context.Context, actor models.Actor, apiID, grantID string) ([]models.APIKey, error) {
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
		revoked, err = s.removeGrant(tx, actor, api, &g, "access revoked by the API's team")
		return err
	})
	if err != nil {
		return nil, err
	}
	return revoked, nil
}

// removeGrant deletes a grant and revokes the keys it covered.
func (s *Store) removeGrant(tx *gorm.DB, actor models.Actor, api *models.API, g *models.Grant, reason string) ([]models.APIKey, error) {
	var p models.Project
	if err := tx.Where("id = ?", g.ProjectID).Take(&p).Error; err != nil {
		return nil, err
	}
	if err := tx.Delete(&models.Grant{}, "id = ?", g.ID).Error; err != nil {
		return nil, err
	}
	if g.Provisional && g.RequestID != nil {
		// The request it stood for is answered by the removal.
		if err := tx.Model(&models.AccessRequest{}).Where("id = ? AND status = ?", *g.RequestID, models.RequestPending).
			Updates(map[string]any{"status": models.RequestDenied, "decided_by": optional(actor.UserID()), "decided_at": s.now(),
				"decision_note": reason}).Error; err != nil {
			return nil, err
		}
	}
	if err := s.auditGrant(tx, actor, api, &p, "grant.revoke", g, map[string]any{"scopes": g.Scopes, "reason": reason}); err != nil {
		return nil, err
	}
	return s.revokeUncovered(tx, actor, &p, reason)
}

// revokeUncovered revokes the project's live API keys that its grants no longer cover,
// each with an audit event and the reason on the key.
func (s *Store) revokeUncovered(tx *gorm.DB, actor models.Actor, p *models.Project, reason string) ([]models.APIKey, error) {
	var keys []models.APIKey
	if err := tx.Where("project_id = ? AND revoked_at IS NULL AND expires_at > ?", p.ID, s.now()).Find(&keys).Error; err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, nil
	}
	cov, err := loadCoverage(tx, p.ID)
	if err != nil {
		return nil, err
	}
	var out []models.APIKey
	for i := range keys {
		k := &keys[i]
		if cov.covers(strings.Fields(k.Audiences), strings.Fields(k.Scopes)) {
			continue
		}
		revoked, err := s.revoke(tx, actor, p, k, revocation{action: "key.revoke", via: models.ViaAccessChange, reason: reason})
		if err != nil {
			return nil, err
		}
		if revoked {
			out = append(out, *k)
		}
	}
	return out, nil
}

// coverage is what a project's grants allow: per API (by identifier key), the granted
// scopes and the scopes the API defines.
type coverage map[string]struct{ granted, defined []string }

// loadCoverage reads a project's grants with their APIs' scope definitions.
func loadCoverage(tx *gorm.DB, projectID string) (coverage, error) {
	var rows []struct {
		IdentifierKey string
		Scopes        string
		APIID         string `gorm:"column:api_id"`
	}
	if err := tx.Table("api_grants AS g").Select("a.identifier_key, g.scopes, g.api_id").
		Joins("JOIN apis a ON a.id = g.api_id").Where("g.project_id = ?", projectID).Scan(&rows).Error; err != nil {
		return nil, err
	}
	cov := coverage{}
	for _, r := range rows {
		var defined []string
		if err := tx.Model(&models.APIScope{}).Where("api_id = ?", r.APIID).Pluck("name", &defined).Error; err != nil {
			return nil, err
		}
		cov[r.IdentifierKey] = struct{ granted, defined []string }{strings.Fields(r.Scopes), defined}
	}
	return cov, nil
}

// covers reports whether a credential with these audiences and scopes is within the
// grants: every audience names an API the project holds a grant for, every scope is
// defined by one of those APIs, and each scope is granted by every one of them that
// defines it. (A key names one API; keys issued before APIs had owners may name several.)
func (c coverage) covers(auds, scopes []string) bool {
	if len(auds) == 0 {
		return false
	}
	var grants []struct{ granted, defined []string }
	for _, a := range auds {
		key, err := models.IdentifierKey(a)
		g, ok := c[key]
		if err != nil || !ok {
			return false
		}
		grants = append(grants, g)
	}
	for _, sc := range scopes {
		definedSomewhere := false
		for _, g := range grants {
			if slices.Contains(g.defined, sc) {
				definedSomewhere = true
				if !slices.Contains(g.granted, sc) {
					return false
				}
			}
		}
		if !definedSomewhere {
			return false
		}
	}
	return true
}

// ProjectNames names the projects of keys (for listing revoked keys), by project id.
func (s *Store) ProjectNames(ctx context.Context, keys []models.APIKey) (map[string]string, error) {
	var ids []string
	for _, k := range keys {
		if k.ProjectID != nil && !slices.Contains(ids, *k.ProjectID) {
			ids = append(ids, *k.ProjectID)
		}
	}
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []models.Project
	if err := s.db.WithContext(ctx).Select("id", "name").Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, p := range rows {
		out[p.ID] = p.Name
	}
	return out, nil
}

package store

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/oauth"
	"gorm.io/gorm"
)

// CreateProject creates a project in a team: an OAuth client with the client
// credentials grant and a 15-minute access token. It holds no grant yet: an API's team
// grants it access (its own team's admins directly, others through an access request).
func (s *Store) CreateProject(ctx context.Context, actor models.Actor, teamID, name, description, idempotencyKey string) (*models.Project, error) {
	var v models.ValidationError
	name = cleanName(&v, "name", name, 80)
	description = cleanText(&v, "description", description, 500)
	var p *models.Project
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := authorize(tx, actor, teamID, models.ActProjectCreate); err != nil {
			return err
		}
		if err := v.AsError(); err != nil { // only once the actor may create projects here
			return err
		}
		var err error
		p, err = s.createProject(tx, actor, teamID, name, description, idempotencyKey)
		return err
	})
	return p, err
}

// createProject inserts a project and its audit event inside tx (already authorized).
func (s *Store) createProject(tx *gorm.DB, actor models.Actor, teamID, name, description, idempotencyKey string) (*models.Project, error) {
	now := s.now()
	id := newID("prj")
	p := &models.Project{
		ID: id, TeamID: teamID, Name: name, Description: description,
		GrantTypes:     models.GrantClientCredentials,
		AccessTokenTTL: int(models.DefaultAccessTokenTTL / time.Second), AuthMethods: models.AuthClientSecret,
		AccessTokenFormat: models.AccessTokenFormatJWT,
		CreatedBy:         optional(actor.UserID()), CreatedAt: now, UpdatedAt: now,
		RefreshTokens: models.RefreshOfflineAccess, RefreshIdleTTL: int(models.DefaultRefreshIdleTTL / time.Second),
		RefreshAbsoluteTTL: int(models.DefaultRefreshAbsoluteTTL / time.Second),
	}
	if err := s.claimIdempotencyKey(tx, actor, idempotencyKey, p.ID); err != nil {
		return nil, err
	}
	if err := tx.Create(p).Error; err != nil {
		return nil, err
	}
	return p, s.audit(tx, actor, event{team: teamID, project: p.ID, action: "project.create", targetType: "project", targetID: p.ID, target: p.Name})
}

// ProjectFor returns the project if the actor may see it; ErrNotFound otherwise.
func (s *Store) ProjectFor(ctx context.Context, actor models.Actor, projectID string) (*models.ProjectView, error) {
	db := s.db.WithContext(ctx)
	var p models.Project
	if err := db.Where("id = ?", projectID).Take(&p).Error; err != nil {
		return nil, notFound(err)
	}
	role, err := authorize(db, actor, p.TeamID, models.ActProjectView)
	if err != nil {
		return nil, err
	}
	var t models.Team
	if err := db.Select("name").Where("id = ?", p.TeamID).Take(&t).Error; err != nil {
		return nil, notFound(err)
	}
	return &models.ProjectView{Project: p, TeamName: t.Name, MyRole: role}, nil
}

// ProjectsOf lists every project in the user's teams, newest first.
func (s *Store) ProjectsOf(ctx context.Context, actor models.Actor) ([]models.ProjectSummary, error) {
	var out []models.ProjectSummary
	err := s.db.WithContext(ctx).Table("projects AS p").
		Select("p.*, t.name AS team_name").
		Joins("JOIN teams t ON t.id = p.team_id").
		Joins("JOIN team_members m ON m.team_id = p.team_id AND m.user_id = ?", actor.UserID()).
		Order("p.created_at DESC, p.id").Scan(&out).Error
	return out, err
}

// TeamProjects lists a team's projects by name.
func (s *Store) TeamProjects(ctx context.Context, actor models.Actor, teamID string) ([]models.Project, error) {
	db := s.db.WithContext(ctx)
	if _, err := authorize(db, actor, teamID, models.ActProjectView); err != nil {
		return nil, err
	}
	var out []models.Project
	return out, db.Where("team_id = ?", teamID).Order("name, id").Find(&out).Error
}

// UpdateProject changes a project's settings. (What it may get credentials for is not
// a setting: it is the grants APIs' teams made.)
func (s *Store) UpdateProject(ctx context.Context, actor models.Actor, projectID string, in models.ProjectSettings) error {
	return s.UpdateProjectIf(ctx, actor, projectID, in, nil)
}

// UpdateProjectIf is UpdateProject with a precondition on the project as it stands,
// checked in the changing transaction once the actor is authorized and before the input
// is validated (an API's If-Match): a change made in between cannot be overwritten.
func (s *Store) UpdateProjectIf(ctx context.Context, actor models.Actor, projectID string, in models.ProjectSettings, pre func(*models.Project) error) error {
	var v models.ValidationError
	name := cleanName(&v, "name", in.Name, 80)
	desc := cleanText(&v, "description", in.Description, 500)
	if in.TokenTTLMinutes < 1 || in.TokenTTLMinutes > 1440 {
		v.Add("token_ttl", "must be between 1 and 1440 minutes")
	}
	var grants []string
	for _, g := range in.GrantTypes {
		if !slices.Contains(oauth.GrantTypes(), g) {
			v.Add("grant_types", "unknown grant type")
		} else if !slices.Contains(grants, g) {
			grants = append(grants, g)
		}
	}
	var methods []string
	for _, m := range in.AuthMethods {
		if !slices.Contains(models.AuthMethods, m) {
			v.Add("auth_methods", "unknown authentication method")
		} else if !slices.Contains(methods, m) {
			methods = append(methods, m)
		}
	}
	if in.AuthMethods != nil && len(methods) == 0 {
		v.Add("auth_methods", "choose at least one way for clients to authenticate")
	}
	if in.AccessTokenFormat != "" && !models.ValidAccessTokenFormat(in.AccessTokenFormat) {
		v.Add("access_token_format", "must be jwt or reference")
	}
	var redirects []string
	if in.RedirectURIs != nil {
		var msg string
		if redirects, msg = models.ParseRedirectURIs(*in.RedirectURIs); msg != "" {
			v.Add("redirect_uris", msg)
		}
	}
	checkRefreshPolicy(&v, in.Refresh)
	rule := checkTLSAuthRule(&v, in.TLSAuth)
	return s.tx(ctx, func(tx *gorm.DB) error {
		p, err := projectFor(tx, actor, projectID, models.ActProjectUpdate)
		if err != nil {
			return err
		}
		if pre != nil {
			if err := s.lockForCheck(tx, p, p.ID); err != nil {
				return err
			}
			if err := pre(p); err != nil {
				return err
			}
		}
		if in.RedirectURIs == nil {
			redirects = p.RedirectURIList()
		}
		if slices.Contains(grants, models.GrantAuthorizationCode) && len(redirects) == 0 && v.Fields["redirect_uris"] == "" {
			v.Add("redirect_uris", "The authorization code grant needs at least one redirect URI.")
		}
		if in.AuthMethods == nil {
			methods = strings.Fields(p.AuthMethods)
		}
		if in.TLSAuth == nil {
			rule = models.TLSAuthRule{Field: p.TLSAuthField, Value: p.TLSAuthValue}
		}
		if slices.Contains(methods, models.AuthTLSClientAuth) && rule.Field == "" && v.Fields["tls_auth_value"] == "" {
			v.Add("tls_auth_value", "tls_client_auth needs the certificate field and the value that identify the client")
		}
		if err := v.AsError(); err != nil { // only once the actor may change the project
			return err
		}
		public, par := p.PublicClient, p.RequirePushedAuthorization
		if in.PublicClient != nil {
			public = *in.PublicClient
		}
		if in.RequirePushedAuthorization != nil {
			par = *in.RequirePushedAuthorization
		}
		dpop := p.RequireDPoP
		if in.RequireDPoP != nil {
			dpop = *in.RequireDPoP
		}
		bound := p.CertificateBoundTokens
		if in.CertificateBoundTokens != nil {
			bound = *in.CertificateBoundTokens
		}
		format := p.AccessTokenFormat
		if in.AccessTokenFormat != "" {
			format = in.AccessTokenFormat
		}
		next := map[string]any{
			"name": name, "description": desc,
			"access_token_ttl": in.TokenTTLMinutes * 60, "grant_types": strings.Join(grants, " "),
			"auth_methods": strings.Join(methods, " "), "redirect_uris": strings.Join(redirects, "\n"), "public_client": public,
			"require_pushed_authorization": par, "require_dpop": dpop, "access_token_format": format,
			"tls_auth_field": rule.Field, "tls_auth_value": rule.Value, "certificate_bound_tokens": bound,
		}
		changed := map[string]any{}
		prev := map[string]any{"name": p.Name, "description": p.Description,
			"access_token_ttl": p.AccessTokenTTL, "grant_types": p.GrantTypes, "auth_methods": p.AuthMethods,
			"redirect_uris": p.RedirectURIs, "public_client": p.PublicClient,
			"require_pushed_authorization": p.RequirePushedAuthorization, "require_dpop": p.RequireDPoP, "access_token_format": p.AccessTokenFormat,
			"tls_auth_field": p.TLSAuthField, "tls_auth_value": p.TLSAuthValue, "certificate_bound_tokens": p.CertificateBoundTokens}
		if r := in.Refresh; r != nil {
			next["refresh_tokens"], next["refresh_idle_ttl"], next["refresh_absolute_ttl"] = r.Issue, r.IdleDays*86400, r.AbsoluteDays*86400
			prev["refresh_tokens"], prev["refresh_idle_ttl"], prev["refresh_absolute_ttl"] = p.RefreshTokens, p.RefreshIdleTTL, p.RefreshAbsoluteTTL
		}
		for k, val := range next {
			if prev[k] != val {
				changed[k] = val
			}
		}
		if len(changed) == 0 {
			return nil
		}
		next["updated_at"] = s.now()
		if err := tx.Model(&models.Project{}).Where("id = ?", p.ID).Updates(next).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, event{team: p.TeamID, project: p.ID, action: "project.update", targetType: "project",
			targetID: p.ID, target: name, details: changed})
	})
}

// DeleteProject deletes a project; its client secrets go with it and its API keys are
// revoked, so its credentials stop working at once.
func (s *Store) DeleteProject(ctx context.Context, actor models.Actor, projectID string) error {
	return s.DeleteProjectIf(ctx, actor, projectID, nil)
}

// DeleteProjectIf is DeleteProject with a precondition on the project, checked in the
// deleting transaction once the actor is authorized (an API's If-Match).
func (s *Store) DeleteProjectIf(ctx context.Context, actor models.Actor, projectID string, pre func(*models.Project) error) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		p, err := projectFor(tx, actor, projectID, models.ActProjectDelete)
		if err != nil {
			return err
		}
		if pre != nil {
			if err := s.lockForCheck(tx, p, p.ID); err != nil {
				return err
			}
			if err := pre(p); err != nil {
				return err
			}
		}
		return s.deleteProject(tx, actor, p)
	})
}

// deleteProject deletes p in tx with its audit event (already authorized): its keys are
// revoked, its secrets, client keys, grants and registration go with it.
func (s *Store) deleteProject(tx *gorm.DB, actor models.Actor, p *models.Project) error {
	if err := s.beforeProjectDelete(tx, actor, p); err != nil {
		return err
	}
	if err := tx.Delete(p).Error; err != nil {
		return err
	}
	return s.audit(tx, actor, event{team: p.TeamID, project: p.ID, action: "project.delete", targetType: "project", targetID: p.ID, target: p.Name})
}

// beforeProjectDelete revokes a project's API keys before its row goes (their rows stay,
// revoked, so their status bits stay set; every instance re-signs the list within its
// poll interval). Client secrets are deleted with the project by the foreign key.
func (s *Store) beforeProjectDelete(tx *gorm.DB, actor models.Actor, p *models.Project) error {
	// Its grants go with it (foreign key); other teams' APIs record that they did.
	var grants []models.GrantInfo
	if err := grantInfoQuery(tx).Where("g.project_id = ? AND a.team_id <> ?", p.ID, p.TeamID).Scan(&grants).Error; err != nil {
		return err
	}
	for _, g := range grants {
		if err := s.audit(tx, actor, event{team: g.APITeamID, action: "grant.revoke", targetType: "grant", targetID: g.ID,
			target: p.Name + " → " + g.APIName, details: map[string]any{"reason": "project deleted", "scopes": g.Scopes}}); err != nil {
			return err
		}
	}
	return s.revokeProjectKeys(tx, actor, p)
}

// projectFor loads a project and authorizes the actor for action on it, inside tx.
// A project of a team the actor is not in is ErrNotFound.
func projectFor(tx *gorm.DB, actor models.Actor, projectID string, a models.Action) (*models.Project, error) {
	var p models.Project
	if err := tx.Where("id = ?", projectID).Take(&p).Error; err != nil {
		return nil, notFound(err)
	}
	if _, err := authorize(tx, actor, p.TeamID, a); err != nil {
		return nil, err
	}
	return &p, nil
}

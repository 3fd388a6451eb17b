package models

import (
	"context"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Grant types a project may allow.
const (
	GrantClientCredentials = "client_credentials"
	// GrantJWTBearer exchanges a JWT the client signed for an access token (RFC 7523 §2.1).
	GrantJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"
)

// SupportedGrantTypes are the grants the token endpoint implements.
var SupportedGrantTypes = []string{GrantClientCredentials, GrantJWTBearer}

// DefaultAccessTokenTTL is a new project's access-token lifetime.
const DefaultAccessTokenTTL = 15 * time.Minute

// Project belongs to a team and is an OAuth client: its ID is the public client_id
// (prefix "prj_", which no user id or provider subject of ours carries).
type Project struct {
	ID          string `gorm:"primaryKey"`
	TeamID      string
	Name        string
	Description string
	// GrantTypes is a space-separated list.
	GrantTypes string
	// AccessTokenTTL is in seconds.
	AccessTokenTTL int
	// AuthMethods are the client authentication methods it accepts (space-separated
	// AuthClientSecret, AuthPrivateKeyJWT).
	AuthMethods string
	CreatedBy   *string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Grants are the APIs the project may get credentials for, loaded with the project
	// where issuance needs them (client authentication, assertions).
	Grants []IssuableGrant `gorm:"-"`
}

// ClientID is the project's OAuth client_id.
func (p *Project) ClientID() string { return p.ID }

// GrantTypeList is the allowed grant types.
func (p *Project) GrantTypeList() []string { return strings.Fields(p.GrantTypes) }

// AllowsGrant reports whether the project may use grant type g.
func (p *Project) AllowsGrant(g string) bool { return slices.Contains(p.GrantTypeList(), g) }

// AcceptsAuth reports whether the project accepts client authentication method m.
func (p *Project) AcceptsAuth(m string) bool {
	return slices.Contains(strings.Fields(p.AuthMethods), m)
}

// TokenTTL is the access-token lifetime.
func (p *Project) TokenTTL() time.Duration { return time.Duration(p.AccessTokenTTL) * time.Second }

// ProjectView is a project as one team member sees it.
type ProjectView struct {
	Project
	TeamName string
	MyRole   Role
}

// ProjectSettings are a project's editable settings.
type ProjectSettings struct {
	Name        string
	Description string
	// TokenTTLMinutes is the access-token lifetime in minutes (1–1440).
	TokenTTLMinutes int
	GrantTypes      []string
	// AuthMethods are the accepted client authentication methods (at least one); nil
	// leaves them as they are.
	AuthMethods []string
}

// CreateProject creates a project in a team: an OAuth client with the client
// credentials grant and a 15-minute access token. It holds no grant yet: an API's team
// grants it access (its own team's admins directly, others through an access request).
func (s *Store) CreateProject(ctx context.Context, actor Actor, teamID, name, description, idempotencyKey string) (*Project, error) {
	var v ValidationError
	name = cleanName(&v, "name", name, 80)
	description = cleanText(&v, "description", description, 500)
	var p *Project
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := authorize(tx, actor, teamID, ActProjectCreate); err != nil {
			return err
		}
		if err := v.err(); err != nil { // only once the actor may create projects here
			return err
		}
		var err error
		p, err = s.createProject(tx, actor, teamID, name, description, idempotencyKey)
		return err
	})
	return p, err
}

// createProject inserts a project and its audit event inside tx (already authorized).
func (s *Store) createProject(tx *gorm.DB, actor Actor, teamID, name, description, idempotencyKey string) (*Project, error) {
	now := s.now()
	id := newID("prj")
	p := &Project{
		ID: id, TeamID: teamID, Name: name, Description: description,
		GrantTypes:     GrantClientCredentials,
		AccessTokenTTL: int(DefaultAccessTokenTTL / time.Second), AuthMethods: AuthClientSecret,
		CreatedBy: optional(actor.id()), CreatedAt: now, UpdatedAt: now,
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
func (s *Store) ProjectFor(ctx context.Context, actor Actor, projectID string) (*ProjectView, error) {
	db := s.db.WithContext(ctx)
	var p Project
	if err := db.Where("id = ?", projectID).Take(&p).Error; err != nil {
		return nil, notFound(err)
	}
	role, err := authorize(db, actor, p.TeamID, ActProjectView)
	if err != nil {
		return nil, err
	}
	var t Team
	if err := db.Select("name").Where("id = ?", p.TeamID).Take(&t).Error; err != nil {
		return nil, notFound(err)
	}
	return &ProjectView{Project: p, TeamName: t.Name, MyRole: role}, nil
}

// ProjectSummary is a project in a list, with its team's name.
type ProjectSummary struct {
	Project
	TeamName string
}

// ProjectsOf lists every project in the user's teams, newest first.
func (s *Store) ProjectsOf(ctx context.Context, actor Actor) ([]ProjectSummary, error) {
	var out []ProjectSummary
	err := s.db.WithContext(ctx).Table("projects AS p").
		Select("p.*, t.name AS team_name").
		Joins("JOIN teams t ON t.id = p.team_id").
		Joins("JOIN team_members m ON m.team_id = p.team_id AND m.user_id = ?", actor.id()).
		Order("p.created_at DESC, p.id").Scan(&out).Error
	return out, err
}

// TeamProjects lists a team's projects by name.
func (s *Store) TeamProjects(ctx context.Context, actor Actor, teamID string) ([]Project, error) {
	db := s.db.WithContext(ctx)
	if _, err := authorize(db, actor, teamID, ActProjectView); err != nil {
		return nil, err
	}
	var out []Project
	return out, db.Where("team_id = ?", teamID).Order("name, id").Find(&out).Error
}

// UpdateProject changes a project's settings. (What it may get credentials for is not
// a setting: it is the grants APIs' teams made.)
func (s *Store) UpdateProject(ctx context.Context, actor Actor, projectID string, in ProjectSettings) error {
	var v ValidationError
	name := cleanName(&v, "name", in.Name, 80)
	desc := cleanText(&v, "description", in.Description, 500)
	if in.TokenTTLMinutes < 1 || in.TokenTTLMinutes > 1440 {
		v.add("token_ttl", "must be between 1 and 1440 minutes")
	}
	var grants []string
	for _, g := range in.GrantTypes {
		if !slices.Contains(SupportedGrantTypes, g) {
			v.add("grant_types", "unknown grant type")
		} else if !slices.Contains(grants, g) {
			grants = append(grants, g)
		}
	}
	var methods []string
	for _, m := range in.AuthMethods {
		if !slices.Contains(AuthMethods, m) {
			v.add("auth_methods", "unknown authentication method")
		} else if !slices.Contains(methods, m) {
			methods = append(methods, m)
		}
	}
	if in.AuthMethods != nil && len(methods) == 0 {
		v.add("auth_methods", "choose at least one way for clients to authenticate")
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		p, err := projectFor(tx, actor, projectID, ActProjectUpdate)
		if err != nil {
			return err
		}
		if err := v.err(); err != nil { // only once the actor may change the project
			return err
		}
		if in.AuthMethods == nil {
			methods = strings.Fields(p.AuthMethods)
		}
		next := map[string]any{
			"name": name, "description": desc,
			"access_token_ttl": in.TokenTTLMinutes * 60, "grant_types": strings.Join(grants, " "),
			"auth_methods": strings.Join(methods, " "),
		}
		changed := map[string]any{}
		prev := map[string]any{"name": p.Name, "description": p.Description,
			"access_token_ttl": p.AccessTokenTTL, "grant_types": p.GrantTypes, "auth_methods": p.AuthMethods}
		for k, val := range next {
			if prev[k] != val {
				changed[k] = val
			}
		}
		if len(changed) == 0 {
			return nil
		}
		next["updated_at"] = s.now()
		if err := tx.Model(&Project{}).Where("id = ?", p.ID).Updates(next).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, event{team: p.TeamID, project: p.ID, action: "project.update", targetType: "project",
			targetID: p.ID, target: name, details: changed})
	})
}

// DeleteProject deletes a project; its client secrets go with it and its API keys are
// revoked, so its credentials stop working at once.
func (s *Store) DeleteProject(ctx context.Context, actor Actor, projectID string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		p, err := projectFor(tx, actor, projectID, ActProjectDelete)
		if err != nil {
			return err
		}
		if err := s.beforeProjectDelete(tx, actor, p); err != nil {
			return err
		}
		if err := tx.Delete(p).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, event{team: p.TeamID, project: p.ID, action: "project.delete", targetType: "project", targetID: p.ID, target: p.Name})
	})
}

// beforeProjectDelete revokes a project's API keys before its row goes (their rows stay,
// revoked, so their status bits stay set; every instance re-signs the list within its
// poll interval). Client secrets are deleted with the project by the foreign key.
func (s *Store) beforeProjectDelete(tx *gorm.DB, actor Actor, p *Project) error {
	// Its grants go with it (foreign key); other teams' APIs record that they did.
	var grants []GrantInfo
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
func projectFor(tx *gorm.DB, actor Actor, projectID string, a Action) (*Project, error) {
	var p Project
	if err := tx.Where("id = ?", projectID).Take(&p).Error; err != nil {
		return nil, notFound(err)
	}
	if _, err := authorize(tx, actor, p.TeamID, a); err != nil {
		return nil, err
	}
	return &p, nil
}

package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/gatehouse-dev/gatehouse/models"
)

// SetProjectVault turns the credentials vault of a project on or off (project.update,
// audited as project.vault). While it is on, a user who allows the app offline access
// gets a refresh family that Gatehouse keeps: the app receives no refresh token, only the
// delegation's id. While it is off, the vaulted delegations cannot be used. on nil is a
// validation error, once the actor is authorized.
func (s *Store) SetProjectVault(ctx context.Context, actor models.Actor, projectID string, on *bool) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		p, err := projectFor(tx, actor, projectID, models.ActProjectUpdate)
		if err != nil {
			return err
		}
		if on == nil {
			var v models.ValidationError
			v.Add("enabled", "must be true or false")
			return &v
		}
		if p.Vault == *on {
			return nil
		}
		if err := tx.Model(&models.Project{}).Where("id = ?", p.ID).Updates(map[string]any{"vault": *on, "updated_at": s.now()}).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, event{team: p.TeamID, project: p.ID, action: "project.vault", targetType: "project",
			targetID: p.ID, target: p.Name, details: map[string]any{"vault": *on}})
	})
}

// credentialGrantsOf lists a project's credentials grants with the names pages show.
func credentialGrantsOf(db *gorm.DB, projectID, grantID string) ([]models.CredentialGrantInfo, error) {
	q := `SELECT g.id, g.project_id, g.service_id, s.name AS service_name, g.api_id, a.name AS api_name,
		a.identifier AS api_identifier, g.scopes, g.created_at
		FROM credential_grants g JOIN projects s ON s.id = g.service_id JOIN apis a ON a.id = g.api_id WHERE g.project_id = ?`
	args := []any{projectID}
	if grantID != "" {
		q += ` AND g.id = ?`
		args = append(args, grantID)
	}
	var out []models.CredentialGrantInfo
	err := db.Raw(q+` ORDER BY s.name, a.name, g.id`, args...).Scan(&out).Error
	return out, err
}

// CredentialGrants lists which services may use the project's vaulted delegations
// (project.view).
func (s *Store) CredentialGrants(ctx context.Context, actor models.Actor, projectID string) ([]models.CredentialGrantInfo, error) {
	db := s.db.WithContext(ctx)
	p, err := projectFor(db, actor, projectID, models.ActProjectView)
	if err != nil {
		return nil, err
	}
	return credentialGrantsOf(db, p.ID, "")
}

// CredentialGrant returns one of the project's credentials grants (project.view).
func (s *Store) CredentialGrant(ctx context.Context, actor models.Actor, projectID, grantID string) (*models.CredentialGrantInfo, error) {
	db := s.db.WithContext(ctx)
	p, err := projectFor(db, actor, projectID, models.ActProjectView)
	if err != nil {
		return nil, err
	}
	out, err := credentialGrantsOf(db, p.ID, grantID)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, models.ErrNotFound
	}
	return &out[0], nil
}

// vaultableScopes are the scopes of the API a delegation of project p could ever hold:
// those of p's grant on it that users may delegate, in the API's order. ok is false when
// p holds no grant for access tokens on the API.
func (s *Store) vaultableScopes(tx *gorm.DB, projectID, apiID string) (scopes []string, ok bool, err error) {
	var granted []string
	err = tx.Raw(`SELECT g.scopes FROM api_grants g JOIN apis a ON a.id = g.api_id
		WHERE g.project_id = ? AND g.api_id = ? AND a.accepts_access_tokens`, projectID, apiID).Scan(&granted).Error
	if err != nil || len(granted) == 0 {
		return nil, false, err
	}
	delegable, err := s.delegableScopes(tx, apiID)
	if err != nil {
		return nil, false, err
	}
	have := strings.Fields(granted[0])
	for _, d := range delegable {
		if slices.Contains(have, d.Name) {
			scopes = append(scopes, d.Name)
		}
	}
	return scopes, true, nil
}

// SaveCredentialGrant lets a service use the project's vaulted delegations for an API
// with scopes (secret.manage: the team's admins, who manage the app's credentials). The
// service must be a project of the same team — the team the users consented to; another
// team's project is refused as unknown. The API must be one the project holds a grant
// for, and the scopes ones of that grant that users may delegate (what a delegation can
// hold at most; each use is narrowed to what the user's delegation holds). A grant for a
// service and API that exists already has its scopes replaced. Audited as
// credentials.grant or credentials.update in the team's log.
func (s *Store) SaveCredentialGrant(ctx context.Context, actor models.Actor, projectID string, in models.CredentialGrantInput) (*models.CredentialGrantInfo, error) {
	var id string
	err := s.tx(ctx, func(tx *gorm.DB) error {
		p, err := projectFor(tx, actor, projectID, models.ActSecretManage)
		if err != nil {
			return err
		}
		var v models.ValidationError
		var svc models.Project
		if !models.HasPrefixID(in.ServiceID, "prj") || tx.Select("id", "team_id", "name").Where("id = ? AND team_id = ?", in.ServiceID, p.TeamID).Take(&svc).Error != nil {
			v.Add("service_id", "choose a project of this team")
		}
		allowed, ok, err := s.vaultableScopes(tx, p.ID, in.APIID)
		if err != nil {
			return err
		}
		var scopes []string
		switch {
		case !ok:
			v.Add("api_id", "choose an API this project holds a grant for")
		case len(in.Scopes) == 0:
			v.Add("scopes", "choose at least one scope")
		}
		for _, sc := range in.Scopes {
			sc = strings.TrimSpace(sc)
			if ok && !slices.Contains(allowed, sc) {
				v.Add("scopes", "the scope "+models.QuoteForError(sc)+" is not one this project's users can delegate on this API")
			} else if !slices.Contains(scopes, sc) {
				scopes = append(scopes, sc)
			}
		}
		if err := v.AsError(); err != nil {
			return err
		}
		var prev models.CredentialGrant
		err = tx.Where("project_id = ? AND service_id = ? AND api_id = ?", p.ID, svc.ID, in.APIID).Take(&prev).Error
		action := "credentials.update"
		details := map[string]any{"service": svc.Name, "service_id": svc.ID, "api_id": in.APIID, "scopes": strings.Join(scopes, " ")}
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			action, id = "credentials.grant", newID("cgr")
			err = tx.Create(&models.CredentialGrant{ID: id, ProjectID: p.ID, ServiceID: svc.ID, APIID: in.APIID,
				Scopes: strings.Join(scopes, " "), CreatedBy: actor.UserID(), CreatedAt: s.now()}).Error
		case err != nil:
			return err
		default:
			id = prev.ID
			if prev.Scopes == strings.Join(scopes, " ") {
				return nil
			}
			details["before"] = prev.Scopes
			err = tx.Model(&models.CredentialGrant{}).Where("id = ?", id).Update("scopes", strings.Join(scopes, " ")).Error
		}
		if err != nil {
			return err
		}
		return s.audit(tx, actor, event{team: p.TeamID, project: p.ID, action: action, targetType: "credential_grant",
			targetID: id, target: p.Name + " → " + svc.Name, details: details})
	})
	if err != nil {
		return nil, err
	}
	return s.CredentialGrant(ctx, actor, projectID, id)
}

// RevokeCredentialGrant ends a service's use of the project's vaulted delegations
// (secret.manage), audited as credentials.revoke. Another project's grant is ErrNotFound.
func (s *Store) RevokeCredentialGrant(ctx context.Context, actor models.Actor, projectID, grantID string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		p, err := projectFor(tx, actor, projectID, models.ActSecretManage)
		if err != nil {
			return err
		}
		list, err := credentialGrantsOf(tx, p.ID, grantID)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return models.ErrNotFound
		}
		g := list[0]
		if err := tx.Where("id = ? AND project_id = ?", g.ID, p.ID).Delete(&models.CredentialGrant{}).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, event{team: p.TeamID, project: p.ID, action: "credentials.revoke", targetType: "credential_grant",
			targetID: g.ID, target: p.Name + " → " + g.ServiceName,
			details: map[string]any{"service": g.ServiceName, "service_id": g.ServiceID, "api": g.APIName, "api_id": g.APIID, "scopes": g.Scopes}})
	})
}

// errNoDelegation is the one answer for a delegation that is unknown, another app's, not
// in the vault, or that the client holds no credentials grant for: whoever asks learns
// nothing about delegations it may not use.
var errNoDelegation = oauthErr(models.ErrCodeInvalidGrant, "the subject_token is not a delegation this client may use")

// errDelegationEnded is the answer for a vaulted delegation revoked or expired, found
// so when read or when its use is recorded.
var errDelegationEnded = oauthErr(models.ErrCodeInvalidGrant, "the delegation was revoked or has expired: the user must allow the app offline access again")

// vaultRow is a vaulted delegation read in one query with everything an exchange
// checks: the asking service's credentials grant, the app's settings and its grant on
// the API (AppScopes nil: none), the API, whether the user's consent is still there, and
// how the audit log names the user.
type vaultRow struct {
	models.RefreshToken
	GrantID, GrantScopes              string
	AppTeamID, AppName, AppGrantTypes string
	AppVault                          bool
	AppRefresh                        string
	AppIdleTTL                        int
	AppScopes                         *string
	APIIdentifier, APIIdentifierKey   string
	APITokens, Consented              bool
	UserLabel                         string
}

// ExchangeDelegation is the credentials vault's side of token exchange: service (an
// authenticated project) presents a user's delegation kept in the vault (x.SubjectToken,
// a vaulted refresh family's id, of type models.TokenTypeDelegation) and gets a
// short-lived access token for the user on the delegation's API.
//
// Everything a refresh of the delegation would check is checked, now: the family is
// unrevoked and within its idle and absolute lifetimes; the app still runs the vault,
// still acts for users and its refresh policy is not off; the user's consent is there
// (read on every exchange, so withdrawing it stops every instance at once); the app
// still holds its grant on the API; the user may still delegate it. The service must
// hold a credentials grant of the app for the API and be of the app's team.
//
// The token's sub is the user; it is issued to the service (client_id), which must
// hold its own grant on the API (the API's owners decide who calls their API); act names
// the service and, nested, the app the user delegated to. aud is the delegation's API
// (resource, when sent, must name it: invalid_target otherwise). Its scopes are the
// requested ones (none: all) within the delegation's ∩ the app's grant now ∩ the API's
// delegable scopes ∩ the credentials grant ∩ the service's own grant; one beyond is
// invalid_scope. It lives at most VaultTokenTTL (and within the service's lifetime, the
// API's cap and the family's end); no refresh token. Each use extends the family's idle
// lifetime (as a refresh would), is recorded for the user's Connected apps and audited
// as vault.use in the app's team's log.
// It returns the token and the project it was issued to (the service).
func (s *Store) ExchangeDelegation(ctx context.Context, service *models.Project, x models.TokenExchange) (*models.IssuedToken, *models.Project, error) {
	if s.signer == nil {
		return nil, nil, models.ErrSigningUnavailable
	}
	if !service.AllowsGrant(models.GrantTokenExchange) {
		return nil, nil, oauthErr(models.ErrCodeUnauthorizedClient, "this client may not use the grant type "+models.QuoteForError(models.GrantTokenExchange))
	}
	familyID := strings.TrimSpace(x.SubjectToken)
	if !models.HasPrefixID(familyID, "rtf") {
		return nil, nil, errNoDelegation
	}
	db := s.db.WithContext(ctx)
	var rows []vaultRow
	err := db.Raw(`SELECT r.*, g.id AS grant_id, g.scopes AS grant_scopes, p.team_id AS app_team_id, p.name AS app_name,
		p.grant_types AS app_grant_types, p.vault AS app_vault, p.refresh_tokens AS app_refresh, p.refresh_idle_ttl AS app_idle_ttl,
		ag.scopes AS app_scopes, a.identifier AS api_identifier, a.identifier_key AS api_identifier_key, a.accepts_access_tokens AS api_tokens,
		EXISTS (SELECT 1 FROM consents c WHERE c.user_id = r.user_id AND c.project_id = r.project_id AND c.api_id = r.api_id) AS consented,
		COALESCE((SELECT CASE WHEN u.email <> '' THEN u.email ELSE u.name END FROM users u WHERE u.id = r.user_id), '') AS user_label
		FROM refresh_tokens r JOIN credential_grants g ON g.project_id = r.project_id AND g.api_id = r.api_id
		JOIN projects p ON p.id = r.project_id JOIN apis a ON a.id = r.api_id
		LEFT JOIN api_grants ag ON ag.project_id = r.project_id AND ag.api_id = r.api_id
		WHERE r.family_id = ? AND r.vault AND g.service_id = ? LIMIT 1`, familyID, service.ID).Scan(&rows).Error
	if err != nil {
		return nil, nil, unavailable(ctx, err)
	}
	if len(rows) == 0 || rows[0].AppTeamID != service.TeamID || rows[0].APIID == nil {
		return nil, nil, errNoDelegation
	}
	d := rows[0]
	now := s.now()
	app := &models.Project{ID: d.ProjectID, TeamID: d.AppTeamID, Name: d.AppName, GrantTypes: d.AppGrantTypes}
	apiID := *d.APIID
	switch {
	case d.RevokedAt != nil || !now.Before(d.ExpiresAt) || !now.Before(d.FamilyExpiresAt):
		return nil, nil, errDelegationEnded
	case !d.AppVault || d.AppRefresh == models.RefreshOff || !app.AllowsGrant(models.GrantAuthorizationCode):
		return nil, nil, oauthErr(models.ErrCodeInvalidGrant, "the app no longer keeps its users' offline access in the vault")
	case !d.Consented:
		return nil, nil, oauthErr(models.ErrCodeInvalidGrant, "the user withdrew their consent to the app")
	case d.AppScopes == nil || !d.APITokens:
		return nil, nil, oauthErr(models.ErrCodeInvalidGrant, "the app no longer holds a grant for the API the user allowed it")
	}
	g := &models.IssuableGrant{APIID: apiID, Identifier: d.APIIdentifier, IdentifierKey: d.APIIdentifierKey, Scopes: *d.AppScopes, Tokens: true}
	// The service's own grant on the API: the API's owners decide who calls it, here
	// as for any token. resource, when sent, must name the delegation's API.
	if _, err := pickGrant([]models.IssuableGrant{*g}, x.Resources, func(*models.IssuableGrant) bool { return true }, "access tokens"); err != nil {
		return nil, nil, oauthErr(models.ErrCodeInvalidTarget, "the delegation is for "+models.QuoteForError(g.Identifier)+": name it as the resource, or none")
	}
	sg, err := pickGrant(service.Grants, []string{g.Identifier}, func(g *models.IssuableGrant) bool { return bool(g.Tokens) }, "access tokens")
	if err != nil {
		return nil, nil, err
	}
	if ok, err := mayDelegate(db, d.UserID, apiID); err != nil {
		return nil, nil, unavailable(ctx, err)
	} else if !ok {
		return nil, nil, oauthErr(models.ErrCodeInvalidGrant, "the user may no longer delegate access to this API")
	}
	delegable, err := s.delegableScopes(db, apiID)
	if err != nil {
		return nil, nil, unavailable(ctx, err)
	}
	held, granted, own, appHas := strings.Fields(d.Scopes), strings.Fields(d.GrantScopes), strings.Fields(sg.Scopes), strings.Fields(g.Scopes)
	var usable []string
	for _, dsc := range delegable {
		sc := dsc.Name
		if slices.Contains(appHas, sc) && slices.Contains(held, sc) && slices.Contains(granted, sc) && slices.Contains(own, sc) {
			usable = append(usable, sc)
		}
	}
	scopes, err := requestedWithin(usable, x.Scope,
		"is not in all of the user's delegation, this client's credentials grant and its grant on "+models.QuoteForError(g.Identifier),
		"no scope is in all of the user's delegation, this client's credentials grant and its grant on "+models.QuoteForError(g.Identifier))
	if err != nil {
		return nil, nil, err
	}
	notAfter := now.Add(models.VaultTokenTTL)
	if d.FamilyExpiresAt.Before(notAfter) {
		notAfter = d.FamilyExpiresAt
	}
	authTime := d.AuthTime
	// The service acts, after the app the user delegated to: act names the service and,
	// nested, the app (RFC 8693 §4.1, nearest actor first).
	act := &models.ActClaim{Subject: service.ID, SubType: models.SubjectProject, Act: &models.ActClaim{Subject: app.ID, SubType: models.SubjectProject}}
	if service.ID == app.ID {
		act.Act = nil
	}
	tok, err := s.mintAccessToken(ctx, service, sg, scopes, subject{id: d.UserID, typ: models.SubjectUser, authTime: &authTime,
		acr: d.ACR, amr: strings.Fields(d.AMR), notAfter: notAfter, act: act})
	if err != nil {
		return nil, nil, err
	}
	if err := s.recordVaultUse(ctx, service, &d, g, scopes, time.Duration(d.AppIdleTTL)*time.Second); err != nil {
		return nil, nil, err
	}
	tok.IssuedTokenType = models.TokenTypeAccessToken
	return tok, service, nil
}

// recordVaultUse marks a use of delegation d by service: the family's last use and idle
// expiry move (refused if it was revoked meanwhile: the consent withdrawal that revokes
// it and this update serialize on the family's row), the use is counted for the user's
// Connected apps, and audited as vault.use.
func (s *Store) recordVaultUse(ctx context.Context, service *models.Project, d *vaultRow, g *models.IssuableGrant, scopes []string, idle time.Duration) error {
	now := s.now()
	revoked := false
	err := s.transact(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&models.RefreshToken{}).Where("family_id = ? AND revoked_at IS NULL", d.FamilyID).
			Updates(map[string]any{"last_used_at": now, "expires_at": refreshExpiry(now, idle, d.FamilyExpiresAt)})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			revoked = true
			return nil
		}
		err := tx.Exec(`INSERT INTO vault_uses (family_id, grant_id, user_id, scopes, uses, last_used_at) VALUES (?, ?, ?, ?, 1, ?)
			ON CONFLICT (family_id, grant_id) DO UPDATE SET uses = vault_uses.uses + 1, scopes = excluded.scopes, last_used_at = excluded.last_used_at`,
			d.FamilyID, d.GrantID, d.UserID, strings.Join(scopes, " "), now).Error
		if err != nil {
			return err
		}
		return s.audit(tx, models.Actor{Client: service.ID}, event{team: d.AppTeamID, project: d.ProjectID, action: "vault.use",
			targetType: "refresh_family", targetID: d.FamilyID, target: d.AppName + " → " + g.Identifier,
			details: map[string]any{"user_id": d.UserID, "user": d.UserLabel, "service": service.Name, "service_id": service.ID,
				"api_id": g.APIID, "scopes": strings.Join(scopes, " ")}})
	}, false)
	if err != nil {
		return unavailable(ctx, err)
	}
	if revoked {
		return errDelegationEnded
	}
	return nil
}

// UserVaultAccess lists, for the user's Connected apps, the services that may act for
// them offline through their apps' vaulted delegations that are still active: the
// service, the API, the scopes it may use (its grant within the delegation) and when it
// last did.
func (s *Store) UserVaultAccess(ctx context.Context, userID string) ([]models.VaultAccess, error) {
	now := s.now()
	var rows []struct {
		models.VaultAccess
		GrantID, FamilyScopes string
	}
	err := s.db.WithContext(ctx).Raw(`SELECT r.project_id, r.api_id, s.name AS service_name, a.name AS api_name, g.id AS grant_id,
		g.scopes, r.scopes AS family_scopes, COALESCE(u.uses, 0) AS uses, u.last_used_at
		FROM refresh_tokens r JOIN credential_grants g ON g.project_id = r.project_id AND g.api_id = r.api_id
		JOIN projects s ON s.id = g.service_id JOIN apis a ON a.id = r.api_id
		LEFT JOIN vault_uses u ON u.family_id = r.family_id AND u.grant_id = g.id
		WHERE r.user_id = ? AND r.vault AND r.revoked_at IS NULL AND r.expires_at > ? AND r.family_expires_at > ?
		ORDER BY s.name, a.name, g.id`, userID, now, now).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	var out []models.VaultAccess
	seen := map[string]int{}
	for _, r := range rows {
		held := strings.Fields(r.FamilyScopes)
		var scopes []string
		for _, sc := range strings.Fields(r.Scopes) {
			if slices.Contains(held, sc) {
				scopes = append(scopes, sc)
			}
		}
		va := r.VaultAccess
		va.Scopes = strings.Join(scopes, " ")
		// A user with several delegations to the same app (they allowed it twice) sees
		// each service once, with its latest use.
		if i, ok := seen[r.GrantID]; ok {
			prev := &out[i]
			prev.Uses += va.Uses
			if va.LastUsedAt != nil && (prev.LastUsedAt == nil || va.LastUsedAt.After(*prev.LastUsedAt)) {
				prev.LastUsedAt = va.LastUsedAt
			}
			continue
		}
		seen[r.GrantID] = len(out)
		out = append(out, va)
	}
	return out, nil
}

// VaultableAPIs lists, for the project's credentials-grant form, the APIs the project
// holds a grant for access tokens on with the scopes its users may delegate there (the
// most a credentials grant may name), and the team's projects that could be services
// (project.view).
func (s *Store) VaultableAPIs(ctx context.Context, actor models.Actor, projectID string) ([]models.VaultableAPI, []models.Project, error) {
	db := s.db.WithContext(ctx)
	p, err := projectFor(db, actor, projectID, models.ActProjectView)
	if err != nil {
		return nil, nil, err
	}
	var apis []models.VaultableAPI
	err = db.Raw(`SELECT a.id, a.name, a.identifier FROM api_grants g JOIN apis a ON a.id = g.api_id
		WHERE g.project_id = ? AND a.accepts_access_tokens ORDER BY a.name, a.id`, p.ID).Scan(&apis).Error
	if err != nil {
		return nil, nil, err
	}
	for i := range apis {
		if apis[i].Scopes, _, err = s.vaultableScopes(db, p.ID, apis[i].ID); err != nil {
			return nil, nil, err
		}
	}
	var services []models.Project
	err = db.Select("id", "name", "team_id").Where("team_id = ?", p.TeamID).Order("name, id").Find(&services).Error
	return apis, services, err
}

// VaultAtConsent says, for the consent page of an app asking for offline access to an
// API, whether the app keeps its users' offline access in the vault and which services
// may use it there (their names, as the user will see them under Connected apps).
func (s *Store) VaultAtConsent(ctx context.Context, projectID, apiID string) (bool, []string, error) {
	db := s.db.WithContext(ctx)
	var on []bool
	if err := db.Raw(`SELECT vault FROM projects WHERE id = ?`, projectID).Scan(&on).Error; err != nil {
		return false, nil, unavailable(ctx, err)
	}
	if len(on) == 0 || !on[0] {
		return false, nil, nil
	}
	var names []string
	err := db.Raw(`SELECT s.name FROM credential_grants g JOIN projects s ON s.id = g.service_id
		WHERE g.project_id = ? AND g.api_id = ? ORDER BY s.name, s.id`, projectID, apiID).Scan(&names).Error
	if err != nil {
		return false, nil, unavailable(ctx, err)
	}
	return true, names, nil
}

package store

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/oauth"
	"gorm.io/gorm"
)

// SetRegistrationPolicy sets whether software may register OAuth clients in the team
// (models.RegistrationOff, RegistrationToken or RegistrationOpen). Owners and admins
// decide it.
func (s *Store) SetRegistrationPolicy(ctx context.Context, actor models.Actor, teamID, policy string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := authorize(tx, actor, teamID, models.ActRegistrationManage); err != nil {
			return err
		}
		if !slices.Contains(models.RegistrationPolicies, policy) { // only once the actor may change it
			return models.ErrRegistrationPolicy
		}
		var t models.Team
		if err := tx.Where("id = ?", teamID).Take(&t).Error; err != nil {
			return notFound(err)
		}
		if t.RegistrationPolicy == policy {
			return nil
		}
		if err := tx.Model(&t).Updates(map[string]any{"registration_policy": policy, "updated_at": s.now()}).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, event{team: teamID, action: "team.registration_policy", targetType: "team", targetID: teamID,
			target: t.Name, details: map[string]any{"from": t.RegistrationPolicy, "to": policy}})
	})
}

// CreateInitialAccessToken creates an initial access token of the team and returns it
// in plain text, this one time: whoever holds it may register OAuth clients in the team
// (while its policy is not off), until it expires, is revoked or is used up.
func (s *Store) CreateInitialAccessToken(ctx context.Context, actor models.Actor, teamID string, in models.InitialAccessTokenInput, idempotencyKey string) (*models.InitialAccessToken, string, error) {
	var v models.ValidationError
	label := cleanName(&v, "label", in.Label, 60)
	if !slices.Contains(models.InitialAccessTokenLifetimes, int(in.TTL/(24*time.Hour))) || in.TTL%(24*time.Hour) != 0 {
		v.Add("expires_in", "choose one of the offered lifetimes")
	}
	if in.MaxUses < 0 || in.MaxUses > models.MaxInitialAccessTokenUses {
		v.Add("max_uses", "must be empty (no limit) or a number from 1 to 100000")
	}
	plain := models.NewInitialAccessToken()
	now := s.now()
	t := &models.InitialAccessToken{ID: newID("iat"), TeamID: teamID, Label: label, Hash: models.SHA256Hex(plain),
		Hint: models.InitialAccessTokenPrefix + "…" + plain[len(plain)-4:], CreatedBy: optional(actor.UserID()),
		CreatedAt: now, ExpiresAt: now.Add(in.TTL)}
	if in.MaxUses > 0 {
		t.MaxUses = &in.MaxUses
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := authorize(tx, actor, teamID, models.ActRegistrationManage); err != nil {
			return err
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
		details := map[string]any{"hint": t.Hint, "expires_at": t.ExpiresAt.Format(time.RFC3339)}
		if t.MaxUses != nil {
			details["max_uses"] = *t.MaxUses
		}
		return s.audit(tx, actor, event{team: teamID, action: "initial_token.create", targetType: "initial_access_token",
			targetID: t.ID, target: t.Label, details: details})
	})
	if err != nil {
		return nil, "", err
	}
	return t, plain, nil
}

// InitialAccessTokens lists the team's initial access tokens, newest first.
func (s *Store) InitialAccessTokens(ctx context.Context, actor models.Actor, teamID string) ([]models.InitialAccessTokenInfo, error) {
	db := s.db.WithContext(ctx)
	if _, err := authorize(db, actor, teamID, models.ActRegistrationManage); err != nil {
		return nil, err
	}
	var out []models.InitialAccessTokenInfo
	err := db.Table("initial_access_tokens AS t").
		Select("t.*, COALESCE(NULLIF(u.email, ''), u.name, '') AS created_by_label").
		Joins("LEFT JOIN users u ON u.id = t.created_by").
		Where("t.team_id = ?", teamID).Order("t.created_at DESC, t.id DESC").Scan(&out).Error
	return out, err
}

// RevokeInitialAccessToken revokes one of the team's initial access tokens; another
// team's is ErrNotFound. Clients registered with it stay. Revoking twice changes
// nothing and writes no second event.
func (s *Store) RevokeInitialAccessToken(ctx context.Context, actor models.Actor, teamID, tokenID string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := authorize(tx, actor, teamID, models.ActRegistrationManage); err != nil {
			return err
		}
		var t models.InitialAccessToken
		if err := tx.Where("id = ? AND team_id = ?", tokenID, teamID).Take(&t).Error; err != nil {
			return notFound(err)
		}
		_, err := s.revokeInitialAccessToken(tx, actor, &t, nil)
		return err
	})
}

// revokeInitialAccessToken revokes t in tx with its audit event (details added); one
// already revoked is left alone, and revoked says whether this call revoked it.
func (s *Store) revokeInitialAccessToken(tx *gorm.DB, actor models.Actor, t *models.InitialAccessToken, details map[string]any) (bool, error) {
	if t.RevokedAt != nil {
		return false, nil
	}
	now := s.now()
	if ok, err := markRevoked(tx, &models.InitialAccessToken{}, t.ID, now); !ok {
		return false, err
	}
	t.RevokedAt = &now
	audited := map[string]any{"hint": t.Hint}
	maps.Copy(audited, details)
	return true, s.audit(tx, actor, event{team: t.TeamID, action: "initial_token.revoke", targetType: "initial_access_token",
		targetID: t.ID, target: t.Label, details: audited})
}

// registrar is who registers a client: the team it lands in, the initial access token
// it came with (nil: open registration) and how the audit log names it.
type registrar struct {
	team  models.Team
	token *models.InitialAccessToken
	actor models.Actor
}

// findRegistrar decides whether a registration may happen, before its metadata is
// read: with token, an active initial access token of a team whose policy is not off;
// without one, openTeam (the operator's choice, "" for none) whose own policy is open.
// Anything else is models.ErrRegistrationToken.
func (s *Store) findRegistrar(tx *gorm.DB, caller models.Actor, token, openTeam string) (*registrar, error) {
	r := &registrar{}
	now := s.now()
	if token != "" {
		if !models.CheckInitialAccessTokenFormat(token) {
			return nil, models.ErrRegistrationToken
		}
		var t models.InitialAccessToken
		if err := tx.Where("hash = ?", models.SHA256Hex(token)).Take(&t).Error; err != nil {
			return nil, registrationRefusal(err)
		}
		if t.Status(now) != "active" {
			return nil, models.ErrRegistrationToken
		}
		if err := tx.Where("id = ?", t.TeamID).Take(&r.team).Error; err != nil {
			return nil, registrationRefusal(err)
		}
		if r.team.RegistrationPolicy == models.RegistrationOff {
			return nil, models.ErrRegistrationToken
		}
		r.token = &t
		caller.Partner = "dynamic registration (token " + models.QuoteForError(t.Label) + ")"
	} else {
		if openTeam == "" {
			return nil, models.ErrRegistrationToken
		}
		if err := tx.Where("id = ?", openTeam).Take(&r.team).Error; err != nil {
			return nil, registrationRefusal(err)
		}
		if r.team.RegistrationPolicy != models.RegistrationOpen {
			return nil, models.ErrRegistrationToken
		}
		caller.Partner = "dynamic registration (open)"
	}
	caller.User, caller.Client = nil, ""
	r.actor = caller
	return r, nil
}

// registrationRefusal is ErrRegistrationToken for a row not found, err otherwise.
func registrationRefusal(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return models.ErrRegistrationToken
	}
	return err
}

// defaultClientName names a registered client that sent no client_name.
const defaultClientName = "Registered client"

// RegisterClient registers an OAuth client (RFC 7591) from a registration request's
// JSON body: with token, an initial access token of the team the client lands in; or,
// without one, in openTeam when that team's policy is open. caller carries the
// request's address and user agent. The client becomes an ordinary project of the team,
// holding no grant, with a client secret (client_secret_basic/post) or client keys
// (private_key_jwt) as its metadata asks; the answer holds the secret and the
// registration access token, this one time. A refused token is
// models.ErrRegistrationToken; bad metadata an *models.OAuthError. Either writes
// nothing.
func (s *Store) RegisterClient(ctx context.Context, caller models.Actor, token, openTeam string, body []byte) (*models.RegisteredClient, error) {
	var out *models.RegisteredClient
	err := s.tx(ctx, func(tx *gorm.DB) error {
		r, err := s.findRegistrar(tx, caller, token, openTeam)
		if err != nil {
			return err
		}
		md, err := parseClientMetadata(body, defaultClientName)
		if err != nil {
			return err
		}
		now := s.now()
		reg := &models.ClientRegistration{Via: r.actor.Partner, CreatedAt: now, UpdatedAt: now}
		if r.token != nil {
			// The token's use is counted in the registering transaction, and only while it
			// is still usable: two registrations racing for its last use get one.
			res := tx.Model(&models.InitialAccessToken{}).
				Where("id = ? AND revoked_at IS NULL AND expires_at > ? AND (max_uses IS NULL OR uses < max_uses)", r.token.ID, now).
				Updates(map[string]any{"uses": gorm.Expr("uses + 1"), "last_used_at": now})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return models.ErrRegistrationToken
			}
			reg.InitialTokenID = &r.token.ID
		}
		p, err := s.createProject(tx, r.actor, r.team.ID, md.ClientName, "", "")
		if err != nil {
			return err
		}
		reg.ProjectID = p.ID
		out = &models.RegisteredClient{ClientID: p.ID, ClientIDIssuedAt: p.CreatedAt.Unix()}
		if err := s.applyClientMetadata(ctx, tx, r.actor, p, &md, nil); err != nil {
			return err
		}
		if md.UsesSecret() {
			plain := models.NewClientSecret()
			cs := &models.ClientSecret{ID: newID("sec"), ProjectID: p.ID, Name: "registration", Hash: models.SHA256Hex(plain),
				Hint: secretHint(plain), CreatedAt: now}
			if err := s.insertClientSecret(tx, r.actor, p, cs); err != nil {
				return err
			}
			var never int64
			out.ClientSecret, out.ClientSecretExpiresAt = plain, &never
		}
		rat := models.NewRegistrationAccessToken()
		reg.TokenHash = models.SHA256Hex(rat)
		raw, err := json.Marshal(md)
		if err != nil {
			return err
		}
		reg.Metadata = string(raw)
		if err := tx.Create(reg).Error; err != nil {
			return err
		}
		out.RegistrationAccessToken, out.ClientMetadata = rat, md
		return s.audit(tx, r.actor, event{team: p.TeamID, project: p.ID, action: "client.register", targetType: "project",
			targetID: p.ID, target: p.Name, details: registrationDetails(reg.Via, &md)})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// parseClientMetadata reads client metadata as models.ParseClientMetadata does, and
// keeps of its grant types those the token endpoint implements: the answer says what was
// registered (refresh_token only where the portal issues refresh tokens).
func parseClientMetadata(body []byte, defaultName string) (models.ClientMetadata, error) {
	md, err := models.ParseClientMetadata(body, defaultName)
	if err != nil {
		return md, err
	}
	md.GrantTypes = md.ProjectGrantTypes(oauth.GrantTypes())
	return md, nil
}

// registrationDetails are what the audit log records of a registration.
func registrationDetails(via string, md *models.ClientMetadata) map[string]any {
	d := map[string]any{"via": via, "grant_types": md.GrantTypes, "token_endpoint_auth_method": md.TokenEndpointAuthMethod,
		"redirect_uris": md.RedirectURIs}
	if len(md.Contacts) > 0 {
		d["contacts"] = md.Contacts
	}
	if md.ClientURI != "" {
		d["client_uri"] = md.ClientURI
	}
	return d
}

// applyClientMetadata sets p's OAuth client settings from md in tx: name, grant types,
// redirect URIs, how it authenticates, and the keys its jwks holds (replacing those an
// earlier registration gave it, listed in old). Grants stay as they are: they are the
// APIs' teams' to give.
func (s *Store) applyClientMetadata(ctx context.Context, tx *gorm.DB, actor models.Actor, p *models.Project, md *models.ClientMetadata, old []models.ClientKey) error {
	auth := models.AuthClientSecret
	switch m := md.TokenEndpointAuthMethod; m {
	case models.AuthMethodPrivateKeyJWT, models.AuthTLSClientAuth, models.AuthSelfSignedTLS:
		auth = m // the same names as the project's methods
	}
	rule := md.TLSRule()
	next := map[string]any{"name": md.ClientName, "grant_types": strings.Join(md.ProjectGrantTypes(oauth.GrantTypes()), " "),
		"redirect_uris": strings.Join(md.RedirectURIs, "\n"), "auth_methods": auth,
		"public_client": md.TokenEndpointAuthMethod == models.AuthMethodNone, "updated_at": s.now(),
		"tls_auth_field": rule.Field, "tls_auth_value": rule.Value, "certificate_bound_tokens": md.CertificateBoundTokens}
	if err := tx.Model(&models.Project{}).Where("id = ?", p.ID).Updates(next).Error; err != nil {
		return err
	}
	p.Name, p.GrantTypes, p.RedirectURIs = md.ClientName, next["grant_types"].(string), next["redirect_uris"].(string)
	p.AuthMethods, p.PublicClient = auth, next["public_client"].(bool)
	for _, k := range old {
		if err := tx.Delete(&k).Error; err != nil {
			return err
		}
		if err := s.audit(tx, actor, event{team: p.TeamID, project: p.ID, action: "client_key.remove", targetType: "client_key",
			targetID: k.ID, target: k.Name}); err != nil {
			return err
		}
	}
	for _, in := range md.Keys {
		var v models.ValidationError
		in.Name = models.Truncate(in.Name, 60)
		k := s.readClientKey(ctx, &v, in)
		if v.AsError() != nil {
			return models.NewOAuthError(models.ErrCodeInvalidClientMetadata, "A key of jwks cannot be registered.")
		}
		k.ID, k.ProjectID = newID("ck"), p.ID
		if err := s.insertClientKey(tx, actor, p, k); err != nil {
			return err
		}
	}
	return nil
}

// registeredKeyPrefix begins the names of the client keys a registration's jwks gave.
const registeredKeyPrefix = "registered "

// registrationFor finds the dynamically registered project clientID whose registration
// access token is token; anything else (a malformed, unknown or another client's token,
// a project registered in the portal, a deleted one) is models.ErrRegistrationToken.
func registrationFor(tx *gorm.DB, clientID, token string) (*models.Project, *models.ClientRegistration, error) {
	if !models.CheckRegistrationAccessTokenFormat(token) || len(clientID) > 64 {
		return nil, nil, models.ErrRegistrationToken
	}
	var reg models.ClientRegistration
	if err := tx.Where("project_id = ?", clientID).Take(&reg).Error; err != nil {
		return nil, nil, registrationRefusal(err)
	}
	if subtle.ConstantTimeCompare([]byte(reg.TokenHash), []byte(models.SHA256Hex(token))) != 1 {
		return nil, nil, models.ErrRegistrationToken
	}
	var p models.Project
	if err := tx.Where("id = ?", clientID).Take(&p).Error; err != nil {
		return nil, nil, registrationRefusal(err)
	}
	return &p, &reg, nil
}

// registered is a registration as RFC 7592 reads it back: no secret, no token.
func registered(p *models.Project, reg *models.ClientRegistration) (*models.RegisteredClient, error) {
	out := &models.RegisteredClient{ClientID: p.ID, ClientIDIssuedAt: p.CreatedAt.Unix()}
	if err := json.Unmarshal([]byte(reg.Metadata), &out.ClientMetadata); err != nil {
		return nil, err
	}
	// The team may have changed the project in the portal since: its settings are the
	// truth about its name, redirect URIs and grant types.
	out.ClientName, out.GrantTypes = p.Name, append([]string{}, p.GrantTypeList()...)
	if out.RedirectURIs = p.RedirectURIList(); len(out.RedirectURIs) == 0 {
		out.RedirectURIs = nil
	}
	return out, nil
}

// ReadClientRegistration returns a dynamically registered client's metadata (RFC 7592
// §2.1) to the holder of its registration access token; no secret is in it.
func (s *Store) ReadClientRegistration(ctx context.Context, clientID, token string) (*models.RegisteredClient, error) {
	p, reg, err := registrationFor(s.db.WithContext(ctx), clientID, token)
	if err != nil {
		return nil, err
	}
	return registered(p, reg)
}

// registrationActor is how the audit log names a client managing its own registration.
func registrationActor(caller models.Actor, clientID string) models.Actor {
	caller.User, caller.Client = nil, ""
	caller.Partner = "dynamic registration (client " + clientID + ")"
	return caller
}

// authClass groups the token endpoint authentication methods a client may move between
// on update: a client secret's two ways of sending it.
func authClass(method string) string {
	if method == models.AuthMethodClientSecretPost {
		return models.AuthMethodClientSecretBasic
	}
	return method
}

// UpdateClientRegistration replaces a dynamically registered client's metadata (RFC
// 7592 §2.2) with body, checked as at registration; body's client_id must be the
// client's. Its secrets stay; its token endpoint authentication method may only move
// between client_secret_basic and client_secret_post; a new jwks replaces the keys
// registration gave it. Its grants, and everything else the team set, stay.
func (s *Store) UpdateClientRegistration(ctx context.Context, caller models.Actor, clientID, token string, body []byte) (*models.RegisteredClient, error) {
	var out *models.RegisteredClient
	err := s.tx(ctx, func(tx *gorm.DB) error {
		p, reg, err := registrationFor(tx, clientID, token)
		if err != nil {
			return err
		}
		var id struct {
			ClientID string `json:"client_id"`
			Secret   string `json:"client_secret"`
		}
		if json.Unmarshal(body, &id) != nil || id.ClientID != clientID {
			return models.NewOAuthError(models.ErrCodeInvalidClientMetadata, "client_id must be this client's client_id.")
		}
		md, err := parseClientMetadata(body, p.Name)
		if err != nil {
			return err
		}
		var before models.ClientMetadata
		if err := json.Unmarshal([]byte(reg.Metadata), &before); err != nil {
			return err
		}
		if authClass(before.TokenEndpointAuthMethod) != authClass(md.TokenEndpointAuthMethod) {
			return models.NewOAuthError(models.ErrCodeInvalidClientMetadata, "token_endpoint_auth_method cannot change from "+
				before.TokenEndpointAuthMethod+" to "+md.TokenEndpointAuthMethod+"; register a new client instead.")
		}
		actor := registrationActor(caller, clientID)
		var old []models.ClientKey
		if md.TokenEndpointAuthMethod == models.AuthMethodPrivateKeyJWT || md.TokenEndpointAuthMethod == models.AuthSelfSignedTLS {
			if err := tx.Where("project_id = ? AND name LIKE ?", p.ID, registeredKeyPrefix+"%").Find(&old).Error; err != nil {
				return err
			}
		}
		if err := s.applyClientMetadata(ctx, tx, actor, p, &md, old); err != nil {
			return err
		}
		raw, err := json.Marshal(md)
		if err != nil {
			return err
		}
		if err := tx.Model(reg).Updates(map[string]any{"metadata": string(raw), "updated_at": s.now()}).Error; err != nil {
			return err
		}
		reg.Metadata = string(raw)
		if out, err = registered(p, reg); err != nil {
			return err
		}
		return s.audit(tx, actor, event{team: p.TeamID, project: p.ID, action: "client.update", targetType: "project",
			targetID: p.ID, target: p.Name, details: registrationDetails(reg.Via, &md)})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteClientRegistration deletes a dynamically registered client (RFC 7592 §2.3), as
// deleting its project in the portal does: its keys are revoked, its secrets, client
// keys, grants and registration go.
func (s *Store) DeleteClientRegistration(ctx context.Context, caller models.Actor, clientID, token string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		p, _, err := registrationFor(tx, clientID, token)
		if err != nil {
			return err
		}
		return s.deleteProject(tx, registrationActor(caller, clientID), p)
	})
}

// ProjectRegistration returns how the project was registered dynamically, or nil for a
// project made in the portal.
func (s *Store) ProjectRegistration(ctx context.Context, actor models.Actor, projectID string) (*models.ClientRegistration, error) {
	db := s.db.WithContext(ctx)
	if _, err := projectFor(db, actor, projectID, models.ActProjectView); err != nil {
		return nil, err
	}
	var reg models.ClientRegistration
	err := db.Where("project_id = ?", projectID).Take(&reg).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	reg.TokenHash = ""
	return &reg, nil
}

package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"gorm.io/gorm"
)

// AuthorizationClient returns the project whose client_id is id, with its grants and
// redirect URIs, for the authorization endpoint; ErrNotFound when there is none.
func (s *Store) AuthorizationClient(ctx context.Context, id string) (*models.Project, error) {
	if !models.HasPrefixID(id, "prj") {
		return nil, models.ErrNotFound
	}
	p, err := s.clientByID(ctx, id)
	if err != nil {
		return nil, unavailable(ctx, err)
	}
	if p == nil {
		return nil, models.ErrNotFound
	}
	return p, nil
}

// PublicClient returns the public client (a project marked as one) named by id with
// its grants, for a token request that carries only a client_id; invalid_client for
// anything else, so a confidential client never gets by without its credential.
func (s *Store) PublicClient(ctx context.Context, id string) (*models.Project, error) {
	p, err := s.AuthorizationClient(ctx, id)
	if errors.Is(err, models.ErrNotFound) || (err == nil && !p.PublicClient) {
		return nil, errInvalidClient
	}
	return p, err
}

// delegableScopes returns the scopes of the API, in its order, that users may delegate.
func (s *Store) delegableScopes(db *gorm.DB, apiID string) ([]models.ScopeInfo, error) {
	var rows []models.APIScope
	if err := db.Where("api_id = ? AND delegable", apiID).Order("name").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]models.ScopeInfo, len(rows))
	for i, r := range rows {
		out[i] = models.ScopeInfo{Name: r.Name, Description: r.Description}
	}
	return out, nil
}

// PrepareAuthorization decides what an authorization request for project p may ask a
// user for. scope may hold identity scopes (openid, profile, email, offline_access),
// which the portal defines, beside an API's. With openid and neither a resource nor an
// API scope, the request is for the user's identity alone ("Sign in with Gatehouse"):
// no API and no grant are involved. Otherwise it is for one API the project holds a
// grant for (resources, as at the token endpoint) and scopes within the grant that the
// API lets users delegate; no API scope asks for all of those. A scope beyond them is
// invalid_scope, naming why.
func (s *Store) PrepareAuthorization(ctx context.Context, p *models.Project, resources []string, scope string) (*models.Authorization, error) {
	if !p.AllowsGrant(models.GrantAuthorizationCode) {
		return nil, oauthErr(models.ErrCodeUnauthorizedClient, "this client may not use the authorization code grant")
	}
	identity, apiScopes := models.SplitScopes(scope)
	openid := slices.Contains(identity, models.ScopeOpenID)
	for _, name := range []string{models.ScopeProfile, models.ScopeEmail} {
		if slices.Contains(identity, name) && !openid {
			return nil, oauthErr(models.ErrCodeInvalidScope, "the scope "+models.QuoteForError(name)+" is OpenID Connect's: ask for openid with it")
		}
	}
	db := s.db.WithContext(ctx)
	if openid && len(apiScopes) == 0 && len(resources) == 0 {
		a := &models.Authorization{Project: p, Identity: identity}
		if err := db.Raw(`SELECT name FROM teams WHERE id = ?`, p.TeamID).Scan(&a.TeamName).Error; err != nil {
			return nil, unavailable(ctx, err)
		}
		return a, nil
	}
	g, err := pickGrant(p.Grants, resources, func(g *models.IssuableGrant) bool { return bool(g.Tokens) }, "access tokens")
	if err != nil {
		return nil, err
	}
	delegable, err := s.delegableScopes(db, g.APIID)
	if err != nil {
		return nil, unavailable(ctx, err)
	}
	granted := strings.Fields(g.Scopes)
	var allowed []models.ScopeInfo
	for _, sc := range delegable {
		if slices.Contains(granted, sc.Name) {
			allowed = append(allowed, sc)
		}
	}
	a := &models.Authorization{Project: p, APIID: g.APIID, APIIdentifier: g.Identifier, Identity: identity}
	if len(apiScopes) == 0 {
		if len(allowed) == 0 {
			return nil, oauthErr(models.ErrCodeInvalidScope, "none of the scopes granted to this client for "+
				models.QuoteForError(g.Identifier)+" may be delegated by users")
		}
		a.Scopes = allowed
	}
	for _, name := range apiScopes {
		i := slices.IndexFunc(allowed, func(sc models.ScopeInfo) bool { return sc.Name == name })
		switch {
		case i >= 0:
			if !slices.ContainsFunc(a.Scopes, func(sc models.ScopeInfo) bool { return sc.Name == name }) {
				a.Scopes = append(a.Scopes, allowed[i])
			}
		case !slices.Contains(granted, name):
			return nil, oauthErr(models.ErrCodeInvalidScope, "the scope "+models.QuoteForError(name)+" is not granted to this client for "+models.QuoteForError(g.Identifier))
		default:
			return nil, oauthErr(models.ErrCodeInvalidScope, "users may not delegate the scope "+models.QuoteForError(name)+" of "+models.QuoteForError(g.Identifier))
		}
	}
	var names struct{ APIName, TeamName string }
	err = db.Raw(`SELECT a.name AS api_name, t.name AS team_name FROM apis a, teams t WHERE a.id = ? AND t.id = ?`, g.APIID, p.TeamID).Scan(&names).Error
	if err != nil {
		return nil, unavailable(ctx, err)
	}
	a.APIName, a.TeamName = names.APIName, names.TeamName
	return a, nil
}

// whereConsent narrows tx to the consent of the user to the project for the API, or
// for their identity when apiID is "".
func whereConsent(tx *gorm.DB, userID, projectID, apiID string) *gorm.DB {
	tx = tx.Where("user_id = ? AND project_id = ?", userID, projectID)
	if apiID == "" {
		return tx.Where("api_id IS NULL")
	}
	return tx.Where("api_id = ?", apiID)
}

// optionalID is id as a nullable column value: nil for "".
func optionalID(id string) *string {
	if id == "" {
		return nil
	}
	return &id
}

// ConsentCovers reports whether the user already allowed the project every one of
// scopes on the API (apiID "": their identity).
func (s *Store) ConsentCovers(ctx context.Context, userID, projectID, apiID string, scopes []string) (bool, error) {
	var c models.Consent
	err := whereConsent(s.db.WithContext(ctx), userID, projectID, apiID).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return false, nil
	}
	if err != nil {
		return false, unavailable(ctx, err)
	}
	have := strings.Fields(c.Scopes)
	for _, sc := range scopes {
		if !slices.Contains(have, sc) {
			return false, nil
		}
	}
	return true, nil
}

// SaveConsent remembers that the actor (a signed-in user) allowed the project scopes on
// the API (apiID "": their identity), added to what it allowed before. A first consent is audited as
// consent.grant, one that adds scopes as consent.update, in the project's team's log in
// the same transaction; allowing again what was already allowed changes nothing and
// writes no event.
func (s *Store) SaveConsent(ctx context.Context, actor models.Actor, projectID, apiID string, scopes []string) error {
	if actor.User == nil {
		return models.ErrForbidden
	}
	userID := actor.User.ID
	return s.transact(ctx, func(tx *gorm.DB) error {
		now := s.now()
		var c models.Consent
		err := whereConsent(tx, userID, projectID, apiID).Take(&c).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			err = tx.Create(&models.Consent{UserID: userID, ProjectID: projectID, APIID: optionalID(apiID),
				Scopes: strings.Join(scopes, " "), CreatedAt: now, UpdatedAt: now}).Error
			if err != nil {
				return err
			}
			return s.auditConsent(tx, actor, "consent.grant", projectID, apiID, map[string]any{"scopes": strings.Join(scopes, " ")})
		}
		if err != nil {
			return err
		}
		have := strings.Fields(c.Scopes)
		var added []string
		for _, sc := range scopes {
			if !slices.Contains(have, sc) {
				have = append(have, sc)
				added = append(added, sc)
			}
		}
		if len(added) == 0 {
			return nil
		}
		err = whereConsent(tx.Model(&models.Consent{}), userID, projectID, apiID).
			Updates(map[string]any{"scopes": strings.Join(have, " "), "updated_at": now}).Error
		if err != nil {
			return err
		}
		return s.auditConsent(tx, actor, "consent.update", projectID, apiID,
			map[string]any{"scopes": strings.Join(have, " "), "added": strings.Join(added, " ")})
	}, false)
}

// auditConsent writes a consent event in the log of the project's team: the target is
// the consent (its id the API's, its label "project → API"; for an identity consent the
// project's id and "project → identity"), the details name the API.
func (s *Store) auditConsent(tx *gorm.DB, actor models.Actor, action, projectID, apiID string, details map[string]any) error {
	var names struct{ TeamID, ProjectName, APIName string }
	err := tx.Raw(`SELECT p.team_id, p.name AS project_name, COALESCE((SELECT a.name FROM apis a WHERE a.id = ?), '') AS api_name
		FROM projects p WHERE p.id = ?`, apiID, projectID).Scan(&names).Error
	if err != nil {
		return err
	}
	if names.TeamID == "" || (apiID != "" && names.APIName == "") {
		return models.ErrNotFound
	}
	targetID, label := apiID, names.ProjectName+" → "+names.APIName
	if apiID == "" {
		targetID, label = projectID, names.ProjectName+" → identity"
	} else {
		details["api"] = names.APIName
		details["api_id"] = apiID
	}
	return s.audit(tx, actor, event{team: names.TeamID, project: projectID, action: action, targetType: "consent",
		targetID: targetID, target: label, details: details})
}

// IssueAuthorizationCode records a code for what the user allowed (a, asked for by req)
// and returns it. Only its SHA-256 is stored; it can be redeemed once, within
// AuthorizationCodeTTL, by the same client, with the same redirect URI and the PKCE
// verifier of the request's code challenge (S256). how is how the user authenticated,
// for the tokens.
func (s *Store) IssueAuthorizationCode(ctx context.Context, a *models.Authorization, req *models.AuthorizationRequest, userID string, how models.AuthContext) (string, error) {
	code := "gac_" + models.RandomToken(32)
	now := s.now()
	ac := models.AuthorizationCode{Hash: models.SHA256Hex(code), ProjectID: a.Project.ID, UserID: userID, APIID: optionalID(a.APIID),
		Scopes: strings.Join(a.ScopeNames(), " "), IdentityScopes: strings.Join(a.Identity, " "), Nonce: req.Nonce,
		ACR: how.ACR, AMR: strings.Join(how.AMR, " "), RedirectURI: req.RedirectURI, CodeChallenge: req.CodeChallenge,
		AuthTime: how.AuthTime, CreatedAt: now, ExpiresAt: now.Add(models.AuthorizationCodeTTL), DPoPJKT: req.DPoPJKT}
	if err := s.db.WithContext(ctx).Create(&ac).Error; err != nil {
		return "", unavailable(ctx, err)
	}
	return code, nil
}

// errBadCode is the one answer for a code that is unknown, another client's, used,
// expired, or redeemed with the wrong redirect URI or verifier.
func errBadCode(why string) *models.OAuthError {
	return oauthErr(models.ErrCodeInvalidGrant, why)
}

// S256Challenge is the PKCE S256 code challenge of verifier (RFC 7636 §4.2).
func S256Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// validVerifier reports whether v is an RFC 7636 §4.1 code verifier: 43–128
// characters of [A-Za-z0-9-._~].
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// RedeemAuthorizationCode exchanges a code for an access token for its user, for the
// authenticated (or public) client p. The code is marked used before anything else is
// checked, so it is redeemed at most once whatever happens: a second redemption is
// invalid_grant and is recorded (replayed_at). The redirect URI must be the one the
// authorization request carried, and S256(verifier) its code challenge (compared in
// constant time). A code bound to a DPoP key (dpop_jkt, RFC 9449 §10) needs a proof by
// that key (models.DPoPKey(ctx)). The token's scopes are the consented ones that the
// project's grant and the API's delegable scopes still hold now.
func (s *Store) RedeemAuthorizationCode(ctx context.Context, p *models.Project, code, redirectURI, verifier string) (*models.IssuedToken, error) {
	if s.signer == nil {
		return nil, models.ErrSigningUnavailable
	}
	if !p.AllowsGrant(models.GrantAuthorizationCode) {
		return nil, oauthErr(models.ErrCodeUnauthorizedClient, "this client may not use the authorization code grant")
	}
	switch {
	case code == "":
		return nil, oauthErr(models.ErrCodeInvalidRequest, "code is required")
	case redirectURI == "":
		return nil, oauthErr(models.ErrCodeInvalidRequest, "redirect_uri is required: the one the authorization request carried")
	case verifier == "":
		return nil, oauthErr(models.ErrCodeInvalidRequest, "code_verifier is required: every client uses PKCE")
	}
	hash := models.SHA256Hex(code)
	now := s.now()
	var ac models.AuthorizationCode
	var refusal *models.OAuthError
	err := s.transact(ctx, func(tx *gorm.DB) error {
		err := tx.Where("hash = ?", hash).Take(&ac).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			refusal = errBadCode("the code is unknown, expired or already used")
			return nil
		}
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare([]byte(ac.ProjectID), []byte(p.ID)) != 1 {
			refusal = errBadCode("the code is unknown, expired or already used")
			return nil
		}
		res := tx.Model(&models.AuthorizationCode{}).Where("hash = ? AND used_at IS NULL", hash).Update("used_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			// A replay (RFC 9700 §4.2.4): what the first redemption issued is revoked.
			refusal = errBadCode("the code is unknown, expired or already used")
			if err := tx.Model(&models.AuthorizationCode{}).Where("hash = ?", hash).Update("replayed_at", now).Error; err != nil {
				return err
			}
			_, err := s.revokeFamilies(tx, models.Actor{Client: p.ID}, models.RefreshRevokedReplay, "refresh.revoke",
				"code_hash = ? AND project_id = ?", hash, p.ID)
			return err
		}
		return nil
	}, false)
	if err != nil {
		return nil, unavailable(ctx, err)
	}
	if refusal != nil {
		return nil, refusal
	}
	switch {
	case !now.Before(ac.ExpiresAt):
		return nil, errBadCode("the code is unknown, expired or already used")
	case redirectURI != ac.RedirectURI:
		return nil, errBadCode("redirect_uri is not the one the authorization request carried")
	case !validVerifier(verifier) || subtle.ConstantTimeCompare([]byte(S256Challenge(verifier)), []byte(ac.CodeChallenge)) != 1:
		return nil, errBadCode("the code_verifier does not match the code challenge")
	case ac.DPoPJKT != "" && subtle.ConstantTimeCompare([]byte(models.DPoPKey(ctx)), []byte(ac.DPoPJKT)) != 1:
		return nil, errBadCode("the code is bound to a DPoP key (dpop_jkt): send a DPoP proof signed by that key")
	}
	return s.tokensForCode(ctx, p, &ac)
}

// tokensForCode mints what a redeemed code stands for (userTokens), and a refresh token
// when the authorization allows one (issueRefreshToken).
func (s *Store) tokensForCode(ctx context.Context, p *models.Project, ac *models.AuthorizationCode) (*models.IssuedToken, error) {
	ug := userGrant{userID: ac.UserID, apiID: ac.APIID, scopes: strings.Fields(ac.Scopes), identity: strings.Fields(ac.IdentityScopes),
		nonce: ac.Nonce, sub: subject{id: ac.UserID, typ: models.SubjectUser, authTime: &ac.AuthTime, acr: ac.ACR, amr: strings.Fields(ac.AMR)}}
	tok, err := s.userTokens(ctx, p, ug)
	if err != nil {
		return nil, err
	}
	if err := s.issueRefreshToken(ctx, p, ac, tok); err != nil {
		return nil, err
	}
	return tok, nil
}

// userGrant is what a user allowed a project, as a code or a refresh token carries it.
type userGrant struct {
	userID string
	// apiID is nil for the user's identity alone.
	apiID            *string
	scopes, identity []string
	nonce            string
	sub              subject
}

// userTokens mints the tokens of a user's grant: an access token for its API with the
// scopes that the project's grant and the API's delegable scopes still hold now (or, for
// the user's identity alone, one for the userinfo endpoint), and with openid an ID token.
func (s *Store) userTokens(ctx context.Context, p *models.Project, ug userGrant) (*models.IssuedToken, error) {
	var tok *models.IssuedToken
	if ug.apiID == nil {
		var scopes []string
		for _, sc := range ug.identity {
			if sc != models.ScopeOfflineAccess {
				scopes = append(scopes, sc)
			}
		}
		var err error
		tok, err = s.mintAccessToken(ctx, p, &models.IssuableGrant{Identifier: s.UserinfoAudience()}, scopes, ug.sub)
		if err != nil {
			return nil, err
		}
	} else {
		i := slices.IndexFunc(p.Grants, func(g models.IssuableGrant) bool { return g.APIID == *ug.apiID && g.Tokens })
		if i < 0 {
			return nil, errBadCode("the client no longer holds a grant for the API the user allowed it")
		}
		g := &p.Grants[i]
		db := s.db.WithContext(ctx)
		if ok, err := mayDelegate(db, ug.userID, g.APIID); err != nil {
			return nil, unavailable(ctx, err)
		} else if !ok {
			return nil, errBadCode("the user may no longer delegate access to this API")
		}
		delegable, err := s.delegableScopes(db, g.APIID)
		if err != nil {
			return nil, unavailable(ctx, err)
		}
		granted := strings.Fields(g.Scopes)
		var scopes []string
		for _, sc := range ug.scopes {
			if slices.Contains(granted, sc) && slices.ContainsFunc(delegable, func(d models.ScopeInfo) bool { return d.Name == sc }) {
				scopes = append(scopes, sc)
			}
		}
		if len(scopes) == 0 {
			return nil, errBadCode("none of the scopes the user allowed is still granted and delegable")
		}
		if tok, err = s.mintAccessToken(ctx, p, g, scopes, ug.sub); err != nil {
			return nil, err
		}
	}
	if slices.Contains(ug.identity, models.ScopeOpenID) {
		idt, err := s.mintIDToken(ctx, p, ug.userID, ug.identity, ug.nonce, ug.sub, tok.ExpiresIn)
		if err != nil {
			return nil, err
		}
		tok.IDToken = idt
	}
	return tok, nil
}

// PruneAuthorizationCodes forgets codes that expired more than an hour ago (a replay of
// one is answered the same without its row), and pushed authorization requests that
// expired.
func (s *Store) PruneAuthorizationCodes(ctx context.Context) error {
	if err := s.db.WithContext(ctx).Where("expires_at < ?", s.now().Add(-time.Hour)).Delete(&models.AuthorizationCode{}).Error; err != nil {
		return err
	}
	return s.prunePushedAuthorizations(ctx)
}

// UserConsents lists what the user allowed apps to do for them, newest first; a consent
// to their identity alone has no API.
func (s *Store) UserConsents(ctx context.Context, userID string) ([]models.ConsentInfo, error) {
	var out []models.ConsentInfo
	err := s.db.WithContext(ctx).Raw(`SELECT c.project_id, p.name AS project_name, t.name AS team_name,
		COALESCE(c.api_id, '') AS api_id, COALESCE(a.name, '') AS api_name, c.scopes, c.updated_at
		FROM consents c JOIN projects p ON p.id = c.project_id JOIN teams t ON t.id = p.team_id
		LEFT JOIN apis a ON a.id = c.api_id WHERE c.user_id = ? ORDER BY c.updated_at DESC, c.project_id, api_id`, userID).Scan(&out).Error
	return out, err
}

// RevokeConsent forgets the actor's (a signed-in user's) consent for the project on
// the API (apiID "": to their identity): the app must ask again, and every refresh
// family of the user, the project and the API is revoked. (Its access tokens already
// issued expire within their lifetime.) Another user's consent, or none, is
// ErrNotFound. The withdrawal is audited as consent.withdraw, with the scopes it held
// and how many refresh families it revoked, in the project's team's log.
func (s *Store) RevokeConsent(ctx context.Context, actor models.Actor, projectID, apiID string) error {
	if actor.User == nil {
		return models.ErrNotFound
	}
	userID := actor.User.ID
	return s.transact(ctx, func(tx *gorm.DB) error {
		var c models.Consent
		err := whereConsent(tx, userID, projectID, apiID).Take(&c).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return models.ErrNotFound
		}
		if err != nil {
			return err
		}
		res := whereConsent(tx, userID, projectID, apiID).Delete(&models.Consent{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return models.ErrNotFound
		}
		details := map[string]any{"scopes": c.Scopes}
		cond, args := "user_id = ? AND project_id = ? AND api_id IS NULL", []any{userID, projectID}
		if apiID != "" {
			cond, args = "user_id = ? AND project_id = ? AND api_id = ?", append(args, apiID)
		}
		n, err := s.revokeFamilies(tx, actor, models.RefreshRevokedConsent, "", cond, args...)
		if err != nil {
			return err
		}
		if n > 0 {
			details["refresh_families_revoked"] = n
		}
		return s.auditConsent(tx, actor, "consent.withdraw", projectID, apiID, details)
	}, false)
}

package store

import (
	"context"
	"crypto/subtle"
	"errors"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/gatehouse-dev/gatehouse/models"
)

// newRefreshToken returns a fresh refresh token.
func newRefreshToken() string { return models.NewRefreshToken() }

// wellFormedRefreshToken reports whether t could be one of ours, before any lookup.
func wellFormedRefreshToken(t string) bool { return models.WellFormedRefreshToken(t) }

// errBadRefresh is the answer for a refresh token that is unknown, another client's,
// expired, rotated or revoked: invalid_grant, with why when telling it reveals nothing
// to someone without the token.
func errBadRefresh(why string) *models.OAuthError {
	return oauthErr(models.ErrCodeInvalidGrant, why)
}

const unknownRefresh = "the refresh token is unknown, expired or revoked"

// refreshSettings reads a project's refresh-token policy and lifetimes (the project a
// client authenticated as comes from the issuance query, which does not carry them).
func refreshSettings(db *gorm.DB, projectID string) (*models.Project, error) {
	var p models.Project
	err := db.Select("id", "refresh_tokens", "refresh_idle_ttl", "refresh_absolute_ttl", "vault").Where("id = ?", projectID).Take(&p).Error
	return &p, notFound(err)
}

// refreshExpiry is when a token issued now idles out: the idle lifetime, never past the
// family's end.
func refreshExpiry(now time.Time, idle time.Duration, familyEnd time.Time) time.Time {
	if e := now.Add(idle); e.Before(familyEnd) {
		return e
	}
	return familyEnd
}

// issueRefreshToken adds a refresh token to the tokens of a redeemed code when the
// project's policy gives one: always, or when the user allowed offline_access. It starts
// a family that lives the project's absolute lifetime. In the same transaction the code
// is checked not to have been replayed meanwhile: a replay revokes the families of its
// code, and one recorded before this family existed must not miss it. A project in
// vault mode keeps the family (vault) and hands out only its id (the delegation a
// service names at token exchange): the token itself is dropped unseen.
func (s *Store) issueRefreshToken(ctx context.Context, p *models.Project, ac *models.AuthorizationCode, tok *models.IssuedToken) error {
	set, err := refreshSettings(s.db.WithContext(ctx), p.ID)
	if err != nil {
		return unavailable(ctx, err)
	}
	identity := strings.Fields(ac.IdentityScopes)
	switch {
	case set.RefreshTokens == models.RefreshAlways:
	case set.RefreshTokens == models.RefreshOfflineAccess && slices.Contains(identity, models.ScopeOfflineAccess):
	default:
		return nil
	}
	now := s.now()
	token := newRefreshToken()
	familyEnd := now.Add(time.Duration(set.RefreshAbsoluteTTL) * time.Second)
	rt := models.RefreshToken{Hash: models.SHA256Hex(token), FamilyID: newID("rtf"), ProjectID: p.ID, UserID: ac.UserID, APIID: ac.APIID,
		Scopes: ac.Scopes, IdentityScopes: ac.IdentityScopes, AuthTime: ac.AuthTime, ACR: ac.ACR, AMR: ac.AMR, CodeHash: ac.Hash,
		FamilyCreatedAt: now, CreatedAt: now, ExpiresAt: refreshExpiry(now, time.Duration(set.RefreshIdleTTL)*time.Second, familyEnd),
		FamilyExpiresAt: familyEnd, Vault: set.Vault, CertThumbprint: models.CertificateBinding(ctx)}
	if p.PublicClient {
		// RFC 9449 §5: a public client's refresh tokens are bound to the DPoP key of the
		// request that got them (a confidential client's stay unbound: it authenticates).
		rt.DPoPJKT = models.DPoPKey(ctx)
	}
	replayed := false
	err = s.transact(ctx, func(tx *gorm.DB) error {
		// Locks the code's row: a replay waits for this family, or this sees the replay.
		res := tx.Exec(`UPDATE authorization_codes SET used_at = used_at WHERE hash = ? AND replayed_at IS NULL`, ac.Hash)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			replayed = true
			return nil
		}
		return tx.Create(&rt).Error
	}, false)
	if err != nil {
		return unavailable(ctx, err)
	}
	if replayed {
		return errBadCode("the code is unknown, expired or already used")
	}
	if set.Vault {
		tok.Delegation = rt.FamilyID
		return nil
	}
	tok.RefreshToken = token
	return nil
}

// RefreshAccessToken is the refresh_token grant (RFC 6749 §6) for the authenticated (or
// public) client p: the token must be p's, unexpired (idle and absolute), unrotated, its
// family unrevoked, the user's consent still there, and the project's policy not off.
// It is rotated: marked used and replaced by a new token of its family, in one
// transaction whose conditional update lets exactly one of concurrent uses win. A token
// already rotated is reuse (RFC 9700 §4.14.2): its family is revoked and the event
// audited as refresh.reuse_detected — unless it was rotated less than
// models.RefreshGrace ago, which is taken for the loser of a race between two copies of
// the app and only refused. scope may narrow the family's scopes, never widen them
// (invalid_scope); the scopes are recomputed against the project's grant and the API's
// delegable scopes as at code redemption. The tokens carry the family's auth_time, acr
// and amr unchanged; with openid a fresh ID token comes too, without a nonce. A family
// bound to a DPoP key (a public client's, RFC 9449 §5) is refreshed only by a request
// whose proof is by that key (models.DPoPKey(ctx)): any other is invalid_grant and
// changes nothing — no rotation, no reuse detection, since whoever sent it cannot use
// the token anyway.
func (s *Store) RefreshAccessToken(ctx context.Context, p *models.Project, token, scope string) (*models.IssuedToken, error) {
	if s.signer == nil {
		return nil, models.ErrSigningUnavailable
	}
	if !p.AllowsGrant(models.GrantAuthorizationCode) {
		return nil, oauthErr(models.ErrCodeUnauthorizedClient, "this client may not act for users (the authorization code grant)")
	}
	if token == "" {
		return nil, oauthErr(models.ErrCodeInvalidRequest, "refresh_token is required")
	}
	if !wellFormedRefreshToken(token) {
		return nil, errBadRefresh(unknownRefresh)
	}
	hash := models.SHA256Hex(token)
	db := s.db.WithContext(ctx)
	var rt models.RefreshToken
	err := db.Where("hash = ?", hash).Take(&rt).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, errBadRefresh(unknownRefresh)
	}
	if err != nil {
		return nil, unavailable(ctx, err)
	}
	if subtle.ConstantTimeCompare([]byte(rt.ProjectID), []byte(p.ID)) != 1 {
		return nil, errBadRefresh(unknownRefresh) // another client's: nothing changes
	}
	if rt.CertThumbprint != "" && subtle.ConstantTimeCompare([]byte(rt.CertThumbprint), []byte(models.CertificateBinding(ctx))) != 1 {
		// RFC 8705 §4: bound to the certificate it was issued over; nothing changes.
		return nil, errBadRefresh("this refresh token is bound to a TLS client certificate: present the same certificate over mutual TLS")
	}
	if rt.DPoPJKT != "" && subtle.ConstantTimeCompare([]byte(models.DPoPKey(ctx)), []byte(rt.DPoPJKT)) != 1 {
		return nil, errBadRefresh("the refresh token is bound to a DPoP key: send a DPoP proof signed by that key")
	}
	set, err := refreshSettings(db, p.ID)
	if err != nil {
		return nil, unavailable(ctx, err)
	}
	if set.RefreshTokens == models.RefreshOff {
		return nil, oauthErr(models.ErrCodeUnauthorizedClient, "refresh tokens are turned off for this client")
	}
	now := s.now()
	switch {
	case rt.RevokedAt != nil:
		return nil, errBadRefresh(unknownRefresh)
	case rt.UsedAt != nil:
		return nil, s.refuseRotated(ctx, p, &rt, now)
	case !now.Before(rt.ExpiresAt) || !now.Before(rt.FamilyExpiresAt):
		return nil, errBadRefresh(unknownRefresh)
	}
	ug, err := refreshedGrant(&rt, scope)
	if err != nil {
		return nil, err
	}
	var c models.Consent
	err = whereConsent(db, rt.UserID, p.ID, deref(rt.APIID)).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, errBadRefresh("the user withdrew their consent to this client")
	}
	if err != nil {
		return nil, unavailable(ctx, err)
	}
	tok, err := s.userTokens(ctx, p, ug)
	if err != nil {
		return nil, err
	}
	next := newRefreshToken()
	nrt := rt
	nrt.Hash, nrt.CreatedAt, nrt.LastUsedAt, nrt.UsedAt = models.SHA256Hex(next), now, &now, nil
	nrt.ExpiresAt = refreshExpiry(now, time.Duration(set.RefreshIdleTTL)*time.Second, rt.FamilyExpiresAt)
	lost := false
	err = s.transact(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&models.RefreshToken{}).Where("hash = ? AND used_at IS NULL AND revoked_at IS NULL", hash).
			Updates(map[string]any{"used_at": now, "last_used_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			lost = true
			return nil
		}
		return tx.Create(&nrt).Error
	}, false)
	if err != nil {
		return nil, unavailable(ctx, err)
	}
	if lost {
		// Another use of the same token won, or its family was revoked meanwhile.
		if err := db.Where("hash = ?", hash).Take(&rt).Error; err != nil {
			return nil, unavailable(ctx, err)
		}
		if rt.RevokedAt != nil || rt.UsedAt == nil {
			return nil, errBadRefresh(unknownRefresh)
		}
		return nil, s.refuseRotated(ctx, p, &rt, now)
	}
	tok.RefreshToken = next
	return tok, nil
}

func deref(id *string) string {
	if id == nil {
		return ""
	}
	return *id
}

// refuseRotated answers a refresh token that was already rotated: inside the grace
// window a concurrent refresh won, and the family stays; after it, the token is reused
// (stolen, or replayed) and its family is revoked and audited.
func (s *Store) refuseRotated(ctx context.Context, p *models.Project, rt *models.RefreshToken, now time.Time) error {
	if now.Sub(*rt.UsedAt) < models.RefreshGrace {
		return errBadRefresh("the refresh token was just used by another request: use the refresh token that request received")
	}
	err := s.transact(ctx, func(tx *gorm.DB) error {
		_, err := s.revokeFamilies(tx, models.Actor{Client: p.ID}, models.RefreshRevokedReuse, "refresh.reuse_detected",
			"family_id = ?", rt.FamilyID)
		return err
	}, false)
	if err != nil {
		return unavailable(ctx, err)
	}
	return errBadRefresh("the refresh token was already used: every refresh token issued with it is revoked, and the user must sign in again")
}

// refreshedGrant is what a refresh of rt may issue: the family's scopes, or fewer when
// scope names a subset (RFC 6749 §6). Identity scopes and API scopes narrow
// separately: a kind the parameter does not name stays as granted.
func refreshedGrant(rt *models.RefreshToken, scope string) (userGrant, error) {
	apiScopes, identity := strings.Fields(rt.Scopes), strings.Fields(rt.IdentityScopes)
	if strings.TrimSpace(scope) != "" {
		reqID, reqAPI := models.SplitScopes(scope)
		var narrowed []string
		for _, sc := range reqAPI {
			if !slices.Contains(apiScopes, sc) {
				return userGrant{}, oauthErr(models.ErrCodeInvalidScope, "the scope "+models.QuoteForError(sc)+
					" was not granted with this refresh token: a refresh may narrow the scopes, never widen them")
			}
			if !slices.Contains(narrowed, sc) {
				narrowed = append(narrowed, sc)
			}
		}
		for _, sc := range reqID {
			if !slices.Contains(identity, sc) {
				return userGrant{}, oauthErr(models.ErrCodeInvalidScope, "the scope "+models.QuoteForError(sc)+
					" was not granted with this refresh token: a refresh may narrow the scopes, never widen them")
			}
		}
		if len(narrowed) > 0 {
			apiScopes = narrowed
		}
		if len(reqID) > 0 {
			identity = reqID
		}
	}
	authTime := rt.AuthTime
	return userGrant{userID: rt.UserID, apiID: rt.APIID, scopes: apiScopes, identity: identity,
		sub: subject{id: rt.UserID, typ: models.SubjectUser, authTime: &authTime, acr: rt.ACR, amr: strings.Fields(rt.AMR)}}, nil
}

// refreshFamily is one family's identity, for revoking and auditing it.
type refreshFamily struct {
	FamilyID, ProjectID, UserID string
	APIID                       *string `gorm:"column:api_id"`
}

// revokeFamilies revokes, in tx, every refresh family that has a token matching cond (a
// condition on refresh_tokens, with args) and is not revoked yet, giving reason. With an
// action each family revoked is audited in its project's team's log. It returns how
// many families it revoked.
func (s *Store) revokeFamilies(tx *gorm.DB, actor models.Actor, reason, action, cond string, args ...any) (int, error) {
	var fams []refreshFamily
	err := tx.Model(&models.RefreshToken{}).Distinct("family_id", "project_id", "user_id", "api_id").
		Where("revoked_at IS NULL").Where(cond, args...).Scan(&fams).Error
	if err != nil || len(fams) == 0 {
		return 0, err
	}
	ids := make([]string, len(fams))
	for i, f := range fams {
		ids[i] = f.FamilyID
	}
	// A rotation in flight holds its token's row: the update waits for it, and the
	// token it inserted, committed meanwhile, is only seen by a later statement (each
	// statement of a PostgreSQL transaction reads what was committed when it began).
	// So the update runs until it finds nothing left; a rotation that starts after a
	// pass finds its token revoked.
	now := s.now()
	for pass := 0; pass < 10; pass++ {
		res := tx.Model(&models.RefreshToken{}).Where("family_id IN ? AND revoked_at IS NULL", ids).
			Updates(map[string]any{"revoked_at": now, "revoked_reason": reason})
		if res.Error != nil {
			return 0, res.Error
		}
		if res.RowsAffected == 0 {
			break
		}
	}
	if action == "" {
		return len(fams), nil
	}
	for _, f := range fams {
		if err := s.auditRefresh(tx, actor, action, &f, reason); err != nil {
			return 0, err
		}
	}
	return len(fams), nil
}

// auditRefresh writes a refresh family's event in its project's team's log: the target
// is the family (labelled "project → API" or "project → identity"), the details name the
// user, the API and the reason.
func (s *Store) auditRefresh(tx *gorm.DB, actor models.Actor, action string, f *refreshFamily, reason string) error {
	var names struct{ TeamID, ProjectName, APIName, UserLabel string }
	err := tx.Raw(`SELECT p.team_id, p.name AS project_name, COALESCE((SELECT a.name FROM apis a WHERE a.id = ?), '') AS api_name,
		COALESCE((SELECT CASE WHEN u.email <> '' THEN u.email ELSE u.name END FROM users u WHERE u.id = ?), '') AS user_label
		FROM projects p WHERE p.id = ?`, deref(f.APIID), f.UserID, f.ProjectID).Scan(&names).Error
	if err != nil {
		return err
	}
	label := names.ProjectName + " → identity"
	details := map[string]any{"user_id": f.UserID, "user": names.UserLabel, "reason": reason}
	if f.APIID != nil {
		label = names.ProjectName + " → " + names.APIName
		details["api"], details["api_id"] = names.APIName, *f.APIID
	}
	return s.audit(tx, actor, event{team: names.TeamID, project: f.ProjectID, action: action, targetType: "refresh_family",
		targetID: f.FamilyID, target: label, details: details})
}

// revokeRefreshAsClient revokes the family of a refresh token presented by its own
// client at the revocation endpoint (RFC 7009 §2.1). Another client's, unknown or
// garbage changes nothing.
func (s *Store) revokeRefreshAsClient(ctx context.Context, caller *models.Project, token string) (bool, error) {
	if !wellFormedRefreshToken(token) {
		return false, nil
	}
	n := 0
	err := s.transact(ctx, func(tx *gorm.DB) error {
		var err error
		n, err = s.revokeFamilies(tx, models.Actor{Client: caller.ID}, models.RefreshRevokedClient, "refresh.revoke",
			"family_id IN (SELECT family_id FROM refresh_tokens WHERE hash = ? AND project_id = ?)", models.SHA256Hex(token), caller.ID)
		return err
	}, false)
	return n > 0, err
}

// ProjectRefreshFamilies lists the users' active refresh families of a project (each by
// its current token), newest first, for the team's admins (secret.manage: they revoke
// the project's credentials).
func (s *Store) ProjectRefreshFamilies(ctx context.Context, actor models.Actor, projectID string) ([]models.RefreshFamily, error) {
	db := s.db.WithContext(ctx)
	if _, err := projectFor(db, actor, projectID, models.ActSecretManage); err != nil {
		return nil, err
	}
	now := s.now()
	var out []models.RefreshFamily
	err := db.Raw(`SELECT r.family_id, r.user_id, u.name AS user_name, u.email AS user_email, COALESCE(a.name, '') AS api_name,
		r.scopes, r.identity_scopes, r.family_created_at, r.last_used_at, r.expires_at, r.vault
		FROM refresh_tokens r JOIN users u ON u.id = r.user_id LEFT JOIN apis a ON a.id = r.api_id
		WHERE r.project_id = ? AND r.used_at IS NULL AND r.revoked_at IS NULL AND r.expires_at > ? AND r.family_expires_at > ?
		ORDER BY r.family_created_at DESC, r.family_id LIMIT 500`, projectID, now, now).Scan(&out).Error
	return out, err
}

// RevokeRefreshFamily revokes one of a project's refresh families (secret.manage),
// audited as refresh.revoke. A family that is not the project's, or already revoked,
// is ErrNotFound.
func (s *Store) RevokeRefreshFamily(ctx context.Context, actor models.Actor, projectID, familyID string) error {
	return s.transact(ctx, func(tx *gorm.DB) error {
		p, err := projectFor(tx, actor, projectID, models.ActSecretManage)
		if err != nil {
			return err
		}
		n, err := s.revokeFamilies(tx, actor, models.RefreshRevokedAdmin, "refresh.revoke", "family_id = ? AND project_id = ?", familyID, p.ID)
		if err != nil {
			return err
		}
		if n == 0 {
			return models.ErrNotFound
		}
		return nil
	}, false)
}

// PruneRefreshTokens forgets families that ended (absolute lifetime) or were revoked
// more than a day ago, with their vault use counters: a token of theirs presented
// again is unknown, and refused the same.
func (s *Store) PruneRefreshTokens(ctx context.Context) error {
	now := s.now()
	err := s.db.WithContext(ctx).Where("family_expires_at < ? OR revoked_at < ?", now, now.Add(-24*time.Hour)).
		Delete(&models.RefreshToken{}).Error
	if err != nil {
		return err
	}
	// The credentials vault's use counters of the families forgotten.
	return s.db.WithContext(ctx).Exec(`DELETE FROM vault_uses WHERE family_id NOT IN (SELECT family_id FROM refresh_tokens)`).Error
}

// checkRefreshPolicy validates refresh-token settings (nil: left as they are): a known
// policy, an idle lifetime of 1 to 365 days within an absolute one of 1 to 365 days.
func checkRefreshPolicy(v *models.ValidationError, r *models.RefreshPolicy) {
	if r == nil {
		return
	}
	maxDays := int(models.MaxRefreshAbsoluteTTL / (24 * time.Hour))
	if !models.ValidRefreshPolicy(r.Issue) {
		v.Add("refresh_tokens", "choose when refresh tokens are issued")
	}
	if r.AbsoluteDays < 1 || r.AbsoluteDays > maxDays {
		v.Add("refresh_absolute_days", "must be between 1 and 365 days")
	}
	if r.IdleDays < 1 || r.IdleDays > maxDays {
		v.Add("refresh_idle_days", "must be between 1 and 365 days")
	} else if r.IdleDays > r.AbsoluteDays && r.AbsoluteDays >= 1 {
		v.Add("refresh_idle_days", "must not be longer than the absolute lifetime")
	}
}

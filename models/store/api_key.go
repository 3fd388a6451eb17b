package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/go-jose/go-jose/v4/jwt"
	"gorm.io/gorm"
)

// CreateAPIKey issues a key for the project and one API it holds a grant for: the API
// must accept API keys, the scopes must be granted, the expiry within the portal's and
// the API's caps. The key row, its status-list index and the audit event are written in
// one transaction with an EventAPIKeyCreated; the key is returned in plain text this
// one time. With in.PublicKey the key is bound to that public key (its thumbprint in
// cnf.jkt and the row, audited): verifiers then require a DPoP proof by its private key
// with every use.
func (s *Store) CreateAPIKey(ctx context.Context, actor models.Actor, projectID string, in models.APIKeyInput, idempotencyKey string) (*models.APIKey, string, error) {
	if s.signer == nil {
		return nil, "", models.ErrSigningUnavailable
	}
	var v models.ValidationError
	name := cleanName(&v, "name", in.Name, 60)
	max := s.signer.Config().KeyMaxLifetime
	if in.TTL <= 0 || in.TTL > max {
		v.Add("expires_in", fmt.Sprintf("choose an expiry of at most %d days", int(max.Hours()/24)))
	}
	jkt := ""
	if strings.TrimSpace(in.PublicKey) != "" {
		pk, msg := models.ParsePoPKey(in.PublicKey)
		if msg != "" {
			v.Add("public_key", msg)
		}
		jkt = pk.JKT
	}
	var (
		key   *models.APIKey
		token string
	)
	err := s.tx(ctx, func(tx *gorm.DB) error {
		p, err := projectFor(tx, actor, projectID, models.ActKeyManage)
		if err != nil {
			return err
		}
		g, err := keyGrant(tx, &v, p, in)
		if err != nil {
			return err
		}
		if err := v.AsError(); err != nil { // only once the actor may create keys here
			return err
		}
		now := s.now()
		key = &models.APIKey{ID: newID("key"), ProjectID: &p.ID, TeamID: p.TeamID, Name: name, Scopes: strings.Join(g.scopes, " "),
			Audiences: g.api.Identifier, CreatedBy: optional(actor.UserID()), CreatedAt: now, ExpiresAt: now.Add(in.TTL), JKT: jkt}
		if err := s.claimIdempotencyKey(tx, actor, idempotencyKey, key.ID); err != nil {
			return err
		}
		if key.StatusListID, key.StatusIdx, err = s.allocateStatusIndex(tx); err != nil {
			return err
		}
		claims := models.APIKeyClaims{
			Claims: jwt.Claims{Issuer: s.signer.Config().Issuer, Subject: p.ClientID(), Audience: jwt.Audience{g.api.Identifier},
				IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(key.ExpiresAt), ID: key.ID},
			Scope: key.Scopes, Team: p.TeamID,
		}
		if jkt != "" {
			claims.Cnf = &models.Confirmation{JKT: jkt}
		}
		claims.Status.StatusList.Idx, claims.Status.StatusList.URI = key.StatusIdx, s.signer.StatusListURI(key.StatusListID)
		if token, key.KID, err = s.signer.Sign(models.TypAPIKey, claims); err != nil {
			return err
		}
		key.KeyHash = models.SHA256Hex(token)
		if err := tx.Create(key).Error; err != nil {
			return err
		}
		data := map[string]any{"api_id": g.api.ID, "audiences": []string{g.api.Identifier}}
		details := map[string]any{"api": g.api.Name, "audiences": key.Audiences, "scopes": key.Scopes,
			"expires_at": key.ExpiresAt.Format(time.RFC3339), "kid": key.KID}
		if jkt != "" {
			data["jkt"], details["jkt"] = jkt, jkt
		}
		if err := s.emit(tx, models.Event{Type: models.EventAPIKeyCreated, TeamID: p.TeamID, ProjectID: p.ID, SubjectID: key.ID,
			Data: data}); err != nil {
			return err
		}
		return s.audit(tx, actor, event{team: p.TeamID, project: p.ID, action: "key.create", targetType: "api_key", targetID: key.ID,
			target: key.Name, details: details})
	})
	if err != nil {
		return nil, "", err
	}
	return key, token, nil
}

// keyGrantChoice is the API a key is for and the scopes it will carry.
type keyGrantChoice struct {
	api    models.API
	scopes []string
}

// keyGrant checks a key request against the project's grant on the chosen API (read in
// the issuing transaction, so a grant revoked a moment ago issues nothing). Problems
// with the input are added to v.
func keyGrant(tx *gorm.DB, v *models.ValidationError, p *models.Project, in models.APIKeyInput) (*keyGrantChoice, error) {
	out := &keyGrantChoice{}
	if in.API == "" {
		v.Add("api", "choose the API this key is for")
		return out, nil
	}
	var g models.Grant
	err := tx.Where("project_id = ? AND api_id = ?", p.ID, in.API).Take(&g).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		v.Add("api", "this project holds no grant for that API")
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	if err := tx.Where("id = ?", g.APIID).Take(&out.api).Error; err != nil {
		return nil, err
	}
	if !out.api.AcceptsAPIKeys {
		v.Add("api", out.api.Name+" does not accept API keys; get access tokens at the token endpoint instead")
	}
	if in.TTL > 0 && out.api.MaxKeyTTL > 0 && in.TTL > time.Duration(out.api.MaxKeyTTL)*time.Second {
		v.Add("expires_in", fmt.Sprintf("%s accepts keys of at most %d days", out.api.Name, out.api.MaxKeyTTL/86400))
	}
	granted := g.ScopeList()
	for _, sc := range in.Scopes {
		if !slices.Contains(granted, sc) {
			v.Add("scopes", fmt.Sprintf("%q is not granted to this project for %s", models.Truncate(sc, 40), out.api.Name))
		} else if !slices.Contains(out.scopes, sc) {
			out.scopes = append(out.scopes, sc)
		}
	}
	slices.Sort(out.scopes)
	return out, nil
}

// APIKeys lists a project's keys, newest first.
func (s *Store) APIKeys(ctx context.Context, actor models.Actor, projectID string) ([]models.APIKeyInfo, error) {
	db := s.db.WithContext(ctx)
	if _, err := projectFor(db, actor, projectID, models.ActProjectView); err != nil {
		return nil, err
	}
	var out []models.APIKeyInfo
	err := db.Table("api_keys AS k").
		Select("k.*, COALESCE(NULLIF(u.email, ''), u.name, '') AS created_by_label").
		Joins("LEFT JOIN users u ON u.id = k.created_by").
		Where("k.project_id = ?", projectID).Order("k.created_at DESC, k.id DESC").Scan(&out).Error
	return out, err
}

// RevokeAPIKey revokes one of the project's keys: its status bit is set and the list is
// re-signed. Revoking twice changes nothing and writes no second event.
func (s *Store) RevokeAPIKey(ctx context.Context, actor models.Actor, projectID, keyID string) error {
	_, err := s.revokeKey(ctx, actor, projectID, keyByID(keyID), "key.revoke", models.ViaPage)
	if errors.Is(err, errKeyNotFound) {
		return models.ErrNotFound // /projects/{mine}/keys/{theirs} is 404
	}
	return err
}

// RevokeAPIKeyByValue revokes a leaked key pasted by a member. The actor's permission is
// decided first; then the key's signature (a forged or foreign JWT revokes nothing); then
// the key is found by its jti within the project. The jti, not the bytes, identifies it:
// an ECDSA signature has a second valid spelling (r, n−s), and either spelling revokes
// the same key.
func (s *Store) RevokeAPIKeyByValue(ctx context.Context, actor models.Actor, projectID, token string) (*models.APIKey, error) {
	if s.signer == nil {
		return nil, models.ErrSigningUnavailable
	}
	token = strings.TrimSpace(token)
	var claims models.APIKeyClaims
	reason := ""
	if err := s.signer.VerifyOwn(token, models.TypAPIKey, &claims); err != nil || claims.Issuer != s.signer.Config().Issuer || claims.ID == "" {
		reason = "not a key signed by this portal"
	}
	k, err := s.revokeKey(ctx, actor, projectID, func(tx *gorm.DB, p *models.Project, k *models.APIKey) error {
		if reason != "" {
			return errKeyNotFound
		}
		err := tx.Where("id = ? AND project_id = ?", claims.ID, p.ID).Take(k).Error
		if errors.Is(err, gorm.ErrRecordNotFound) && claims.Subject == p.ID {
			// Signed by this portal for this project, yet unknown: its row was lost (a
			// restored backup, a crash before durability). Its status reference still
			// holds: revoke by that.
			return s.lostKey(tx, p, &claims, models.SHA256Hex(token), k)
		}
		if errors.Is(err, gorm.ErrRecordNotFound) {
			reason = "a key of another project"
			return errKeyNotFound
		}
		return err
	}, "key.revoke_by_value", models.ViaPaste)
	if errors.Is(err, errKeyNotFound) {
		return nil, s.refusedByValue(ctx, actor, projectID, reason)
	}
	return k, err
}

// refusedByValue records in the project's audit log why a pasted value revoked nothing,
// and returns the one answer the member sees.
func (s *Store) refusedByValue(ctx context.Context, actor models.Actor, projectID, reason string) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		p, err := projectFor(tx, actor, projectID, models.ActKeyManage)
		if err != nil {
			return err
		}
		return s.audit(tx, actor, event{team: p.TeamID, project: p.ID, action: "key.revoke_by_value_refused", targetType: "project",
			targetID: p.ID, target: p.Name, details: map[string]any{"reason": reason}})
	})
	if err != nil {
		return err
	}
	return models.ErrNotThisProjectsKey
}

// errKeyNotFound is "the project is yours but has no such key", kept apart from the
// project's own ErrNotFound inside revokeKey.
var errKeyNotFound = errors.New("no such key in this project")

// keyByID finds a key by id within the project.
func keyByID(id string) func(tx *gorm.DB, p *models.Project, k *models.APIKey) error {
	return func(tx *gorm.DB, p *models.Project, k *models.APIKey) error {
		err := tx.Where("id = ? AND project_id = ?", id, p.ID).Take(k).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return errKeyNotFound
		}
		return err
	}
}

// revokeKey authorizes the actor on the project, finds one of its keys with find and
// revokes it; it returns the key. Revoking twice changes nothing.
func (s *Store) revokeKey(ctx context.Context, actor models.Actor, projectID string, find func(tx *gorm.DB, p *models.Project, k *models.APIKey) error, action, via string) (*models.APIKey, error) {
	var k models.APIKey
	err := s.tx(ctx, func(tx *gorm.DB) error {
		p, err := projectFor(tx, actor, projectID, models.ActKeyManage)
		if err != nil {
			return err
		}
		if err := find(tx, p, &k); err != nil {
			return err
		}
		_, err = s.revoke(tx, actor, p, &k, revocation{action: action, via: via})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &k, nil
}

// revocation says why and how a key is revoked.
type revocation struct {
	// action is the audit event's ("key.revoke", "key.revoke_by_value").
	action string
	// via is how (Via…), for the event, the usage counters and the metrics.
	via string
	// reason, when set, is kept on the key and shown to its owners.
	reason string
}

// revoke is the one way an API key gets revoked, whatever asked for it: it sets the
// key's revoked_at and status bit (the list's version moves and the change log gets a
// row, so every instance flips the bit in memory, re-signs the list and pushes the
// change to its feed's subscribers), writes one audit event and appends one
// EventAPIKeyRevoked to the outbox, all in tx; once tx commits, this instance's status
// list and caches reflect it at once and the event's subscribers (usage counters,
// metrics, the revocation feed) hear of it. A key already revoked
// is left alone: revoked reports whether this call revoked it.
func (s *Store) revoke(tx *gorm.DB, actor models.Actor, p *models.Project, k *models.APIKey, r revocation) (revoked bool, err error) {
	if k.RevokedAt != nil {
		return false, nil
	}
	now := s.now()
	set := map[string]any{"revoked_at": now}
	if r.reason != "" {
		set["revoked_reason"] = models.Truncate(r.reason, 300)
	}
	res := tx.Model(&models.APIKey{}).Where("id = ? AND revoked_at IS NULL", k.ID).Updates(set)
	if res.Error != nil {
		return false, res.Error
	}
	if res.RowsAffected == 0 {
		return false, nil // revoked by a concurrent transaction, which did the rest
	}
	k.RevokedAt = &now
	if r.reason != "" {
		k.RevokedReason = r.reason
	}
	if err := s.bumpStatusLists(tx, k.StatusListID); err != nil {
		return false, err
	}
	if err := s.logStatusChange(tx, k.StatusListID, k.StatusIdx, models.StatusRevoked); err != nil {
		return false, err
	}
	details := map[string]any{"status_list": k.StatusListID, "idx": k.StatusIdx, "via": r.via}
	if r.reason != "" {
		details["reason"] = r.reason
	}
	if err := s.audit(tx, actor, event{team: p.TeamID, project: p.ID, action: r.action, targetType: "api_key", targetID: k.ID,
		target: k.Name, details: details}); err != nil {
		return false, err
	}
	listID, idx := k.StatusListID, k.StatusIdx
	afterCommit(tx, func() {
		if s.signer != nil {
			s.signer.MarkRevoked(listID, idx)
		}
	})
	data := map[string]any{"status_list": listID, "idx": idx, "audiences": strings.Fields(k.Audiences)}
	if r.reason != "" {
		data["reason"] = r.reason
	}
	if err := s.emit(tx, models.Event{Type: models.EventAPIKeyRevoked, TeamID: p.TeamID, ProjectID: p.ID, SubjectID: k.ID, Via: r.via, Data: data}); err != nil {
		return false, err
	}
	if r.via == models.ViaPaste {
		// Its value was out in the open: the team's security tooling hears of it.
		return true, s.emit(tx, models.Event{Type: models.EventLeakReported, TeamID: p.TeamID, ProjectID: p.ID, SubjectID: k.ID,
			Data: map[string]any{"kind": "api_key", "name": k.Name, "revoked": true}})
	}
	return true, nil
}

// revokeProjectKeys revokes every live key of a project (when it is deleted).
func (s *Store) revokeProjectKeys(tx *gorm.DB, actor models.Actor, p *models.Project) error {
	var keys []models.APIKey
	if err := tx.Where("project_id = ? AND revoked_at IS NULL", p.ID).Find(&keys).Error; err != nil {
		return err
	}
	for i := range keys {
		if _, err := s.revoke(tx, actor, p, &keys[i], revocation{action: "key.revoke", via: models.ViaProjectDelete,
			reason: "project " + p.Name + " deleted"}); err != nil {
			return err
		}
	}
	return nil
}

// lostKey stands in for a key the portal signed for p whose row is gone: it finds the
// row that holds the key's status-list index now (a key issued after the loss reused
// it, and is revoked with it — the safe side), or writes a row for the lost key, so that
// revoking sets its bit; and it moves the list's allocator past the index, so no later
// key gets it again. The allocator's high-water mark never moves backwards.
func (s *Store) lostKey(tx *gorm.DB, p *models.Project, claims *models.APIKeyClaims, hash string, k *models.APIKey) error {
	listID := strings.TrimPrefix(claims.Status.StatusList.URI, s.signer.StatusListURI(""))
	idx := claims.Status.StatusList.Idx
	if listID == claims.Status.StatusList.URI || listID == "" || idx < 0 || idx >= models.StatusListSize {
		return errKeyNotFound
	}
	if err := tx.Model(&models.StatusList{}).Where("id = ? AND next_idx <= ?", listID, idx).Update("next_idx", idx+1).Error; err != nil {
		return err
	}
	err := tx.Where("status_list_id = ? AND status_idx = ?", listID, idx).Take(k).Error
	if err == nil || !errors.Is(err, gorm.ErrRecordNotFound) {
		return err
	}
	now := s.now()
	exp := now
	if claims.Expiry != nil {
		exp = claims.Expiry.Time()
	}
	*k = models.APIKey{ID: claims.ID, ProjectID: &p.ID, TeamID: p.TeamID, Name: "(a key whose record was lost)", Scopes: claims.Scope,
		Audiences: strings.Join(claims.Audience, " "), StatusListID: listID, StatusIdx: idx, KeyHash: hash, CreatedAt: now, ExpiresAt: exp}
	return tx.Create(k).Error
}

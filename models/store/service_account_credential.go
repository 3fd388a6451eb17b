package store

import (
	"cmp"
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"gorm.io/gorm"
)

// AddServiceAccountKey registers a public key with which the service account signs
// private_key_jwt assertions (RFC 7523), like a project's client keys.
func (s *Store) AddServiceAccountKey(ctx context.Context, actor models.Actor, teamID, saID string, in models.ClientKeyInput, idempotencyKey string) (*models.ServiceAccountCredential, error) {
	// Permission first: only someone who may manage the account makes the portal parse
	// key material or fetch a URL.
	if _, err := serviceAccountIn(s.db.WithContext(ctx), actor, teamID, saID); err != nil {
		return nil, err
	}
	var v models.ValidationError
	k := s.readClientKey(ctx, &v, in)
	if err := v.AsError(); err != nil {
		return nil, err
	}
	c := &models.ServiceAccountCredential{ID: newID("ck"), ServiceAccountID: saID, Kind: models.CredentialKey, Name: k.Name,
		KID: k.KID, Alg: k.Alg, JWK: k.JWK, JWKSURI: k.JWKSURI, ExpiresAt: k.ExpiresAt, CreatedBy: optional(actor.UserID()), CreatedAt: k.CreatedAt}
	target := cmp.Or(c.JWKSURI, c.KID)
	return c, s.addServiceAccountCredential(ctx, actor, teamID, c, idempotencyKey, map[string]any{"key": target, "alg": c.Alg})
}

// AddWorkloadIdentity trusts an external issuer's workload tokens for the service
// account, under conditions: iss exactly the issuer (an https URL), aud containing the
// audience, sub matching the subject (exact or glob, never only *), and each named claim
// matching its pattern. The issuer's key set is fetched now with the SSRF-safe fetcher,
// so a wrong URL is caught at once. Nothing secret is stored.
func (s *Store) AddWorkloadIdentity(ctx context.Context, actor models.Actor, teamID, saID string, in models.WorkloadIdentityInput, idempotencyKey string) (*models.ServiceAccountCredential, error) {
	if _, err := serviceAccountIn(s.db.WithContext(ctx), actor, teamID, saID); err != nil {
		return nil, err
	}
	var v models.ValidationError
	c := &models.ServiceAccountCredential{ID: newID("wid"), ServiceAccountID: saID, Kind: models.CredentialWorkload,
		Name: cleanName(&v, "name", in.Name, 60), CreatedBy: optional(actor.UserID()), CreatedAt: s.now()}
	c.Issuer = strings.TrimSpace(in.Issuer)
	if u, err := url.Parse(c.Issuer); err != nil || u.Host == "" || (u.Scheme != "https" && !s.fetcher.AllowInsecure) || u.RawQuery != "" || u.Fragment != "" || len(c.Issuer) > 300 {
		v.Add("issuer", "must be the issuer's https URL exactly as its tokens' iss says it, without query or fragment")
	}
	c.Audience = strings.TrimSpace(in.Audience)
	if c.Audience == "" || len(c.Audience) > 300 {
		v.Add("audience", "is required: the aud your platform puts in the token for Gatehouse (at most 300 characters)")
	}
	c.Subject = strings.TrimSpace(in.Subject)
	switch {
	case c.Subject == "" || len(c.Subject) > 300:
		v.Add("subject", "is required: the workload's sub, exactly, or with * matching any text (at most 300 characters)")
	case !models.GlobSpecific(c.Subject):
		v.Add("subject", "must name some text, not only *: that would trust every workload of the issuer")
	}
	claims, err := in.ClaimMap, models.CheckClaimConditions(in.ClaimMap)
	if in.ClaimMap == nil {
		claims, err = models.ParseClaimConditions(in.Claims)
	}
	if err != nil {
		v.Add("claims", err.Error())
	} else if len(claims) > 0 {
		raw, _ := json.Marshal(claims)
		c.Claims = string(raw)
	}
	c.JWKSURI = strings.TrimSpace(in.JWKSURI)
	if c.JWKSURI == "" {
		v.Add("jwks_uri", "is required: the URL of the issuer's key set (its discovery document's jwks_uri)")
	} else if v.AsError() == nil {
		if _, err := s.fetcher.Keys(ctx, c.JWKSURI, true); err != nil {
			v.Add("jwks_uri", strings.TrimPrefix(err.Error(), models.ErrJWKSURI.Error()+": "))
		}
	}
	if err := v.AsError(); err != nil {
		return nil, err
	}
	details := map[string]any{"issuer": c.Issuer, "audience": c.Audience, "subject": c.Subject, "jwks_uri": c.JWKSURI}
	if c.Claims != "" {
		details["claims"] = claims
	}
	return c, s.addServiceAccountCredential(ctx, actor, teamID, c, idempotencyKey, details)
}

// CreateServiceAccountSecret creates a fallback secret for the service account and
// returns it in plain text, this one time; ttl 0 means no expiry. Prefer a key or a
// trusted workload issuer: nothing to leak.
func (s *Store) CreateServiceAccountSecret(ctx context.Context, actor models.Actor, teamID, saID, name string, ttl time.Duration, idempotencyKey string) (*models.ServiceAccountCredential, string, error) {
	if _, err := serviceAccountIn(s.db.WithContext(ctx), actor, teamID, saID); err != nil {
		return nil, "", err
	}
	var v models.ValidationError
	name = cleanName(&v, "name", name, 60)
	if ttl < 0 || ttl > 5*366*24*time.Hour {
		v.Add("expires_in", "choose one of the offered lifetimes")
	}
	if err := v.AsError(); err != nil {
		return nil, "", err
	}
	plain := models.NewClientSecret()
	hash := models.SHA256Hex(plain)
	c := &models.ServiceAccountCredential{ID: newID("sec"), ServiceAccountID: saID, Kind: models.CredentialSecret, Name: name,
		Hash: &hash, Hint: secretHint(plain), CreatedBy: optional(actor.UserID()), CreatedAt: s.now()}
	details := map[string]any{"hint": c.Hint}
	if ttl > 0 {
		exp := c.CreatedAt.Add(ttl)
		c.ExpiresAt = &exp
		details["expires_at"] = exp.Format(time.RFC3339)
	}
	if err := s.addServiceAccountCredential(ctx, actor, teamID, c, idempotencyKey, details); err != nil {
		return nil, "", err
	}
	return c, plain, nil
}

// addServiceAccountCredential stores a validated credential, checking again in the
// transaction that the actor may manage the account, audited.
func (s *Store) addServiceAccountCredential(ctx context.Context, actor models.Actor, teamID string, c *models.ServiceAccountCredential, idempotencyKey string, details map[string]any) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		sa, err := serviceAccountIn(tx, actor, teamID, c.ServiceAccountID)
		if err != nil {
			return err
		}
		if err := s.claimIdempotencyKey(tx, actor, idempotencyKey, c.ID); err != nil {
			return err
		}
		if err := tx.Create(c).Error; err != nil {
			return err
		}
		details["service_account"] = sa.Name
		return s.audit(tx, actor, event{team: teamID, action: "service_account." + c.Kind + "_add", targetType: "service_account_" + c.Kind,
			targetID: c.ID, target: c.Name, details: details})
	})
}

// RemoveServiceAccountCredential ends one way the service account authenticates: a
// secret is revoked (its row stays, for the record), a key or trusted issuer is removed.
// pre, if set, sees the credential as it stands, once the actor may remove it, and can
// refuse (If-Match).
func (s *Store) RemoveServiceAccountCredential(ctx context.Context, actor models.Actor, teamID, saID, credID string, pre func(*models.ServiceAccountCredential) error) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		sa, err := serviceAccountIn(tx, actor, teamID, saID)
		if err != nil {
			return err
		}
		var c models.ServiceAccountCredential
		if err := tx.Where("id = ? AND service_account_id = ?", credID, saID).Take(&c).Error; err != nil {
			return notFound(err)
		}
		if pre != nil {
			if err := pre(&c); err != nil {
				return err
			}
		}
		action := "service_account." + c.Kind + "_remove"
		if c.Kind == models.CredentialSecret {
			if c.RevokedAt != nil {
				return nil
			}
			action = "service_account.secret_revoke"
			err = tx.Model(&c).Update("revoked_at", s.now()).Error
		} else {
			err = tx.Delete(&c).Error
		}
		if err != nil {
			return err
		}
		return s.audit(tx, actor, event{team: teamID, action: action, targetType: "service_account_" + c.Kind,
			targetID: c.ID, target: c.Name, details: map[string]any{"service_account": sa.Name}})
	})
}

package store

import (
	"context"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"gorm.io/gorm"
)

// AddClientKey registers a public key for the project's private_key_jwt clients. A
// jwks_uri is fetched once now, so a wrong URL is caught at once.
func (s *Store) AddClientKey(ctx context.Context, actor models.Actor, projectID string, in models.ClientKeyInput, idempotencyKey string) (*models.ClientKey, error) {
	// Permission first: a refused actor learns nothing about the input, and only someone
	// who may add keys makes the portal parse key material or fetch a URL.
	if _, err := projectFor(s.db.WithContext(ctx), actor, projectID, models.ActSecretManage); err != nil {
		return nil, err
	}
	var v models.ValidationError
	k := s.readClientKey(ctx, &v, in)
	k.ID, k.ProjectID, k.CreatedBy = newID("ck"), projectID, optional(actor.UserID())
	if err := v.AsError(); err != nil {
		return nil, err
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		p, err := projectFor(tx, actor, projectID, models.ActSecretManage)
		if err != nil {
			return err
		}
		if err := s.claimIdempotencyKey(tx, actor, idempotencyKey, k.ID); err != nil {
			return err
		}
		return s.insertClientKey(tx, actor, p, k)
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// insertClientKey stores k, a new key of p, in tx with its audit event (already
// authorized).
func (s *Store) insertClientKey(tx *gorm.DB, actor models.Actor, p *models.Project, k *models.ClientKey) error {
	if err := tx.Create(k).Error; err != nil {
		return err
	}
	target := k.KID
	if k.JWKSURI != "" {
		target = k.JWKSURI
	}
	return s.audit(tx, actor, event{team: p.TeamID, project: p.ID, action: "client_key.add", targetType: "client_key",
		targetID: k.ID, target: k.Name, details: map[string]any{"key": target, "alg": k.Alg}})
}

// readClientKey validates a key to register (a name, a lifetime, and either pasted key
// material or a jwks_uri, which is fetched once now so a wrong URL is caught at once),
// adding problems to v. Only the caller's permission to register one comes first.
func (s *Store) readClientKey(ctx context.Context, v *models.ValidationError, in models.ClientKeyInput) *models.ClientKey {
	material, uri := strings.TrimSpace(in.Material), strings.TrimSpace(in.JWKSURI)
	now := s.now()
	k := &models.ClientKey{Name: cleanName(v, "name", in.Name, 60), CreatedAt: now}
	if in.TTL < 0 || in.TTL > 5*366*24*time.Hour {
		v.Add("expires_in", "choose one of the offered lifetimes")
	} else if in.TTL > 0 {
		exp := now.Add(in.TTL)
		k.ExpiresAt = &exp
	}
	switch {
	case (material == "") == (uri == ""):
		v.Add("key", "paste a public key or give a jwks_uri (one of the two)")
	case material != "":
		jwk, err := models.ParseClientKey(material)
		if err != nil {
			v.Add("key", err.Error())
			break
		}
		raw, _ := jwk.MarshalJSON()
		k.JWK, k.KID, k.Alg = string(raw), jwk.KeyID, jwk.Algorithm
	default:
		if _, err := s.fetcher.Keys(ctx, uri, true); err != nil {
			v.Add("jwks_uri", strings.TrimPrefix(err.Error(), models.ErrJWKSURI.Error()+": "))
			break
		}
		k.JWKSURI = uri
	}
	return k
}

// ClientKeys lists a project's registered keys, newest first.
func (s *Store) ClientKeys(ctx context.Context, actor models.Actor, projectID string) ([]models.ClientKeyInfo, error) {
	db := s.db.WithContext(ctx)
	if _, err := projectFor(db, actor, projectID, models.ActProjectView); err != nil {
		return nil, err
	}
	var out []models.ClientKeyInfo
	err := clientKeyQuery(db).
		Where("k.project_id = ?", projectID).Order("k.created_at DESC, k.id DESC").Scan(&out).Error
	return out, err
}

// RemoveClientKey deletes a registered key; assertions it signed stop working at once.
func (s *Store) RemoveClientKey(ctx context.Context, actor models.Actor, projectID, keyID string) error {
	return s.RemoveClientKeyIf(ctx, actor, projectID, keyID, nil)
}

// RemoveClientKeyIf is RemoveClientKey with a precondition on the key, checked in the
// removing transaction once the actor is authorized (an API's If-Match).
func (s *Store) RemoveClientKeyIf(ctx context.Context, actor models.Actor, projectID, keyID string, pre func(*models.ClientKeyInfo) error) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		p, err := projectFor(tx, actor, projectID, models.ActSecretManage)
		if err != nil {
			return err
		}
		var k models.ClientKey
		if err := tx.Where("id = ? AND project_id = ?", keyID, p.ID).Take(&k).Error; err != nil {
			return notFound(err)
		}
		if err := s.checkClientKey(tx, k.ID, pre); err != nil {
			return err
		}
		if err := tx.Delete(&k).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, event{team: p.TeamID, project: p.ID, action: "client_key.remove", targetType: "client_key",
			targetID: k.ID, target: k.Name})
	})
}

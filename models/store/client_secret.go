package store

import (
	"context"
	"maps"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"gorm.io/gorm"
)

// CreateClientSecret creates a secret for the project and returns it in plain text,
// this one time. ttl 0 means no expiry.
func (s *Store) CreateClientSecret(ctx context.Context, actor models.Actor, projectID, name string, ttl time.Duration, idempotencyKey string) (*models.ClientSecret, string, error) {
	var v models.ValidationError
	name = cleanName(&v, "name", name, 60)
	if ttl < 0 || ttl > 5*366*24*time.Hour {
		v.Add("expires_in", "choose one of the offered lifetimes")
	}
	plain := models.NewClientSecret()
	now := s.now()
	cs := &models.ClientSecret{
		ID: newID("sec"), ProjectID: projectID, Name: name, Hash: models.SHA256Hex(plain), Hint: secretHint(plain),
		CreatedBy: optional(actor.UserID()), CreatedAt: now,
	}
	if ttl > 0 {
		exp := now.Add(ttl)
		cs.ExpiresAt = &exp
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		p, err := projectFor(tx, actor, projectID, models.ActSecretManage)
		if err != nil {
			return err
		}
		if err := v.AsError(); err != nil { // only once the actor may manage secrets here
			return err
		}
		if err := s.claimIdempotencyKey(tx, actor, idempotencyKey, cs.ID); err != nil {
			return err
		}
		return s.insertClientSecret(tx, actor, p, cs)
	})
	if err != nil {
		return nil, "", err
	}
	return cs, plain, nil
}

// insertClientSecret stores cs, a new secret of p, in tx with its audit event and
// EventSecretCreated (already authorized).
func (s *Store) insertClientSecret(tx *gorm.DB, actor models.Actor, p *models.Project, cs *models.ClientSecret) error {
	if err := tx.Create(cs).Error; err != nil {
		return err
	}
	details := map[string]any{"hint": cs.Hint}
	if cs.ExpiresAt != nil {
		details["expires_at"] = cs.ExpiresAt.Format(time.RFC3339)
	}
	if err := s.audit(tx, actor, event{team: p.TeamID, project: p.ID, action: "secret.create", targetType: "client_secret",
		targetID: cs.ID, target: cs.Name, details: details}); err != nil {
		return err
	}
	return s.emit(tx, models.Event{Type: models.EventSecretCreated, TeamID: p.TeamID, ProjectID: p.ID, SubjectID: cs.ID, Data: details})
}

// ClientSecrets lists a project's secrets, newest first.
func (s *Store) ClientSecrets(ctx context.Context, actor models.Actor, projectID string) ([]models.ClientSecretInfo, error) {
	db := s.db.WithContext(ctx)
	if _, err := projectFor(db, actor, projectID, models.ActProjectView); err != nil {
		return nil, err
	}
	var out []models.ClientSecretInfo
	err := db.Table("client_secrets AS c").
		Select("c.*, COALESCE(NULLIF(u.email, ''), u.name, '') AS created_by_label").
		Joins("LEFT JOIN users u ON u.id = c.created_by").
		Where("c.project_id = ?", projectID).Order("c.created_at DESC, c.id DESC").Scan(&out).Error
	return out, err
}

// RevokeClientSecret revokes one of the project's secrets. Revoking twice changes
// nothing and writes no second event.
func (s *Store) RevokeClientSecret(ctx context.Context, actor models.Actor, projectID, secretID string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		p, err := projectFor(tx, actor, projectID, models.ActSecretManage)
		if err != nil {
			return err
		}
		var cs models.ClientSecret
		// The secret must belong to this project: /projects/{mine}/secrets/{theirs} is 404.
		if err := tx.Where("id = ? AND project_id = ?", secretID, p.ID).Take(&cs).Error; err != nil {
			return notFound(err)
		}
		_, err = s.revokeSecret(tx, actor, p, &cs, nil)
		return err
	})
}

// revokeSecret revokes cs, a secret of p, in tx: one audit event (with details added
// to its own) and one EventSecretRevoked. A secret already revoked is left alone:
// revoked reports whether this call revoked it.
func (s *Store) revokeSecret(tx *gorm.DB, actor models.Actor, p *models.Project, cs *models.ClientSecret, details map[string]any) (revoked bool, err error) {
	if cs.RevokedAt != nil {
		return false, nil
	}
	now := s.now()
	if ok, err := markRevoked(tx, &models.ClientSecret{}, cs.ID, now); !ok {
		return false, err
	}
	cs.RevokedAt = &now
	audited := map[string]any{"hint": cs.Hint}
	maps.Copy(audited, details)
	if err := s.audit(tx, actor, event{team: p.TeamID, project: p.ID, action: "secret.revoke", targetType: "client_secret",
		targetID: cs.ID, target: cs.Name, details: audited}); err != nil {
		return false, err
	}
	return true, s.emit(tx, models.Event{Type: models.EventSecretRevoked, TeamID: p.TeamID, ProjectID: p.ID, SubjectID: cs.ID,
		Data: map[string]any{"name": cs.Name, "hint": cs.Hint}})
}

// markRevoked sets revoked_at on model's row with id unless it is set already, and
// reports whether this call set it (when it did not, a concurrent transaction did).
func markRevoked(tx *gorm.DB, model any, id string, now time.Time) (bool, error) {
	res := tx.Model(model).Where("id = ? AND revoked_at IS NULL", id).Update("revoked_at", now)
	return res.Error == nil && res.RowsAffected > 0, res.Error
}

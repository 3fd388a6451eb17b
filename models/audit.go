package models

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// AuditEvent is one append-only record of a change: who, what, which target, when,
// from where. It never holds a secret.
type AuditEvent struct {
	ID          string `gorm:"primaryKey"`
	TeamID      string
	ProjectID   string
	ActorID     string
	ActorLabel  string
	Action      string
	TargetType  string
	TargetID    string
	TargetLabel string
	Details     string
	IP          string
	UserAgent   string
	CreatedAt   time.Time
}

// event describes a change for the audit log.
type event struct {
	team, project                string
	action                       string
	targetType, targetID, target string
	details                      map[string]any
}

// audit writes an event in the caller's transaction, so it exists if and only if the
// change it records does.
func (s *Store) audit(tx *gorm.DB, actor Actor, ev event) error {
	details := ""
	if len(ev.details) > 0 {
		b, err := json.Marshal(ev.details)
		if err != nil {
			return err
		}
		details = string(b)
	}
	return tx.Create(&AuditEvent{
		ID: uuid.Must(uuid.NewV7()).String(), TeamID: ev.team, ProjectID: ev.project,
		ActorID: actor.id(), ActorLabel: truncate(actor.label(), 200), Action: ev.action,
		TargetType: ev.targetType, TargetID: ev.targetID, TargetLabel: truncate(ev.target, 200), Details: details,
		IP: truncate(actor.IP, 64), UserAgent: truncate(actor.UserAgent, 300), CreatedAt: s.now(),
	}).Error
}

// AuditPageSize is how many events one page of the audit log holds.
const AuditPageSize = 50

// AuditEvents returns one page (1-based) of the team's events, newest first, and
// whether an older page exists. Owners and admins may read it.
func (s *Store) AuditEvents(ctx context.Context, actor Actor, teamID string, page int) ([]AuditEvent, bool, error) {
	if page < 1 {
		page = 1
	}
	db := s.db.WithContext(ctx)
	if _, err := authorize(db, actor, teamID, ActAuditView); err != nil {
		return nil, false, err
	}
	var out []AuditEvent
	err := db.Where("team_id = ?", teamID).Order("created_at DESC, id DESC").
		Offset((page - 1) * AuditPageSize).Limit(AuditPageSize + 1).Find(&out).Error
	if err != nil {
		return nil, false, err
	}
	more := len(out) > AuditPageSize
	if more {
		out = out[:AuditPageSize]
	}
	return out, more, nil
}

// PortalEvents returns the newest limit events of no team: the operators' actions on
// the portal itself (signing-key rotations). Only operators see them; the caller decides
// who is one.
func (s *Store) PortalEvents(ctx context.Context, limit int) ([]AuditEvent, error) {
	var out []AuditEvent
	err := s.db.WithContext(ctx).Where("team_id = ''").Order("created_at DESC, id DESC").Limit(limit).Find(&out).Error
	return out, err
}

package store

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/google/uuid"
	"gorm.io/gorm"
)

// event describes a change for the audit log.
type event struct {
	team, project                string
	action                       string
	targetType, targetID, target string
	details                      map[string]any
}

// audit writes an event in the caller's transaction, so it exists if and only if the
// change it records does.
func (s *Store) audit(tx *gorm.DB, actor models.Actor, ev event) error {
	details := ""
	if len(ev.details) > 0 {
		b, err := json.Marshal(ev.details)
		if err != nil {
			return err
		}
		details = string(b)
	}
	return tx.Create(&models.AuditEvent{
		ID: uuid.Must(uuid.NewV7()).String(), TeamID: ev.team, ProjectID: ev.project,
		ActorID: actor.UserID(), ActorLabel: models.Truncate(actor.Label(), 200), Action: ev.action,
		TargetType: ev.targetType, TargetID: ev.targetID, TargetLabel: models.Truncate(ev.target, 200), Details: details,
		IP: models.Truncate(actor.IP, 64), UserAgent: models.Truncate(actor.UserAgent, 300), CreatedAt: s.now(),
	}).Error
}

// AuditEvents returns one page (1-based) of the team's events, newest first, and
// whether there are more.
func (s *Store) AuditEvents(ctx context.Context, actor models.Actor, teamID string, page int) ([]models.AuditEvent, bool, error) {
	if page < 1 {
		page = 1
	}
	return s.AuditLog(ctx, actor, teamID, models.AuditFilter{Offset: (page - 1) * models.AuditPageSize})
}

// AuditLog returns the team's events that f selects, newest first, and whether more
// follow. Only members who may read the audit log see it.
func (s *Store) AuditLog(ctx context.Context, actor models.Actor, teamID string, f models.AuditFilter) ([]models.AuditEvent, bool, error) {
	db := s.db.WithContext(ctx)
	if _, err := authorize(db, actor, teamID, models.ActAuditView); err != nil {
		return nil, false, err
	}
	if f.Limit <= 0 || f.Limit > models.AuditExportLimit {
		f.Limit = models.AuditPageSize
	}
	q := db.Where("team_id = ?", teamID)
	if a := strings.TrimSpace(f.Actor); a != "" {
		q = q.Where("LOWER(actor_label) LIKE ? ESCAPE '\\'", "%"+likeEscape(strings.ToLower(a))+"%")
	}
	if a := strings.TrimSpace(f.Action); strings.HasSuffix(a, ".") {
		q = q.Where("action LIKE ? ESCAPE '\\'", likeEscape(a)+"%")
	} else if a != "" {
		q = q.Where("action = ?", a)
	}
	if f.ProjectID != "" {
		q = q.Where("project_id = ?", f.ProjectID)
	}
	if !f.From.IsZero() {
		q = q.Where("created_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("created_at < ?", f.To.UTC())
	}
	if f.After != nil { // keyset: strictly older than the last event of the previous page
		at := f.After.At.UTC()
		q = q.Where("created_at < ? OR (created_at = ? AND id < ?)", at, at, f.After.ID)
	}
	var out []models.AuditEvent
	if err := q.Order("created_at DESC, id DESC").Offset(max(f.Offset, 0)).Limit(f.Limit + 1).Find(&out).Error; err != nil {
		return nil, false, err
	}
	more := len(out) > f.Limit
	if more {
		out = out[:f.Limit]
	}
	return out, more, nil
}

// likeEscape escapes LIKE's wildcards (and the escape character) in user text.
func likeEscape(s string) string {
	return strings.NewReplacer("\\", "\\\\", "%", "\\%", "_", "\\_").Replace(s)
}

// PortalEvents returns the newest limit events of no team: the operators' actions on
// the portal itself (signing-key rotations). Only operators see them; the caller decides
// who is one.
func (s *Store) PortalEvents(ctx context.Context, limit int) ([]models.AuditEvent, error) {
	var out []models.AuditEvent
	err := s.db.WithContext(ctx).Where("team_id = '' AND target_type <> 'personal_access_token'").Order("created_at DESC, id DESC").Limit(limit).Find(&out).Error
	return out, err
}

// TeamProjectNames names the team's projects among ids (for the audit log: its events
// carry project ids). A deleted project has no name; the caller shows its id.
func (s *Store) TeamProjectNames(ctx context.Context, actor models.Actor, teamID string, ids []string) (map[string]string, error) {
	db := s.db.WithContext(ctx)
	if _, err := authorize(db, actor, teamID, models.ActAuditView); err != nil {
		return nil, err
	}
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []models.Project
	if err := db.Select("id", "name").Where("team_id = ? AND id IN ?", teamID, ids).Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, p := range rows {
		out[p.ID] = p.Name
	}
	return out, nil
}

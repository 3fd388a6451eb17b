package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gatehouse-dev/gatehouse/models"
)

// expiryNotice records that a credential's expiry was announced at a threshold.
type expiryNotice struct {
	SubjectID string `gorm:"primaryKey"`
	Days      int    `gorm:"primaryKey"`
	CreatedAt time.Time
}

func (expiryNotice) TableName() string { return "expiry_notices" }

// expiring is a live credential that expires within the widest threshold.
type expiring struct {
	ID, Name, ProjectID, TeamID string
	ExpiresAt                   time.Time
}

// NoticeExpiring announces API keys and client secrets that expire within 30, 7 or 1
// days: one api_key.expiring or client_secret.expiring event per credential and
// threshold (the nearest one it has reached), however often and on however many
// instances it runs — the notice's row is inserted with the event, and a second insert
// does nothing. It returns how many events it emitted.
func (s *Store) NoticeExpiring(ctx context.Context) (int, error) {
	now := s.now()
	horizon := now.Add(time.Duration(models.ExpiryNoticeDays[len(models.ExpiryNoticeDays)-1]) * 24 * time.Hour)
	db := s.db.WithContext(ctx)
	emitted := 0
	for _, kind := range []struct{ table, event string }{
		{"api_keys", models.EventAPIKeyExpiring}, {"client_secrets", models.EventSecretExpiring},
	} {
		var list []expiring
		if err := db.Table(kind.table+" AS c").Select("c.id, c.name, c.project_id, p.team_id, c.expires_at").
			Joins("JOIN projects p ON p.id = c.project_id").
			Where("c.revoked_at IS NULL AND c.expires_at IS NOT NULL AND c.expires_at > ? AND c.expires_at <= ?", now, horizon).
			Order("c.expires_at").Scan(&list).Error; err != nil {
			return emitted, err
		}
		for start := 0; start < len(list); start += 100 {
			batch := list[start:min(start+100, len(list))]
			n := 0
			err := s.transact(ctx, func(tx *gorm.DB) error {
				n = 0
				for _, c := range batch {
					days := 0
					for _, d := range models.ExpiryNoticeDays {
						if c.ExpiresAt.Sub(now) <= time.Duration(d)*24*time.Hour {
							days = d
							break
						}
					}
					res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&expiryNotice{SubjectID: c.ID, Days: days, CreatedAt: now})
					if res.Error != nil {
						return res.Error
					}
					if res.RowsAffected == 0 {
						continue // announced already, here or by another instance
					}
					if err := s.emit(tx, models.Event{Type: kind.event, TeamID: c.TeamID, ProjectID: c.ProjectID, SubjectID: c.ID,
						Data: map[string]any{"name": c.Name, "days": days, "expires_at": c.ExpiresAt.UTC().Format(time.RFC3339)}}); err != nil {
						return err
					}
					n++
				}
				return nil
			}, false)
			if err != nil {
				return emitted, err
			}
			emitted += n
		}
	}
	return emitted, nil
}

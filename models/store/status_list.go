package store

import (
	"context"
	"errors"

	"github.com/gatehouse-dev/gatehouse/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// allocateStatusIndex hands out the next free index of the current list (creating a
// list when the last is full). On PostgreSQL the list row is locked; SQLite write
// transactions are serialized. The conditional update and the unique (list, index)
// constraint on api_keys make a collision impossible either way.
func (s *Store) allocateStatusIndex(tx *gorm.DB) (string, int, error) {
	for attempt := 0; attempt < 5; attempt++ {
		var l models.StatusList
		q := tx.Where("next_idx < size").Order("created_at, id")
		if s.dialect == Postgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		err := q.Take(&l).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			now := s.now()
			l = models.StatusList{ID: newID("sl"), Size: models.StatusListSize, CreatedAt: now, UpdatedAt: now}
			if err := tx.Create(&l).Error; err != nil {
				return "", 0, err
			}
		} else if err != nil {
			return "", 0, err
		}
		r := tx.Model(&models.StatusList{}).Where("id = ? AND next_idx = ?", l.ID, l.NextIdx).Update("next_idx", l.NextIdx+1)
		if r.Error != nil {
			return "", 0, r.Error
		}
		if r.RowsAffected == 1 {
			return l.ID, l.NextIdx, nil
		}
	}
	return "", 0, errors.New("could not allocate a status list index; try again")
}

// bumpStatusLists moves the version of lists whose bits changed.
func (s *Store) bumpStatusLists(tx *gorm.DB, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	return tx.Model(&models.StatusList{}).Where("id IN ?", ids).
		Updates(map[string]any{"version": gorm.Expr("version + 1"), "updated_at": s.now()}).Error
}

// StatusListVersions reads every status list's version (for the signer: a version that
// moved means another instance revoked something in that list).
func (s *Store) StatusListVersions(ctx context.Context) (map[string]int64, error) {
	var rows []models.StatusList
	if err := s.db.WithContext(ctx).Select("id", "version").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Version
	}
	return out, nil
}

// StatusListState reads what the signer needs to sign a list: its size, its version
// and the indexes of its revoked credentials. An unknown list is models.ErrNotFound.
func (s *Store) StatusListState(ctx context.Context, id string) (size int, version int64, revoked []int, err error) {
	db := s.db.WithContext(ctx)
	var l models.StatusList
	if err := db.Where("id = ?", id).Take(&l).Error; err != nil {
		return 0, 0, nil, notFound(err)
	}
	if err := db.Model(&models.APIKey{}).Where("status_list_id = ? AND revoked_at IS NOT NULL", id).Pluck("status_idx", &revoked).Error; err != nil {
		return 0, 0, nil, err
	}
	return l.Size, l.Version, revoked, nil
}

// RingKeys reads the signing-key ring, oldest first.
func (s *Store) RingKeys(ctx context.Context) ([]models.SigningKey, error) {
	var keys []models.SigningKey
	return keys, s.db.WithContext(ctx).Order("created_at").Find(&keys).Error
}

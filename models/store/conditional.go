package store

import (
	"context"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gatehouse-dev/gatehouse/models"
)

// Preconditions: the management API's If-Match is checked inside the changing
// transaction, once the actor is authorized, against the object as it stands there.
// These helpers load that object in the shape its representation is built from.

// lockForCheck reads the row id into dest again, locked until the transaction ends, so
// that no other writer changes it between the precondition and the change. SQLite's
// write transactions (BEGIN IMMEDIATE) hold the database from their start: the row
// read before is current, and there is nothing more to lock.
func (s *Store) lockForCheck(tx *gorm.DB, dest any, id string) error {
	if s.dialect != Postgres {
		return nil
	}
	return notFound(tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).Take(dest).Error)
}

// memberQuery selects team members with their user's name and email.
func memberQuery(db *gorm.DB) *gorm.DB {
	return db.Table("team_members AS m").
		Select("m.user_id, u.name, u.email, u.kind, m.role, m.created_at AS joined_at").
		Joins("JOIN users u ON u.id = m.user_id")
}

// checkMember runs pre, if any, on the team's member userID (ErrNotFound if there is none).
func checkMember(tx *gorm.DB, teamID, userID string, pre func(*models.Member) error) error {
	if pre == nil {
		return nil
	}
	var m models.Member
	res := memberQuery(tx).Where("m.team_id = ? AND m.user_id = ?", teamID, userID).Limit(1).Scan(&m)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return models.ErrNotFound
	}
	return pre(&m)
}

// apiView is api as an actor with role sees it: with its team's name and its scopes.
func apiView(db *gorm.DB, api *models.API, role models.Role) (*models.APIView, error) {
	var t models.Team
	if err := db.Select("name").Where("id = ?", api.TeamID).Take(&t).Error; err != nil {
		return nil, notFound(err)
	}
	view := &models.APIView{API: *api, TeamName: t.Name, MyRole: role}
	if err := db.Where("api_id = ?", api.ID).Order("name").Find(&view.Scopes).Error; err != nil {
		return nil, err
	}
	return view, nil
}

// checkAPI runs pre, if any, on the API as the actor (with role) sees it, locked.
func (s *Store) checkAPI(tx *gorm.DB, api *models.API, role models.Role, pre func(*models.APIView) error) error {
	if pre == nil {
		return nil
	}
	if err := s.lockForCheck(tx, api, api.ID); err != nil {
		return err
	}
	v, err := apiView(tx, api, role)
	if err != nil {
		return err
	}
	return pre(v)
}

// GrantFor returns a grant on the API with both sides' names, for the API's team.
func (s *Store) GrantFor(ctx context.Context, actor models.Actor, apiID, grantID string) (*models.GrantInfo, error) {
	db := s.db.WithContext(ctx)
	if _, _, err := apiFor(db, actor, apiID, models.ActAPIView); err != nil {
		return nil, err
	}
	return grantInfo(db, apiID, grantID)
}

// grantInfo loads one grant of the API with both sides' names (ErrNotFound if none).
func grantInfo(db *gorm.DB, apiID, grantID string) (*models.GrantInfo, error) {
	var g models.GrantInfo
	res := grantInfoQuery(db).Where("g.id = ? AND g.api_id = ?", grantID, apiID).Limit(1).Scan(&g)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, models.ErrNotFound
	}
	return &g, nil
}

// checkGrant runs pre, if any, on the API's grant with both sides' names, locked.
func (s *Store) checkGrant(tx *gorm.DB, apiID, grantID string, pre func(*models.GrantInfo) error) error {
	if pre == nil {
		return nil
	}
	if err := s.lockForCheck(tx, &models.Grant{}, grantID); err != nil {
		return err
	}
	g, err := grantInfo(tx, apiID, grantID)
	if err != nil {
		return err
	}
	return pre(g)
}

// clientKeyQuery selects client keys with their creator's label.
func clientKeyQuery(db *gorm.DB) *gorm.DB {
	return db.Table("client_keys AS k").
		Select("k.*, COALESCE(NULLIF(u.email, ''), u.name, '') AS created_by_label").
		Joins("LEFT JOIN users u ON u.id = k.created_by")
}

// checkClientKey runs pre, if any, on the client key with its creator's label, locked.
func (s *Store) checkClientKey(tx *gorm.DB, keyID string, pre func(*models.ClientKeyInfo) error) error {
	if pre == nil {
		return nil
	}
	if err := s.lockForCheck(tx, &models.ClientKey{}, keyID); err != nil {
		return err
	}
	var k models.ClientKeyInfo
	if err := clientKeyQuery(tx).Where("k.id = ?", keyID).Limit(1).Scan(&k).Error; err != nil {
		return err
	}
	return pre(&k)
}

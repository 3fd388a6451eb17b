package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/gatehouse-dev/gatehouse/models"
)

// usedDPoPProof records a DPoP proof the token endpoint accepted, until its iat window
// has passed.
type usedDPoPProof struct {
	JKT       string `gorm:"primaryKey;column:jkt"`
	JTI       string `gorm:"primaryKey;column:jti"`
	ExpiresAt time.Time
}

func (usedDPoPProof) TableName() string { return "used_dpop_proofs" }

// UseDPoPProof records the proof (jti) of the key of thumbprint jkt as used until
// expires: the first use by any instance sharing the database succeeds, every later one
// is invalid_dpop_proof (RFC 9449 §11.1).
func (s *Store) UseDPoPProof(ctx context.Context, jkt, jti string, expires time.Time) error {
	err := s.db.WithContext(ctx).Create(&usedDPoPProof{JKT: jkt, JTI: jti, ExpiresAt: expires}).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return oauthErr(models.ErrCodeInvalidDPoPProof, "this DPoP proof (jti) has already been used")
	}
	if err != nil {
		return unavailable(ctx, err)
	}
	return nil
}

// PruneUsedDPoPProofs forgets proofs whose window has passed (they can no longer be
// replayed: their iat is refused).
func (s *Store) PruneUsedDPoPProofs(ctx context.Context) error {
	return s.db.WithContext(ctx).Where("expires_at < ?", s.now()).Delete(&usedDPoPProof{}).Error
}

// dpopConfirmation is the cnf claim of an access token minted for a request carrying a
// DPoP proof (models.WithDPoPKey), or nil.
func dpopConfirmation(ctx context.Context) *models.Confirmation {
	if jkt := models.DPoPKey(ctx); jkt != "" {
		return &models.Confirmation{JKT: jkt}
	}
	return nil
}

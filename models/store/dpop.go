package store

import (
	"context"
	"errors"
	"sync"
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
// is invalid_dpop_proof (RFC 9449 §11.1). On SQLite, proofs arriving together are
// recorded in one transaction (group commit: one synchronous commit for the lot, each
// answered only once it is on disk); on PostgreSQL each is its own insert.
func (s *Store) UseDPoPProof(ctx context.Context, jkt, jti string, expires time.Time) error {
	row := usedDPoPProof{JKT: jkt, JTI: jti, ExpiresAt: expires}
	var err error
	if s.dialect == SQLite {
		err = s.proofs.use(ctx, s, row)
	} else {
		err = s.db.WithContext(ctx).Create(&row).Error
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			err = errProofReplayed
		}
	}
	if errors.Is(err, errProofReplayed) {
		return oauthErr(models.ErrCodeInvalidDPoPProof, "this DPoP proof (jti) has already been used")
	}
	if err != nil {
		return unavailable(ctx, err)
	}
	return nil
}

var errProofReplayed = errors.New("DPoP proof already used")

// proofBatcher is SQLite's group commit of used proofs: the first caller to find no
// flush running becomes the flusher and records every pending proof, batch after batch,
// until none is left.
type proofBatcher struct {
	mu       sync.Mutex
	pending  []*proofWait
	flushing bool
}

type proofWait struct {
	row  usedDPoPProof
	done chan error
}

func (b *proofBatcher) use(ctx context.Context, s *Store, row usedDPoPProof) error {
	w := &proofWait{row: row, done: make(chan error, 1)}
	b.mu.Lock()
	b.pending = append(b.pending, w)
	lead := !b.flushing
	b.flushing = true
	b.mu.Unlock()
	if lead {
		for {
			b.mu.Lock()
			batch := b.pending
			b.pending = nil
			if len(batch) == 0 {
				b.flushing = false
				b.mu.Unlock()
				break
			}
			b.mu.Unlock()
			s.flushProofs(batch)
		}
	}
	select {
	case err := <-w.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// flushProofs records a batch in one transaction; a proof already there (or twice in
// the batch) is a replay. Answers go out after the commit.
func (s *Store) flushProofs(batch []*proofWait) {
	results := make([]error, len(batch))
	err := s.transact(context.Background(), func(tx *gorm.DB) error {
		for i, w := range batch {
			res := tx.Exec(`INSERT INTO used_dpop_proofs (jkt, jti, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
				w.row.JKT, w.row.JTI, w.row.ExpiresAt)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				results[i] = errProofReplayed
			}
		}
		return nil
	}, false)
	for i, w := range batch {
		if err != nil {
			w.done <- err
		} else {
			w.done <- results[i]
		}
	}
}

// PruneUsedDPoPProofs forgets proofs whose window has passed (they can no longer be
// replayed: their iat is refused).
func (s *Store) PruneUsedDPoPProofs(ctx context.Context) error {
	return s.db.WithContext(ctx).Where("expires_at < ?", s.now()).Delete(&usedDPoPProof{}).Error
}

// confirmation is the cnf claim of an access token minted for a request carrying a
// DPoP proof (models.WithDPoPKey) or made with a client certificate it is bound to
// (models.WithCertificateBinding), or nil.
func confirmation(ctx context.Context) *models.Confirmation {
	jkt, x5t := models.DPoPKey(ctx), models.CertificateBinding(ctx)
	if jkt == "" && x5t == "" {
		return nil
	}
	return &models.Confirmation{JKT: jkt, X5TS256: x5t}
}

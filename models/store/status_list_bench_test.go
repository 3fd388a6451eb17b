package store_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/signing"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// seeded is a SQLite store seeded with API keys and its signer.
type seeded struct {
	s    *store.Store
	sg   *signing.Signer
	list string // the first list: full (131,072 keys) from that many keys on
}

// seedKeys inserts n API keys directly (a recursive CTE per list; creating them
// through the store would take hours at a million), one in ten revoked, in full lists
// of models.StatusListSize, into a new SQLite store.
func seedKeys(b *testing.B, n int) *seeded {
	b.Helper()
	s := storetest.SQLite(b)
	db, err := s.SQLDB()
	if err != nil {
		b.Fatal(err)
	}
	sd := &seeded{s: s}
	now := time.Now().UTC()
	for l := 0; l*models.StatusListSize < n; l++ {
		size := min(models.StatusListSize, n-l*models.StatusListSize)
		id := fmt.Sprintf("sl_seed%04d", l)
		if _, err := db.Exec(`INSERT INTO status_lists (id, size, next_idx, version, created_at, updated_at) VALUES (?, ?, ?, 0, ?, ?)`,
			id, models.StatusListSize, size, now, now); err != nil {
			b.Fatal(err)
		}
		if _, err := db.Exec(`WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < ?)
			INSERT INTO api_keys (id, team_id, name, audiences, kid, status_list_id, status_idx, key_hash, created_at, expires_at, revoked_at)
			SELECT ? || '_' || i, 'team_seed', 'seed', 'orders-api', 'kid_seed', ?, i, ? || '_' || i, ?, ?,
			       CASE WHEN i % 10 = 0 THEN ? ELSE NULL END FROM c`,
			size-1, "key_"+id, id, "hash_"+id, now, now.Add(time.Hour), now); err != nil {
			b.Fatal(err)
		}
		if l == 0 {
			sd.list = id
		}
	}
	sd.sg = storetest.Signer(b, s)
	return sd
}

// BenchmarkStatusList measures one list of n keys in the database (the first: full,
// 131,072 keys, from that many on; one in ten revoked) three ways: build, read from the
// database and signed (what the first GET after a revocation cost before the lists
// followed the change log); resign, a revocation applied from the change log and the
// list re-signed from memory (what it costs now); serve, the signed list from memory.
// GATEHOUSE_BENCH_10M=1 adds 10 million keys.
func BenchmarkStatusList(b *testing.B) {
	sizes := []int{10_000, 1_000_000}
	if os.Getenv("GATEHOUSE_BENCH_10M") != "" {
		sizes = append(sizes, 10_000_000) // minutes of seeding and gigabytes of disk: on request
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			sd := seedKeys(b, n)
			ctx := context.Background()
			if _, _, err := sd.sg.StatusListToken(ctx, sd.list); err != nil {
				b.Fatal(err)
			}
			b.Run("build", func(b *testing.B) {
				for b.Loop() {
					// A version gap: the list must be read again.
					sd.sg.ApplyStatusChanges([]models.StatusChange{{StatusListID: sd.list, StatusIdx: 1, Status: 1, Version: 1 << 40}})
					if _, _, err := sd.sg.StatusListToken(ctx, sd.list); err != nil {
						b.Fatal(err)
					}
				}
			})
			if _, _, err := sd.sg.StatusListToken(ctx, sd.list); err != nil {
				b.Fatal(err)
			}
			ver, idx := int64(0), 0 // across runs of the sub-benchmark (-count): the list's version only grows
			b.Run("resign", func(b *testing.B) {
				for b.Loop() {
					ver, idx = ver+1, (idx+7)%min(n, models.StatusListSize)
					sd.sg.ApplyStatusChanges([]models.StatusChange{{StatusListID: sd.list, StatusIdx: idx, Status: 1, Version: ver}})
					if _, _, err := sd.sg.StatusListToken(ctx, sd.list); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("serve", func(b *testing.B) {
				for b.Loop() {
					if _, _, err := sd.sg.StatusListToken(ctx, sd.list); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// SQLite acknowledges a commit only once it is on disk (synchronous=FULL), on every
// connection of the pool.
func TestSQLiteCommitsAreDurable(t *testing.T) {
	s := storetest.SQLite(t)
	db, err := s.SQLDB()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 3; i++ { // several connections at once: each runs the DSN's pragmas
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var level int
		if err := c.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&level); err != nil {
			t.Fatal(err)
		}
		if level != 2 {
			t.Errorf("connection %d: PRAGMA synchronous = %d, want 2 (FULL)", i, level)
		}
	}
}

// A key whose row was lost (a backup restored, a crash before the row was durable)
// can still be revoked by its value: its status bit is set through the reference it
// carries, and the list's allocator moves past its index, so no later key gets it.
func TestLostKeyIsRevocableAndItsIndexNeverReused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sg := storetest.Signer(t, s)
		w := newWorld(t, s)
		p := keyProject(t, s, w)
		lost, lostToken, err := s.CreateAPIKey(ctx, w.developer, p.ID, models.APIKeyInput{Name: "lost", API: p.api, TTL: time.Hour}, "")
		if err != nil {
			t.Fatal(err)
		}
		// The loss: the row and the allocation both gone, as a restored backup would have it.
		execSQL(t, s, "DELETE FROM api_keys WHERE id = ?", lost.ID)
		execSQL(t, s, "UPDATE status_lists SET next_idx = ? WHERE id = ?", lost.StatusIdx, lost.StatusListID)

		got, err := s.RevokeAPIKeyByValue(ctx, w.developer, p.ID, lostToken)
		if err != nil || got.RevokedAt == nil || got.StatusIdx != lost.StatusIdx {
			t.Fatalf("revoking the lost key by value: %+v %v", got, err)
		}
		revoked, err := sg.Revoked(ctx, lost.StatusListID, lost.StatusIdx)
		if err != nil || !revoked {
			t.Errorf("the lost key's bit: %v %v, want set", revoked, err)
		}
		next, _, err := s.CreateAPIKey(ctx, w.developer, p.ID, models.APIKeyInput{Name: "next", API: p.api, TTL: time.Hour}, "")
		if err != nil {
			t.Fatal(err)
		}
		if next.StatusListID == lost.StatusListID && next.StatusIdx <= lost.StatusIdx {
			t.Errorf("a new key got index %d, at or before the lost key's %d", next.StatusIdx, lost.StatusIdx)
		}
	})
}

package store_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/signing"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// frameToken splits an SSE frame into its id and its data (the event's JWS).
func frameToken(t *testing.T, frame []byte) (int64, string) {
	t.Helper()
	var id int64
	var data string
	for _, line := range strings.Split(string(frame), "\n") {
		if v, ok := strings.CutPrefix(line, "id: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("id %q", v)
			}
			id = n
		}
		if v, ok := strings.CutPrefix(line, "data: "); ok {
			data = v
		}
	}
	return id, data
}

// Each revocation writes one change-log row in its own transaction (a second revoke
// writes none); the feed signs each as a status event and hands it to every subscriber
// in seq order; a subscriber that does not read is dropped at its buffer's bound and
// never holds the others up; a reconnect replays what is kept and gets a reset below
// it; the signer's list follows the log in memory (re-signed, never re-read), and a
// gap in the log makes it read the list again.
func TestStatusChangeLogFeedsSubscribersAndLists(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sg := storetest.Signer(t, s)
		w := newWorld(t, s)
		p := keyProject(t, s, w)
		var keys []*models.APIKey
		for i := 0; i < 4; i++ {
			k, _, err := s.CreateAPIKey(ctx, w.developer, p.ID, models.APIKeyInput{Name: "k" + strconv.Itoa(i), Scopes: []string{"orders:read"},
				API: p.api, TTL: time.Hour}, "")
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, k)
		}
		list := keys[0].StatusListID
		if _, _, err := sg.StatusListToken(ctx, list); err != nil {
			t.Fatal(err)
		}
		rebuilds := sg.StatusListRebuilds()
		feed := sg.NewFeed(signing.FeedConfig{Buffer: 2, Keep: 3, Poll: time.Hour})
		t.Cleanup(feed.Close)
		slow, _, _, err := feed.Subscribe(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		fast, _, _, err := feed.Subscribe(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		var seqs []int64
		for i, k := range keys[:3] {
			if err := s.RevokeAPIKey(ctx, w.developer, p.ID, k.ID); err != nil {
				t.Fatal(err)
			}
			if err := feed.Poll(ctx); err != nil {
				t.Fatal(err)
			}
			select {
			case f := <-fast.Frames:
				seq, tok := frameToken(t, f)
				var c struct {
					Iss    string `json:"iss"`
					URI    string `json:"uri"`
					Idx    int    `json:"idx"`
					Status int    `json:"status"`
					Ver    int64  `json:"ver"`
					Seq    int64  `json:"seq"`
				}
				if err := sg.VerifyOwn(tok, models.TypStatusEvent, &c); err != nil {
					t.Fatalf("event %d: %v", i, err)
				}
				if c.Iss != storetest.TestIssuer || c.URI != sg.StatusListURI(list) || c.Idx != k.StatusIdx || c.Status != 1 ||
					c.Seq != seq || c.Ver != int64(i+1) {
					t.Errorf("event %d: %+v (id %d), want index %d at version %d", i, c, seq, k.StatusIdx, i+1)
				}
				seqs = append(seqs, seq)
			default:
				t.Fatalf("revocation %d was not handed to the reading subscriber", i)
			}
		}
		if seqs[0] >= seqs[1] || seqs[1] >= seqs[2] {
			t.Errorf("seqs %v are not increasing", seqs)
		}
		select {
		case <-slow.Gone:
		default:
			t.Error("the subscriber that never read was not dropped at its buffer's bound")
		}
		if st := feed.Stats(); st.Dropped != 1 || st.Subscribers != 1 || st.Events != 3 {
			t.Errorf("feed stats %+v", st)
		}
		// Revoking again writes nothing.
		if err := s.RevokeAPIKey(ctx, w.developer, p.ID, keys[0].ID); err != nil {
			t.Fatal(err)
		}
		rows, err := s.StatusChangesAfter(ctx, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || rows[0].ID != seqs[0] || rows[2].ID != seqs[2] {
			t.Fatalf("change log %+v, want the 3 revocations with ids %v", rows, seqs)
		}
		// The list in memory followed the log: re-signed, not re-read.
		if _, _, err := sg.StatusListToken(ctx, list); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys[:3] {
			if revoked, err := sg.Revoked(ctx, list, k.StatusIdx); err != nil || !revoked {
				t.Errorf("key %d: revoked %v, %v", k.StatusIdx, revoked, err)
			}
		}
		if sg.StatusListRebuilds() != rebuilds || sg.StatusListResigns() == 0 {
			t.Errorf("rebuilds %d → %d, resigns %d: want re-signed from memory", rebuilds, sg.StatusListRebuilds(), sg.StatusListResigns())
		}
		// Replays: from the first event, the two after it; from before them all, all
		// three (Keep); once a fourth pushed the first out, a reset.
		if _, backlog, reset, _ := feed.Subscribe(ctx, strconv.FormatInt(seqs[0], 10)); reset || len(backlog) != 2 {
			t.Errorf("replay after %d: %d events, reset %v", seqs[0], len(backlog), reset)
		}
		if _, backlog, reset, _ := feed.Subscribe(ctx, "0"); reset || len(backlog) != 3 {
			t.Errorf("replay from 0: %d events, reset %v", len(backlog), reset)
		}
		if err := s.RevokeAPIKey(ctx, w.developer, p.ID, keys[3].ID); err != nil {
			t.Fatal(err)
		}
		if err := feed.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		if _, _, reset, _ := feed.Subscribe(ctx, "0"); !reset {
			t.Error("replay from before what is kept: no reset")
		}
		if _, backlog, reset, _ := feed.Subscribe(ctx, strconv.FormatInt(seqs[0], 10)); reset || len(backlog) != 3 {
			t.Errorf("replay after %d: %d events, reset %v", seqs[0], len(backlog), reset)
		}
		// A gap (a version skipped): the bit is set, but the list is read again.
		sg.ApplyStatusChanges([]models.StatusChange{{ID: 1 << 40, StatusListID: list, StatusIdx: 100, Status: 1, Version: 99}})
		if _, _, err := sg.StatusListToken(ctx, list); err != nil {
			t.Fatal(err)
		}
		if sg.StatusListRebuilds() != rebuilds+1 {
			t.Errorf("after a gap: rebuilds %d, want %d", sg.StatusListRebuilds(), rebuilds+1)
		}
		if revoked, _ := sg.Revoked(ctx, list, 100); revoked {
			t.Error("the list read after the gap kept a bit the database does not have")
		}
		// Pruning keeps the newest row.
		s.SetClock(func() time.Time { return time.Now().Add(48 * time.Hour) })
		if n, err := s.PruneStatusChanges(ctx, 24*time.Hour); err != nil || n != 3 {
			t.Errorf("pruned %d, %v; want 3", n, err)
		}
		if first, last, err := s.StatusChangeBounds(ctx); err != nil || first != last || last == 0 {
			t.Errorf("after pruning: %d..%d, %v", first, last, err)
		}
	})
}

// On PostgreSQL a revocation committed by another instance wakes the feed through a
// notification: with a poll of an hour, its events still arrive (SQLite has no
// notifications, and its feed relies on the poll). Besides notifications only the
// tail's first read and one read once listening could deliver an event, so of three
// revocations made one after the other's event, one at least came by notification.
func TestStatusChangeNotificationWakesTheFeed(t *testing.T) {
	s := storetest.Postgres(t)
	ctx := context.Background()
	mk := storetest.MasterKeys(t)
	sg := storetest.SignerWithKeys(t, s, storetest.TestIssuer, mk)
	other := storetest.SameDatabase(t, s)
	storetest.SignerWithKeys(t, other, storetest.TestIssuer, mk)
	w := newWorld(t, other)
	p := keyProject(t, other, w)
	feed := sg.NewFeed(signing.FeedConfig{Poll: time.Hour})
	t.Cleanup(feed.Close)
	sub, _, _, err := feed.Subscribe(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		k, _, err := other.CreateAPIKey(ctx, w.developer, p.ID, models.APIKeyInput{Name: "n", Scopes: []string{"orders:read"}, API: p.api, TTL: time.Hour}, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := other.RevokeAPIKey(ctx, w.developer, p.ID, k.ID); err != nil {
			t.Fatal(err)
		}
		deadline := time.NewTimer(20 * time.Second)
		select {
		case f := <-sub.Frames:
			if seq, _ := frameToken(t, f); seq == 0 {
				t.Errorf("frame %q", f)
			}
		case <-deadline.C:
			t.Fatalf("revocation %d was not pushed: no notification woke the feed", i)
		}
		deadline.Stop()
	}
	if err := storetest.SQLite(t).ListenStatusChanges(ctx, func() {}); !errors.Is(err, store.ErrNoNotifications) {
		t.Errorf("SQLite: %v, want ErrNoNotifications", err)
	}
}

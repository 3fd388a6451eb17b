package verify

import (
	"context"
	"errors"
	"testing"

	"github.com/gatehouse-dev/gatehouse/sdk/conformance/vectors"
)

// A list fetched after a pushed revocation but signed before it (an instance's cached
// copy) does not clear the pushed bit: the bit stays, the list is marked to be fetched
// again, and a list that has the bit confirms it.
func TestFetchedListNeverLosesAPushedBit(t *testing.T) {
	f, _ := loadVectors(t)
	var c *vectors.FeedCase
	for i := range f.FeedCases {
		if f.FeedCases[i].Name == "feed/signed event revokes its index" {
			c = &f.FeedCases[i]
		}
	}
	if c == nil {
		t.Fatal("no such feed case")
	}
	ctx := context.Background()
	v, _ := vectorVerifier(t, f, c.Options)
	if _, err := v.Verify(ctx, c.Prime[0]); err != nil {
		t.Fatal(err)
	}
	ev := c.Events[0]
	if out := v.handleEvent(ctx, ev.ID, ev.Data); out != eventApplied {
		t.Fatalf("event: %v, want applied", out)
	}
	e := (*v.lists.Load())[vectors.StatusListPrefix+"sl_1"]
	// The file's sl_1 has no bit set: an older copy than the event.
	if err := v.fetchStatusList(ctx, e); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, c.Checks[0].Token); !errors.Is(err, ErrRevoked) {
		t.Fatalf("after fetching an older list: %v, want ErrRevoked", err)
	}
	if !e.isBehind() {
		t.Error("the list lacking the pushed bit is not marked to be fetched again")
	}
	// A replay of the same event changes nothing and is not counted as applied.
	if out := v.handleEvent(ctx, ev.ID, ev.Data); out != eventIgnored {
		t.Errorf("replay: %v, want ignored", out)
	}
	// A list that has the bit confirms it: nothing is pushed any more.
	l := *e.current.Load()
	e.installList(&l)
	if e.isBehind() || len(e.pushed) != 0 {
		t.Errorf("after a list with the bit: behind %v, pushed %v", e.isBehind(), e.pushed)
	}
}

package web

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/sessions"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// tab is one request of a browser tab: the session as it loaded it.
type tab struct {
	req  *http.Request
	sess *sessions.Session
}

// pendingIDs are the ids of the waiting authorization requests stored for the session
// now, as a new request loads them.
func pendingIDs(t *testing.T, ds *DBStore, cookie *http.Cookie) []string {
	t.Helper()
	var ids []string
	for _, p := range pendingRequests(openTab(t, ds, cookie).sess.Values[keyAuthorize]) {
		ids = append(ids, p.id)
	}
	slices.Sort(ids)
	return ids
}

// openTab loads the session of cookie, as a request does.
func openTab(t *testing.T, ds *DBStore, cookie *http.Cookie) *tab {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/oauth/authorize", nil)
	req.AddCookie(cookie)
	sess, err := ds.New(req, "gatehouse_session")
	if err != nil || sess.IsNew {
		t.Fatalf("loading the session: new %v, %v", sess.IsNew, err)
	}
	return &tab{req: req, sess: sess}
}

// keep adds a waiting request with id, as keepPending does; take forgets one, as
// takePending does; save writes the session.
func (tb *tab) keep(id string, at time.Time) {
	ps := pendingRequests(tb.sess.Values[keyAuthorize])
	tb.sess.Values[keyAuthorize] = encodePending(append(ps, pendingRequest{id: id, at: at.Unix(), rawQuery: "client_id=" + id}))
}

func (tb *tab) take(id string) {
	ps := slices.DeleteFunc(pendingRequests(tb.sess.Values[keyAuthorize]), func(p pendingRequest) bool { return p.id == id })
	tb.sess.Values[keyAuthorize] = encodePending(ps)
}

func (tb *tab) save(t *testing.T, ds *DBStore) {
	t.Helper()
	if err := ds.Save(tb.req, httptest.NewRecorder(), tb.sess); err != nil {
		t.Fatal(err)
	}
}

// Two tabs of one session that each keep or take a waiting authorization request
// between loading and saving the session both count, in either order: nothing one kept
// is lost, and nothing one took comes back. (Each used to overwrite the whole session,
// so the last to save won.)
func TestPendingRequestsOfTwoTabs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		now := time.Now()
		s.SetClock(func() time.Time { return now })
		ds, err := NewDBStore(s, [][]byte{[]byte("0123456789abcdef0123456789abcdef")},
			models.SessionPolicy{Idle: time.Hour, Absolute: 24 * time.Hour, PreLogin: time.Hour, TouchEvery: time.Hour}, false)
		if err != nil {
			t.Fatal(err)
		}
		// A session waiting on request x.
		first := &tab{req: httptest.NewRequest(http.MethodGet, "/oauth/authorize", nil)}
		if first.sess, err = ds.New(first.req, "gatehouse_session"); err != nil {
			t.Fatal(err)
		}
		first.keep("x", now)
		rec := httptest.NewRecorder()
		if err := ds.Save(first.req, rec, first.sess); err != nil {
			t.Fatal(err)
		}
		cookie := rec.Result().Cookies()[0]

		// Both keep one: both stay.
		a, b := openTab(t, ds, cookie), openTab(t, ds, cookie)
		a.keep("a", now)
		b.keep("b", now)
		a.save(t, ds)
		b.save(t, ds)
		if got := pendingIDs(t, ds, cookie); !slices.Equal(got, []string{"a", "b", "x"}) {
			t.Fatalf("after two tabs kept one each: %v, want a, b and x", got)
		}
		// One takes x while the other keeps c, the taker saving first: x does not come back.
		a, b = openTab(t, ds, cookie), openTab(t, ds, cookie)
		a.take("x")
		b.keep("c", now)
		a.save(t, ds)
		b.save(t, ds)
		if got := pendingIDs(t, ds, cookie); !slices.Equal(got, []string{"a", "b", "c"}) {
			t.Fatalf("after one took x and one kept c: %v, want a, b and c", got)
		}
		// The same, the keeper saving first.
		a, b = openTab(t, ds, cookie), openTab(t, ds, cookie)
		a.take("a")
		b.keep("d", now)
		b.save(t, ds)
		a.save(t, ds)
		if got := pendingIDs(t, ds, cookie); !slices.Equal(got, []string{"b", "c", "d"}) {
			t.Fatalf("after one kept d and one took a: %v, want b, c and d", got)
		}
		// The bound and the expiry still hold: the newest maxPending, none older than
		// pendingTTL.
		a, b = openTab(t, ds, cookie), openTab(t, ds, cookie)
		a.keep("e", now.Add(time.Second))
		a.keep("f", now.Add(2*time.Second))
		b.keep("g", now.Add(3*time.Second))
		a.save(t, ds)
		b.save(t, ds)
		if got := pendingIDs(t, ds, cookie); len(got) != maxPending || slices.Contains(got, "b") || !slices.Contains(got, "g") {
			t.Fatalf("after seven kept: %v, want the newest %d", got, maxPending)
		}
		now = now.Add(pendingTTL + 4*time.Second)
		a = openTab(t, ds, cookie)
		a.keep("h", now)
		a.save(t, ds)
		if got := pendingIDs(t, ds, cookie); !slices.Equal(got, []string{"h"}) {
			t.Fatalf("after the others expired: %v, want only h", got)
		}
	})
}

package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
)

// Session value keys.
const (
	keyUserID   = "user_id"
	keyCSRF     = "csrf"
	keyFlash    = "flash"
	keyState    = "oidc_state"
	keyNonce    = "oidc_nonce"
	keyVerifier = "oidc_verifier"
	keyReturnTo = "return_to"
	keyStarted  = "oidc_started"
	// keyAuthTime is when the session's user signed in (Unix seconds): derived from the
	// session record's creation (a new session is made at every sign-in), never stored.
	keyAuthTime = "auth_time"
	// keyAuthorize is an OAuth authorization request waiting for sign-in or consent
	// (authorize_pending.go); it survives the sign-in's session renewal.
	keyAuthorize = "oauth_authorize"
	// keyReauth asks the next sign-in to authenticate again although a user is signed in
	// (prompt=login, max_age).
	keyReauth = "oauth_reauth"
	// keyLoginHint is an authorization request's login_hint, for the next sign-in.
	keyLoginHint = "oauth_login_hint"
	// keyACRValues is an authorization request's acr_values, for the next sign-in.
	keyACRValues = "oauth_acr_values"
	// keyUpstreamAuthTime, keyACR and keyAMR are how the user authenticated, as the
	// provider's ID token asserted it at sign-in (auth_time in Unix seconds; amr
	// space-separated).
	keyUpstreamAuthTime = "idp_auth_time"
	keyACR              = "idp_acr"
	keyAMR              = "idp_amr"
)

// DBStore is a gorilla/sessions Store whose sessions live in the database. The cookie
// carries only the session's random id, signed with the session keys (the first signs,
// all verify, so keys rotate); everything else stays on the server, so a session ends
// for real at sign-out, "sign out everywhere" or expiry.
type DBStore struct {
	store  *store.Store
	codecs []securecookie.Codec
	policy models.SessionPolicy
	// Options are the cookie options of every session.
	Options *sessions.Options
}

// NewDBStore builds the store. keys are the cookie signing keys, newest first.
func NewDBStore(store *store.Store, keys [][]byte, policy models.SessionPolicy, secure bool) (*DBStore, error) {
	if len(keys) == 0 {
		return nil, errors.New("at least one session key is needed")
	}
	codecs := make([]securecookie.Codec, 0, len(keys))
	for _, k := range keys {
		sc := securecookie.New(k, nil)
		sc.MaxAge(int(policy.Absolute.Seconds()) + 60)
		sc.SetSerializer(securecookie.NopEncoder{})
		codecs = append(codecs, sc)
	}
	return &DBStore{
		store:  store,
		codecs: codecs,
		policy: policy,
		Options: &sessions.Options{
			Path: "/", MaxAge: int(policy.Absolute.Seconds()), Secure: secure, HttpOnly: true, SameSite: http.SameSiteLaxMode,
		},
	}, nil
}

// Get returns the request's session, cached per request by gorilla's registry.
func (s *DBStore) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(s, name)
}

// New loads the session named by the request's cookie, or starts a new, unsaved one
// when there is no valid cookie or the session has ended.
func (s *DBStore) New(r *http.Request, name string) (*sessions.Session, error) {
	sess := sessions.NewSession(s, name)
	opts := *s.Options
	sess.Options = &opts
	sess.IsNew = true
	c, err := r.Cookie(name)
	if err != nil {
		return sess, nil
	}
	var raw []byte
	if err := securecookie.DecodeMulti(name, c.Value, &raw, s.codecs...); err != nil {
		return sess, nil // forged, expired or signed with a retired key: a fresh session
	}
	id := string(raw)
	rec, vals, err := s.store.LoadSession(r.Context(), id, s.policy)
	if errors.Is(err, models.ErrNotFound) {
		return sess, nil
	}
	if err != nil {
		return sess, err
	}
	sess.ID, sess.IsNew = id, false
	for k, v := range vals {
		sess.Values[k] = v
	}
	sess.Values[pendingLoaded{}] = vals[keyAuthorize] // what Save merges against
	if rec.UserID != nil {
		sess.Values[keyUserID] = *rec.UserID
		sess.Values[keyAuthTime] = strconv.FormatInt(rec.CreatedAt.Unix(), 10)
	}
	return sess, nil
}

// Save writes the session and sets its cookie; MaxAge < 0 deletes both.
func (s *DBStore) Save(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	ctx := r.Context()
	if sess.Options.MaxAge < 0 {
		if sess.ID != "" {
			if err := s.store.DeleteSession(ctx, sess.ID); err != nil {
				return err
			}
		}
		http.SetCookie(w, sessions.NewCookie(sess.Name(), "", sess.Options))
		return nil
	}
	vals := models.SessionValues{}
	userID := ""
	for k, v := range sess.Values {
		if _, ok := k.(pendingLoaded); ok {
			continue
		}
		ks, _ := k.(string)
		vs, ok := v.(string)
		if !ok {
			return fmt.Errorf("session value %q is %T; only strings are stored", ks, v)
		}
		if ks == keyUserID {
			userID = vs
			continue
		}
		if ks == keyAuthTime {
			continue // derived from the record at every load
		}
		vals[ks] = vs
	}
	if sess.IsNew || sess.ID == "" {
		sess.ID = models.NewSessionID()
		if err := s.store.CreateSession(ctx, sess.ID, userID, vals, httpx.ClientIP(r), r.UserAgent(), s.policy); err != nil {
			return err
		}
		sess.IsNew = false
	} else if err := s.update(ctx, sess, vals); err != nil {
		if errors.Is(err, models.ErrNotFound) {
			return nil // ended meanwhile (signed out elsewhere): do not revive it
		}
		return err
	}
	encoded, err := securecookie.EncodeMulti(sess.Name(), []byte(sess.ID), s.codecs...)
	if err != nil {
		return err
	}
	http.SetCookie(w, sessions.NewCookie(sess.Name(), encoded, sess.Options))
	return nil
}

// pendingLoaded keys, in a loaded session's values, the waiting authorization requests
// as they were loaded (never stored): Save merges this request's changes to them into
// what is stored by then.
type pendingLoaded struct{}

// update writes an existing session's values. When this request changed the waiting
// authorization requests, the change is merged into those stored now, under the row's
// lock: another tab of the same session may have kept or taken one since this request
// loaded them, and last-write-wins would lose it.
func (s *DBStore) update(ctx context.Context, sess *sessions.Session, vals models.SessionValues) error {
	loaded, _ := sess.Values[pendingLoaded{}].(string)
	if vals[keyAuthorize] == loaded {
		return s.store.UpdateSession(ctx, sess.ID, vals)
	}
	mine := vals[keyAuthorize]
	err := s.store.UpdateSessionMerged(ctx, sess.ID, func(stored models.SessionValues) models.SessionValues {
		merged := mergePending(stored[keyAuthorize], loaded, mine, s.store.Now())
		if merged == "" {
			delete(vals, keyAuthorize)
		} else {
			vals[keyAuthorize] = merged
		}
		return vals
	})
	if err == nil { // this request now sees what is stored
		if merged, ok := vals[keyAuthorize]; ok {
			sess.Values[keyAuthorize], sess.Values[pendingLoaded{}] = merged, merged
		} else {
			delete(sess.Values, keyAuthorize)
			sess.Values[pendingLoaded{}] = ""
		}
	}
	return err
}

// Renew ends the current session and turns sess into a new one with a new id, keeping
// only what keep names. It is how sign-in defeats session fixation.
func (s *DBStore) Renew(r *http.Request, sess *sessions.Session, keep ...string) error {
	if sess.ID != "" && !sess.IsNew {
		if err := s.store.DeleteSession(r.Context(), sess.ID); err != nil {
			return err
		}
	}
	kept := map[any]any{}
	for _, k := range keep {
		if v, ok := sess.Values[k]; ok {
			kept[k] = v
		}
	}
	sess.ID, sess.IsNew, sess.Values = "", true, kept
	return nil
}

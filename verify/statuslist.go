package verify

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-dev/gatehouse/verify/jsonstrict"
)

// maxStatusBytes caps a decompressed status list (8 Mi entries): a decompression bomb
// is cut off there and the list rejected.
const maxStatusBytes = 1 << 20

// statusList is a verified, decoded status list.
type statusList struct {
	bits    []byte
	exp     time.Time
	ttl     time.Duration
	fetched time.Time
}

// revoked reports the bit of idx, or ok=false when idx is outside the list.
func (l *statusList) revoked(idx int) (bool, bool) {
	if idx < 0 || idx/8 >= len(l.bits) {
		return false, false
	}
	return l.bits[idx/8]&(1<<(idx%8)) != 0, true
}

// statusEntry tracks one list: the current decoded version and its refreshing.
type statusEntry struct {
	uri      string
	current  atomic.Pointer[statusList]
	lastUsed atomic.Int64
	mu       sync.Mutex // one fetch at a time
	lastTry  time.Time
	// pushed are bits the revocation feed set, until a fetched list has them too;
	// behind says the last fetched list lacked one of them (fetch again soon).
	pushMu sync.Mutex
	pushed map[int]bool
	behind bool
}

// statusClaims is the payload of a status list token.
type statusClaims struct {
	Iss        string   `json:"iss"`
	Sub        string   `json:"sub"`
	Exp        *float64 `json:"exp"`
	Iat        *float64 `json:"iat"`
	TTL        *float64 `json:"ttl"`
	StatusList *struct {
		Bits int    `json:"bits"`
		Lst  string `json:"lst"`
	} `json:"status_list"`
}

// statusClaimNames are statusClaims' JSON names, nested ones included.
var statusClaimNames = jsonstrict.NewNames("iss", "sub", "exp", "iat", "ttl", "status_list", "bits", "lst")

// decodeStatusList verifies a status list token for uri and decodes its bits. Any
// defect fails closed with ErrStatusUnavailable; a duplicate member or a case variant of
// a member name in the header or the claims also wraps ErrMalformed.
func (v *Verifier) decodeStatusList(ctx context.Context, uri string, token string) (*statusList, error) {
	bad := func(why string) error { return fmt.Errorf("%w: status list %s: %s", ErrStatusUnavailable, uri, why) }
	c, err := parseCompactMax(token, maxDocument)
	if err != nil {
		return nil, fmt.Errorf("%w: status list %s: %w", ErrStatusUnavailable, uri, err)
	}
	if normalizeTyp(c.header.Typ) != "statuslist+jwt" {
		return nil, bad("typ is not statuslist+jwt")
	}
	k, err := v.keyFor(ctx, c.header.Kid, c.header.Alg)
	if err != nil {
		return nil, bad(err.Error())
	}
	if !k.verifySignature(c.signingInput, c.signature) {
		return nil, bad("bad signature")
	}
	if err := jsonstrict.Check(c.payload, statusClaimNames); err != nil {
		return nil, fmt.Errorf("%w: status list %s: %w: claims: %w", ErrStatusUnavailable, uri, ErrMalformed, err)
	}
	var cl statusClaims
	if err := json.Unmarshal(c.payload, &cl); err != nil {
		return nil, bad("claims do not decode")
	}
	now := v.cfg.now()
	switch {
	case cl.Sub != uri:
		return nil, bad("sub is not the list's URI")
	case cl.Iss != "" && cl.Iss != v.issuer:
		return nil, bad("wrong issuer")
	case cl.Exp == nil || !validNumericDate(*cl.Exp) || !now.Before(unix(*cl.Exp)):
		return nil, bad("expired or without exp")
	case cl.StatusList == nil || cl.StatusList.Bits != 1:
		return nil, bad("not a 1-bit status list")
	}
	z, err := b64.DecodeString(cl.StatusList.Lst)
	if err != nil {
		return nil, bad("lst encoding")
	}
	bits, err := inflate(z, maxStatusBytes)
	if err != nil {
		return nil, bad(err.Error())
	}
	ttl := v.cfg.defaultStatusTTL
	if cl.TTL != nil && *cl.TTL >= 1 {
		ttl = time.Duration(*cl.TTL) * time.Second
	}
	return &statusList{bits: bits, exp: unix(*cl.Exp), ttl: ttl, fetched: now}, nil
}

// inflate decompresses zlib data, refusing output beyond limit bytes.
func inflate(z []byte, limit int) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, fmt.Errorf("lst is not zlib")
	}
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("lst does not decompress")
	}
	if len(out) > limit {
		return nil, fmt.Errorf("lst decompresses beyond %d bytes", limit)
	}
	return out, nil
}

// fetchStatusList downloads and installs a list; on failure the previous version stays.
func (v *Verifier) fetchStatusList(ctx context.Context, e *statusEntry) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lastTry = v.cfg.now()
	body, _, err := v.get(ctx, e.uri, "application/statuslist+jwt")
	v.stats.statusFetches.Add(1)
	if err != nil {
		v.stats.statusFetchErrors.Add(1)
		return fmt.Errorf("%w: %v", ErrStatusUnavailable, err)
	}
	l, err := v.decodeStatusList(ctx, e.uri, string(bytes.TrimSpace(body)))
	if err != nil {
		v.stats.statusFetchErrors.Add(1)
		return err
	}
	e.installList(l)
	return nil
}

// statusFor returns the list at uri for a credential being verified now: the cached
// list while it is before its exp, a fresh fetch for a list never seen (or past exp).
func (v *Verifier) statusFor(ctx context.Context, uri string) (*statusList, error) {
	e := (*v.lists.Load())[uri]
	now := v.cfg.now()
	if e == nil {
		var err error
		if e, err = v.addList(uri); err != nil {
			return nil, err
		}
	}
	if sec := now.Unix(); e.lastUsed.Load() != sec {
		e.lastUsed.Store(sec) // at most one write a second per list
	}
	if l := e.current.Load(); l != nil && now.Before(l.exp) {
		if now.Sub(l.fetched) > l.ttl+v.cfg.refreshEvery {
			v.stats.statusStale.Add(1) // the background refresh is failing: still within exp
		}
		return l, nil
	}
	// Never fetched, or past its exp: fetch now, at most once per cooldown.
	e.mu.Lock()
	recent := now.Sub(e.lastTry) < v.cfg.cooldown && !e.lastTry.IsZero()
	e.mu.Unlock()
	if !recent {
		if err := v.fetchStatusList(ctx, e); err != nil {
			v.logFetchError("status list", uri, err)
		}
	}
	if l := e.current.Load(); l != nil && now.Before(l.exp) {
		return l, nil
	}
	return nil, fmt.Errorf("%w: %s could not be fetched and no unexpired copy is cached", ErrStatusUnavailable, uri)
}

// addList registers a list URI. The registry is copied on write and read through an
// atomic pointer, so the hot path takes no lock at all.
func (v *Verifier) addList(uri string) (*statusEntry, error) {
	v.listsMu.Lock()
	defer v.listsMu.Unlock()
	old := *v.lists.Load()
	if e := old[uri]; e != nil {
		return e, nil
	}
	if len(old) >= maxLists {
		return nil, fmt.Errorf("%w: too many status lists", ErrStatusUnavailable)
	}
	next := make(map[string]*statusEntry, len(old)+1)
	for k, e := range old {
		next[k] = e
	}
	e := &statusEntry{uri: uri}
	next[uri] = e
	v.lists.Store(&next)
	return e, nil
}

// maxLists bounds how many distinct status lists one verifier tracks.
const maxLists = 1024

// validNumericDate accepts NumericDates from 1970 to year 9999; anything else (negative,
// NaN, 1e19 that would overflow into the past) is not a time.
func validNumericDate(f float64) bool { return f >= 0 && f < 253402300800 }

// unix converts a NumericDate.
func unix(f float64) time.Time {
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9))
}

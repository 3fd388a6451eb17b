package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/go-jose/go-jose/v4"
)

// JWKSFetcher fetches the key sets of clients that register a jwks_uri (and the keys a
// secret scanner signs its reports with, ScannerKeys): HTTPS only, never
// to loopback, private, link-local or otherwise internal addresses (checked on the
// address actually dialed, so DNS cannot smuggle one in), bounded in time and size, and
// cached.
type JWKSFetcher struct {
	// AllowInsecure permits http:// and internal addresses: development and tests only.
	AllowInsecure bool
	client        *http.Client
	// now is the clock the cache's freshness and the refetch throttle read; tests replace
	// it (export_test.go) so that they can step past the minute instead of waiting it out.
	now func() time.Time

	mu    sync.Mutex
	cache map[string]*fetchedSet
}

type fetchedSet struct {
	mu      sync.Mutex
	keys    []jose.JSONWebKey
	fetched time.Time
	maxAge  time.Duration
	lastTry time.Time
	lastErr error
}

const (
	maxJWKSBytes   = 64 << 10
	jwksTimeout    = 5 * time.Second
	jwksMinRefetch = time.Minute
)

// NewJWKSFetcher builds a fetcher; allowInsecure is for development and tests.
func NewJWKSFetcher(allowInsecure bool) *JWKSFetcher {
	f := &JWKSFetcher{AllowInsecure: allowInsecure, cache: map[string]*fetchedSet{}, now: time.Now}
	dialer := guardedDialer(jwksTimeout, func(ip net.IP) error {
		if !f.AllowInsecure && internalIP(ip) {
			return fmt.Errorf("%w: %s is an internal address", models.ErrJWKSURI, ip)
		}
		return nil
	})
	tr := &http.Transport{DialContext: dialer.DialContext, TLSHandshakeTimeout: jwksTimeout, ResponseHeaderTimeout: jwksTimeout,
		MaxIdleConns: 10, IdleConnTimeout: time.Minute, Proxy: nil}
	f.client = &http.Client{Transport: tr, Timeout: jwksTimeout, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 3 {
			return errors.New("too many redirects")
		}
		return f.CheckURI(req.URL.String())
	}}
	return f
}

// internalIP reports addresses a server-side fetch must not reach.
func internalIP(ip net.IP) bool {
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() ||
		(ip.To4() != nil && ip.To4()[0] == 100 && ip.To4()[1]&0xc0 == 64) // 100.64.0.0/10 (CGNAT)
}

// CheckURI validates a jwks_uri before any request: absolute, https (http only when
// insecure fetching is allowed), no credentials, no fragment, and no literal internal IP.
func (f *JWKSFetcher) CheckURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || len(raw) > 500 {
		return fmt.Errorf("%w: not an absolute URL without credentials", models.ErrJWKSURI)
	}
	if u.Scheme != "https" && !(f.AllowInsecure && u.Scheme == "http") {
		return fmt.Errorf("%w: must be https", models.ErrJWKSURI)
	}
	if ip := net.ParseIP(u.Hostname()); ip != nil && internalIP(ip) && !f.AllowInsecure {
		return fmt.Errorf("%w: %s is an internal address", models.ErrJWKSURI, ip)
	}
	if strings.EqualFold(u.Hostname(), "localhost") && !f.AllowInsecure {
		return fmt.Errorf("%w: localhost is an internal address", models.ErrJWKSURI)
	}
	return nil
}

// Keys returns the key set at uri: from the cache while it is fresh, unless refresh asks
// for a new copy (an unknown kid). Fetches happen at most once a minute per uri, one at
// a time (callers arriving during a fetch wait for its result); while the client's
// server is down a copy up to a day old is still used.
func (f *JWKSFetcher) Keys(ctx context.Context, uri string, refresh bool) ([]jose.JSONWebKey, error) {
	return f.keysOf(ctx, uri, refresh, "jwks", parseJWKS)
}

// ScannerKeys returns the public keys a secret scanner signs its reports with, from the
// document at uri in GitHub's format (models.ParseScannerKeys), fetched and cached as
// Keys fetches and caches a client's key set.
func (f *JWKSFetcher) ScannerKeys(ctx context.Context, uri string, refresh bool) ([]jose.JSONWebKey, error) {
	return f.keysOf(ctx, uri, refresh, "scanner", models.ParseScannerKeys)
}

// keysOf is Keys for a document whose keys parse reads; format keeps the cache entries
// of different kinds of document apart.
func (f *JWKSFetcher) keysOf(ctx context.Context, uri string, refresh bool, format string, parse func([]byte) ([]jose.JSONWebKey, error)) ([]jose.JSONWebKey, error) {
	if err := f.CheckURI(uri); err != nil {
		return nil, err
	}
	f.mu.Lock()
	c := f.cache[format+" "+uri]
	if c == nil {
		if len(f.cache) >= 1000 {
			f.cache = map[string]*fetchedSet{}
		}
		c = &fetchedSet{}
		f.cache[format+" "+uri] = c
	}
	f.mu.Unlock()

	c.mu.Lock() // one fetch per uri at a time
	defer c.mu.Unlock()
	now := f.now()
	fresh := c.keys != nil && now.Sub(c.fetched) < c.maxAge
	throttled := !c.lastTry.IsZero() && now.Sub(c.lastTry) < jwksMinRefetch
	if (fresh && !refresh) || throttled {
		if c.keys != nil {
			return c.keys, nil
		}
		return nil, c.lastErr
	}
	c.lastTry = now
	keys, age, err := f.fetch(ctx, uri, parse)
	if err != nil {
		c.lastErr = err
		if c.keys != nil && now.Sub(c.fetched) < 24*time.Hour {
			return c.keys, nil
		}
		return nil, err
	}
	c.keys, c.fetched, c.maxAge, c.lastErr = keys, now, age, nil
	return keys, nil
}

// fetch downloads a document and reads its keys with parse.
func (f *JWKSFetcher) fetch(ctx context.Context, uri string, parse func([]byte) ([]jose.JSONWebKey, error)) ([]jose.JSONWebKey, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, jwksTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", models.ErrJWKSURI, err)
	}
	req.Header.Set("Accept", "application/json")
	res, err := f.client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", models.ErrJWKSURI, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("%w: the server answered %s", models.ErrJWKSURI, res.Status)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", models.ErrJWKSURI, err)
	}
	if len(body) > maxJWKSBytes {
		return nil, 0, fmt.Errorf("%w: larger than %d KiB", models.ErrJWKSURI, maxJWKSBytes>>10)
	}
	keys, err := parse(body)
	if err != nil {
		return nil, 0, err
	}
	age := 5 * time.Minute
	for _, part := range strings.Split(res.Header.Get("Cache-Control"), ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "max-age="); ok {
			if n, err := strconv.Atoi(v); err == nil && n >= 60 && n <= 86400 {
				age = time.Duration(n) * time.Second
			}
		}
	}
	return keys, age, nil
}

// parseJWKS reads the usable public signing keys of a JSON Web Key Set.
func parseJWKS(body []byte) ([]jose.JSONWebKey, error) {
	// Keys are read one by one: a key of a type or curve we cannot read is skipped
	// (RFC 7517 §5), not a reason to refuse the whole set.
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("%w: not a JSON Web Key Set", models.ErrJWKSURI)
	}
	var keys []jose.JSONWebKey
	for _, raw := range set.Keys {
		var k jose.JSONWebKey
		if json.Unmarshal(raw, &k) != nil {
			continue
		}
		if k.IsPublic() && (k.Use == "" || k.Use == "sig") {
			if _, err := models.ClientKeyAlg(k); err == nil {
				keys = append(keys, k)
			}
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no usable public signing key", models.ErrJWKSURI)
	}
	return keys, nil
}

package verify

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// maxDocument caps every document fetched from the portal (metadata, JWKS, status list).
const maxDocument = 1 << 20

// get fetches url with the verifier's client, bounded in size, and returns the body and
// the Cache-Control max-age (0 when absent).
func (v *Verifier) get(ctx context.Context, url, accept string) ([]byte, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, v.cfg.fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", accept)
	res, err := v.cfg.client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("GET %s: %s", url, res.Status)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxDocument+1))
	if err != nil {
		return nil, 0, err
	}
	if len(body) > maxDocument {
		return nil, 0, fmt.Errorf("GET %s: response larger than %d bytes", url, maxDocument)
	}
	return body, maxAge(res.Header.Get("Cache-Control")), nil
}

// maxAge reads max-age from a Cache-Control header.
func maxAge(cc string) time.Duration {
	for _, part := range strings.Split(cc, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "max-age="); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				return time.Duration(n) * time.Second
			}
		}
	}
	return 0
}

// metadata is the part of RFC 8414 metadata the verifier reads.
type metadata struct {
	Issuer              string   `json:"issuer"`
	JWKSURI             string   `json:"jwks_uri"`
	SigningAlgs         []string `json:"signing_alg_values_supported"`
	StatusListURIPrefix string   `json:"status_list_uri_prefix"`
	// StatusListEventsEndpoint is the revocation feed (feed.go).
	StatusListEventsEndpoint string `json:"status_list_events_endpoint"`
}

// discover reads the issuer's metadata. Its issuer must equal the configured one.
func (v *Verifier) discover(ctx context.Context) (*metadata, error) {
	body, _, err := v.get(ctx, v.issuer+"/.well-known/oauth-authorization-server", "application/json")
	if err != nil {
		return nil, fmt.Errorf("verify: discovery: %w", err)
	}
	var m metadata
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("verify: discovery: %w", err)
	}
	if m.Issuer != v.issuer {
		return nil, fmt.Errorf("verify: discovery: metadata issuer %q is not %q", m.Issuer, v.issuer)
	}
	if m.JWKSURI == "" {
		return nil, errors.New("verify: discovery: metadata has no jwks_uri")
	}
	return &m, nil
}

// keySet is an immutable snapshot of the issuer's usable keys.
type keySet struct {
	keys    map[string]*publicKey
	fetched time.Time
	maxAge  time.Duration
}

// parseJWKS keeps the keys that can verify: public, for signatures, with an allowed
// algorithm that matches the key type. Others are skipped, never guessed.
func parseJWKS(body []byte, allowed map[string]bool) (map[string]*publicKey, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("JWKS: %w", err)
	}
	keys := map[string]*publicKey{}
	for _, k := range set.Keys {
		if k.KeyID == "" || !k.IsPublic() || (k.Use != "" && k.Use != "sig") || !allowed[k.Algorithm] {
			continue
		}
		pk := &publicKey{kid: k.KeyID, alg: k.Algorithm}
		switch key := k.Key.(type) {
		case *ecdsa.PublicKey:
			if k.Algorithm != "ES256" || key.Curve.Params().Name != "P-256" {
				continue
			}
			pk.ec = key
		case ed25519.PublicKey:
			if k.Algorithm != "EdDSA" {
				continue
			}
			pk.ed = key
		case *rsa.PublicKey:
			if k.Algorithm != "RS256" || key.N.BitLen() < 2048 {
				continue
			}
			pk.rsa = key
		default:
			continue
		}
		keys[k.KeyID] = pk
	}
	return keys, nil
}

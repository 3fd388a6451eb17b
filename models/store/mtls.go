package store

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// ErrNoCertificateMethod is AuthenticateClientCertificate's answer for a client_id
// that names no project accepting a certificate method: the caller goes on with the
// other ways of authenticating (or the public client's).
var ErrNoCertificateMethod = errors.New("not a client that authenticates with a TLS client certificate")

// errNoCertificate is the answer to a certificate client that presented none.
var errNoCertificate = oauthErr(models.ErrCodeInvalidClient,
	"this client authenticates with a TLS client certificate (tls_client_auth or self_signed_tls_client_auth) and none was presented: "+
		"call the mutual-TLS endpoint (mtls_endpoint_aliases in the metadata) with the client's certificate")

// errCertificateMismatch is the one answer to a certificate that does not authenticate
// the client it names: wrong subject or SAN, untrusted issuer, expired, not registered.
var errCertificateMismatch = oauthErr(models.ErrCodeInvalidClient,
	"client authentication failed: the TLS client certificate does not match this client's registration")

// AuthenticateClientCertificate authenticates project clientID by the TLS client
// certificate chain it presented (leaf first; nil: none), RFC 8705 §2: by
// tls_client_auth, the leaf chains (through the other certificates given) to one of
// roots, the CAs the operator trusts, and carries the project's registered subject DN
// or SAN; by self_signed_tls_client_auth, the leaf is one of the certificates
// registered as the project's client keys (x5c, unexpired key). Either way the leaf is
// within its validity at the store's clock. The project comes back with its Grants.
func (s *Store) AuthenticateClientCertificate(ctx context.Context, clientID string, chain []*x509.Certificate, roots *x509.CertPool) (*models.Project, error) {
	if !models.HasPrefixID(clientID, "prj") {
		return nil, ErrNoCertificateMethod
	}
	// A certificate that authenticated this client is remembered like a client secret
	// (store/client_cache.go: any audited change — a setting, a client key — forgets it).
	var key string
	if len(chain) > 0 {
		key = "x5t:" + models.CertificateThumbprint(chain[0])
		if p := s.clients.get(key, clientID, s.now()); p != nil {
			s.clients.hits.Add(1)
			return p, nil
		}
	}
	gen := s.clients.gen.Load() // before the read: a change committed meanwhile moves it
	s.clients.misses.Add(1)
	p, err := s.clientByID(ctx, clientID)
	if err != nil {
		return nil, unavailable(ctx, err)
	}
	if p == nil || !p.UsesTLSAuth() {
		return nil, ErrNoCertificateMethod
	}
	if len(chain) == 0 {
		return nil, errNoCertificate
	}
	leaf, now := chain[0], s.now()
	if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		return nil, errCertificateMismatch
	}
	if p.AcceptsAuth(models.AuthTLSClientAuth) && roots != nil && p.TLSAuthField != "" &&
		models.MatchesTLSAuthRule(p.TLSAuthField, p.TLSAuthValue, leaf) {
		inter := x509.NewCertPool()
		for _, c := range chain[1:] {
			inter.AddCert(c)
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
			s.clients.put(key, p, &leaf.NotAfter, now, gen)
			return p, nil
		}
	}
	if p.AcceptsAuth(models.AuthSelfSignedTLS) {
		ck, err := s.registeredCertificate(ctx, p.ID, leaf)
		if err != nil {
			return nil, unavailable(ctx, err)
		}
		if ck != nil {
			s.markUsed("client_keys", "id", ck.ID, now)
			until := leaf.NotAfter
			if ck.ExpiresAt != nil && ck.ExpiresAt.Before(until) {
				until = *ck.ExpiresAt
			}
			s.clients.put(key, p, &until, now, gen)
			return p, nil
		}
	}
	return nil, errCertificateMismatch
}

// registeredCertificate returns the project's unexpired client key whose certificate
// (x5c[0] of its JWK, or of a key in its jwks_uri) is cert, or nil.
func (s *Store) registeredCertificate(ctx context.Context, projectID string, cert *x509.Certificate) (*models.ClientKey, error) {
	var keys []models.ClientKey
	if err := s.db.WithContext(ctx).Where("project_id = ?", projectID).Find(&keys).Error; err != nil {
		return nil, err
	}
	now := s.now()
	same := func(k jose.JSONWebKey) bool {
		return len(k.Certificates) > 0 && bytes.Equal(k.Certificates[0].Raw, cert.Raw)
	}
	for _, ck := range keys {
		if ck.Expired(now) {
			continue
		}
		if ck.JWK != "" {
			var k jose.JSONWebKey
			if json.Unmarshal([]byte(ck.JWK), &k) == nil && same(k) {
				return &ck, nil
			}
			continue
		}
		set, err := s.fetcher.Keys(ctx, ck.JWKSURI, false)
		if err != nil {
			continue
		}
		for _, k := range set {
			if same(k) {
				return &ck, nil
			}
		}
	}
	return nil, nil
}

// checkTLSAuthRule validates a project's tls_client_auth rule (nil: unchanged; both
// parts empty: cleared), adding problems to v, and returns it as stored.
func checkTLSAuthRule(v *models.ValidationError, in *models.TLSAuthRule) models.TLSAuthRule {
	if in == nil || (in.Field == "" && in.Value == "") {
		return models.TLSAuthRule{}
	}
	value, msg := models.CheckTLSAuthRule(in.Field, in.Value)
	if msg != "" {
		v.Add("tls_auth_value", msg)
	}
	return models.TLSAuthRule{Field: in.Field, Value: value}
}

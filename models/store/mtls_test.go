package store_test

import (
	"context"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// A project's mutual-TLS settings are stored and read back by client authentication
// (the issuance query), on both databases; its certificates authenticate it.
func TestClientCertificateAuthentication(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		storetest.Signer(t, s)
		p, err := s.CreateProject(ctx, w.admin, w.team.ID, "Billing", "", "")
		if err != nil {
			t.Fatal(err)
		}
		ca := storetest.NewCA(t, "Clients CA")
		leaf := ca.Issue(t, storetest.CertOptions{URIs: []string{"spiffe://example.org/billing"}})
		bound := true
		// Not a certificate client yet: the caller goes on with other methods.
		if _, err := s.AuthenticateClientCertificate(ctx, p.ID, []*x509.Certificate{leaf.Cert}, ca.Pool()); !errors.Is(err, store.ErrNoCertificateMethod) {
			t.Fatalf("before: %v, want ErrNoCertificateMethod", err)
		}
		err = s.UpdateProject(ctx, w.admin, p.ID, models.ProjectSettings{Name: p.Name, TokenTTLMinutes: 15, GrantTypes: p.GrantTypeList(),
			AuthMethods: []string{models.AuthTLSClientAuth, models.AuthSelfSignedTLS},
			TLSAuth:     &models.TLSAuthRule{Field: "san_uri", Value: "spiffe://example.org/billing"}, CertificateBoundTokens: &bound})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.AuthenticateClientCertificate(ctx, p.ID, []*x509.Certificate{leaf.Cert}, ca.Pool())
		if err != nil {
			t.Fatalf("CA certificate: %v", err)
		}
		if got.TLSAuthField != "san_uri" || got.TLSAuthValue != "spiffe://example.org/billing" || !got.CertificateBoundTokens {
			t.Errorf("read back %+v", got)
		}
		self := storetest.SelfSigned(t, storetest.CertOptions{})
		if _, err := s.AuthenticateClientCertificate(ctx, p.ID, []*x509.Certificate{self.Cert}, ca.Pool()); !isInvalidClient(err) {
			t.Errorf("unregistered self-signed: %v, want invalid_client", err)
		}
		ck, err := s.AddClientKey(ctx, w.admin, p.ID, models.ClientKeyInput{Name: "tls", Material: string(self.CertPEM())}, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AuthenticateClientCertificate(ctx, p.ID, []*x509.Certificate{self.Cert}, ca.Pool()); err != nil {
			t.Errorf("registered self-signed: %v", err)
		}
		// Authentications are remembered, but not past a change: a removed key, a
		// changed rule.
		if err := s.RemoveClientKey(ctx, w.admin, p.ID, ck.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AuthenticateClientCertificate(ctx, p.ID, []*x509.Certificate{self.Cert}, ca.Pool()); !isInvalidClient(err) {
			t.Errorf("removed self-signed: %v, want invalid_client", err)
		}
		err = s.UpdateProject(ctx, w.admin, p.ID, models.ProjectSettings{Name: p.Name, TokenTTLMinutes: 15, GrantTypes: p.GrantTypeList(),
			TLSAuth: &models.TLSAuthRule{Field: "san_uri", Value: "spiffe://example.org/shipping"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AuthenticateClientCertificate(ctx, p.ID, []*x509.Certificate{leaf.Cert}, ca.Pool()); !isInvalidClient(err) {
			t.Errorf("after the rule changed: %v, want invalid_client", err)
		}
		if _, err := s.AuthenticateClientCertificate(ctx, p.ID, nil, ca.Pool()); !isInvalidClient(err) {
			t.Errorf("no certificate: %v, want invalid_client", err)
		}
	})
}

func isInvalidClient(err error) bool {
	var oe *models.OAuthError
	return errors.As(err, &oe) && oe.Code == models.ErrCodeInvalidClient
}

// Tokens redeemed with a certificate carry cnf.x5t#S256, and the refresh family is bound
// to it (refresh_tokens.cert_thumbprint) on both databases: a refresh without it or with
// another is invalid_grant and changes nothing; with it, the rotated token stays bound.
func TestCertificateBoundRefreshFamily(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newCodeFixture(t, s)
		bound := models.WithCertificateBinding(context.Background(), "thumb-A")
		first := f.authorizedIn(bound, t, s, "orders:read offline_access")
		if cnf, _ := jwtClaims(t, first.Token)["cnf"].(map[string]any); cnf["x5t#S256"] != "thumb-A" {
			t.Errorf("cnf %v, want x5t#S256 thumb-A", cnf)
		}
		for name, ctx := range map[string]context.Context{"None": context.Background(),
			"Other": models.WithCertificateBinding(context.Background(), "thumb-B")} {
			_, err := s.RefreshAccessToken(ctx, f.p, first.RefreshToken, "")
			var oe *models.OAuthError
			if !errors.As(err, &oe) || oe.Code != models.ErrCodeInvalidGrant {
				t.Errorf("%s: %v, want invalid_grant", name, err)
			}
		}
		second, err := s.RefreshAccessToken(bound, f.p, first.RefreshToken, "")
		if err != nil {
			t.Fatalf("same certificate: %v", err)
		}
		if _, err := s.RefreshAccessToken(context.Background(), f.p, second.RefreshToken, ""); err == nil {
			t.Error("the rotated token refreshed without the certificate")
		}
		if _, err := s.RefreshAccessToken(bound, f.p, second.RefreshToken, ""); err != nil {
			t.Errorf("rotated token with the certificate: %v", err)
		}
	})
}

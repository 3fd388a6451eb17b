package oauth

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// clientChainKey caches a request's client certificate chain on its echo.Context.
const clientChainKey = "gatehouse.mtls.chain"

// clientCertificates is the certificate chain (leaf first) the client presented: in
// its TLS handshake with the portal, or — only on a connection from one of
// TrustedProxies — in the proxy's ClientCertHeader (RFC 9440: an sf-binary
// :base64-DER:, with intermediates in Client-Cert-Chain). The header from any other
// address is ignored: anybody can send one. nil: none. A trusted proxy's header that
// is not a certificate is invalid_request.
func (h *Handler) clientCertificates(c echo.Context) ([]*x509.Certificate, error) {
	if chain, ok := c.Get(clientChainKey).([]*x509.Certificate); ok {
		return chain, nil
	}
	chain, err := h.readClientCertificates(c)
	if err == nil {
		c.Set(clientChainKey, chain)
	}
	return chain, err
}

func (h *Handler) readClientCertificates(c echo.Context) ([]*x509.Certificate, error) {
	r := c.Request()
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		return r.TLS.PeerCertificates, nil
	}
	name := h.Cfg.ClientCertHeader
	if name == "" || !h.fromTrustedProxy(r.RemoteAddr) {
		return nil, nil
	}
	values := r.Header.Values(name)
	switch {
	case len(values) == 0:
		return nil, nil
	case len(values) > 1:
		return nil, newOAuthError(models.ErrCodeInvalidRequest, "the proxy sent more than one "+name+" header")
	}
	leaf, err := parseSFCertificate(values[0])
	if err != nil {
		return nil, newOAuthError(models.ErrCodeInvalidRequest, "the proxy's "+name+" header does not hold a certificate (RFC 9440: :base64-DER:)")
	}
	chain := []*x509.Certificate{leaf}
	for _, v := range r.Header.Values(name + "-Chain") {
		for _, item := range strings.Split(v, ",") {
			cert, err := parseSFCertificate(item)
			if err != nil {
				return nil, newOAuthError(models.ErrCodeInvalidRequest, "the proxy's "+name+"-Chain header does not hold certificates")
			}
			chain = append(chain, cert)
		}
	}
	return chain, nil
}

// parseSFCertificate reads one RFC 8941 byte sequence (":base64:") holding a DER
// certificate.
func parseSFCertificate(v string) (*x509.Certificate, error) {
	v = strings.TrimSpace(v)
	if len(v) < 2 || v[0] != ':' || v[len(v)-1] != ':' || len(v) > 16<<10 {
		return nil, errors.New("not an sf-binary item")
	}
	der, err := base64.StdEncoding.DecodeString(v[1 : len(v)-1])
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// fromTrustedProxy reports whether the connection's own address (never a forwarded
// one) is one of TrustedProxies.
func (h *Handler) fromTrustedProxy(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	for _, n := range h.Cfg.TrustedProxies {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// authenticateCertificate authenticates a request that names its client_id and sends
// no other credential by the client's TLS certificate (RFC 8705 §2), when the project
// accepts a certificate method: its tokens are then bound to the certificate (the
// request's context says so). store.ErrNoCertificateMethod: not such a client.
func (h *Handler) authenticateCertificate(c echo.Context, id string) (*models.Project, error) {
	chain, err := h.clientCertificates(c)
	if err != nil {
		return nil, err
	}
	ctx := c.Request().Context()
	p, err := h.Store.AuthenticateClientCertificate(ctx, id, chain, h.Cfg.ClientCAs)
	if err != nil {
		return nil, err
	}
	c.SetRequest(c.Request().WithContext(models.WithCertificateBinding(ctx, models.CertificateThumbprint(chain[0]))))
	return p, nil
}

// bindToCertificate returns the context a token request of project p is answered in:
// a project that asked for certificate-bound tokens gets them bound to the
// certificate it presented, however it authenticated (RFC 8705 §3), and is refused
// without one. A request authenticated by certificate is bound already.
func (h *Handler) bindToCertificate(c echo.Context, p *models.Project) (context.Context, error) {
	ctx := c.Request().Context()
	if p == nil || !p.CertificateBoundTokens || models.CertificateBinding(ctx) != "" {
		return ctx, nil
	}
	chain, err := h.clientCertificates(c)
	if err != nil {
		return ctx, err
	}
	if len(chain) == 0 {
		return ctx, newOAuthError(models.ErrCodeInvalidRequest,
			"this client's tokens are bound to its TLS client certificate: call the mutual-TLS endpoint (mtls_endpoint_aliases) with one")
	}
	return models.WithCertificateBinding(ctx, models.CertificateThumbprint(chain[0])), nil
}

// mtlsAliases are the endpoints served at the mutual-TLS base URL (RFC 8705 §5), or
// nil when none is configured.
func (h *Handler) mtlsAliases() *MTLSAliases {
	base := h.Cfg.MTLSBaseURL
	if base == nil {
		return nil
	}
	at := func(path string) string { return base.JoinPath(path).String() }
	return &MTLSAliases{TokenEndpoint: at("/oauth/token"), RevocationEndpoint: at("/oauth/revoke"),
		IntrospectionEndpoint: at("/oauth/introspect"), PushedAuthorizationRequestEndpoint: at(parPath),
		UserinfoEndpoint: at("/oauth/userinfo")}
}

// MTLSAliases are the mtls_endpoint_aliases of the metadata (RFC 8705 §5).
type MTLSAliases struct {
	TokenEndpoint                      string `json:"token_endpoint"`
	RevocationEndpoint                 string `json:"revocation_endpoint"`
	IntrospectionEndpoint              string `json:"introspection_endpoint"`
	PushedAuthorizationRequestEndpoint string `json:"pushed_authorization_request_endpoint"`
	UserinfoEndpoint                   string `json:"userinfo_endpoint"`
}

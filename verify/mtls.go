package verify

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// Certificate-bound access tokens (RFC 8705 §3): a token whose cnf carries x5t#S256,
// the base64url SHA-256 of the DER of the client's certificate, is accepted only from a
// request presenting that certificate: on the TLS connection the API terminates itself,
// or forwarded by a TLS-terminating proxy the API trusts (RFC 9440 Client-Cert).

// ErrCertBound: a certificate-bound token (cnf.x5t#S256) came with no client
// certificate, or with another one, or by Verify, which sees no request. The error wraps
// the reason.
var ErrCertBound = errors.New("certificate binding")

// DefaultClientCertHeader is the header a trusted proxy forwards the client's
// certificate in (RFC 9440 §2): a Structured Field Byte Sequence, ":<base64 DER>:".
const DefaultClientCertHeader = "Client-Cert"

// MaxClientCertHeaderLen caps a forwarded certificate before anything is decoded.
const MaxClientCertHeaderLen = 16 << 10

// TrustedProxies lists the networks (CIDRs, "10.0.0.0/8", or single addresses) of the
// TLS-terminating proxies in front of this API. A request whose remote address (the
// direct peer, never X-Forwarded-For) is in one of them takes the client's certificate
// from the ClientCertHeader header, and from nothing else: no header means no
// certificate. From any other address the header is ignored (a client cannot forge it)
// and the certificate is the one of the TLS connection, if any. The last TrustedProxies
// option counts; New fails on a bad CIDR.
func TrustedProxies(cidrs ...string) Option {
	return func(c *config) { c.trustedProxies = append([]string{}, cidrs...) }
}

// ClientCertHeader names the header trusted proxies forward the client's certificate
// in (default DefaultClientCertHeader, "Client-Cert", RFC 9440). It is read only from
// TrustedProxies.
func ClientCertHeader(name string) Option { return func(c *config) { c.clientCertHeader = name } }

// parseProxies turns the TrustedProxies option into prefixes.
func parseProxies(cidrs []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(cidrs))
	for _, s := range cidrs {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("verify: TrustedProxies: %q is not a CIDR or an address", s)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// fromTrustedProxy reports whether r's direct peer is one of TrustedProxies.
func (v *Verifier) fromTrustedProxy(r *http.Request) bool {
	if len(v.proxies) == 0 {
		return false
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	var a netip.Addr
	if err == nil {
		a = ap.Addr()
	} else if a, err = netip.ParseAddr(r.RemoteAddr); err != nil {
		return false
	}
	a = a.Unmap().WithZone("")
	for _, p := range v.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientCertificate returns the DER of the certificate the client presented with r:
// the ClientCertHeader header when r comes from one of TrustedProxies (nil without the
// header), otherwise the first certificate of r's TLS connection (nil without one). A
// trusted proxy's header that is not one Byte Sequence of base64 is an error.
func (v *Verifier) ClientCertificate(r *http.Request) ([]byte, error) {
	if v.fromTrustedProxy(r) {
		vals := r.Header.Values(v.cfg.clientCertHeader)
		switch {
		case len(vals) == 0:
			return nil, nil
		case len(vals) > 1:
			return nil, fmt.Errorf("%w: the proxy forwarded more than one %s header", ErrCertBound, v.cfg.clientCertHeader)
		}
		der, ok := parseByteSequence(vals[0])
		if !ok {
			return nil, fmt.Errorf("%w: the proxy's %s header is not a certificate (:base64 DER:)", ErrCertBound, v.cfg.clientCertHeader)
		}
		return der, nil
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		return r.TLS.PeerCertificates[0].Raw, nil
	}
	return nil, nil
}

// parseByteSequence decodes an RFC 8941 §3.3.5 Byte Sequence (":" base64 ":", padding
// optional, surrounding spaces allowed), which must not be empty.
func parseByteSequence(s string) ([]byte, bool) {
	s = strings.Trim(s, " \t")
	if len(s) < 3 || len(s) > MaxClientCertHeaderLen || s[0] != ':' || s[len(s)-1] != ':' {
		return nil, false
	}
	body := strings.TrimRight(s[1:len(s)-1], "=")
	der, err := base64.RawStdEncoding.Strict().DecodeString(body)
	if err != nil || len(der) == 0 {
		return nil, false
	}
	return der, true
}

// CertThumbprint is the value of cnf.x5t#S256 for a certificate (RFC 8705 §3.1): the
// base64url (no padding) SHA-256 of its DER.
func CertThumbprint(der []byte) string {
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// parseX5t decodes a cnf.x5t#S256 value: exactly 32 bytes in canonical base64url.
func parseX5t(s string) ([32]byte, bool) {
	var out [32]byte
	if len(s) != 43 {
		return out, false
	}
	b, err := b64.DecodeString(s)
	if err != nil || len(b) != 32 {
		return out, false
	}
	copy(out[:], b)
	return out, true
}

// checkCertBinding checks that r presents the certificate whose SHA-256 is x5t. dpop
// says the token is DPoP-bound too: WriteError then answers with a DPoP challenge.
func (v *Verifier) checkCertBinding(r *http.Request, x5t *[32]byte, dpop bool) error {
	der, err := v.ClientCertificate(r)
	switch {
	case err != nil:
		return &certBoundError{err: err, dpop: dpop}
	case der == nil:
		return &certBoundError{err: errNoClientCert, dpop: dpop}
	}
	sum := sha256.Sum256(der)
	if subtle.ConstantTimeCompare(sum[:], x5t[:]) != 1 {
		return &certBoundError{err: errOtherClientCert, dpop: dpop}
	}
	return nil
}

// Reasons wrapped with ErrCertBound.
var (
	errNoClientCert    = fmt.Errorf("%w: the token is bound to a client certificate and the request presented none", ErrCertBound)
	errOtherClientCert = fmt.Errorf("%w: the request's client certificate is not the one the token is bound to", ErrCertBound)
	errCertAsBearer    = fmt.Errorf("%w: a certificate-bound token is accepted only with its request's client certificate (VerifyRequest)", ErrCertBound)
)

// certBoundError is a refused certificate binding, and whether the token is DPoP-bound
// too (so the challenge is a DPoP one).
type certBoundError struct {
	err  error
	dpop bool
}

func (e *certBoundError) Error() string { return e.err.Error() }
func (e *certBoundError) Unwrap() error { return e.err }

package models

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"net"
	"net/url"
	"slices"
	"strings"
)

// Client authentication by TLS client certificate (RFC 8705 §2). A project accepting
// AuthTLSClientAuth registers one TLSClientAuth rule (which field of the certificate
// must hold which value) and its certificates must chain to a CA the operator trusts
// (GATEHOUSE_TLS_CLIENT_CA_FILE); a project accepting AuthSelfSignedTLS registers the
// certificates themselves, as client keys (a JWK with x5c, or a certificate PEM).
const (
	AuthTLSClientAuth = "tls_client_auth"
	AuthSelfSignedTLS = "self_signed_tls_client_auth"
)

// TLSAuthFields are the certificate fields a tls_client_auth rule may name, as the
// client metadata names them (RFC 8705 §2.1.2), without the "tls_client_auth_" prefix.
var TLSAuthFields = []string{"subject_dn", "san_dns", "san_uri", "san_ip", "san_email"}

// UsesTLSAuth reports whether the project accepts one of the certificate methods.
func (p *Project) UsesTLSAuth() bool {
	return p.AcceptsAuth(AuthTLSClientAuth) || p.AcceptsAuth(AuthSelfSignedTLS)
}

// CertificateThumbprint is the x5t#S256 of a certificate: base64url(SHA-256(DER))
// (RFC 8705 §3.1).
func CertificateThumbprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// CheckTLSAuthRule validates a tls_client_auth rule: field one of TLSAuthFields and a
// value of its kind. It returns the value as stored (an IP in canonical form) or a
// sentence saying what is wrong.
func CheckTLSAuthRule(field, value string) (string, string) {
	value = strings.TrimSpace(value)
	if !slices.Contains(TLSAuthFields, field) {
		return "", "choose which certificate field identifies the client (subject_dn, san_dns, san_uri, san_ip or san_email)"
	}
	switch {
	case value == "":
		return "", "give the value the client's certificate must carry in " + field
	case len(value) > 500 || strings.ContainsAny(value, "\r\n"):
		return "", "the value must be one line of at most 500 characters"
	}
	switch field {
	case "subject_dn":
		if _, ok := parseDN(value); !ok {
			return "", "write the subject as an RFC 4514 string, such as CN=billing,O=Example"
		}
	case "san_ip":
		ip := net.ParseIP(value)
		if ip == nil {
			return "", "give an IP address such as 10.0.0.7 or fd00::7"
		}
		value = ip.String()
	case "san_uri":
		if u, err := url.Parse(value); err != nil || u.Scheme == "" {
			return "", "give an absolute URI such as spiffe://example.org/billing"
		}
	case "san_email":
		if !strings.Contains(value, "@") {
			return "", "give an email address"
		}
	case "san_dns":
		if strings.ContainsAny(value, " /:@") {
			return "", "give a DNS name such as billing.example.com"
		}
	}
	return value, ""
}

// MatchesTLSAuthRule reports whether cert carries value in field (RFC 8705 §2.1.2):
// the subject DN compared attribute by attribute (RFC 4514 strings, case-insensitive
// attribute types), a SAN compared exactly (DNS names case-insensitively, IPs by value).
func MatchesTLSAuthRule(field, value string, cert *x509.Certificate) bool {
	switch field {
	case "subject_dn":
		want, ok := parseDN(value)
		got, ok2 := parseDN(cert.Subject.String())
		return ok && ok2 && slices.Equal(want, got)
	case "san_dns":
		return slices.ContainsFunc(cert.DNSNames, func(n string) bool { return strings.EqualFold(n, value) })
	case "san_uri":
		return slices.ContainsFunc(cert.URIs, func(u *url.URL) bool { return u.String() == value })
	case "san_ip":
		want := net.ParseIP(value)
		return want != nil && slices.ContainsFunc(cert.IPAddresses, want.Equal)
	case "san_email":
		return slices.Contains(cert.EmailAddresses, value)
	}
	return false
}

// parseDN splits an RFC 4514 string into normalized "type=value" attributes, in order:
// types upper-cased (and their OID spellings mapped to the short names Go prints),
// spaces around separators dropped. Escaped commas stay inside their value.
func parseDN(s string) ([]string, bool) {
	var out []string
	var cur strings.Builder
	flush := func() bool {
		typ, val, ok := strings.Cut(cur.String(), "=")
		typ, val = strings.ToUpper(strings.TrimSpace(typ)), strings.TrimSpace(val)
		if !ok || typ == "" || val == "" {
			return false
		}
		if short, ok := dnOIDs[typ]; ok {
			typ = short
		}
		out = append(out, typ+"="+val)
		cur.Reset()
		return true
	}
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			cur.WriteByte(s[i])
			cur.WriteByte(s[i+1])
			i++
		case s[i] == ',' || s[i] == '+':
			if !flush() {
				return nil, false
			}
		default:
			cur.WriteByte(s[i])
		}
	}
	if !flush() {
		return nil, false
	}
	return out, true
}

// dnOIDs are the attribute types Go's pkix.Name.String prints by name.
var dnOIDs = map[string]string{"2.5.4.3": "CN", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.6": "C",
	"2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.9": "STREET", "2.5.4.17": "POSTALCODE", "2.5.4.5": "SERIALNUMBER"}

type clientCertCtx struct{}

// WithCertificateBinding marks a token request as made with the client certificate of
// thumbprint x5t: its access tokens carry cnf.x5t#S256 and its refresh tokens are
// bound to the certificate (RFC 8705 §3).
func WithCertificateBinding(ctx context.Context, x5t string) context.Context {
	return context.WithValue(ctx, clientCertCtx{}, x5t)
}

// CertificateBinding is the thumbprint WithCertificateBinding set ("": none).
func CertificateBinding(ctx context.Context) string {
	x5t, _ := ctx.Value(clientCertCtx{}).(string)
	return x5t
}

package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net/url"
	"os"
	"strings"
)

// mutualTLS validates the TLS and mutual-TLS settings into c: the portal's own
// certificate and key (both or neither, loaded now so a wrong file stops the start),
// the client CA bundle, the proxy's certificate header and the mutual-TLS base URL.
func mutualTLS(r *rawConfig, c *Config, bad func(env, fl, format string, a ...any)) {
	switch {
	case r.tlsCert == "" && r.tlsKey == "":
	case r.tlsCert == "":
		bad("GATEHOUSE_TLS_CERT_FILE", "tls-cert-file", "is required when GATEHOUSE_TLS_KEY_FILE is set")
	case r.tlsKey == "":
		bad("GATEHOUSE_TLS_KEY_FILE", "tls-key-file", "is required when GATEHOUSE_TLS_CERT_FILE is set")
	default:
		pair, err := tls.LoadX509KeyPair(r.tlsCert, r.tlsKey)
		if err != nil {
			bad("GATEHOUSE_TLS_CERT_FILE", "tls-cert-file", "cannot load the certificate and GATEHOUSE_TLS_KEY_FILE's key: %v", err)
		} else {
			c.TLS = &pair
		}
	}
	if r.clientCAFile != "" {
		pool, n, err := readCABundle(r.clientCAFile)
		switch {
		case err != nil:
			bad("GATEHOUSE_TLS_CLIENT_CA_FILE", "tls-client-ca-file", "%v", err)
		case n == 0:
			bad("GATEHOUSE_TLS_CLIENT_CA_FILE", "tls-client-ca-file", "%s holds no PEM CERTIFICATE block", r.clientCAFile)
		default:
			c.ClientCAs = pool
		}
	}
	switch h := strings.TrimSpace(r.clientCertHeader); {
	case h == "off":
	case h == "" || strings.IndexFunc(h, func(r rune) bool { return !isTokenChar(r) }) >= 0:
		bad("GATEHOUSE_CLIENT_CERT_HEADER", "client-cert-header", "want a header name such as Client-Cert or X-Client-Cert, or off, got %q", r.clientCertHeader)
	default:
		c.ClientCertHeader = h
	}
	if r.mtlsBaseURL != "" {
		u, err := url.Parse(r.mtlsBaseURL)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))):
			bad("GATEHOUSE_MTLS_BASE_URL", "mtls-base-url", "want an absolute https URL (http only on loopback), got %q", r.mtlsBaseURL)
		case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
			bad("GATEHOUSE_MTLS_BASE_URL", "mtls-base-url", "must not carry a query, fragment or credentials")
		default:
			u.Path = strings.TrimSuffix(u.Path, "/")
			c.MTLSBaseURL = u
		}
	}
}

// serverTLS is the portal's own TLS configuration: its certificate, TLS 1.2 at least,
// and client certificates requested but neither required nor verified here — each
// client authentication method verifies what it needs (a CA chain for
// tls_client_auth, a registered certificate for self_signed_tls_client_auth), and a
// browser without one is served as before.
func serverTLS(cert *tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12,
		ClientAuth: tls.RequestClientCert, NextProtos: []string{"h2", "http/1.1"}}
}

// readCABundle reads the PEM certificates of path into a pool; n is how many.
func readCABundle(path string) (*x509.CertPool, int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	pool, n := x509.NewCertPool(), 0
	for {
		var block *pem.Block
		if block, data = pem.Decode(data); block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, 0, err
		}
		pool.AddCert(cert)
		n++
	}
	return pool, n, nil
}

// isTokenChar reports whether r may appear in an HTTP header name (RFC 9110 token).
func isTokenChar(r rune) bool {
	return r < 0x7f && r > 0x20 && !strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r)
}

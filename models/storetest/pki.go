package storetest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// CA is a certificate authority made for one test.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
}

// Leaf is a certificate with its private key.
type Leaf struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
}

// CertOptions describe a certificate to make: its subject and SANs, its validity
// (zero: from an hour ago for a day) and whether it may serve (a server certificate
// for 127.0.0.1) rather than authenticate a client.
type CertOptions struct {
	Subject   pkix.Name
	DNS       []string
	URIs      []string
	IPs       []net.IP
	Emails    []string
	NotBefore time.Time
	NotAfter  time.Time
	Server    bool
}

// NewCA makes a CA named cn.
func NewCA(tb testing.TB, cn string) *CA {
	tb.Helper()
	key := newKey(tb)
	tmpl := &x509.Certificate{SerialNumber: serial(tb), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	return &CA{Cert: sign(tb, tmpl, tmpl, &key.PublicKey, key), Key: key}
}

// Issue makes a certificate signed by the CA.
func (ca *CA) Issue(tb testing.TB, o CertOptions) *Leaf {
	tb.Helper()
	key := newKey(tb)
	return &Leaf{Cert: sign(tb, leafTemplate(tb, o), ca.Cert, &key.PublicKey, ca.Key), Key: key}
}

// SelfSigned makes a self-signed client certificate.
func SelfSigned(tb testing.TB, o CertOptions) *Leaf {
	tb.Helper()
	key := newKey(tb)
	tmpl := leafTemplate(tb, o)
	return &Leaf{Cert: sign(tb, tmpl, tmpl, &key.PublicKey, key), Key: key}
}

// TLS is the leaf as a tls.Certificate, to present.
func (l *Leaf) TLS() tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{l.Cert.Raw}, PrivateKey: l.Key, Leaf: l.Cert}
}

// CertPEM is the certificate in PEM.
func (l *Leaf) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: l.Cert.Raw})
}

// WriteFiles writes the certificate and key as PEM files into dir, returning their paths.
func (l *Leaf) WriteFiles(tb testing.TB, dir, name string) (certFile, keyFile string) {
	tb.Helper()
	der, err := x509.MarshalECPrivateKey(l.Key)
	if err != nil {
		tb.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	writeFile(tb, certFile, l.CertPEM())
	writeFile(tb, keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
	return certFile, keyFile
}

// WriteCert writes the CA's certificate as a PEM file into dir.
func (ca *CA) WriteCert(tb testing.TB, dir, name string) string {
	tb.Helper()
	path := filepath.Join(dir, name+".crt")
	writeFile(tb, path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw}))
	return path
}

// Pool is a pool holding the CA.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

func leafTemplate(tb testing.TB, o CertOptions) *x509.Certificate {
	if o.NotBefore.IsZero() {
		o.NotBefore = time.Now().Add(-time.Hour)
	}
	if o.NotAfter.IsZero() {
		o.NotAfter = time.Now().Add(24 * time.Hour)
	}
	t := &x509.Certificate{SerialNumber: serial(tb), Subject: o.Subject, DNSNames: o.DNS, IPAddresses: o.IPs,
		EmailAddresses: o.Emails, NotBefore: o.NotBefore, NotAfter: o.NotAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if o.Server {
		t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		t.IPAddresses = append(t.IPAddresses, net.IPv4(127, 0, 0, 1))
		t.DNSNames = append(t.DNSNames, "localhost")
	}
	for _, raw := range o.URIs {
		u, err := url.Parse(raw)
		if err != nil {
			tb.Fatal(err)
		}
		t.URIs = append(t.URIs, u)
	}
	return t
}

func sign(tb testing.TB, tmpl, parent *x509.Certificate, pub *ecdsa.PublicKey, key *ecdsa.PrivateKey) *x509.Certificate {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return cert
}

func newKey(tb testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func serial(tb testing.TB) *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func writeFile(tb testing.TB, path string, data []byte) {
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatal(err)
	}
}

package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// lockedBuffer collects the log of a running server.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The mutual-TLS settings load and validate: the pair, the CA bundle, the header and
// the alias.
func TestConfigMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca := storetest.NewCA(t, "Clients CA")
	certFile, keyFile := ca.Issue(t, storetest.CertOptions{Server: true}).WriteFiles(t, dir, "server")
	c, err := loadConfig([]string{"--tls-cert-file", certFile, "--tls-key-file", keyFile}, envMap(map[string]string{
		"GATEHOUSE_TLS_CLIENT_CA_FILE": ca.WriteCert(t, dir, "ca"), "GATEHOUSE_MTLS_BASE_URL": "https://mtls.example.com/",
		"GATEHOUSE_CLIENT_CERT_HEADER": "X-SSL-Client-Cert"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.TLS == nil || c.ClientCAs == nil || c.ClientCertHeader != "X-SSL-Client-Cert" || c.MTLSBaseURL.String() != "https://mtls.example.com" {
		t.Errorf("loaded %+v", c)
	}
	if c, err := loadConfig(nil, envMap(nil)); err != nil || c.ClientCertHeader != "Client-Cert" || c.TLS != nil {
		t.Errorf("defaults: header %q tls %v err %v, want Client-Cert and plain HTTP", c.ClientCertHeader, c.TLS, err)
	}
	if c, err := loadConfig([]string{"--client-cert-header=off"}, envMap(nil)); err != nil || c.ClientCertHeader != "" {
		t.Errorf("off: header %q err %v", c.ClientCertHeader, err)
	}
	if _, err := loadConfig([]string{"--tls-cert-file", certFile, "--tls-key-file", certFile}, envMap(nil)); err == nil ||
		!strings.Contains(err.Error(), "GATEHOUSE_TLS_CERT_FILE") {
		t.Errorf("a certificate as its own key: %v", err)
	}
}

// The real serve path with GATEHOUSE_TLS_CERT_FILE: HTTPS on GATEHOUSE_ADDR whose
// handshake asks for a client certificate without requiring one, the metadata naming
// the mutual-TLS aliases.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	ca := storetest.NewCA(t, "Server CA")
	certFile, keyFile := ca.Issue(t, storetest.CertOptions{Server: true}).WriteFiles(t, dir, "server")
	ctx, cancel := context.WithCancel(context.Background())
	logs := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--base-url", "https://127.0.0.1:8443",
			"--database-url", "sqlite://" + filepath.Join(dir, "g.db"), "--tls-cert-file", certFile, "--tls-key-file", keyFile,
			"--mtls-base-url", "https://mtls.127.0.0.1.example:8443", "--shutdown-delay", "0s"}, envMap(nil), &lockedBuffer{}, logs)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	addr := regexp.MustCompile(`msg="gatehouse listening" addr=(\S+)`)
	var base string
	for deadline := time.Now().Add(30 * time.Second); base == ""; {
		if m := addr.FindStringSubmatch(logs.String()); m != nil {
			base = "https://" + m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("the server did not start:\n%s", logs)
		} else {
			select {
			case err := <-done:
				t.Fatalf("serve ended: %v\n%s", err, logs)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	var asked atomic.Bool
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			asked.Store(true)
			return &tls.Certificate{}, nil // none: the portal must serve us anyway
		}}}}
	res, err := client.Get(base + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var md struct {
		Aliases map[string]string `json:"mtls_endpoint_aliases"`
	}
	if err := json.NewDecoder(res.Body).Decode(&md); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("metadata over HTTPS: %d %v", res.StatusCode, err)
	}
	if !asked.Load() {
		t.Error("the TLS handshake did not request a client certificate")
	}
	if got := md.Aliases["token_endpoint"]; got != "https://mtls.127.0.0.1.example:8443/oauth/token" {
		t.Errorf("mtls token endpoint %q", got)
	}
	// A client certificate is read from the handshake: unknown client, invalid_client.
	client.Transport.(*http.Transport).TLSClientConfig.GetClientCertificate = nil
	leaf := storetest.SelfSigned(t, storetest.CertOptions{})
	client.Transport.(*http.Transport).TLSClientConfig.Certificates = []tls.Certificate{leaf.TLS()}
	tres, err := client.PostForm(base+"/oauth/token", map[string][]string{"grant_type": {"client_credentials"}, "client_id": {"prj_unknown"}})
	if err != nil {
		t.Fatal(err)
	}
	tres.Body.Close()
	if tres.StatusCode != http.StatusUnauthorized {
		t.Errorf("token with an unknown client: %d, want 401", tres.StatusCode)
	}
}

package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// TestHAProxyForwardsClientCertificates runs the README's HAProxy frontend for mutual
// TLS ("Mutual TLS: certificate clients and bound tokens") for real, in front of the
// portal binary trusting it as a proxy: only the bind line's certificate and the CA
// file's path are replaced, and a defaults section and the gatehouse backend are added
// around it.
//   - A tls_client_auth client with its certificate gets a token bound to it.
//   - A client without a certificate that sends a Client-Cert header of its own gets
//     invalid_client: HAProxy drops the forged header.
func TestHAProxyForwardsClientCertificates(t *testing.T) {
	bin := haTools(t)
	t.Parallel()
	dir := t.TempDir()
	clients, servers := storetest.NewCA(t, "Clients CA"), storetest.NewCA(t, "Server CA")
	caFile := clients.WriteCert(t, dir, "clients-ca")
	p := startPortal(t, "GATEHOUSE_TRUSTED_PROXIES=127.0.0.1", "GATEHOUSE_TLS_CLIENT_CA_FILE="+caFile)
	u := vfSignIn(t, p, "mtls-proxy@example.com", "Proxied Service")
	pr := u.projectNamed(t, models.FirstProjectName)
	u.do(t, http.MethodPost, "/projects/"+pr.ID+"/settings", url.Values{"_csrf": {u.csrf}, "name": {pr.Name},
		"token_ttl_minutes": {"15"}, "grant_types": {models.GrantClientCredentials}, "auth_methods_shown": {"1"},
		"auth_methods": {models.AuthTLSClientAuth}, "mtls_shown": {"1"}, "tls_auth_field": {"san_dns"},
		"tls_auth_value": {"billing.example.com"}}, http.StatusSeeOther)

	// The frontend's own certificate and key, in one PEM file as HAProxy wants.
	serverCert := servers.Issue(t, storetest.CertOptions{Server: true, Subject: pkix.Name{CommonName: "127.0.0.1"}})
	certFile, keyFile := serverCert.WriteFiles(t, dir, "portal")
	var bundle []byte
	for _, f := range []string{certFile, keyFile} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bundle = append(bundle, b...)
	}
	pemFile := filepath.Join(dir, "portal.pem")
	if err := os.WriteFile(pemFile, bundle, 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cfg := "defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n\n" +
		haReplace(t, "mtls-haproxy", haReadme(t, "mtls-haproxy"),
			"bind :443 ssl crt /etc/haproxy/portal.pem", "bind "+addr+" ssl crt "+pemFile,
			"/etc/haproxy/clients-ca.pem", caFile) +
		"\nbackend gatehouse\n    server portal " + p.Addr + "\n"
	path := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-c", "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("haproxy -c refuses the README's frontend: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-f", path, "-db")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	setChildAttrs(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("haproxy output:\n%s", out.String())
		}
	})

	roots := x509.NewCertPool()
	roots.AddCert(servers.Cert)
	client := func(certs ...tls.Certificate) *http.Client {
		return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: certs}}}
	}
	gateway := "https://" + addr
	for deadline := time.Now().Add(haReadyTimeout); ; {
		res, err := client().Get(gateway + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("haproxy did not pass /healthz on within %s: %v", haReadyTimeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	leaf := clients.Issue(t, storetest.CertOptions{DNS: []string{"billing.example.com"}})
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {pr.ID}}
	res, err := client(leaf.TLS()).PostForm(gateway+"/oauth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("token through HAProxy with the certificate: %d %v", res.StatusCode, err)
	}
	res.Body.Close()
	parsed, err := jwt.ParseSigned(tok.AccessToken, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Cnf struct {
			X5T string `json:"x5t#S256"`
		} `json:"cnf"`
	}
	if err := parsed.UnsafeClaimsWithoutVerification(&claims); err != nil {
		t.Fatal(err)
	}
	if claims.Cnf.X5T != models.CertificateThumbprint(leaf.Cert) {
		t.Errorf("cnf.x5t#S256 = %q, want the client certificate's %q", claims.Cnf.X5T, models.CertificateThumbprint(leaf.Cert))
	}

	// A forged header, no certificate: HAProxy drops it, the portal sees none.
	req, err := http.NewRequest(http.MethodPost, gateway+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Client-Cert", ":"+base64.StdEncoding.EncodeToString(leaf.Cert.Raw)+":")
	res, err = client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged Client-Cert through HAProxy: status %d, want 401", res.StatusCode)
	}
}

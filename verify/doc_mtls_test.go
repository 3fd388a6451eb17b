package verify_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/verify"
)

// mtlsDocSnippet is doc.go's certificate-bound example, run as shown (the lines between
// the markers are the snippet's: TestDocSnippetIsRun); it hands the server to use.
func mtlsDocSnippet(ctx context.Context, issuer string, use func(*http.Server)) error {
	// snippet: doc.go certificate-bound
	v, err := verify.New(ctx, issuer, verify.Audience("orders-api"),
		verify.TrustedProxies("10.0.0.0/8")) // the TLS-terminating proxies, if any
	if err != nil {
		return err
	}
	orders := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := verify.FromContext(r.Context()) // p.CertBound, p.CertThumbprint
		fmt.Fprintln(w, p.Subject, p.CertThumbprint)
	})
	srv := &http.Server{
		Handler:   v.Middleware(orders),
		TLSConfig: &tls.Config{ClientAuth: tls.RequestClientCert}, // ask; the token decides
	}
	// end snippet
	srv.RegisterOnShutdown(v.Close)
	use(srv)
	return nil
}

// The snippet serves TLS: a token bound to alice's certificate is accepted over a
// connection presenting it, and refused without it.
func TestDocMTLSSnippet(t *testing.T) {
	issuer, mint := verify.DocIssuer(t)
	var srv *http.Server
	if err := mtlsDocSnippet(t.Context(), issuer, func(s *http.Server) { srv = s }); err != nil {
		t.Fatal(err)
	}
	serverCert, _ := verify.DocClientCert(t, "server")
	srv.TLSConfig.Certificates = []tls.Certificate{serverCert}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	defer srv.Shutdown(context.Background())
	alice, x5t := verify.DocClientCert(t, "alice")
	token := mint(x5t)
	for _, tc := range []struct {
		certs  []tls.Certificate
		status int
	}{{[]tls.Certificate{alice}, 200}, {nil, 401}} {
		// The server's certificate is a throwaway self-signed one.
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{Certificates: tc.certs, InsecureSkipVerify: true}}}
		req, _ := http.NewRequest("GET", "https://"+ln.Addr().String()+"/orders", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || (tc.status == 200 && strings.TrimSpace(string(body)) != "prj_orders "+x5t) {
			t.Errorf("with %d certificates: %d %s", len(tc.certs), resp.StatusCode, body)
		}
	}
}

// TestDocSnippetIsRun: doc.go's certificate-bound snippet is, line for line, the one
// mtlsDocSnippet runs.
func TestDocSnippetIsRun(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("doc_mtls_test.go")
	if err != nil {
		t.Fatal(err)
	}
	var shown []string
	in := false
	for _, l := range strings.Split(string(doc), "\n") {
		switch {
		case strings.HasPrefix(l, "//\tv, err := verify.New(ctx, issuer"):
			in = true
		case in && !strings.HasPrefix(l, "//\t"):
			in = false
		}
		if in {
			shown = append(shown, strings.TrimPrefix(l, "//\t"))
		}
	}
	_, after, _ := strings.Cut(string(src), "\t// snippet: doc.go certificate-bound\n")
	run, _, _ := strings.Cut(after, "\t// end snippet\n")
	var ran []string
	for _, l := range strings.Split(strings.TrimSuffix(run, "\n"), "\n") {
		ran = append(ran, strings.TrimPrefix(l, "\t"))
	}
	want := strings.Join(ran, "\n")
	if len(shown) == 0 || strings.Join(shown, "\n") != want {
		t.Errorf("doc.go shows:\n%s\n\nthe test runs:\n%s", strings.Join(shown, "\n"), want)
	}
}

package handlers_test

import (
	"crypto/tls"
	"net/http"
	"net/url"
	"testing"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// BenchmarkTokenEndpointMTLS is POST /oauth/token (client_credentials) on the
// mutual-TLS alias, in one run: first with a client secret (the yardstick, no client
// certificate), then with tls_client_auth (the certificate's chain and SAN checked, the
// token bound to it). Both use keep-alive TLS connections, so the handshake is paid
// once per connection, as real clients do. The second reports x_secret: its rate over
// the yardstick's.
func BenchmarkTokenEndpointMTLS(b *testing.B) {
	for _, db := range benchDBs {
		b.Run(db.name, func(b *testing.B) {
			ca := storetest.NewCA(b, "Clients CA")
			e := newEnv(b, func(o *envOptions) { o.store, o.mtls, o.clientCAs = db.open(b), true, ca.Pool() })
			cl := benchClient(b, e)
			useCertificates(b, e, cl, []string{models.AuthClientSecret, models.AuthTLSClientAuth}, "san_dns", "billing.example.com", false)
			leaf := ca.Issue(b, storetest.CertOptions{DNS: []string{"billing.example.com"}})
			target := e.mtls.URL + "/oauth/token"
			tlsClient := func(certs ...tls.Certificate) *http.Client {
				c := loopbackClient()
				tr := c.Transport.(*http.Transport)
				tr.TLSClientConfig = certClient(e, nil).Transport.(*http.Transport).TLSClientConfig
				tr.TLSClientConfig.Certificates = certs
				return c
			}
			var secretRate float64
			b.Run("client_secret", func(b *testing.B) {
				secretRate = hammerEachWith(b, tlsClient(), func(int) *http.Request {
					return formPOST(target, cl.project.ID, cl.secret, "grant_type=client_credentials")
				}, nil)
			})
			b.Run("tls_client_auth", func(b *testing.B) {
				body := url.Values{"grant_type": {"client_credentials"}, "client_id": {cl.project.ID}}.Encode()
				rate := hammerEachWith(b, tlsClient(leaf.TLS()), func(int) *http.Request {
					return formPOST(target, "", "", body)
				}, nil)
				if secretRate > 0 {
					b.ReportMetric(rate/secretRate, "x_secret")
				}
			})
		})
	}
}

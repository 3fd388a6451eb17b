package httpx

import (
	"crypto/x509"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/signing"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/views"
	"github.com/labstack/echo/v4"
)

// Config is what the HTTP layer needs from the process configuration.
type Config struct {
	// BaseURL is the portal's public URL.
	BaseURL *url.URL
	// OIDC is the identity provider developers sign in with.
	OIDC OIDCConfig
	// DevProvider, when set, is the in-process development identity provider, mounted
	// at DevProviderPath. The layout then shows a development sign-in banner.
	DevProvider http.Handler
	// SessionKeys sign session cookies; the first signs, all verify.
	SessionKeys [][]byte
	// Sessions bounds session lifetimes.
	Sessions models.SessionPolicy
	// Logger receives the access log and errors. Never a secret or token.
	Logger *slog.Logger
	// Version is shown by /healthz.
	Version string
	// RequestTimeout bounds each request's context.
	RequestTimeout time.Duration
	// BodyLimit bounds request bodies, in Echo's notation ("256K").
	BodyLimit string
	// Signer signs credentials and serves the JWKS and status lists.
	Signer *signing.Signer
	// AdminEmails are the operators (lower case), who see the signing-key page.
	AdminEmails []string
	// Usage counts issued tokens and revocations per project (flushed by its owner).
	Usage *store.Usage
	// AuthFailuresPerClient and AuthFailuresPerIP bound failed client authentications
	// per minute at the OAuth endpoints; past them the caller gets 429.
	AuthFailuresPerClient int
	AuthFailuresPerIP     int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the client's
	// address. A request from any other address is attributed to that address.
	TrustedProxies []*net.IPNet
	// MetricsToken, when set, serves GET /metrics on the main port to callers that
	// present it as a bearer token.
	MetricsToken string
	// QuietMachineLog logs the machine endpoints' requests (tokens, JWKS, status lists,
	// introspection, health) only when they fail (status 400 or more); pages are always
	// logged.
	QuietMachineLog bool
	// LeakGitHubKeysURL and LeakGitHubKeysFile are where the keys GitHub's secret
	// scanning signs its reports with are published (fetched like a jwks_uri) or kept
	// (a local file in the same format); either or both. Neither: POST /leaks/github
	// answers 404.
	LeakGitHubKeysURL  string
	LeakGitHubKeysFile string
	// OpenRegistrationTeam is the team (id) that receives dynamic client registrations
	// made without an initial access token, when its own policy is open too; "": none.
	OpenRegistrationTeam string
	// OpenRegistrationsPerIP bounds the registrations without a token per source
	// address per minute (0: 10).
	OpenRegistrationsPerIP int
	// DPoPNonce makes the token endpoint require a server-provided nonce in DPoP proofs
	// (RFC 9449 §8): stateless, so every instance sharing the master key accepts it.
	DPoPNonce bool
	// StatusEvents tunes the revocation feed (GET /statuslists/events): its subscriber
	// cap (GATEHOUSE_STATUS_EVENTS_MAX_SUBSCRIBERS), heartbeat and stream lifetime.
	StatusEvents signing.FeedConfig
	// ClientCAs are the CAs a tls_client_auth client's certificate must chain to
	// (GATEHOUSE_TLS_CLIENT_CA_FILE; nil: that method authenticates nobody).
	ClientCAs *x509.CertPool
	// ClientCertHeader is the header a TLS-terminating proxy in TrustedProxies forwards
	// the client's certificate in (RFC 9440 Client-Cert; "": none is believed).
	ClientCertHeader string
	// MTLSBaseURL is where the endpoints are served with client certificates requested
	// (mtls_endpoint_aliases, RFC 8705 §5; nil: the base URL itself, if at all).
	MTLSBaseURL *url.URL
}

// OIDCConfig names the identity provider developers sign in with.
type OIDCConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL defaults to BaseURL + "/auth/callback".
	RedirectURL string
	// DisplayName labels the sign-in button ("your company account").
	DisplayName string
	// HTTPClient talks to the provider (nil = a client with a 10 s timeout).
	HTTPClient *http.Client
}

// DevProviderPath is where the development identity provider is mounted.
const DevProviderPath = "/dev-oidc"

// Server is what every way in shares: the configuration, the store, the log, the
// usage counters and the metrics. handlers.New builds it; web and oauth embed it.
type Server struct {
	Cfg     Config
	Store   *store.Store
	Log     *slog.Logger
	Usage   *store.Usage
	Metrics *Metrics
	// Secure is set when the portal is served over HTTPS.
	Secure bool
	// Page builds the layout of an error page for this request (the web way in's
	// header: who is signed in, the CSRF token); nil renders a bare one.
	Page func(c echo.Context, title string) views.Page
	// machine are the paths answered in JSON (ServeJSON); pages are exact paths under
	// them that are pages nonetheless (ServePages).
	machine, pages []string
}

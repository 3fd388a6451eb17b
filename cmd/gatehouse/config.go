package main

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
)

// setting is one configuration value: an environment variable with a flag of the same
// meaning (the flag wins), a default, and what it is for.
type setting struct {
	env, flag, def, usage string
	value                 *string
}

// Config is the validated process configuration.
type Config struct {
	Addr           string
	BaseURL        *url.URL
	DatabaseURL    string
	Database       store.DSN
	OIDCIssuer     string
	OIDCClientID   string
	OIDCSecret     string
	MasterKeys     [][]byte
	SessionKeys    [][]byte
	SigningAlg     string
	AdminEmails    []string
	KeyMaxLife     time.Duration
	StatusTTL      time.Duration
	StatusValidity time.Duration
	KeyRotation    time.Duration
	SessionIdle    time.Duration
	SessionMax     time.Duration
	LogFormat      string
	// WebhookRetention is how long finished webhook deliveries and dispatched outbox
	// events are kept.
	WebhookRetention time.Duration
	// AuthFailuresPerClient and AuthFailuresPerIP bound failed client authentications
	// per minute at the OAuth endpoints.
	AuthFailuresPerClient int
	AuthFailuresPerIP     int
	// TrustedProxies are the reverse proxies allowed to name the client's address in
	// X-Forwarded-For; empty means the connection's address always counts.
	TrustedProxies []*net.IPNet
	// ShutdownDelay is how long the process keeps serving after SIGTERM, with /readyz
	// answering 503, before it stops accepting connections.
	ShutdownDelay time.Duration
	// MetricsToken serves /metrics on the main port to holders of this bearer token.
	MetricsToken string
	// MetricsAddr, when set, serves /metrics (without a token) on a listener of its own.
	MetricsAddr string
	// PprofAddr, when set, serves net/http/pprof on this loopback address.
	PprofAddr string
	// DPoPNonce requires server nonces in DPoP proofs at the token endpoint.
	DPoPNonce bool
	// StatusEventsMax caps the revocation feed's streams on this instance.
	StatusEventsMax int
	// AccessLog is "all" or "errors" (the machine endpoints log only their failures).
	AccessLog string
	// MaxConnections caps the connections held at once (see connLimiter).
	MaxConnections int
	// LeakGitHubKeysURL and LeakGitHubKeysFile hold the keys GitHub's secret scanning
	// signs its reports to POST /leaks/github with ("" for neither: the endpoint
	// answers 404).
	LeakGitHubKeysURL  string
	LeakGitHubKeysFile string
	// OpenRegistrationTeam is the team that receives dynamic client registrations made
	// without an initial access token, when its own policy is open too ("": none).
	OpenRegistrationTeam string
	// OpenRegistrationsPerIP bounds such registrations per source address per minute.
	OpenRegistrationsPerIP int
	// TokenExchangeMaxDepth is how many actors a token issued by token exchange may name
	// in its act chain.
	TokenExchangeMaxDepth int
	// TLS, when set, makes the portal serve HTTPS itself on Addr, requesting (not
	// requiring) client certificates: each OAuth client authentication method checks
	// what it needs (GATEHOUSE_TLS_CERT_FILE, GATEHOUSE_TLS_KEY_FILE).
	TLS *tls.Certificate
	// ClientCAs are the CAs tls_client_auth certificates must chain to
	// (GATEHOUSE_TLS_CLIENT_CA_FILE; nil: none).
	ClientCAs *x509.CertPool
	// ClientCertHeader is the header trusted proxies forward the client certificate in
	// ("": none is read).
	ClientCertHeader string
	// MTLSBaseURL is where clients reach the endpoints with their certificates
	// (mtls_endpoint_aliases; nil: not advertised).
	MTLSBaseURL *url.URL

	// DevSignIn is true when no OIDC provider is configured: the in-process development
	// provider signs people in, which is allowed only on a loopback base URL.
	DevSignIn bool
	// DataDir holds development-only generated keys (the SQLite file's directory).
	DataDir string
}

// rawConfig holds every setting as text, before validation.
type rawConfig struct {
	addr, baseURL, databaseURL, oidcIssuer, oidcClientID, oidcSecret           string
	masterKey, sessionKeys, signingAlg, adminEmails, keyMaxLife                string
	statusTTL, statusValidity, keyRotation, sessionIdle, sessionMax, logFormat string
	failuresPerClient, failuresPerIP, trustedProxies, shutdownDelay            string
	metricsToken, metricsAddr, pprofAddr, accessLog, maxConnections            string
	leakKeysURL, leakKeysFile                                                  string
	webhookRetention, exchangeDepth                                            string
	openRegistrationTeam, openRegistrationsPerIP                               string
	dpopNonce                                                                  string
	statusEventsMax                                                            string
	tlsCert, tlsKey, clientCAFile, clientCertHeader, mtlsBaseURL               string
}

func (r *rawConfig) settings() []setting {
	return []setting{
		{"GATEHOUSE_ADDR", "addr", "127.0.0.1:8080", "listen address", &r.addr},
		{"GATEHOUSE_BASE_URL", "base-url", "http://127.0.0.1:8080", "public URL; the iss of every token", &r.baseURL},
		{"GATEHOUSE_DATABASE_URL", "database-url", "sqlite://./data/gatehouse.db", "sqlite://PATH or postgres://…", &r.databaseURL},
		{"GATEHOUSE_OIDC_ISSUER", "oidc-issuer", "", "developers' OpenID provider; unset = development sign-in", &r.oidcIssuer},
		{"GATEHOUSE_OIDC_CLIENT_ID", "oidc-client-id", "", "client id at the OpenID provider", &r.oidcClientID},
		{"GATEHOUSE_OIDC_CLIENT_SECRET", "oidc-client-secret", "", "client secret at the OpenID provider", &r.oidcSecret},
		{"GATEHOUSE_MASTER_KEY", "master-key", "", "base64 of 32 bytes; comma-separated to rotate (first encrypts)", &r.masterKey},
		{"GATEHOUSE_SESSION_KEYS", "session-keys", "", "base64 cookie signing keys (≥32 bytes), comma-separated to rotate", &r.sessionKeys},
		{"GATEHOUSE_SIGNING_ALG", "signing-alg", "ES256", "default algorithm for new credentials (ES256, EdDSA, RS256)", &r.signingAlg},
		{"GATEHOUSE_ADMIN_EMAILS", "admin-emails", "", "comma-separated operator emails", &r.adminEmails},
		{"GATEHOUSE_KEY_MAX_LIFETIME", "key-max-lifetime", "8760h", "longest expiry an API key may be given", &r.keyMaxLife},
		{"GATEHOUSE_STATUS_LIST_TTL", "status-list-ttl", "60s", "ttl of status lists: bound on revocation delay", &r.statusTTL},
		{"GATEHOUSE_STATUS_LIST_VALIDITY", "status-list-validity", "1h", "exp of status lists: how long verifiers that cannot reach the portal keep using one (at least 2 × the ttl)", &r.statusValidity},
		{"GATEHOUSE_SIGNING_KEY_ROTATION", "signing-key-rotation", "2160h", "automatic signing-key rotation period", &r.keyRotation},
		{"GATEHOUSE_SESSION_IDLE_TIMEOUT", "session-idle-timeout", "12h", "a session unused this long ends", &r.sessionIdle},
		{"GATEHOUSE_SESSION_MAX_AGE", "session-max-age", "168h", "a session ends this long after sign-in", &r.sessionMax},
		{"GATEHOUSE_LOG_FORMAT", "log-format", "text", "text or json", &r.logFormat},
		{"GATEHOUSE_AUTH_FAILURES_PER_CLIENT", "auth-failures-per-client", "10", "failed client authentications per client and source address per minute before 429", &r.failuresPerClient},
		{"GATEHOUSE_AUTH_FAILURES_PER_IP", "auth-failures-per-ip", "50", "failed client authentications per source address per minute before 429", &r.failuresPerIP},
		{"GATEHOUSE_TRUSTED_PROXIES", "trusted-proxies", "", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed", &r.trustedProxies},
		{"GATEHOUSE_SHUTDOWN_DELAY", "shutdown-delay", "5s", "after SIGTERM, how long to keep serving with /readyz at 503 before draining", &r.shutdownDelay},
		{"GATEHOUSE_METRICS_TOKEN", "metrics-token", "", "bearer token for GET /metrics on the main port (unset: no /metrics there)", &r.metricsToken},
		{"GATEHOUSE_METRICS_ADDR", "metrics-addr", "", "host:port of a separate listener serving /metrics without a token", &r.metricsAddr},
		{"GATEHOUSE_PPROF_ADDR", "pprof-addr", "", "loopback host:port serving net/http/pprof (unset: off)", &r.pprofAddr},
		{"GATEHOUSE_ACCESS_LOG", "access-log", "all", "all, or errors: machine endpoints log only failed requests", &r.accessLog},
		{"GATEHOUSE_MAX_CONNECTIONS", "max-connections", "", "connections held at once; default: the open-file limit less 256, at most 20000", &r.maxConnections},
		{"GATEHOUSE_LEAK_GITHUB_KEYS_URL", "leak-github-keys-url", defaultGitHubKeysURL, "https URL of the keys GitHub secret scanning signs leak reports with (off: none)", &r.leakKeysURL},
		{"GATEHOUSE_LEAK_GITHUB_KEYS_FILE", "leak-github-keys-file", "", "local file of such keys, in the same JSON format (with or instead of the URL)", &r.leakKeysFile},
		{"GATEHOUSE_DPOP_NONCE", "dpop-nonce", "off", "on: DPoP proofs at the token endpoint must carry a server nonce (RFC 9449 §8)", &r.dpopNonce},
		{"GATEHOUSE_STATUS_EVENTS_MAX_SUBSCRIBERS", "status-events-max-subscribers", "1000", "revocation feed streams held at once by this instance; beyond it clients get 503 and poll the status lists", &r.statusEventsMax},
		{"GATEHOUSE_WEBHOOK_RETENTION", "webhook-retention", "720h", "how long delivered and failed webhook deliveries (and dispatched outbox events) are kept; at least 24h", &r.webhookRetention},
		{"GATEHOUSE_OPEN_REGISTRATION_TEAM", "open-registration-team", "", "id of the team that receives dynamic client registrations without an initial access token, if its policy is open too", &r.openRegistrationTeam},
		{"GATEHOUSE_OPEN_REGISTRATIONS_PER_IP", "open-registrations-per-ip", "10", "registrations without an initial access token per source address per minute before 429", &r.openRegistrationsPerIP},
		{"GATEHOUSE_TLS_CERT_FILE", "tls-cert-file", "", "PEM certificate chain: serve HTTPS on GATEHOUSE_ADDR, requesting client certificates (with GATEHOUSE_TLS_KEY_FILE)", &r.tlsCert},
		{"GATEHOUSE_TLS_KEY_FILE", "tls-key-file", "", "PEM private key of GATEHOUSE_TLS_CERT_FILE", &r.tlsKey},
		{"GATEHOUSE_TLS_CLIENT_CA_FILE", "tls-client-ca-file", "", "PEM bundle of the CAs tls_client_auth client certificates must chain to", &r.clientCAFile},
		{"GATEHOUSE_CLIENT_CERT_HEADER", "client-cert-header", "Client-Cert", "header in which a proxy of GATEHOUSE_TRUSTED_PROXIES forwards the client certificate (RFC 9440), or off", &r.clientCertHeader},
		{"GATEHOUSE_MTLS_BASE_URL", "mtls-base-url", "", "https URL where clients reach the OAuth endpoints with their certificates (advertised as mtls_endpoint_aliases)", &r.mtlsBaseURL},
		{"GATEHOUSE_TOKEN_EXCHANGE_MAX_DEPTH", "token-exchange-max-depth", "4", "actors a token issued by token exchange may name in its act chain (1 to 10)", &r.exchangeDepth},
	}
}

// printUsage writes what `gatehouse help` shows: the subcommands, then every setting
// with its flag, environment variable and default.
func printUsage(w io.Writer) {
	fmt.Fprintf(w, `Gatehouse %s: a self-hosted developer portal and token issuer.

Usage:
  gatehouse [serve] [flags]              start the portal (the default command)
  gatehouse migrate [flags]              apply the database migrations and exit
  gatehouse signing-keys list [flags]    list the signing keys
  gatehouse signing-keys rotate [flags]  start a signing-key rotation now
  gatehouse version                      print the version
  gatehouse help                         this text (also: --help after any command)

Management API client (exit codes: 0 ok, 1 API error, 2 usage, 3 not logged in/unauthorized):
`, version)
	printCLIUsage(w)
	fmt.Fprint(w, `
Settings: each flag can be given as its environment variable instead; a flag wins.
`)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	var raw rawConfig
	for _, s := range raw.settings() {
		def := s.def
		if def == "" {
			def = "unset"
		}
		fmt.Fprintf(tw, "  --%s\t%s\t%s (default: %s)\n", s.flag, s.env, s.usage, def)
	}
	_ = tw.Flush() // writes to w, whose errors the caller's writer reports
}

// baseURLWarning explains a likely mistake: on loopback, a base URL whose port is not
// the one the portal listens on sends every sign-in redirect to another port.
func baseURLWarning(addr string, base *url.URL) string {
	if base == nil || !isLoopback(base.Hostname()) {
		return ""
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	basePort := base.Port()
	if basePort == "" {
		basePort = map[string]string{"http": "80", "https": "443"}[base.Scheme]
	}
	if port == basePort || port == "0" {
		return ""
	}
	return "GATEHOUSE_BASE_URL names port " + basePort + " but GATEHOUSE_ADDR listens on " + port +
		": sign-in and every link go to the base URL; set both (or put a proxy on the base URL's port)"
}

// loadConfig reads the environment, then flags, then validates.
func loadConfig(args []string, getenv func(string) string) (*Config, error) {
	var raw rawConfig
	fs := flag.NewFlagSet("gatehouse", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned; `gatehouse help` prints the usage
	for _, s := range raw.settings() {
		v := getenv(s.env)
		if v == "" {
			v = s.def
		}
		fs.StringVar(s.value, s.flag, v, s.usage+" ("+s.env+")")
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return raw.validate()
}

// configError names the variable (and flag) that is wrong and how.
func configError(env, flagName, format string, a ...any) error {
	return fmt.Errorf("%s (--%s): %s", env, flagName, fmt.Sprintf(format, a...))
}

func (r *rawConfig) validate() (*Config, error) {
	c := &Config{Addr: r.addr, DatabaseURL: r.databaseURL, OIDCIssuer: r.oidcIssuer, OIDCClientID: r.oidcClientID, OIDCSecret: r.oidcSecret}
	var errs []error
	bad := func(env, fl, format string, a ...any) { errs = append(errs, configError(env, fl, format, a...)) }

	if _, _, err := net.SplitHostPort(r.addr); err != nil {
		bad("GATEHOUSE_ADDR", "addr", "want host:port, got %q", r.addr)
	}
	u, err := url.Parse(r.baseURL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		bad("GATEHOUSE_BASE_URL", "base-url", "want an absolute http(s) URL, got %q", r.baseURL)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		bad("GATEHOUSE_BASE_URL", "base-url", "must not carry a query, fragment or credentials")
	default:
		u.Path = strings.TrimSuffix(u.Path, "/")
		c.BaseURL = u
	}
	if dsn, err := store.ParseDatabaseURL(r.databaseURL); err != nil {
		bad("GATEHOUSE_DATABASE_URL", "database-url", "%v", err)
	} else {
		c.Database = dsn
		c.DataDir = "./data"
		if dsn.Dialect == store.SQLite {
			c.DataDir = filepath.Dir(dsn.Path)
		}
	}

	oidcSet := r.oidcIssuer != "" || r.oidcClientID != "" || r.oidcSecret != ""
	c.DevSignIn = !oidcSet
	if oidcSet {
		if iu, err := url.Parse(r.oidcIssuer); err != nil || iu.Scheme == "" || iu.Host == "" {
			bad("GATEHOUSE_OIDC_ISSUER", "oidc-issuer", "want the provider's issuer URL, got %q", r.oidcIssuer)
		} else if iu.Scheme != "https" && !isLoopback(iu.Hostname()) {
			bad("GATEHOUSE_OIDC_ISSUER", "oidc-issuer", "must be https (http only on loopback)")
		}
		if r.oidcClientID == "" {
			bad("GATEHOUSE_OIDC_CLIENT_ID", "oidc-client-id", "is required when GATEHOUSE_OIDC_ISSUER is set")
		}
		if r.oidcSecret == "" {
			bad("GATEHOUSE_OIDC_CLIENT_SECRET", "oidc-client-secret", "is required when GATEHOUSE_OIDC_ISSUER is set")
		}
	} else if c.BaseURL != nil && !isLoopback(c.BaseURL.Hostname()) {
		bad("GATEHOUSE_OIDC_ISSUER", "oidc-issuer",
			"is not set, so Gatehouse would sign people in with its development provider, which accepts any email; "+
				"that is only allowed when GATEHOUSE_BASE_URL is a loopback address (it is %s). "+
				"Set GATEHOUSE_OIDC_ISSUER, GATEHOUSE_OIDC_CLIENT_ID and GATEHOUSE_OIDC_CLIENT_SECRET", c.BaseURL)
	}

	if c.MasterKeys, err = parseKeys(r.masterKey, 32, true); err != nil {
		bad("GATEHOUSE_MASTER_KEY", "master-key", "%v", err)
	} else if len(c.MasterKeys) == 0 && !c.DevSignIn {
		bad("GATEHOUSE_MASTER_KEY", "master-key", "is required outside development (generate one: openssl rand -base64 32)")
	}
	if c.SessionKeys, err = parseKeys(r.sessionKeys, 32, false); err != nil {
		bad("GATEHOUSE_SESSION_KEYS", "session-keys", "%v", err)
	} else if len(c.SessionKeys) == 0 && !c.DevSignIn {
		bad("GATEHOUSE_SESSION_KEYS", "session-keys", "is required outside development (generate one: openssl rand -base64 32)")
	}
	switch r.signingAlg {
	case "ES256", "EdDSA", "RS256":
		c.SigningAlg = r.signingAlg
	default:
		bad("GATEHOUSE_SIGNING_ALG", "signing-alg", "want ES256, EdDSA or RS256, got %q", r.signingAlg)
	}
	for _, e := range strings.Split(r.adminEmails, ",") {
		if e = strings.ToLower(strings.TrimSpace(e)); e != "" {
			if !strings.Contains(e, "@") {
				bad("GATEHOUSE_ADMIN_EMAILS", "admin-emails", "%q is not an email address", e)
			}
			c.AdminEmails = append(c.AdminEmails, e)
		}
	}
	durations := []struct {
		env, fl, raw string
		min          time.Duration
		dst          *time.Duration
	}{
		{"GATEHOUSE_KEY_MAX_LIFETIME", "key-max-lifetime", r.keyMaxLife, time.Hour, &c.KeyMaxLife},
		{"GATEHOUSE_STATUS_LIST_TTL", "status-list-ttl", r.statusTTL, time.Second, &c.StatusTTL},
		{"GATEHOUSE_STATUS_LIST_VALIDITY", "status-list-validity", r.statusValidity, 2 * time.Second, &c.StatusValidity},
		{"GATEHOUSE_SIGNING_KEY_ROTATION", "signing-key-rotation", r.keyRotation, time.Hour, &c.KeyRotation},
		{"GATEHOUSE_SESSION_IDLE_TIMEOUT", "session-idle-timeout", r.sessionIdle, time.Minute, &c.SessionIdle},
		{"GATEHOUSE_SESSION_MAX_AGE", "session-max-age", r.sessionMax, time.Minute, &c.SessionMax},
		{"GATEHOUSE_WEBHOOK_RETENTION", "webhook-retention", r.webhookRetention, 24 * time.Hour, &c.WebhookRetention},
	}
	for _, d := range durations {
		v, err := time.ParseDuration(d.raw)
		if err != nil {
			bad(d.env, d.fl, "want a duration such as 90s, 15m or 24h, got %q", d.raw)
			continue
		}
		if v < d.min {
			bad(d.env, d.fl, "must be at least %s, got %s", d.min, v)
			continue
		}
		*d.dst = v
	}
	if c.StatusValidity != 0 && c.StatusTTL != 0 && c.StatusValidity < 2*c.StatusTTL {
		bad("GATEHOUSE_STATUS_LIST_VALIDITY", "status-list-validity", "must be at least twice GATEHOUSE_STATUS_LIST_TTL (%s), got %s", c.StatusTTL, c.StatusValidity)
	}
	c.LeakGitHubKeysURL, c.LeakGitHubKeysFile = leakKeys(r, bad)
	c.OpenRegistrationTeam = strings.TrimSpace(r.openRegistrationTeam)
	if len(c.OpenRegistrationTeam) > 64 || strings.ContainsAny(c.OpenRegistrationTeam, " /?#") {
		bad("GATEHOUSE_OPEN_REGISTRATION_TEAM", "open-registration-team", "want a team id as the team's page shows it (team_…), got %q", c.OpenRegistrationTeam)
	}
	c.MetricsToken = r.metricsToken
	if c.MetricsToken != "" && len(c.MetricsToken) < 32 {
		bad("GATEHOUSE_METRICS_TOKEN", "metrics-token", "must be at least 32 characters (generate one: openssl rand -hex 32)")
	}
	if r.metricsAddr != "" {
		if _, _, err := net.SplitHostPort(r.metricsAddr); err != nil {
			bad("GATEHOUSE_METRICS_ADDR", "metrics-addr", "want host:port, got %q", r.metricsAddr)
		}
		c.MetricsAddr = r.metricsAddr
	}
	if r.pprofAddr != "" {
		host, _, err := net.SplitHostPort(r.pprofAddr)
		if err != nil || !isLoopback(host) {
			bad("GATEHOUSE_PPROF_ADDR", "pprof-addr", "want a loopback host:port such as 127.0.0.1:6060 (profiles reveal internals), got %q", r.pprofAddr)
		}
		c.PprofAddr = r.pprofAddr
	}
	limit := fileLimit()
	if r.maxConnections == "" {
		c.MaxConnections = 20000
		if limit > 0 {
			c.MaxConnections = min(20000, max(64, limit-256))
		}
	} else if n, err := strconv.Atoi(r.maxConnections); err != nil || n < 16 || n > 1000000 {
		bad("GATEHOUSE_MAX_CONNECTIONS", "max-connections", "want a whole number from 16 to 1000000, got %q", r.maxConnections)
	} else if limit > 0 && n > limit-64 {
		bad("GATEHOUSE_MAX_CONNECTIONS", "max-connections", "%d is too close to the process's open-file limit (%d): raise the limit (ulimit -n) or lower this", n, limit)
	} else {
		c.MaxConnections = n
	}
	if n, err := strconv.Atoi(r.statusEventsMax); err != nil || n < 1 || n > 100000 {
		bad("GATEHOUSE_STATUS_EVENTS_MAX_SUBSCRIBERS", "status-events-max-subscribers", "want a whole number from 1 to 100000, got %q", r.statusEventsMax)
	} else {
		c.StatusEventsMax = n
	}
	switch r.dpopNonce {
	case "on", "off":
		c.DPoPNonce = r.dpopNonce == "on"
	default:
		bad("GATEHOUSE_DPOP_NONCE", "dpop-nonce", "want on or off, got %q", r.dpopNonce)
	}
	switch r.accessLog {
	case "all", "errors":
		c.AccessLog = r.accessLog
	default:
		bad("GATEHOUSE_ACCESS_LOG", "access-log", "want all or errors, got %q", r.accessLog)
	}
	if d, err := time.ParseDuration(r.shutdownDelay); err != nil || d < 0 || d > 10*time.Minute {
		bad("GATEHOUSE_SHUTDOWN_DELAY", "shutdown-delay", "want a duration from 0s to 10m, got %q", r.shutdownDelay)
	} else {
		c.ShutdownDelay = d
	}
	if c.SessionIdle > c.SessionMax && c.SessionMax > 0 {
		bad("GATEHOUSE_SESSION_IDLE_TIMEOUT", "session-idle-timeout", "must not exceed GATEHOUSE_SESSION_MAX_AGE")
	}
	switch r.logFormat {
	case "text", "json":
		c.LogFormat = r.logFormat
	default:
		bad("GATEHOUSE_LOG_FORMAT", "log-format", "want text or json, got %q", r.logFormat)
	}
	for _, l := range []struct {
		env, fl, raw string
		dst          *int
	}{
		{"GATEHOUSE_AUTH_FAILURES_PER_CLIENT", "auth-failures-per-client", r.failuresPerClient, &c.AuthFailuresPerClient},
		{"GATEHOUSE_AUTH_FAILURES_PER_IP", "auth-failures-per-ip", r.failuresPerIP, &c.AuthFailuresPerIP},
		{"GATEHOUSE_OPEN_REGISTRATIONS_PER_IP", "open-registrations-per-ip", r.openRegistrationsPerIP, &c.OpenRegistrationsPerIP},
	} {
		n, err := strconv.Atoi(l.raw)
		if err != nil || n < 1 || n > 100000 {
			bad(l.env, l.fl, "want a whole number from 1 to 100000, got %q", l.raw)
			continue
		}
		*l.dst = n
	}
	if n, err := strconv.Atoi(r.exchangeDepth); err != nil || n < 1 || n > models.MaxTokenExchangeDepth {
		bad("GATEHOUSE_TOKEN_EXCHANGE_MAX_DEPTH", "token-exchange-max-depth", "want a whole number from 1 to %d, got %q", models.MaxTokenExchangeDepth, r.exchangeDepth)
	} else {
		c.TokenExchangeMaxDepth = n
	}
	if c.TrustedProxies, err = parseCIDRs(r.trustedProxies); err != nil {
		bad("GATEHOUSE_TRUSTED_PROXIES", "trusted-proxies", "%v", err)
	}
	mutualTLS(r, c, bad)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// parseCIDRs reads a comma-separated list of CIDRs; a bare address is one host (/32 or
// /128).
func parseCIDRs(raw string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, part := range strings.Split(raw, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			ip := net.ParseIP(part)
			if ip == nil {
				return nil, fmt.Errorf("%q is neither a CIDR (10.0.0.0/8) nor an IP address", part)
			}
			bits := 128
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, n, err := net.ParseCIDR(part)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8 or fd00::/8", part)
		}
		out = append(out, n)
	}
	return out, nil
}

// parseKeys decodes a comma-separated list of base64 keys. exact requires each key to be
// exactly n bytes; otherwise at least n.
func parseKeys(raw string, n int, exact bool) ([][]byte, error) {
	var keys [][]byte
	for i, part := range strings.Split(raw, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, err := base64.StdEncoding.DecodeString(part)
		if err != nil {
			if k, err = base64.RawURLEncoding.DecodeString(part); err != nil {
				return nil, fmt.Errorf("key %d is not base64", i+1)
			}
		}
		if (exact && len(k) != n) || len(k) < n {
			return nil, fmt.Errorf("key %d is %d bytes, want %d", i+1, len(k), n)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// isLoopback reports whether host names this machine only.
func isLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// devKey returns the development key stored in DataDir/name, creating it on first use.
// Only development sign-in uses generated keys; production configures them.
func devKey(dir, name string) ([]byte, error) {
	path := filepath.Join(dir, name)
	if b, err := os.ReadFile(path); err == nil {
		k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(k) != 32 {
			return nil, fmt.Errorf("%s is not a base64 32-byte key; delete it to generate a new one", path)
		}
		return k, nil
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(k)+"\n"), 0o600); err != nil {
		return nil, err
	}
	return k, nil
}

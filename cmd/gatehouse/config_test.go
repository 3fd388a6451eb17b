package main

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
)

// envMap turns a map into a getenv function.
func envMap(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

const testKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // base64 of 32 bytes

func TestConfigDefaults(t *testing.T) {
	c, err := loadConfig(nil, envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.BaseURL.String() != "http://127.0.0.1:8080" {
		t.Errorf("addr/base = %s %s, want 127.0.0.1:8080 http://127.0.0.1:8080", c.Addr, c.BaseURL)
	}
	if !c.DevSignIn {
		t.Error("DevSignIn = false with no OIDC provider configured")
	}
	if c.Database.Path != "./data/gatehouse.db" || c.DataDir != "data" {
		t.Errorf("database path %q, data dir %q; want ./data/gatehouse.db in data", c.Database.Path, c.DataDir)
	}
	if c.SigningAlg != "ES256" || c.KeyMaxLife != 8760*time.Hour || c.StatusTTL != time.Minute || c.StatusValidity != time.Hour || c.KeyRotation != 2160*time.Hour {
		t.Errorf("defaults = %s %v %v %v %v", c.SigningAlg, c.KeyMaxLife, c.StatusTTL, c.StatusValidity, c.KeyRotation)
	}
	if c.WebhookRetention != models.WebhookRetention {
		t.Errorf("webhook retention %v by default, want %v", c.WebhookRetention, models.WebhookRetention)
	}
	if c.TokenExchangeMaxDepth != models.DefaultTokenExchangeMaxDepth {
		t.Errorf("token exchange depth %d by default, want %d", c.TokenExchangeMaxDepth, models.DefaultTokenExchangeMaxDepth)
	}
	if c.OpenRegistrationTeam != "" || c.OpenRegistrationsPerIP != 10 {
		t.Errorf("open registration %q, %d a minute by default; want none, 10", c.OpenRegistrationTeam, c.OpenRegistrationsPerIP)
	}
}

func TestConfigOpenRegistration(t *testing.T) {
	c, err := loadConfig([]string{"--open-registrations-per-ip=3"}, envMap(map[string]string{"GATEHOUSE_OPEN_REGISTRATION_TEAM": " team_abc "}))
	if err != nil {
		t.Fatal(err)
	}
	if c.OpenRegistrationTeam != "team_abc" || c.OpenRegistrationsPerIP != 3 {
		t.Errorf("open registration %q, %d a minute; want team_abc, 3", c.OpenRegistrationTeam, c.OpenRegistrationsPerIP)
	}
}

func TestConfigFlagsOverrideEnv(t *testing.T) {
	c, err := loadConfig([]string{"--addr", "127.0.0.1:9999", "--status-list-ttl=30s"}, envMap(map[string]string{
		"GATEHOUSE_ADDR": "127.0.0.1:7777", "GATEHOUSE_STATUS_LIST_TTL": "90s", "GATEHOUSE_SIGNING_ALG": "EdDSA",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9999" || c.StatusTTL != 30*time.Second || c.SigningAlg != "EdDSA" {
		t.Errorf("got addr %s ttl %v alg %s; want the flags to win and env to apply", c.Addr, c.StatusTTL, c.SigningAlg)
	}
}

func TestConfigErrorsNameTheVariable(t *testing.T) {
	prod := map[string]string{
		"GATEHOUSE_BASE_URL": "https://portal.example.com", "GATEHOUSE_OIDC_ISSUER": "https://idp.example.com",
		"GATEHOUSE_OIDC_CLIENT_ID": "gatehouse", "GATEHOUSE_OIDC_CLIENT_SECRET": "s3cret",
		"GATEHOUSE_MASTER_KEY": testKey, "GATEHOUSE_SESSION_KEYS": testKey,
	}
	if _, err := loadConfig(nil, envMap(prod)); err != nil {
		t.Fatalf("a complete production configuration failed: %v", err)
	}
	for _, tc := range []struct {
		name, key, value, want string
	}{
		{"DevSignInOnPublicURL", "GATEHOUSE_OIDC_ISSUER", "", "GATEHOUSE_OIDC_ISSUER"},
		{"BadAddr", "GATEHOUSE_ADDR", "8080", "GATEHOUSE_ADDR"},
		{"BadBaseURL", "GATEHOUSE_BASE_URL", "portal.example.com", "GATEHOUSE_BASE_URL"},
		{"BaseURLWithQuery", "GATEHOUSE_BASE_URL", "https://p.example.com/?x=1", "GATEHOUSE_BASE_URL"},
		{"BadDatabase", "GATEHOUSE_DATABASE_URL", "mysql://x", "GATEHOUSE_DATABASE_URL"},
		{"HTTPIssuer", "GATEHOUSE_OIDC_ISSUER", "http://idp.example.com", "GATEHOUSE_OIDC_ISSUER"},
		{"MissingClientID", "GATEHOUSE_OIDC_CLIENT_ID", "", "GATEHOUSE_OIDC_CLIENT_ID"},
		{"MissingClientSecret", "GATEHOUSE_OIDC_CLIENT_SECRET", "", "GATEHOUSE_OIDC_CLIENT_SECRET"},
		{"MissingMasterKey", "GATEHOUSE_MASTER_KEY", "", "GATEHOUSE_MASTER_KEY"},
		{"ShortMasterKey", "GATEHOUSE_MASTER_KEY", "c2hvcnQ=", "GATEHOUSE_MASTER_KEY"},
		{"NotBase64MasterKey", "GATEHOUSE_MASTER_KEY", "!!!", "GATEHOUSE_MASTER_KEY"},
		{"MissingSessionKeys", "GATEHOUSE_SESSION_KEYS", "", "GATEHOUSE_SESSION_KEYS"},
		{"BadAlg", "GATEHOUSE_SIGNING_ALG", "HS256", "GATEHOUSE_SIGNING_ALG"},
		{"BadAdminEmail", "GATEHOUSE_ADMIN_EMAILS", "ops", "GATEHOUSE_ADMIN_EMAILS"},
		{"BadDuration", "GATEHOUSE_STATUS_LIST_TTL", "soon", "GATEHOUSE_STATUS_LIST_TTL"},
		{"TooShortRotation", "GATEHOUSE_SIGNING_KEY_ROTATION", "1m", "GATEHOUSE_SIGNING_KEY_ROTATION"},
		{"BadLogFormat", "GATEHOUSE_LOG_FORMAT", "xml", "GATEHOUSE_LOG_FORMAT"},
		{"BadFailureLimit", "GATEHOUSE_AUTH_FAILURES_PER_CLIENT", "0", "GATEHOUSE_AUTH_FAILURES_PER_CLIENT"},
		{"NonNumericIPLimit", "GATEHOUSE_AUTH_FAILURES_PER_IP", "many", "GATEHOUSE_AUTH_FAILURES_PER_IP"},
		{"BadOpenRegistrationTeam", "GATEHOUSE_OPEN_REGISTRATION_TEAM", "team one/two", "GATEHOUSE_OPEN_REGISTRATION_TEAM"},
		{"BadOpenRegistrationLimit", "GATEHOUSE_OPEN_REGISTRATIONS_PER_IP", "0", "GATEHOUSE_OPEN_REGISTRATIONS_PER_IP"},
		{"BadTrustedProxy", "GATEHOUSE_TRUSTED_PROXIES", "10.0.0.0/33", "GATEHOUSE_TRUSTED_PROXIES"},
		{"TrustedProxyHostname", "GATEHOUSE_TRUSTED_PROXIES", "proxy.internal", "GATEHOUSE_TRUSTED_PROXIES"},
		{"NegativeShutdownDelay", "GATEHOUSE_SHUTDOWN_DELAY", "-1s", "GATEHOUSE_SHUTDOWN_DELAY"},
		{"BadShutdownDelay", "GATEHOUSE_SHUTDOWN_DELAY", "later", "GATEHOUSE_SHUTDOWN_DELAY"},
		{"TinyConnectionCap", "GATEHOUSE_MAX_CONNECTIONS", "3", "GATEHOUSE_MAX_CONNECTIONS"},
		{"ConnectionCapOverFileLimit", "GATEHOUSE_MAX_CONNECTIONS", "999999", "GATEHOUSE_MAX_CONNECTIONS"},
		{"ShortMetricsToken", "GATEHOUSE_METRICS_TOKEN", "short", "GATEHOUSE_METRICS_TOKEN"},
		{"PublicPprof", "GATEHOUSE_PPROF_ADDR", "0.0.0.0:6060", "GATEHOUSE_PPROF_ADDR"},
		{"BadAccessLog", "GATEHOUSE_ACCESS_LOG", "some", "GATEHOUSE_ACCESS_LOG"},
		{"ValidityBelowTwiceTTL", "GATEHOUSE_STATUS_LIST_VALIDITY", "90s", "GATEHOUSE_STATUS_LIST_VALIDITY"},
		{"BadValidity", "GATEHOUSE_STATUS_LIST_VALIDITY", "forever", "GATEHOUSE_STATUS_LIST_VALIDITY"},
		{"HTTPLeakKeysURL", "GATEHOUSE_LEAK_GITHUB_KEYS_URL", "http://api.github.com/keys", "GATEHOUSE_LEAK_GITHUB_KEYS_URL"},
		{"MissingLeakKeysFile", "GATEHOUSE_LEAK_GITHUB_KEYS_FILE", "/nonexistent/keys.json", "GATEHOUSE_LEAK_GITHUB_KEYS_FILE"},
		{"LeakKeysFileWithoutKeys", "GATEHOUSE_LEAK_GITHUB_KEYS_FILE", "config_test.go", "GATEHOUSE_LEAK_GITHUB_KEYS_FILE"},
		{"ShortWebhookRetention", "GATEHOUSE_WEBHOOK_RETENTION", "1h", "GATEHOUSE_WEBHOOK_RETENTION"},
		{"BadWebhookRetention", "GATEHOUSE_WEBHOOK_RETENTION", "a month", "GATEHOUSE_WEBHOOK_RETENTION"},
		{"ZeroExchangeDepth", "GATEHOUSE_TOKEN_EXCHANGE_MAX_DEPTH", "0", "GATEHOUSE_TOKEN_EXCHANGE_MAX_DEPTH"},
		{"DeepExchange", "GATEHOUSE_TOKEN_EXCHANGE_MAX_DEPTH", "11", "GATEHOUSE_TOKEN_EXCHANGE_MAX_DEPTH"},
		{"BadDPoPNonce", "GATEHOUSE_DPOP_NONCE", "yes", "GATEHOUSE_DPOP_NONCE"},
		{"TLSKeyWithoutCert", "GATEHOUSE_TLS_KEY_FILE", "server.key", "GATEHOUSE_TLS_CERT_FILE"},
		{"TLSCertWithoutKey", "GATEHOUSE_TLS_CERT_FILE", "server.crt", "GATEHOUSE_TLS_KEY_FILE"},
		{"MissingClientCAFile", "GATEHOUSE_TLS_CLIENT_CA_FILE", "/nonexistent/ca.pem", "GATEHOUSE_TLS_CLIENT_CA_FILE"},
		{"ClientCAFileWithoutCertificates", "GATEHOUSE_TLS_CLIENT_CA_FILE", "config_test.go", "GATEHOUSE_TLS_CLIENT_CA_FILE"},
		{"BadClientCertHeader", "GATEHOUSE_CLIENT_CERT_HEADER", "Client Cert", "GATEHOUSE_CLIENT_CERT_HEADER"},
		{"HTTPMTLSBaseURL", "GATEHOUSE_MTLS_BASE_URL", "http://mtls.example.com", "GATEHOUSE_MTLS_BASE_URL"},
		{"MTLSBaseURLWithQuery", "GATEHOUSE_MTLS_BASE_URL", "https://mtls.example.com/?a=1", "GATEHOUSE_MTLS_BASE_URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range prod {
				env[k] = v
			}
			env[tc.key] = tc.value
			if tc.name == "DevSignInOnPublicURL" {
				delete(env, "GATEHOUSE_OIDC_CLIENT_ID")
				delete(env, "GATEHOUSE_OIDC_CLIENT_SECRET")
			}
			_, err := loadConfig(nil, envMap(env))
			if err == nil {
				t.Fatalf("%s=%q accepted", tc.key, tc.value)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name %s", err, tc.want)
			}
		})
	}
}

func TestDevSignInRefusalExplains(t *testing.T) {
	_, err := loadConfig(nil, envMap(map[string]string{"GATEHOUSE_BASE_URL": "https://portal.example.com"}))
	if err == nil {
		t.Fatal("development sign-in accepted on a public base URL")
	}
	for _, want := range []string{"GATEHOUSE_OIDC_ISSUER", "development", "loopback", "https://portal.example.com"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	for _, base := range []string{"http://localhost:8080", "http://127.0.0.1:9000", "http://[::1]:8080", "http://app.localhost"} {
		if _, err := loadConfig(nil, envMap(map[string]string{"GATEHOUSE_BASE_URL": base})); err != nil {
			t.Errorf("loopback base URL %s refused: %v", base, err)
		}
	}
}

func TestRunMigrateAndVersion(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"version"}, envMap(nil), &out, &errOut); err != nil || !strings.HasPrefix(out.String(), "gatehouse ") {
		t.Errorf("version = %q, %v", out.String(), err)
	}
	out.Reset()
	db := "sqlite://" + filepath.Join(t.TempDir(), "g.db")
	if err := run(context.Background(), []string{"migrate", "--database-url", db}, envMap(nil), &out, &errOut); err != nil {
		t.Fatalf("migrate: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "migrated sqlite database to version") {
		t.Errorf("migrate printed %q", out.String())
	}
	if err := run(context.Background(), []string{"frobnicate"}, envMap(nil), &out, &errOut); err == nil {
		t.Error("an unknown command succeeded")
	}
	if err := run(context.Background(), []string{"serve", "--base-url", "ftp://x"}, envMap(nil), &out, &errOut); err == nil ||
		!strings.Contains(err.Error(), "GATEHOUSE_BASE_URL") {
		t.Errorf("serve with a bad base URL: err = %v, want one naming GATEHOUSE_BASE_URL", err)
	}
}

func TestDevKeyIsStable(t *testing.T) {
	dir := t.TempDir()
	a, err := devKey(dir, "session.key")
	if err != nil {
		t.Fatal(err)
	}
	b, err := devKey(dir, "session.key")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) || len(a) != 32 {
		t.Errorf("dev key changed between starts or is %d bytes", len(a))
	}
}

func TestSigningKeysCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "g.db")
	run1 := func(args ...string) string {
		t.Helper()
		out.Reset()
		if err := run(context.Background(), append(args, "--database-url", db), envMap(nil), &out, &errOut); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errOut.String())
		}
		return out.String()
	}
	list := run1("signing-keys", "list")
	if !strings.Contains(list, "KID") || strings.Count(list, "active") != 1 {
		t.Fatalf("list on first start:\n%s\nwant a header and one active key", list)
	}
	rot := run1("signing-keys", "rotate")
	if !strings.Contains(rot, "rotation started") || !strings.Contains(rot, "next") {
		t.Errorf("rotate printed:\n%s\nwant a started rotation and a next key", rot)
	}
	if again := run1("signing-keys", "rotate"); !strings.Contains(again, "already under way") {
		t.Errorf("second rotate printed:\n%s\nwant it to say a rotation is under way", again)
	}
	if _, err := os.Stat(filepath.Join(dir, "master.key")); err != nil {
		t.Errorf("no development master key generated: %v", err)
	}
	if err := run(context.Background(), []string{"signing-keys", "frob"}, envMap(nil), &out, &errOut); err == nil {
		t.Error("signing-keys with an unknown action succeeded")
	}
}

// help, --help and -h after any command print the commands and every setting to
// stdout and succeed; nothing goes to stderr.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}, {"serve", "--help"}, {"migrate", "-h"},
		{"signing-keys", "rotate", "--help"}, {"--addr", "127.0.0.1:1", "--help"}} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), args, envMap(nil), &out, &errOut); err != nil {
			t.Errorf("gatehouse %v: %v, want success", args, err)
			continue
		}
		if errOut.Len() != 0 {
			t.Errorf("gatehouse %v wrote to stderr: %q", args, errOut.String())
		}
		for _, want := range []string{"gatehouse migrate", "gatehouse signing-keys rotate", "gatehouse version", "gatehouse help",
			"gatehouse login --url", "gatehouse projects list", "gatehouse projects create", "gatehouse keys list", "gatehouse keys create", "gatehouse keys revoke",
			"--addr", "GATEHOUSE_ADDR", "--database-url", "GATEHOUSE_STATUS_LIST_TTL", "(default: 60s)",
			"--webhook-retention", "GATEHOUSE_WEBHOOK_RETENTION", "(default: 720h)"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("gatehouse %v: the usage lacks %q", args, want)
			}
		}
	}
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"frobnicate"}, envMap(nil), &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "gatehouse help") {
		t.Errorf("unknown command: %v, want an error that points at gatehouse help", err)
	}
}

// On loopback, a base URL on another port than the listener is almost always a mistake:
// sign-in would redirect to a port nothing listens on.
func TestBaseURLWarning(t *testing.T) {
	for _, tc := range []struct {
		addr, base string
		warn       bool
	}{
		{"127.0.0.1:8080", "http://127.0.0.1:8080", false},
		{"127.0.0.1:9090", "http://127.0.0.1:8080", true},
		{":9090", "http://localhost:8080", true},
		{"127.0.0.1:80", "http://localhost", false},
		{"127.0.0.1:8443", "https://localhost", true},
		{"127.0.0.1:0", "http://127.0.0.1:8080", false},       // tests: any free port
		{"0.0.0.0:8080", "https://portal.example.com", false}, // behind a proxy
	} {
		u, err := url.Parse(tc.base)
		if err != nil {
			t.Fatal(err)
		}
		w := baseURLWarning(tc.addr, u)
		if (w != "") != tc.warn {
			t.Errorf("addr %s, base %s: warning %q, want one: %v", tc.addr, tc.base, w, tc.warn)
		}
		if w != "" && (!strings.Contains(w, "GATEHOUSE_BASE_URL") || !strings.Contains(w, "GATEHOUSE_ADDR")) {
			t.Errorf("the warning names neither setting: %q", w)
		}
	}
}

// Command gatehouse runs the Gatehouse developer portal.
//
//	gatehouse [serve] [flags]   start the portal (migrates first)
//	gatehouse migrate [flags]   apply database migrations and exit
//	gatehouse signing-keys list|rotate [flags]
//	                            show the signing-key ring, or start a rotation
//	gatehouse version           print the version
//
// Every flag has an environment variable of the same meaning; see --help.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-dev/gatehouse/devoidc"
	"github.com/gatehouse-dev/gatehouse/handlers"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/jobs"
	"github.com/gatehouse-dev/gatehouse/models/signing"
	"github.com/gatehouse-dev/gatehouse/models/store"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) > 1 && cliCommands[os.Args[1]] {
		code := runCLI(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gatehouse:", err)
		os.Exit(1)
	}
}

// run dispatches the subcommand; it returns when the command is done or ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			cmd = "help"
		}
	}
	switch cmd {
	case "help":
		printUsage(stdout)
		return nil
	case "version":
		fmt.Fprintln(stdout, "gatehouse", version)
		return nil
	case "serve", "migrate":
	case "signing-keys":
		if len(args) == 0 || (args[0] != "list" && args[0] != "rotate") {
			return errors.New("usage: gatehouse signing-keys list|rotate [flags]")
		}
		cmd, args = "signing-keys "+args[0], args[1:]
	default:
		return fmt.Errorf("unknown command %q (want serve, migrate, signing-keys, version or help; `gatehouse help` lists them)", cmd)
	}
	cfg, err := loadConfig(args, getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	log := newLogger(cfg.LogFormat, stderr)
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	log.Info("database ready", "dialect", string(st.Dialect()), "schema_version", v)
	if cmd == "migrate" {
		fmt.Fprintf(stdout, "migrated %s database to version %d\n", st.Dialect(), v)
		return nil
	}
	signer, err := newSigner(ctx, cfg, st, log)
	if err != nil {
		return err
	}
	switch cmd {
	case "signing-keys list":
		return listSigningKeys(ctx, st, stdout)
	case "signing-keys rotate":
		res, err := signer.Maintain(ctx, true)
		if err != nil {
			return err
		}
		if len(res.Created) == 0 {
			fmt.Fprintln(stdout, "a rotation is already under way; the next key is published and will activate on schedule")
		} else {
			fmt.Fprintf(stdout, "rotation started: key %s is published now and signs from %s\n", res.Created[0],
				st.Now().Add(signer.Config().Rotation.Lead).Format(time.RFC3339))
		}
		return listSigningKeys(ctx, st, stdout)
	}
	return serve(ctx, cfg, st, signer, log)
}

// newSigner loads the master key (generated into the data directory in development
// only) and the signing keys, creating them on first start.
func newSigner(ctx context.Context, cfg *Config, st *store.Store, log *slog.Logger) (*signing.Signer, error) {
	keys := cfg.MasterKeys
	if len(keys) == 0 {
		if !cfg.DevSignIn {
			return nil, errors.New("GATEHOUSE_MASTER_KEY is required outside development")
		}
		k, err := devKey(cfg.DataDir, "master.key")
		if err != nil {
			return nil, fmt.Errorf("development master key: %w", err)
		}
		keys = [][]byte{k}
	}
	mk, err := models.NewMasterKeys(keys)
	if err != nil {
		return nil, fmt.Errorf("GATEHOUSE_MASTER_KEY: %w", err)
	}
	return store.NewSigner(ctx, st, models.SignerConfig{
		Issuer: cfg.BaseURL.String(), MasterKeys: mk,
		Rotation:   models.RotationPolicy{Alg: cfg.SigningAlg, Period: cfg.KeyRotation, Lead: 2 * jwksMaxAge},
		JWKSMaxAge: jwksMaxAge, StatusListTTL: cfg.StatusTTL, StatusListValidity: cfg.StatusValidity, KeyMaxLifetime: cfg.KeyMaxLife, Logger: log,
	})
}

// jwksMaxAge is how long clients may cache the JWKS; a new key is published for twice
// this before it signs.
const jwksMaxAge = 5 * time.Minute

// listSigningKeys prints the ring.
func listSigningKeys(ctx context.Context, st *store.Store, w io.Writer) error {
	keys, err := st.SigningKeys(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KID\tALG\tSTATE\tCREATED\tACTIVATES/ACTIVATED\tRETIRED\tLIVE KEYS")
	ts := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, k := range keys {
		act := ts(k.ActivatedAt)
		if k.State == models.KeyNext {
			act = ts(&k.ActivatesAt)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", k.KID, k.Alg, k.State, ts(&k.CreatedAt), act, ts(k.RetiredAt), k.LiveCredentials)
	}
	return tw.Flush()
}

// newLogger builds the process logger.
func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// serve runs the portal until ctx ends, then drains in-flight requests.
func serve(ctx context.Context, cfg *Config, st *store.Store, signer *signing.Signer, log *slog.Logger) error {
	hc := handlers.Config{
		BaseURL: cfg.BaseURL, SessionKeys: cfg.SessionKeys, Logger: log, Version: version,
		Signer: signer, AdminEmails: cfg.AdminEmails, Usage: store.NewUsage(st),
		AuthFailuresPerClient: cfg.AuthFailuresPerClient, AuthFailuresPerIP: cfg.AuthFailuresPerIP,
		TrustedProxies: cfg.TrustedProxies, MetricsToken: cfg.MetricsToken, QuietMachineLog: cfg.AccessLog == "errors",
		LeakGitHubKeysURL: cfg.LeakGitHubKeysURL, LeakGitHubKeysFile: cfg.LeakGitHubKeysFile,
		OpenRegistrationTeam: cfg.OpenRegistrationTeam, OpenRegistrationsPerIP: cfg.OpenRegistrationsPerIP, DPoPNonce: cfg.DPoPNonce,
		StatusEvents: signing.FeedConfig{MaxSubscribers: cfg.StatusEventsMax},
		ClientCAs:    cfg.ClientCAs, ClientCertHeader: cfg.ClientCertHeader, MTLSBaseURL: cfg.MTLSBaseURL,
		Sessions: models.SessionPolicy{Idle: cfg.SessionIdle, Absolute: cfg.SessionMax, PreLogin: 15 * time.Minute, TouchEvery: time.Minute},
		OIDC:     handlers.OIDCConfig{Issuer: cfg.OIDCIssuer, ClientID: cfg.OIDCClientID, ClientSecret: cfg.OIDCSecret},
	}
	// Clients' jwks_uri may point at http:// and loopback only in development.
	st.SetJWKSFetcher(store.NewJWKSFetcher(cfg.DevSignIn))
	// Webhook endpoints may be on loopback (and plain http there) only in development.
	st.SetWebhookClient(store.NewWebhookClient(cfg.DevSignIn, nil))
	st.SetTokenExchangeMaxDepth(cfg.TokenExchangeMaxDepth)
	if cfg.DevSignIn {
		if err := setupDevSignIn(cfg, &hc); err != nil {
			return err
		}
		log.Warn("development sign-in is on: anyone can sign in with any email. Set GATEHOUSE_OIDC_ISSUER for real sign-in.",
			"issuer", hc.OIDC.Issuer)
	}
	h, err := handlers.New(hc, st)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           h.Echo(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	raw, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("GATEHOUSE_ADDR: %w", err)
	}
	ln := limitConnections(raw, cfg.MaxConnections)
	srv.Handler, srv.ConnState, srv.ConnContext = ln.handler(srv.Handler), ln.connState, ln.connContext
	h.RegisterMetrics(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gatehouse_connections_open", Help: "Client connections held."},
			func() float64 { return float64(ln.open()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gatehouse_connections_max", Help: "The cap on client connections (GATEHOUSE_MAX_CONNECTIONS)."},
			func() float64 { return float64(cfg.MaxConnections) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gatehouse_connections_evicted_total",
			Help: "Idle or slow connections closed at the cap to make room for a new one."},
			func() float64 { return float64(ln.evicted.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gatehouse_connections_refused_total",
			Help: "Connections refused at the cap because every held one was serving a request."},
			func() float64 { return float64(ln.refused.Load()) }),
	)
	runner := &jobs.Runner{Logger: log}
	for _, j := range backgroundJobs(st, signer, hc.Usage, h, hc.Sessions, cfg.WebhookRetention, log) {
		runner.Add(j)
	}
	h.RegisterMetrics(newJobMetrics(runner))
	stopJobs := runJobs(ctx, runner)
	defer stopJobs()
	errc := make(chan error, 1)
	if cfg.TLS != nil {
		srv.TLSConfig = serverTLS(cfg.TLS)
		go func() { errc <- srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { errc <- srv.Serve(ln) }()
	}
	for _, side := range []struct {
		name, addr string
		handler    http.Handler
	}{{"metrics", cfg.MetricsAddr, h.MetricsHandler()}, {"pprof", cfg.PprofAddr, pprofMux()}} {
		if side.addr == "" {
			continue
		}
		sl, err := net.Listen("tcp", side.addr)
		if err != nil {
			return fmt.Errorf("%s listener: %w", side.name, err)
		}
		ss := &http.Server{Handler: side.handler, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = ss.Serve(sl) }()
		defer ss.Close()
		log.Info(side.name+" listening", "addr", sl.Addr().String())
	}
	if w := baseURLWarning(cfg.Addr, cfg.BaseURL); w != "" {
		log.Warn(w, "addr", cfg.Addr, "base_url", cfg.BaseURL.String())
	}
	log.Info("gatehouse listening", "addr", ln.Addr().String(), "base_url", cfg.BaseURL.String(), "version", version,
		"max_connections", cfg.MaxConnections, "tls", cfg.TLS != nil)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// First stop being ready, and keep serving while load balancers notice (requests
	// already on their way are answered; responses close their connections, so none is
	// left to be cut); then stop accepting and finish what is in flight.
	log.Info("shutting down: /readyz answers 503; still serving for the shutdown delay", "delay", cfg.ShutdownDelay.String())
	h.Drain()
	srv.SetKeepAlivesEnabled(false)
	select {
	case <-time.After(cfg.ShutdownDelay):
	case err := <-errc:
		return err
	}
	log.Info("shutting down: finishing in-flight requests")
	shutCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	// The last request is answered: stop the background jobs and wait for their final
	// steps (the usage counts are saved).
	stopJobs()
	log.Info("stopped")
	return nil
}

// setupDevSignIn starts the in-process development identity provider and points the
// portal's sign-in at it. Session keys it needs are generated into the data directory.
func setupDevSignIn(cfg *Config, hc *handlers.Config) error {
	if len(hc.SessionKeys) == 0 {
		k, err := devKey(cfg.DataDir, "session.key")
		if err != nil {
			return fmt.Errorf("development session key: %w", err)
		}
		hc.SessionKeys = [][]byte{k}
	}
	issuer := cfg.BaseURL.JoinPath(handlers.DevProviderPath).String()
	secret := devClientSecret()
	p, err := devoidc.New(devoidc.Config{
		Issuer: issuer,
		Clients: []devoidc.Client{{
			ID: "gatehouse-dev", Secret: secret, RedirectURIs: []string{cfg.BaseURL.JoinPath("/auth/callback").String()},
		}},
	})
	if err != nil {
		return fmt.Errorf("development sign-in provider: %w", err)
	}
	hc.DevProvider = p.Handler()
	hc.OIDC = handlers.OIDCConfig{Issuer: issuer, ClientID: "gatehouse-dev", ClientSecret: secret, DisplayName: "the development provider"}
	return nil
}

// devClientSecret is a fresh random secret for the portal's client at the in-process
// provider; it lives only in memory.
func devClientSecret() string {
	k := make([]byte, 32)
	if _, err := io.ReadFull(rand.Reader, k); err != nil {
		panic(err)
	}
	return fmt.Sprintf("%x", k)
}

// pprofMux serves the runtime profiles (GATEHOUSE_PPROF_ADDR, loopback only).
func pprofMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// backgroundJobs is all the periodic work of `gatehouse serve`: what runs, how often,
// and the message its failure is logged with. A job that keeps failing is logged when
// it starts, then rarely (see jobs.Runner), and when it works again.
func backgroundJobs(st *store.Store, signer *signing.Signer, usage *store.Usage, h *handlers.Handler,
	sessions models.SessionPolicy, webhookRetention time.Duration, log *slog.Logger) []jobs.Job {
	return []jobs.Job{
		// Changes other instances made that this one's caches must drop (see
		// store.Store.RefreshCaches); failing means the database cannot be reached.
		{Name: "caches.refresh", Every: time.Second, Run: st.RefreshCaches, Level: slog.LevelError,
			Failed:    "the database cannot be reached: serving known clients, the JWKS and status lists from memory",
			Recovered: "the database is reachable again"},
		// The signing-key ring and status-list revocations of other instances: this
		// interval bounds how late another instance's revocation shows here.
		{Name: "signer.refresh", Every: time.Second, Run: signer.Refresh, Failed: "refreshing signing state failed"},
		{Name: "signer.maintain", Every: time.Minute, Failed: "signing-key maintenance failed",
			Run: func(ctx context.Context) error {
				_, err := signer.Maintain(ctx, false)
				if errors.Is(err, models.ErrRotationConflict) {
					return nil // another instance moved the ring along first
				}
				return err
			}},
		// Counts are kept in memory between flushes; the final one saves what the last
		// requests counted.
		{Name: "usage.flush", Every: 10 * time.Second, Run: usage.Flush, AtStop: usage.Flush, Failed: "saving usage counts failed"},
		// When credentials were last used, kept in memory like the usage counts.
		{Name: "last_used.flush", Every: 10 * time.Second, Run: st.FlushLastUsed, AtStop: st.FlushLastUsed,
			Failed: "saving when credentials were last used failed"},
		{Name: "sessions.prune", Every: 10 * time.Minute, Failed: "pruning sessions failed",
			Run: func(ctx context.Context) error {
				n, err := st.PruneSessions(ctx, sessions)
				if err == nil && n > 0 {
					log.Info("pruned ended sessions", "count", n)
				}
				return err
			}},
		{Name: "auth_failures.prune", Every: 5 * time.Minute, Run: h.PruneAuthFailures,
			Failed: "pruning authentication failure counts failed"},
		{Name: "assertions.prune", Every: 5 * time.Minute, Run: st.PruneUsedAssertions,
			Failed: "pruning used assertion ids failed"},
		{Name: "dpop_proofs.prune", Every: 5 * time.Minute, Run: st.PruneUsedDPoPProofs,
			Failed: "pruning used DPoP proof ids failed"},
		{Name: "reference_tokens.prune", Every: 5 * time.Minute, Run: st.PruneReferenceTokens,
			Failed: "pruning expired reference tokens failed"},
		{Name: "authorization_codes.prune", Every: 5 * time.Minute, Run: st.PruneAuthorizationCodes,
			Failed: "pruning expired authorization codes failed"},
		{Name: "refresh_tokens.prune", Every: time.Hour, Run: st.PruneRefreshTokens,
			Failed: "pruning ended refresh-token families failed"},
		// The revocation feed's change log: a day is kept (a subscriber away longer gets
		// a reset and refetches its lists).
		{Name: "status_changes.prune", Every: 10 * time.Minute, Failed: "pruning the status change log failed",
			Run: func(ctx context.Context) error {
				_, err := st.PruneStatusChanges(ctx, 24*time.Hour)
				return err
			}},
		// Webhooks: fan new outbox events out to the endpoints that subscribe, then send
		// what is due. Sending never happens on a request's path.
		{Name: "webhooks.deliver", Every: time.Second, Failed: "delivering webhooks failed",
			Run: func(ctx context.Context) error {
				if _, err := st.DispatchWebhooks(ctx); err != nil {
					return err
				}
				return st.DeliverWebhooks(ctx)
			},
			// Sends still going when the runner stops were cancelled with it: wait for
			// them to end before the database closes.
			AtStop: func(context.Context) error { return st.WaitWebhooks() }},
		// Keys and secrets expiring in 30, 7 or 1 days, announced once each.
		{Name: "webhooks.expiring", Every: 10 * time.Minute, Failed: "announcing expiring credentials failed",
			Run: func(ctx context.Context) error {
				_, err := st.NoticeExpiring(ctx)
				return err
			}},
		// Finished deliveries and dispatched outbox events older than the retention,
		// deleted in small batches; one instance does it per hour (the others skip).
		{Name: "webhooks.prune", Every: 10 * time.Minute, Failed: "pruning old webhook deliveries failed",
			Run: func(ctx context.Context) error {
				res, err := st.PruneWebhooks(ctx, webhookRetention)
				if err == nil && res.Deliveries+res.Events > 0 {
					log.Info("pruned old webhook deliveries and outbox events", "deliveries", res.Deliveries, "events", res.Events)
				}
				return err
			}},
	}
}

// runJobs starts the background jobs. They outlive ctx: the portal keeps answering
// requests through the shutdown delay and the drain, and its caches, status lists and
// usage counts must stay current until the last one. The returned stop ends them and
// waits for their final steps; it may be called more than once.
func runJobs(ctx context.Context, r *jobs.Runner) (stop func()) {
	jctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(jctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// jobMetrics exposes the background jobs' stats on /metrics.
type jobMetrics struct {
	r                                      *jobs.Runner
	runs, failures, failing, lastSucceeded *prometheus.Desc
}

func newJobMetrics(r *jobs.Runner) *jobMetrics {
	job := []string{"job"}
	return &jobMetrics{r: r,
		runs: prometheus.NewDesc("gatehouse_job_runs_total",
			"Finished runs of each background job, failed ones included.", job, nil),
		failures: prometheus.NewDesc("gatehouse_job_failures_total",
			"Runs of each background job that failed or panicked.", job, nil),
		failing: prometheus.NewDesc("gatehouse_job_failing",
			"1 while a background job's last run failed.", job, nil),
		lastSucceeded: prometheus.NewDesc("gatehouse_job_last_success_timestamp_seconds",
			"When each background job's last successful run started (absent before the first).", job, nil),
	}
}

// Describe implements prometheus.Collector.
func (m *jobMetrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.runs
	ch <- m.failures
	ch <- m.failing
	ch <- m.lastSucceeded
}

// Collect implements prometheus.Collector.
func (m *jobMetrics) Collect(ch chan<- prometheus.Metric) {
	for _, s := range m.r.Stats() {
		failing := 0.0
		if s.LastError != "" {
			failing = 1
		}
		ch <- prometheus.MustNewConstMetric(m.runs, prometheus.CounterValue, float64(s.Runs), s.Name)
		ch <- prometheus.MustNewConstMetric(m.failures, prometheus.CounterValue, float64(s.Failures), s.Name)
		ch <- prometheus.MustNewConstMetric(m.failing, prometheus.GaugeValue, failing, s.Name)
		if !s.LastSuccess.IsZero() {
			ch <- prometheus.MustNewConstMetric(m.lastSucceeded, prometheus.GaugeValue,
				float64(s.LastSuccess.UnixNano())/1e9, s.Name)
		}
	}
}

package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-dev/gatehouse/verify/jsonstrict"
)

// config is what the options set.
type config struct {
	audience         string
	kinds            map[Kind]bool
	algs             []string
	leeway           time.Duration
	client           *http.Client
	fetchTimeout     time.Duration
	cooldown         time.Duration
	refreshEvery     time.Duration
	defaultStatusTTL time.Duration
	cacheSize        int
	failOpen         bool
	headerAPIKey     bool
	queryParam       string
	resourceMetadata string
	logger           *slog.Logger
	now              func() time.Time
	// DPoP: refuse unbound tokens; the public base URL of requests (htu); the replay
	// cache's bound.
	requireDPoP   bool
	publicURL     string
	dpopCacheSize int
	// mTLS (RFC 8705): the proxies whose ClientCertHeader is believed.
	trustedProxies   []string
	clientCertHeader string
	// projects and teams are the allow-lists (nil: no list).
	projects, teams map[string]bool
	// noFeed turns the revocation feed off.
	noFeed bool
}

// Option configures a Verifier.
type Option func(*config)

// Audience is this API's audience: a credential's aud must contain it. Required.
func Audience(aud string) Option { return func(c *config) { c.audience = aud } }

// Accept chooses which credentials this API takes (default: API keys and access tokens).
func Accept(kinds ...Kind) Option {
	return func(c *config) {
		c.kinds = map[Kind]bool{}
		for _, k := range kinds {
			c.kinds[k] = true
		}
	}
}

// Algorithms narrows the accepted signature algorithms (default ES256, EdDSA, RS256,
// intersected with what the issuer's metadata advertises). The algorithm is always
// the JWKS key's, never the token's alone.
func Algorithms(algs ...string) Option { return func(c *config) { c.algs = algs } }

// Projects narrows this API to credentials of the listed projects (client_ids, the
// sub claim): a credential of any other project is rejected with ErrNotAllowed. Most
// APIs need no list: a project holds a credential for the API only if the API's owners
// granted it access. The last Projects option counts; it needs at least one id.
func Projects(ids ...string) Option { return func(c *config) { c.projects = idSet(ids) } }

// Teams narrows this API to credentials whose team claim names one of the listed
// teams: any other credential, and one without a team claim, is rejected with
// ErrNotAllowed. The last Teams option counts; it needs at least one id.
func Teams(ids ...string) Option { return func(c *config) { c.teams = idSet(ids) } }

// idSet makes an allow-list; never nil, so an empty list is told from no list.
func idSet(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// Leeway is the clock skew allowed on exp, nbf and iat (default 30 s, at most 5 min).
func Leeway(d time.Duration) Option { return func(c *config) { c.leeway = d } }

// HTTPClient sets the client used to reach the portal (default: 10 s timeout).
func HTTPClient(h *http.Client) Option { return func(c *config) { c.client = h } }

// CacheSize bounds how many verified credentials are remembered (default 10,000).
func CacheSize(n int) Option { return func(c *config) { c.cacheSize = n } }

// FailOpen accepts API keys whose status list cannot be had (portal unreachable past
// the list's exp) instead of rejecting them. Off by default: a verifier fails closed.
func FailOpen() Option { return func(c *config) { c.failOpen = true } }

// HeaderAPIKey also reads credentials from the X-API-Key header.
func HeaderAPIKey() Option { return func(c *config) { c.headerAPIKey = true } }

// QueryParam also reads credentials from this query parameter. Off by default: URLs end
// up in logs and browser history.
func QueryParam(name string) Option { return func(c *config) { c.queryParam = name } }

// ResourceMetadata is the URL of this API's RFC 9728 protected resource metadata (on
// its own host: https://api.example.com/.well-known/oauth-protected-resource/v1 for
// https://api.example.com/v1). WriteError's challenges, and so Middleware's 401s, then
// carry it as resource_metadata (RFC 9728 §5.1), so a client refused for want of a
// token finds the authorization server. (RequireScope's and RequireACR's answers do not.)
func ResourceMetadata(url string) Option { return func(c *config) { c.resourceMetadata = url } }

// Logger receives fetch failures and fail-closed/fail-open decisions.
func Logger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// Clock replaces time.Now (tests).
func Clock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// Cooldown is the least time between two fetches triggered by requests: an unknown kid
// refetches the JWKS at most once per cooldown (default 30 s).
func Cooldown(d time.Duration) Option { return func(c *config) { c.cooldown = d } }

// Verifier checks Gatehouse credentials offline. It is safe for concurrent use.
type Verifier struct {
	issuer     string
	cfg        config
	jwksURI    string
	listPrefix string
	allowed    map[string]bool

	keys     atomic.Pointer[keySet]
	keysMu   sync.Mutex // one JWKS fetch at a time
	lastJWKS time.Time

	listsMu sync.Mutex // serializes additions to lists
	lists   atomic.Pointer[map[string]*statusEntry]

	cache *tokenCache
	stats counters
	// proofs remembers the DPoP proofs (jti) seen recently.
	proofs *replayCache
	// feed is the revocation feed's subscription (feed.go).
	feed feedState
	// proxies are TrustedProxies, parsed.
	proxies []netip.Prefix

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// New discovers the issuer (RFC 8414 metadata at issuer/.well-known/oauth-authorization-server),
// fetches its JWKS and starts refreshing in the background. ctx bounds only this start;
// call Close to stop the background work.
func New(ctx context.Context, issuer string, opts ...Option) (*Verifier, error) {
	cfg := config{
		kinds: map[Kind]bool{KindAPIKey: true, KindAccessToken: true}, algs: []string{"ES256", "EdDSA", "RS256"},
		leeway: 30 * time.Second, fetchTimeout: 10 * time.Second, cooldown: 30 * time.Second, refreshEvery: 5 * time.Second,
		defaultStatusTTL: time.Minute, cacheSize: 10000, logger: slog.Default(), now: time.Now, dpopCacheSize: 100000,
		clientCertHeader: DefaultClientCertHeader,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.client == nil {
		cfg.client = &http.Client{Timeout: cfg.fetchTimeout}
	}
	if cfg.audience == "" {
		return nil, errors.New("verify: an Audience is required")
	}
	if cfg.leeway < 0 || cfg.leeway > 5*time.Minute {
		return nil, errors.New("verify: Leeway must be between 0 and 5 minutes")
	}
	if len(cfg.kinds) == 0 {
		return nil, errors.New("verify: Accept needs at least one kind")
	}
	for name, list := range map[string]map[string]bool{"Projects": cfg.projects, "Teams": cfg.teams} {
		if list != nil && (len(list) == 0 || list[""]) {
			return nil, fmt.Errorf("verify: %s needs at least one id, and no empty one", name)
		}
	}
	issuer = strings.TrimSuffix(issuer, "/")
	if cfg.publicURL != "" && HTU(cfg.publicURL) == "" {
		return nil, errors.New("verify: PublicURL must be an absolute http or https URL")
	}
	if cfg.dpopCacheSize < 1 {
		return nil, errors.New("verify: DPoPReplayCache needs a size of at least 1")
	}
	proxies, err := parseProxies(cfg.trustedProxies)
	if err != nil {
		return nil, err
	}
	if cfg.clientCertHeader == "" || http.CanonicalHeaderKey(cfg.clientCertHeader) == "Authorization" {
		return nil, errors.New("verify: ClientCertHeader needs a header name other than Authorization")
	}
	v := &Verifier{issuer: issuer, cfg: cfg, cache: newTokenCache(cfg.cacheSize), stop: make(chan struct{}), done: make(chan struct{}),
		proofs: newReplayCache(cfg.dpopCacheSize), proxies: proxies}
	v.lists.Store(&map[string]*statusEntry{})
	m, err := v.discover(ctx)
	if err != nil {
		return nil, err
	}
	v.jwksURI = m.JWKSURI
	v.listPrefix = m.StatusListURIPrefix
	if v.listPrefix == "" {
		v.listPrefix = issuer + "/statuslists/"
	}
	v.allowed = map[string]bool{}
	for _, a := range cfg.algs {
		if a != "ES256" && a != "EdDSA" && a != "RS256" {
			return nil, fmt.Errorf("verify: algorithm %q is not supported", a)
		}
		if len(m.SigningAlgs) == 0 || slices.Contains(m.SigningAlgs, a) {
			v.allowed[a] = true
		}
	}
	if len(v.allowed) == 0 {
		return nil, errors.New("verify: no algorithm is both allowed and advertised by the issuer")
	}
	if err := v.refreshJWKS(ctx); err != nil {
		return nil, err
	}
	go v.background()
	if m.StatusListEventsEndpoint != "" && !cfg.noFeed {
		if !strings.HasPrefix(m.StatusListEventsEndpoint, issuer+"/") {
			v.Close()
			return nil, fmt.Errorf("verify: discovery: status_list_events_endpoint %q is not under the issuer", truncate(m.StatusListEventsEndpoint, 100))
		}
		v.startFeed(m.StatusListEventsEndpoint)
	}
	return v, nil
}

// Close stops the background refreshes and the revocation feed.
func (v *Verifier) Close() {
	v.once.Do(func() {
		close(v.stop)
		v.stopFeed()
	})
	<-v.done
}

// refreshJWKS fetches the JWKS and installs it; on failure the old one stays.
func (v *Verifier) refreshJWKS(ctx context.Context) error {
	v.keysMu.Lock()
	defer v.keysMu.Unlock()
	v.lastJWKS = v.cfg.now()
	v.stats.jwksFetches.Add(1)
	body, age, err := v.get(ctx, v.jwksURI, "application/json")
	if err == nil {
		var keys map[string]*publicKey
		if keys, err = parseJWKS(body, v.allowed); err == nil {
			if age == 0 || age > time.Hour {
				age = 5 * time.Minute
			}
			v.keys.Store(&keySet{keys: keys, fetched: v.cfg.now(), maxAge: age})
			return nil
		}
	}
	v.stats.jwksFetchErrors.Add(1)
	v.logFetchError("JWKS", v.jwksURI, err)
	if v.keys.Load() == nil {
		return fmt.Errorf("verify: JWKS: %w", err)
	}
	return err
}

// keyFor returns the key for kid, refetching the JWKS once per cooldown when the kid is
// unknown (a new key may have been published). The token's alg must equal the key's.
func (v *Verifier) keyFor(ctx context.Context, kid, alg string) (*publicKey, error) {
	if !v.allowed[alg] {
		return nil, fmt.Errorf("%w: algorithm %q is not accepted", ErrHeader, truncate(alg, 20))
	}
	k := v.keys.Load().keys[kid]
	if k == nil {
		v.keysMu.Lock()
		due := v.cfg.now().Sub(v.lastJWKS) >= v.cfg.cooldown
		v.keysMu.Unlock()
		if due {
			_ = v.refreshJWKS(ctx)
			k = v.keys.Load().keys[kid]
		}
	}
	if k == nil {
		return nil, ErrUnknownKey
	}
	if k.alg != alg {
		return nil, fmt.Errorf("%w: the key is %s, the token says %q", ErrHeader, k.alg, truncate(alg, 20))
	}
	return k, nil
}

// Verify checks a credential presented as a bearer token and returns its principal.
// The error wraps one of the package's Err values. A DPoP-bound token (cnf.jkt) is
// refused here with ErrDPoPBound: it is accepted only with its proof, by VerifyRequest
// (and so Middleware); a certificate-bound one (cnf.x5t#S256) with ErrCertBound: it is
// accepted only with its client certificate, by VerifyRequest.
func (v *Verifier) Verify(ctx context.Context, token string) (*Principal, error) {
	c, err := v.verifyEntry(ctx, token)
	if err != nil {
		return nil, err
	}
	if c.jkt != "" {
		v.stats.rejected.Add(1)
		return nil, errBoundAsBearer
	}
	if c.certBound {
		v.stats.rejected.Add(1)
		return nil, errCertAsBearer
	}
	if v.cfg.requireDPoP {
		v.stats.rejected.Add(1)
		return nil, errUnbound
	}
	return c.p, nil
}

// verifyEntry checks a credential, from the cache when it was seen before.
func (v *Verifier) verifyEntry(ctx context.Context, token string) (*cached, error) {
	if token == "" {
		return nil, ErrNoToken
	}
	if len(token) > MaxTokenLen {
		v.stats.rejected.Add(1)
		return nil, fmt.Errorf("%w: length %d", ErrMalformed, len(token))
	}
	key := cacheKey(token)
	if c, ok := v.cache.get(key); ok {
		if err := v.recheck(ctx, &c); err != nil {
			v.cache.remove(key)
			v.stats.rejected.Add(1)
			v.stats.cachedRejected.Add(1)
			return nil, err
		}
		return &c, nil
	}
	c, err := v.verifyFull(ctx, token)
	if err != nil {
		v.stats.rejected.Add(1)
		return nil, err
	}
	v.cache.put(key, *c)
	v.stats.verified.Add(1)
	return c, nil
}

// recheck is what a cached credential must still pass: not expired, its key still
// published, its status bit still clear. A credential outside an allow-list is never
// cached, but the lists are checked here too, on the cache's own copy of the claims
// (not on the Principal, which callers hold).
func (v *Verifier) recheck(ctx context.Context, c *cached) error {
	if !v.cfg.now().Before(c.exp.Add(v.cfg.leeway)) {
		return ErrExpired
	}
	if err := v.checkAllowed(c.project, c.team); err != nil {
		return err
	}
	if v.keys.Load().keys[c.kid] == nil {
		return ErrUnknownKey
	}
	if c.statusURI != "" {
		return v.checkStatus(ctx, c.statusURI, c.statusIdx)
	}
	return nil
}

// verifyFull is the first sight of a credential: parse, header rules, signature, then
// claims (so a badly signed expired token is reported as a bad signature), then status.
// A header or claims with a duplicate member or a case variant of a member name is
// ErrMalformed.
func (v *Verifier) verifyFull(ctx context.Context, token string) (*cached, error) {
	c, err := parseCompact(token)
	if err != nil {
		return nil, err
	}
	kind, ok := kindOf(c.header.Typ)
	if !ok || !v.cfg.kinds[kind] {
		return nil, fmt.Errorf("%w: typ %q", ErrType, truncate(c.header.Typ, 40))
	}
	k, err := v.keyFor(ctx, c.header.Kid, c.header.Alg)
	if err != nil {
		return nil, err
	}
	if !k.verifySignature(c.signingInput, c.signature) {
		return nil, ErrSignature
	}
	if err := jsonstrict.Check(c.payload, claimNames); err != nil {
		return nil, fmt.Errorf("%w: claims: %w", ErrMalformed, err)
	}
	var cl tokenClaims
	if err := json.Unmarshal(c.payload, &cl); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrClaims, err)
	}
	actors, err := parseActors(cl.Act)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrClaims, err)
	}
	for _, d := range []*float64{cl.Exp, cl.Nbf, cl.Iat, cl.AuthTime} {
		if d != nil && !validNumericDate(*d) {
			return nil, fmt.Errorf("%w: a time claim is out of range", ErrClaims)
		}
	}
	now := v.cfg.now()
	switch {
	case cl.Iss != v.issuer:
		return nil, fmt.Errorf("%w: %q", ErrIssuer, truncate(cl.Iss, 100))
	case !slices.Contains(cl.Aud, v.cfg.audience):
		return nil, fmt.Errorf("%w: %q is not among %q", ErrAudience, v.cfg.audience, cl.Aud)
	case cl.Exp == nil:
		return nil, fmt.Errorf("%w: no exp", ErrExpired)
	case !now.Before(unix(*cl.Exp).Add(v.cfg.leeway)):
		return nil, fmt.Errorf("%w: at %s", ErrExpired, unix(*cl.Exp).UTC().Format(time.RFC3339))
	case cl.Nbf != nil && now.Add(v.cfg.leeway).Before(unix(*cl.Nbf)):
		return nil, fmt.Errorf("%w: nbf %s", ErrNotYetValid, unix(*cl.Nbf).UTC().Format(time.RFC3339))
	case cl.Iat != nil && now.Add(v.cfg.leeway).Before(unix(*cl.Iat)):
		return nil, fmt.Errorf("%w: iat in the future", ErrNotYetValid)
	case cl.Sub == "" || cl.Jti == "":
		return nil, fmt.Errorf("%w: sub and jti are required", ErrClaims)
	}
	p := &Principal{Kind: kind, API: v.cfg.audience, Subject: cl.Sub, Team: cl.Team, Scopes: strings.Fields(cl.Scope),
		KeyID: cl.Jti, Audience: cl.Aud, ExpiresAt: unix(*cl.Exp), ACR: cl.ACR, AMR: []string(cl.AMR), Actors: actors}
	if cl.AuthTime != nil {
		p.AuthTime = unix(*cl.AuthTime)
	}
	switch st := SubjectType(cl.SubType); {
	case st == "" || st == SubjectProject:
		p.SubjectType, p.Project = SubjectProject, cl.Sub
	case kind == KindAPIKey:
		return nil, fmt.Errorf("%w: an API key's subject is always a project, not %q", ErrClaims, truncate(cl.SubType, 40))
	case st == SubjectServiceAccount:
		p.SubjectType, p.ServiceAccount = st, cl.Sub
	case st == SubjectUser:
		p.SubjectType = st
	default:
		return nil, fmt.Errorf("%w: unknown sub_type %q", ErrClaims, truncate(cl.SubType, 40))
	}
	if cl.Iat != nil {
		p.IssuedAt = unix(*cl.Iat)
	}
	// The allow-list of projects is about the client: for a user's token, the project
	// acting for the user (client_id), not the user.
	client := cl.Sub
	if p.SubjectType == SubjectUser {
		client = cl.ClientID
	}
	p.ClientID = client
	out := &cached{p: p, exp: p.ExpiresAt, kid: k.kid, kind: kind, project: client, team: cl.Team}
	if err := readCnf(cl.Cnf, out); err != nil {
		return nil, err
	}
	// A project's or a service account's token is its own client's: client_id is sub.
	// A user's token names the client acting for the user, which is not the user.
	switch {
	case kind == KindAccessToken && p.SubjectType == SubjectUser && cl.ClientID == "":
		return nil, fmt.Errorf("%w: client_id is required", ErrClaims)
	case kind == KindAccessToken && p.SubjectType != SubjectUser && cl.ClientID != cl.Sub:
		return nil, fmt.Errorf("%w: client_id must equal sub", ErrClaims)
	}
	if kind == KindAPIKey {
		if cl.Status == nil || cl.Status.StatusList == nil || cl.Status.StatusList.Idx == nil || cl.Status.StatusList.URI == "" {
			return nil, fmt.Errorf("%w: an API key must carry a status list reference", ErrClaims)
		}
		out.statusURI, out.statusIdx = cl.Status.StatusList.URI, *cl.Status.StatusList.Idx
		if !strings.HasPrefix(out.statusURI, v.listPrefix) || strings.ContainsAny(out.statusURI[len(v.listPrefix):], "/?#\\") {
			return nil, fmt.Errorf("%w: status list %q is not the issuer's", ErrStatusUnavailable, truncate(out.statusURI, 100))
		}
	}
	// The allow-lists come after the signature and the claims, so that a forged or
	// expired credential is reported as such, and before the status list, so that a
	// credential this API never takes costs no fetch.
	if err := v.checkAllowed(out.project, out.team); err != nil {
		return nil, err
	}
	if out.statusURI != "" {
		if err := v.checkStatus(ctx, out.statusURI, out.statusIdx); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Reasons wrapped with ErrNotAllowed; the middleware names them to the client.
var (
	errProjectNotListed = errors.New("project not on the allow-list")
	errTeamNotListed    = errors.New("team not on the allow-list")
	errNoTeam           = errors.New("no team claim")
)

// checkAllowed applies the Projects and Teams allow-lists.
func (v *Verifier) checkAllowed(project, team string) error {
	if v.cfg.projects != nil && !v.cfg.projects[project] {
		return fmt.Errorf("%w: %w: %q", ErrNotAllowed, errProjectNotListed, truncate(project, 100))
	}
	if v.cfg.teams != nil {
		if team == "" {
			return fmt.Errorf("%w: %w", ErrNotAllowed, errNoTeam)
		}
		if !v.cfg.teams[team] {
			return fmt.Errorf("%w: %w: %q", ErrNotAllowed, errTeamNotListed, truncate(team, 100))
		}
	}
	return nil
}

// checkStatus applies the status bit, failing closed unless FailOpen is set.
func (v *Verifier) checkStatus(ctx context.Context, uri string, idx int) error {
	l, err := v.statusFor(ctx, uri)
	if err != nil {
		if v.cfg.failOpen {
			v.stats.failOpen.Add(1)
			v.cfg.logger.Warn("verify: accepting an API key without its status (FailOpen)", "status_list", uri, "error", err.Error())
			return nil
		}
		v.stats.failClosed.Add(1)
		return err
	}
	revoked, ok := l.revoked(idx)
	if !ok {
		return fmt.Errorf("%w: index %d is outside the list", ErrStatusUnavailable, idx)
	}
	if revoked {
		return ErrRevoked
	}
	return nil
}

// kindOf maps typ to a credential kind; anything else (an ID token, a status list, no
// typ) is not a credential.
func kindOf(typ string) (Kind, bool) {
	switch normalizeTyp(typ) {
	case "apikey+jwt":
		return KindAPIKey, true
	case "at+jwt":
		return KindAccessToken, true
	}
	return "", false
}

// background refreshes the JWKS before it expires and every recently used status list
// before it is a ttl old, so requests almost never wait for the portal and a revocation
// is seen within the list's ttl. It wakes as often as the shortest ttl needs (at least
// every refreshEvery).
func (v *Verifier) background() {
	defer close(v.done)
	timer := time.NewTimer(v.cfg.refreshEvery)
	defer timer.Stop()
	for {
		select {
		case <-v.stop:
			return
		case <-timer.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), v.cfg.fetchTimeout)
		next := v.refreshDue(ctx)
		cancel()
		timer.Reset(next)
	}
}

// refreshDue refreshes what is due and returns how long until something next is.
func (v *Verifier) refreshDue(ctx context.Context) time.Duration {
	now := v.cfg.now()
	next := v.cfg.refreshEvery
	if ks := v.keys.Load(); now.Sub(ks.fetched) >= ks.maxAge-v.cfg.refreshEvery {
		_ = v.refreshJWKS(ctx)
	}
	for _, e := range *v.lists.Load() {
		if now.Sub(time.Unix(e.lastUsed.Load(), 0)) > time.Hour {
			continue // not used lately: fetched again on demand
		}
		l := e.current.Load()
		// A list fetched without a bit the feed pushed is fetched again every round
		// (an instance's cached copy was older than the revocation).
		behind := l != nil && e.isBehind() && now.Sub(l.fetched) >= v.cfg.refreshEvery
		if l == nil || behind || now.Sub(l.fetched) >= l.ttl*9/10 {
			if err := v.fetchStatusList(ctx, e); err != nil {
				v.logFetchError("status list", e.uri, err)
			}
			l = e.current.Load()
		}
		if l != nil {
			if due := l.fetched.Add(l.ttl * 9 / 10).Sub(v.cfg.now()); due < next {
				next = due
			}
		}
	}
	return max(next, 100*time.Millisecond)
}

// logFetchError reports that the portal could not be reached or answered badly.
func (v *Verifier) logFetchError(what, url string, err error) {
	if err != nil {
		v.cfg.logger.Warn("verify: fetching "+what+" failed; using the cached copy while it is valid", "url", url, "error", err.Error())
	}
}

// truncate bounds attacker-controlled text in error messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// counters are the verifier's metrics.
type counters struct {
	verified, rejected, cachedRejected            atomic.Int64
	jwksFetches, jwksFetchErrors                  atomic.Int64
	statusFetches, statusFetchErrors, statusStale atomic.Int64
	failClosed, failOpen                          atomic.Int64
}

// Stats are counters since the verifier started, for logs and metrics.
type Stats struct {
	// Verified counts credentials accepted after a full check; CacheHits those accepted
	// from the cache; Rejected every rejection.
	Verified, CacheHits, Rejected int64
	JWKSFetches, JWKSFetchErrors  int64
	// StatusStale counts uses of a status list older than its ttl (the portal is not
	// answering); FailClosed and FailOpen count decisions made without a usable list.
	StatusFetches, StatusFetchErrors, StatusStale int64
	FailClosed, FailOpen                          int64
	// CachedCredentials is the cache's current size.
	CachedCredentials int
	// Feed is the revocation feed's health: connected, events applied and rejected,
	// the last one and its lag, reconnects and resets.
	Feed FeedStats
}

// Stats returns the current counters.
func (v *Verifier) Stats() Stats {
	s := &v.stats
	return Stats{
		Verified: s.verified.Load(), CacheHits: v.cache.hits() - s.cachedRejected.Load(), Rejected: s.rejected.Load(),
		JWKSFetches: s.jwksFetches.Load(), JWKSFetchErrors: s.jwksFetchErrors.Load(),
		StatusFetches: s.statusFetches.Load(), StatusFetchErrors: s.statusFetchErrors.Load(), StatusStale: s.statusStale.Load(),
		FailClosed: s.failClosed.Load(), FailOpen: s.failOpen.Load(), CachedCredentials: v.cache.len(), Feed: v.feedStats(),
	}
}

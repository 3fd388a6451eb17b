package verify

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// RequireDPoP refuses tokens that are not DPoP-bound (no cnf.jkt) with ErrDPoPBound:
// this API takes sender-constrained tokens only. API keys, which are never bound, are
// refused too, so use it with Accept(KindAccessToken).
func RequireDPoP() Option { return func(c *config) { c.requireDPoP = true } }

// PublicURL is the public base URL this API is reached at ("https://api.example.com")
// when it runs behind a proxy: a DPoP proof's htu is compared with it joined with the
// request's path. Without it the URL is rebuilt from the request (TLS or not, Host).
func PublicURL(base string) Option {
	return func(c *config) { c.publicURL = strings.TrimSuffix(base, "/") }
}

// DPoPReplayCache bounds how many DPoP proofs (jti) are remembered to refuse a replay
// (default 100,000). A proof is remembered for twice the iat window (2 minutes); when
// the cache is full of proofs still in their window, new proofs are refused (fail
// closed) until room is made.
func DPoPReplayCache(n int) Option { return func(c *config) { c.dpopCacheSize = n } }

// Reasons wrapped with ErrDPoPBound.
var (
	errBoundAsBearer = fmt.Errorf("%w: a DPoP-bound token must be sent with the DPoP scheme and a proof", ErrDPoPBound)
	errUnbound       = fmt.Errorf("%w: this API accepts DPoP-bound tokens only", ErrDPoPBound)
	errDPoPUnbound   = fmt.Errorf("%w: the DPoP scheme was used with a token that is not DPoP-bound", ErrDPoPBound)
)

// credential reads the request's credential and whether it came with the DPoP scheme.
func (v *Verifier) credential(r *http.Request) (token string, dpop bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "DPoP") {
			return strings.TrimSpace(tok), true
		}
	}
	return v.TokenFromRequest(r), false
}

// RequestURL is the URL a DPoP proof for r must name (htu): PublicURL joined with the
// request's path when set, otherwise rebuilt from the request.
func (v *Verifier) RequestURL(r *http.Request) string {
	if v.cfg.publicURL != "" {
		return v.cfg.publicURL + r.URL.EscapedPath()
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.EscapedPath()
}

// VerifyRequest checks the request's credential. An unbound token is checked as Verify
// does (refused, with RequireDPoP). A DPoP-bound token (cnf.jkt) must come as
// "Authorization: DPoP <token>" with exactly one DPoP header holding a proof (RFC 9449
// §7) for this request's method and URL (see PublicURL), carrying ath (the token's
// hash), an iat within 60 s of the verifier's clock, a jti not seen before (an in-memory
// replay cache, see DPoPReplayCache), and signed by the key whose thumbprint is cnf.jkt.
// A bound token sent as a bearer token is ErrDPoPBound; a bad proof ErrDPoPProof.
// A certificate-bound token (cnf.x5t#S256, RFC 8705) must come with the client
// certificate whose SHA-256 it names (see ClientCertificate and TrustedProxies), or it
// is ErrCertBound; a token bound both ways needs both.
func (v *Verifier) VerifyRequest(r *http.Request) (*Principal, error) {
	token, dpop := v.credential(r)
	c, err := v.verifyEntry(r.Context(), token)
	if err != nil {
		return nil, err
	}
	if c.jkt == "" {
		switch {
		case dpop:
			// RFC 9449 §7.1 lets a server take an unbound token under the DPoP scheme;
			// refusing it keeps "DPoP" meaning "bound" for this API.
			v.stats.rejected.Add(1)
			return nil, errDPoPUnbound
		case v.cfg.requireDPoP:
			v.stats.rejected.Add(1)
			return nil, errUnbound
		}
	}
	if c.jkt != "" && !dpop {
		v.stats.rejected.Add(1)
		return nil, errBoundAsBearer
	}
	// The certificate before the proof, so that a refused request uses up no jti.
	if c.certBound {
		if err := v.checkCertBinding(r, &c.x5t, c.jkt != ""); err != nil {
			v.stats.rejected.Add(1)
			return nil, err
		}
	}
	if c.jkt != "" {
		if err := v.checkRequestProof(r, token, c.jkt); err != nil {
			v.stats.rejected.Add(1)
			return nil, err
		}
	}
	return c.p, nil
}

// checkRequestProof checks the request's DPoP proof for token, bound to jkt.
func (v *Verifier) checkRequestProof(r *http.Request, token, jkt string) error {
	proofs := r.Header.Values("DPoP")
	switch {
	case len(proofs) == 0:
		return fmt.Errorf("%w: the request has no DPoP header", ErrDPoPProof)
	case len(proofs) > 1:
		return fmt.Errorf("%w: the request has more than one DPoP header", ErrDPoPProof)
	}
	now := v.cfg.now()
	p, err := CheckDPoPProof(proofs[0], ProofCheck{Method: r.Method, URL: v.RequestURL(r), AccessToken: token, Now: now})
	if err != nil {
		return err
	}
	if p.JKT != jkt {
		return fmt.Errorf("%w: the proof is signed by a key the token is not bound to", ErrDPoPProof)
	}
	return v.proofs.use(jkt+" "+p.JTI, now, 2*DefaultDPoPWindow)
}

// replayCache remembers DPoP proofs seen within their window, bounded: entries leave
// in the order they came (each is kept for the same time), so pruning looks only at
// the oldest.
type replayCache struct {
	mu    sync.Mutex
	seen  map[string]struct{}
	queue []replayEntry
	head  int
	max   int
}

type replayEntry struct {
	key     string
	expires time.Time
}

func newReplayCache(n int) *replayCache {
	return &replayCache{seen: map[string]struct{}{}, max: n}
}

// use records key as seen at now for keep, or fails when it was seen (a replay) or the
// cache is full of entries still in their window.
func (c *replayCache) use(key string, now time.Time, keep time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.head < len(c.queue) && !now.Before(c.queue[c.head].expires) {
		delete(c.seen, c.queue[c.head].key)
		c.queue[c.head] = replayEntry{}
		c.head++
	}
	if c.head > len(c.queue)/2 && c.head > 1024 {
		c.queue = append([]replayEntry(nil), c.queue[c.head:]...)
		c.head = 0
	}
	if _, ok := c.seen[key]; ok {
		return fmt.Errorf("%w: the proof (jti) has already been used", ErrDPoPProof)
	}
	if len(c.seen) >= c.max {
		return fmt.Errorf("%w: too many recent proofs to check for replay; retry shortly", ErrDPoPProof)
	}
	c.seen[key] = struct{}{}
	c.queue = append(c.queue, replayEntry{key: key, expires: now.Add(keep)})
	return nil
}

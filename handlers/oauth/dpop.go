package oauth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/verify"
)

// dpopWindow is how far a proof's iat may be from the store's clock at the token
// endpoint; a used jti is remembered until its proof falls out of it.
const dpopWindow = 60 * time.Second

// dpopNonceEvery is a server nonce's time window: a nonce is accepted in the window it
// was made in and the next one.
const dpopNonceEvery = 5 * time.Minute

// tokenDPoP checks the token request's DPoP proof (RFC 9449 §4.3), if it carries one,
// and returns the context its tokens are minted in: bound to the proof's key
// (models.WithDPoPKey). No DPoP header: ctx unchanged. With GATEHOUSE_DPOP_NONCE on, a
// proof without a fresh server nonce is use_dpop_nonce (§8). The proof's jti is
// recorded in the database: one use, whichever instance sees it.
func (h *Handler) tokenDPoP(c echo.Context) (context.Context, error) {
	ctx := c.Request().Context()
	jkt, err := h.requestProof(c, "/oauth/token")
	if err != nil || jkt == "" {
		return ctx, err
	}
	return models.WithDPoPKey(ctx, jkt), nil
}

// requestProof checks the DPoP proof of a request to the portal's endpoint at path, if
// it carries one, and returns its key's thumbprint ("" without a DPoP header): one
// header, a valid proof for this method and URL, the server nonce when nonces are on,
// a jti never used before.
func (h *Handler) requestProof(c echo.Context, path string) (string, error) {
	ctx := c.Request().Context()
	proofs := c.Request().Header.Values("DPoP")
	switch {
	case len(proofs) == 0:
		return "", nil
	case len(proofs) > 1:
		return "", newOAuthError(models.ErrCodeInvalidDPoPProof, "send exactly one DPoP header")
	}
	now := h.Store.Now()
	p, err := verify.CheckDPoPProof(proofs[0], verify.ProofCheck{Method: c.Request().Method,
		URL: h.Cfg.BaseURL.JoinPath(path).String(), Now: now, Window: dpopWindow})
	if err != nil {
		return "", newOAuthError(models.ErrCodeInvalidDPoPProof, proofSentence(err))
	}
	if h.Cfg.DPoPNonce && !h.validDPoPNonce(p.Nonce, now) {
		return "", newOAuthError(models.ErrCodeUseDPoPNonce, "the DPoP proof must carry the nonce in the DPoP-Nonce header of this answer")
	}
	if err := h.Store.UseDPoPProof(ctx, p.JKT, p.JTI, p.IssuedAt.Add(dpopWindow+time.Second)); err != nil {
		return "", err
	}
	return p.JKT, nil
}

// proofSentence is a proof error as a sentence for error_description.
func proofSentence(err error) string {
	return strings.TrimPrefix(err.Error(), verify.ErrDPoPProof.Error()+": ")
}

// requireDPoP refuses a token request of a project that requires DPoP and sent no proof.
func requireDPoP(ctx context.Context, p *models.Project) error {
	if p != nil && p.RequireDPoP && models.DPoPKey(ctx) == "" {
		return newOAuthError(models.ErrCodeInvalidDPoPProof, "this client must send a DPoP proof (RFC 9449) with its token requests")
	}
	return nil
}

// setDPoPNonce gives the client a fresh nonce for its next proof (RFC 9449 §8), when
// nonces are on.
func (h *Handler) setDPoPNonce(c echo.Context) {
	if h.Cfg.DPoPNonce {
		c.Response().Header().Set("DPoP-Nonce", h.dpopNonce(h.Store.Now()))
	}
}

// dpopNonce is the nonce of now's window: the base64url HMAC of the window's number
// under a key derived from the master key. Stateless: every instance computes the same.
func (h *Handler) dpopNonce(now time.Time) string {
	return nonceFor(h.Cfg.Signer.Config().MasterKeys.DeriveKey("gatehouse dpop nonce"), now.Unix()/int64(dpopNonceEvery/time.Second))
}

func nonceFor(key []byte, window int64) string {
	mac := hmac.New(sha256.New, key)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(window))
	mac.Write(b[:])
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// validDPoPNonce accepts the nonce of now's window and of the one before.
func (h *Handler) validDPoPNonce(nonce string, now time.Time) bool {
	if nonce == "" || len(nonce) > 100 {
		return false
	}
	key := h.Cfg.Signer.Config().MasterKeys.DeriveKey("gatehouse dpop nonce")
	w := now.Unix() / int64(dpopNonceEvery/time.Second)
	ok := false
	for _, win := range []int64{w, w - 1} {
		if hmac.Equal([]byte(nonceFor(key, win)), []byte(nonce)) {
			ok = true
		}
	}
	return ok
}

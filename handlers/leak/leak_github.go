package leak

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// The headers GitHub signs a report with.
const (
	headerKeyID     = "Github-Public-Key-Identifier"
	headerSignature = "Github-Public-Key-Signature"
)

// Labels of the answer (GitHub's false-positive feedback).
const (
	labelTrue  = "true_positive"
	labelFalse = "false_positive"
)

// verdict is GitHub's feedback on one reported token.
type verdict struct {
	TokenHash string `json:"token_hash"`
	TokenRaw  string `json:"token_raw"`
	TokenType string `json:"token_type"`
	Label     string `json:"label"`
}

// reportGitHubLeaks handles "POST /leaks/github": a report from GitHub's secret
// scanning. The signature decides first — over the raw body, with the configured key
// the report names — and only a signed body is parsed; then each token is looked up and
// acted on (models/store ReportLeak), and the answer labels each one a true or a false
// positive. Unsigned, wrongly signed or naming an unknown key: 401; malformed: 400;
// too large: 413; no key set configured: 404; no key set readable: 503. None of them
// changes anything.
func (h *Handler) reportGitHubLeaks(c echo.Context) error {
	if !h.github.configured() {
		return echo.NewHTTPError(http.StatusNotFound,
			"Secret-scanning reports are not enabled here: set GATEHOUSE_LEAK_GITHUB_KEYS_URL or GATEHOUSE_LEAK_GITHUB_KEYS_FILE.")
	}
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxReportBytes+1))
	if err != nil {
		return err // the body limit's 413, or a broken connection
	}
	if len(body) > maxReportBytes {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "A report is at most 1 MiB.")
	}
	if err := h.verifySignature(c, body); err != nil {
		return err
	}
	reports, err := parseReport(body)
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The report is not valid: "+err.Error()+".")
	}
	ctx := c.Request().Context()
	actor := models.Actor{Partner: GitHubReporter, IP: c.RealIP(), UserAgent: c.Request().UserAgent()}
	out := make([]verdict, len(reports))
	for i, r := range reports {
		res, err := h.Store.ReportLeak(ctx, actor, r)
		if err != nil {
			return err // GitHub retries; what was done is not done twice
		}
		out[i] = verdict{TokenHash: models.SHA256Hex(r.Token), TokenRaw: r.Token, TokenType: r.Type, Label: labelFalse}
		if res.Found {
			out[i].Label = labelTrue
		}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, out)
}

// verifySignature checks the report's signature: base64 of an ASN.1 DER ECDSA P-256
// signature over the SHA-256 of body, by the configured key the report names.
func (h *Handler) verifySignature(c echo.Context, body []byte) error {
	id, sig64 := c.Request().Header.Get(headerKeyID), c.Request().Header.Get(headerSignature)
	unauthorized := echo.NewHTTPError(http.StatusUnauthorized, "The report's signature does not verify against the configured GitHub keys.")
	if id == "" || sig64 == "" || len(id) > 200 || len(sig64) > 200 {
		return unauthorized
	}
	sig, err := base64.StdEncoding.DecodeString(sig64)
	if err != nil {
		return unauthorized
	}
	pub, err := h.github.key(c.Request().Context(), id)
	if errors.Is(err, errUnknownKey) {
		return unauthorized
	}
	if err != nil {
		h.Log.Error("secret-scanning keys unavailable", "error", err.Error())
		return echo.NewHTTPError(http.StatusServiceUnavailable, "The GitHub secret-scanning keys cannot be read right now; try again shortly.")
	}
	digest := sha256.Sum256(body)
	if !ecdsa.VerifyASN1(pub, digest[:], sig) {
		return unauthorized
	}
	return nil
}

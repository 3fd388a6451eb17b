package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// fingerprint marks a request that carries an Idempotency-Key with a hash of its
// method, route and body, which the store records beside the key: a repeat with the
// same key and another body (or route) is refused with 422, as the IETF Idempotency-Key
// draft asks, instead of answering as though it were the first request. The body is
// compared as JSON (member order and spacing do not matter) when it parses, byte by
// byte otherwise.
func fingerprint(r route) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if idempotencyKey(c) == "" {
				return next(c)
			}
			body, err := io.ReadAll(req.Body) // bounded by the server's BodyLimit
			if err != nil {
				return err
			}
			req.Body = io.NopCloser(bytes.NewReader(body))
			canonical := body
			var v any
			if json.Unmarshal(body, &v) == nil {
				if b, err := json.Marshal(v); err == nil {
					canonical = b
				}
			}
			sum := sha256.New()
			for _, part := range [][]byte{[]byte(r.method), []byte(req.URL.Path), canonical} {
				sum.Write(part)
				sum.Write([]byte{0})
			}
			ctx := models.WithRequestFingerprint(req.Context(), hex.EncodeToString(sum.Sum(nil)))
			c.SetRequest(req.WithContext(ctx))
			return next(c)
		}
	}
}

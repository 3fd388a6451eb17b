package models

import (
	"errors"
)

// ErrJWKSURI means a jwks_uri cannot be used: not HTTPS, pointing at a private or
// loopback address, too slow, too large, or not a key set.
var ErrJWKSURI = errors.New("unusable jwks_uri")

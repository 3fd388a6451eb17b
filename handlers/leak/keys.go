package leak

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
)

// maxKeyFileBytes bounds the key file read.
const maxKeyFileBytes = 64 << 10

// errUnknownKey means no configured key has the identifier a report names.
var errUnknownKey = errors.New("no such secret-scanning key")

// keySource is the key set a scanner's signatures are checked against: the keys in a
// local file (read at every report, so an edited file counts at once) and those
// published at a URL (fetched by the SSRF-safe fetcher of jwks_uri key sets, cached,
// refetched at most once a minute when a report names a key it does not hold).
type keySource struct {
	url, file string
	fetcher   func() *store.JWKSFetcher
}

// configured reports whether any key set is configured.
func (k *keySource) configured() bool { return k.url != "" || k.file != "" }

// key returns the public key with identifier id. errUnknownKey means the sources were
// read and none has it; another error, that no source could be read.
func (k *keySource) key(ctx context.Context, id string) (*ecdsa.PublicKey, error) {
	var errs []error
	readable := false
	if k.file != "" {
		keys, err := readKeyFile(k.file)
		if pub := find(keys, id); pub != nil {
			return pub, nil
		}
		errs, readable = append(errs, err), readable || err == nil
	}
	if k.url != "" {
		keys, err := k.fetcher().ScannerKeys(ctx, k.url, false)
		if err == nil && find(keys, id) == nil {
			keys, err = k.fetcher().ScannerKeys(ctx, k.url, true) // rotated since: refetch (throttled)
		}
		if pub := find(keys, id); pub != nil {
			return pub, nil
		}
		errs, readable = append(errs, err), readable || err == nil
	}
	if err := errors.Join(errs...); !readable && err != nil {
		return nil, err
	}
	return nil, errUnknownKey
}

// find is the ECDSA key with identifier id among keys, or nil.
func find(keys []jose.JSONWebKey, id string) *ecdsa.PublicKey {
	for _, k := range keys {
		if pub, ok := k.Key.(*ecdsa.PublicKey); ok && k.KeyID == id {
			return pub
		}
	}
	return nil
}

// readKeyFile reads a key file in the scanner's format (models.ParseScannerKeys).
func readKeyFile(path string) ([]jose.JSONWebKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	body, err := io.ReadAll(io.LimitReader(f, maxKeyFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxKeyFileBytes {
		return nil, fmt.Errorf("%s: larger than %d KiB", path, maxKeyFileBytes>>10)
	}
	keys, err := models.ParseScannerKeys(body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return keys, nil
}

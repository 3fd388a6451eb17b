package main

import (
	"net/url"
	"os"
	"strings"

	"github.com/gatehouse-dev/gatehouse/models"
)

// defaultGitHubKeysURL is where GitHub publishes the keys its secret scanning signs
// partner reports with.
const defaultGitHubKeysURL = "https://api.github.com/meta/public_keys/secret_scanning"

// leakKeys validates the secret-scanning key settings: the URL is "off" or an
// absolute https URL; the file, when set, must hold at least one usable key now.
func leakKeys(r *rawConfig, bad func(env, fl, format string, a ...any)) (keysURL, keysFile string) {
	keysURL = strings.TrimSpace(r.leakKeysURL)
	if strings.EqualFold(keysURL, "off") {
		keysURL = ""
	} else if u, err := url.Parse(keysURL); err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		bad("GATEHOUSE_LEAK_GITHUB_KEYS_URL", "leak-github-keys-url", "want an https URL or off, got %q", r.leakKeysURL)
	}
	if keysFile = r.leakKeysFile; keysFile != "" {
		body, err := os.ReadFile(keysFile)
		if err != nil {
			bad("GATEHOUSE_LEAK_GITHUB_KEYS_FILE", "leak-github-keys-file", "cannot read %s: %v", keysFile, err)
		} else if _, err := models.ParseScannerKeys(body); err != nil {
			bad("GATEHOUSE_LEAK_GITHUB_KEYS_FILE", "leak-github-keys-file",
				`%s holds no usable key: want {"public_keys":[{"key_identifier":"…","key":"-----BEGIN PUBLIC KEY-----…"}]} with ECDSA P-256 keys`, keysFile)
		}
	}
	return keysURL, keysFile
}

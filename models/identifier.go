package models

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
)

// maxIdentifierLen bounds identifiers.
const maxIdentifierLen = 200

// slugIdentifier is an identifier that is not a URI.
var slugIdentifier = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._~-]*$`)

// errIdentifier explains what an identifier may be.
var errIdentifier = errors.New("use an absolute URI such as https://orders.example.com or urn:acme:orders, " +
	"or a name of letters, digits, dots, dashes and underscores such as orders-api")

// CleanIdentifier checks a new API's identifier and returns it as it will be registered:
// for http(s) URIs, with the scheme and host in lower case, no default port and no
// trailing slash; otherwise as given.
func CleanIdentifier(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > maxIdentifierLen {
		return "", errIdentifier
	}
	if !strings.Contains(raw, ":") {
		if !slugIdentifier.MatchString(raw) {
			return "", errIdentifier
		}
		return raw, nil
	}
	u, err := parseIdentifierURI(raw)
	if err != nil {
		return "", err
	}
	if u.Scheme == "urn" {
		return raw, nil
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	return u.String(), nil
}

// IdentifierKey folds every spelling of an identifier into one key: the key decides
// uniqueness and how token requests (RFC 8707 resource, audience) find an API. It
// accepts anything a caller may send and fails only for what can name no API.
func IdentifierKey(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > 2*maxIdentifierLen {
		return "", errIdentifier
	}
	if !strings.Contains(raw, ":") {
		if !slugIdentifier.MatchString(raw) {
			return "", errIdentifier
		}
		return strings.ToLower(raw), nil
	}
	u, err := parseIdentifierURI(raw)
	if err != nil {
		return "", err
	}
	if u.Scheme == "urn" {
		nss, err := url.PathUnescape(u.Opaque)
		if err != nil {
			return "", errIdentifier
		}
		return "urn:" + strings.ToLower(nss), nil
	}
	// Path: every escape decoded, case folded, trailing slashes dropped.
	return u.Scheme + "://" + u.Host + strings.ToLower(strings.TrimRight(u.Path, "/")), nil
}

// parseIdentifierURI parses an absolute http(s) or urn identifier: no query, fragment or
// user info, no whitespace or control characters; scheme and host folded to lower case
// and a default port dropped.
func parseIdentifierURI(raw string) (*url.URL, error) {
	if strings.IndexFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f || r > 0x7e }) >= 0 {
		return nil, errIdentifier
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#") {
		return nil, errIdentifier
	}
	u.Scheme = strings.ToLower(u.Scheme)
	switch u.Scheme {
	case "urn":
		if u.Opaque == "" || !strings.Contains(u.Opaque, ":") || strings.HasPrefix(u.Opaque, ":") {
			return nil, errIdentifier
		}
		return u, nil
	case "http", "https":
	default:
		return nil, errIdentifier
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return nil, errIdentifier
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	u.Host = host
	return u, nil
}

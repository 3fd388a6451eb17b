// Package vectors builds the conformance vectors of Gatehouse verifiers: one
// language-neutral file (sdk/conformance/vectors.json) of hostile and control
// credentials, the documents a fake issuer serves for them, and what every verifier (Go
// verify, Node @gatehouse/verify, Python gatehouse_verify) must answer. The format is
// specified in sdk/conformance/README.md; Build makes the file's content and
// cmd sdk/conformance/gen writes it.
//
// The package imports nothing of the verifier it tests: the vectors say what a verifier
// must do, they do not ask the Go verifier what it does.
package vectors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// The parameters every vector shares.
const (
	// Version is the format version (README, "Format").
	Version = 1
	// Issuer is the fake issuer; only URLs under Issuer + "/" may ever be requested.
	Issuer = "https://issuer.conformance.test"
	// Now is what every verifier's clock reads: 2026-05-01T12:00:00Z.
	Now int64 = 1777636800
	// Audience is the audience of the default options.
	Audience = "orders-api"

	// MetadataURL, JWKSURL and StatusListPrefix are the issuer's documents.
	MetadataURL      = Issuer + "/.well-known/oauth-authorization-server"
	JWKSURL          = Issuer + "/.well-known/jwks.json"
	StatusListPrefix = Issuer + "/statuslists/"

	// MaxTokenLen is the longest credential a verifier parses at all (verify.MaxTokenLen);
	// the cases whose names say they straddle it check their own length against it.
	MaxTokenLen = 8 << 10
	// MaxDocument caps every document a verifier fetches (1 MiB).
	MaxDocument = 1 << 20
	// MaxStatusBytes caps a decompressed status list (1 MiB: 8 Mi entries).
	MaxStatusBytes = 1 << 20
	// MaxFileSize bounds the encoded vectors.json, so that it stays reviewable.
	MaxFileSize = 2 << 20
)

// The typed reasons of a rejection (README, "Typed reasons").
const (
	CodeNoToken           = "no_token"
	CodeMalformed         = "malformed"
	CodeHeader            = "header"
	CodeUnknownKey        = "unknown_key"
	CodeSignature         = "signature"
	CodeType              = "type"
	CodeIssuer            = "issuer"
	CodeAudience          = "audience"
	CodeExpired           = "expired"
	CodeNotYetValid       = "not_yet_valid"
	CodeClaims            = "claims"
	CodeRevoked           = "revoked"
	CodeStatusUnavailable = "status_unavailable"
	CodeNotAllowed        = "not_allowed"
	CodeInsufficientScope = "insufficient_scope"
)

// Codes are all the typed reasons, in the README's order.
var Codes = []string{CodeNoToken, CodeMalformed, CodeHeader, CodeUnknownKey, CodeSignature, CodeType, CodeIssuer,
	CodeAudience, CodeExpired, CodeNotYetValid, CodeClaims, CodeRevoked, CodeStatusUnavailable, CodeNotAllowed,
	CodeInsufficientScope}

// The credential kinds, as options.accept and principal.kind spell them.
const (
	KindAPIKey      = "api_key"
	KindAccessToken = "access_token"
)

// File is vectors.json.
type File struct {
	Version int    `json:"version"`
	Issuer  string `json:"issuer"`
	Now     int64  `json:"now"`
	// Documents is the whole web as far as the verifiers are concerned, by absolute URL;
	// any other URL answers 404.
	Documents map[string]Document `json:"documents"`
	Cases     []Case              `json:"cases"`
	// DPoPCases are sender-constrained tokens presented with HTTP requests (RFC 9449):
	// a verifier that checks DPoP runs them; one that does not yet may skip them.
	DPoPCases []DPoPCase `json:"dpop_cases,omitempty"`
	// FeedCases are events of the revocation feed delivered to a verifier holding a
	// list (feed.go).
	FeedCases []FeedCase `json:"feed_cases,omitempty"`
	// MTLSCases are certificate-bound tokens (RFC 8705) presented with HTTP requests from
	// an address, with or without a client certificate on the TLS connection or in a
	// header.
	MTLSCases []MTLSCase `json:"mtls_cases,omitempty"`
}

// The reasons of DPoP cases, besides Codes: a bad or missing proof for a bound token
// (answered 401 invalid_dpop_proof), and a binding refused (a bound token sent as a
// bearer token, or an unbound one where DPoP is required; 401 invalid_token).
const (
	CodeDPoPProof = "dpop_proof"
	CodeDPoPBound = "dpop_bound"
)

// CodeCertBound: a certificate-bound token (cnf.x5t#S256) came without the
// certificate it is bound to (none, another, a forged or malformed header): 401
// invalid_token.
const CodeCertBound = "cert_bound"

// MTLSCase is one access token presented, in order, with each of Requests to one new
// verifier built with Options, TrustedProxies (CIDRs; null: none) and ClientCertHeader
// ("": the default, Client-Cert), on the file's clock.
type MTLSCase struct {
	Name             string        `json:"name"`
	Token            string        `json:"token"`
	Options          Options       `json:"options"`
	TrustedProxies   []string      `json:"trusted_proxies"`
	ClientCertHeader string        `json:"client_cert_header"`
	Requests         []MTLSRequest `json:"requests"`
}

// MTLSRequest is an HTTP request: as a DPoPRequest, plus the remote (peer) IP address,
// the DER (standard base64) of the certificate the peer presented on the TLS connection
// ("": none, or no TLS) and other headers, by name.
type MTLSRequest struct {
	Method        string            `json:"method"`
	URL           string            `json:"url"`
	Scheme        string            `json:"scheme"`
	DPoP          []string          `json:"dpop"`
	RemoteAddr    string            `json:"remote_addr"`
	TLSClientCert string            `json:"tls_client_cert"`
	Headers       map[string]string `json:"headers"`
	Expect        MTLSExpect        `json:"expect"`
}

// MTLSExpect is a request's outcome: accepted, with the thumbprints the token is bound
// to ("" for none), or refused with a code and the scheme of the 401's challenge
// ("Bearer" or "DPoP").
type MTLSExpect struct {
	Valid           bool   `json:"valid"`
	Error           string `json:"error,omitempty"`
	CertThumbprint  string `json:"cert_thumbprint,omitempty"`
	DPoPThumbprint  string `json:"dpop_thumbprint,omitempty"`
	ChallengeScheme string `json:"challenge_scheme,omitempty"`
}

// DPoPCase is one access token presented, in order, with each of Requests to one new
// verifier built with Options (and RequireDPoP: refuse unbound tokens), on the file's
// clock.
type DPoPCase struct {
	Name        string        `json:"name"`
	Token       string        `json:"token"`
	Options     Options       `json:"options"`
	RequireDPoP bool          `json:"require_dpop"`
	Requests    []DPoPRequest `json:"requests"`
}

// DPoPRequest is an HTTP request to the API: its method and URL (the verifier's URL for
// htu is this one: scheme, host and path), "Authorization: <Scheme> <token>", and the
// DPoP header values (none, one, or several).
type DPoPRequest struct {
	Method string     `json:"method"`
	URL    string     `json:"url"`
	Scheme string     `json:"scheme"`
	DPoP   []string   `json:"dpop"`
	Expect DPoPExpect `json:"expect"`
}

// DPoPExpect is a request's outcome: accepted, with the thumbprint the token is bound
// to ("" for an unbound token), or refused with a code of Codes or CodeDPoPProof or
// CodeDPoPBound.
type DPoPExpect struct {
	Valid          bool   `json:"valid"`
	Error          string `json:"error,omitempty"`
	DPoPThumbprint string `json:"dpop_thumbprint,omitempty"`
}

// Document is what a URL answers (with Cache-Control: max-age=300).
type Document struct {
	Status      int    `json:"status"`
	ContentType string `json:"content_type"`
	Body        string `json:"body"`
}

// Case is one credential, the verifier it is shown to, and the answer.
type Case struct {
	Name    string  `json:"name"`
	Token   string  `json:"token"`
	Options Options `json:"options"`
	// Require, when present, is a step-up requirement (RFC 9470) applied to the
	// accepted credential's principal on the file's clock; Expect.Challenge says whether
	// it is met.
	Require *Require `json:"require,omitempty"`
	Expect  Expect   `json:"expect"`
}

// Require is one step-up requirement: exactly one of a maximum age of the user's
// authentication (seconds; the authentication may be exactly that old) or the
// acceptable acr values.
type Require struct {
	MaxAgeSeconds *int64   `json:"max_age_seconds"`
	ACRValues     []string `json:"acr_values"`
}

// Options configure a new verifier for one case. Every member is always present; null
// means "not set" (the verifier's default).
type Options struct {
	Audience      string   `json:"audience"`
	Accept        []string `json:"accept"`
	Algorithms    []string `json:"algorithms"`
	LeewaySeconds *int     `json:"leeway_seconds"`
	Projects      []string `json:"projects"`
	Teams         []string `json:"teams"`
	FailOpen      bool     `json:"fail_open"`
	// ResourceMetadata is the URL of the API's RFC 9728 protected resource metadata
	// (verify.ResourceMetadata): the challenges of the verifier's error answers end with
	// it as resource_metadata. Null (and "") is not set.
	ResourceMetadata *string `json:"resource_metadata"`
}

// Expect is the answer: a principal, or one typed reason.
type Expect struct {
	Valid     bool       `json:"valid"`
	Error     string     `json:"error,omitempty"`
	Principal *Principal `json:"principal,omitempty"`
	// Challenge is, for a case with Require that the principal does not meet, the
	// auth-params of the 401 answer's WWW-Authenticate: Bearer challenge other than
	// error_description (free text): {"error": "insufficient_user_authentication",
	// "max_age": "300"} or {…, "acr_values": "a b"}. Absent when the requirement is met.
	// For a rejected case it may be present too (the resource_metadata cases): the
	// auth-params, other than error_description, of the verifier's answer to the
	// rejection, {"realm": …} for no_token, {"realm": …, "error": "invalid_token"}
	// otherwise. Either way it holds "resource_metadata" when the options set it.
	Challenge map[string]string `json:"challenge,omitempty"`
}

// Principal is who a valid credential says called, compared member by member.
// Project is set only when SubjectType is "project", ServiceAccount only when it is
// "service_account"; AuthTime is Unix seconds (null without auth_time); a null or
// empty amr or scopes is the same empty list.
type Principal struct {
	Kind           string   `json:"kind"`
	API            string   `json:"api"`
	SubjectType    string   `json:"subject_type"`
	Subject        string   `json:"subject"`
	Project        string   `json:"project"`
	ServiceAccount string   `json:"service_account"`
	Team           string   `json:"team"`
	Scopes         []string `json:"scopes"`
	KeyID          string   `json:"key_id"`
	AuthTime       *int64   `json:"auth_time"`
	ACR            string   `json:"acr"`
	AMR            []string `json:"amr"`
	// Actors is the act claim's chain, nearest first; absent when there is none.
	Actors []Actor `json:"actors,omitempty"`
}

// Actor is one actor of principal.actors: its sub and its sub_type ("" when the act
// claim does not say).
type Actor struct {
	Sub     string `json:"sub"`
	SubType string `json:"sub_type"`
}

// The subject types (principal.subject_type).
const (
	SubjectProject        = "project"
	SubjectServiceAccount = "service_account"
	SubjectUser           = "user"
)

// ChallengeInsufficientUserAuthentication is the error of a step-up challenge.
const ChallengeInsufficientUserAuthentication = "insufficient_user_authentication"

// wantResourceMetadata is the resource_metadata auth-param a challenge carries for the
// option: the URL without the characters a quoted-string cannot hold as such (\, ", CR,
// LF), or "" (none) when the option is not set.
func wantResourceMetadata(option *string) string {
	if option == nil {
		return ""
	}
	return strings.NewReplacer(`\`, "", `"`, "", "\r", "", "\n", "").Replace(*option)
}

// Encode is the file's text: indented JSON, one case per array entry, HTML characters
// not escaped (the file is read by people too), ending in a newline.
func (f *File) Encode() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		return nil, err
	}
	if buf.Len() > MaxFileSize {
		return nil, fmt.Errorf("vectors: the file would be %d bytes, more than %d", buf.Len(), MaxFileSize)
	}
	return buf.Bytes(), nil
}

// Decode reads a vectors file strictly (no unknown members) and validates it.
func Decode(b []byte) (*File, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("vectors: %w", err)
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return &f, nil
}

// Validate checks what the README promises of a file: the version, unique case names,
// every case either valid with a principal or invalid with a known reason, and text
// that JSON can carry unchanged (encoding/json would silently replace invalid UTF-8).
func (f *File) Validate() error {
	if f.Version != Version {
		return fmt.Errorf("vectors: version %d, want %d", f.Version, Version)
	}
	if f.Issuer == "" || f.Now == 0 || len(f.Documents) == 0 || len(f.Cases) == 0 {
		return fmt.Errorf("vectors: issuer, now, documents and cases are required")
	}
	for url, d := range f.Documents {
		if !strings.HasPrefix(url, f.Issuer+"/") {
			return fmt.Errorf("vectors: document %q is not under the issuer", url)
		}
		if !utf8.ValidString(d.Body) {
			return fmt.Errorf("vectors: document %q is not UTF-8", url)
		}
	}
	seen := map[string]bool{}
	for i, c := range f.Cases {
		switch {
		case c.Name == "" || seen[c.Name]:
			return fmt.Errorf("vectors: case %d: name %q is empty or not unique", i, c.Name)
		case !utf8.ValidString(c.Name) || !utf8.ValidString(c.Token):
			return fmt.Errorf("vectors: case %q: name or token is not UTF-8", c.Name)
		case c.Options.Audience == "":
			return fmt.Errorf("vectors: case %q: no audience", c.Name)
		case c.Expect.Valid && (c.Expect.Principal == nil || c.Expect.Error != ""):
			return fmt.Errorf("vectors: case %q: a valid case needs a principal and no error", c.Name)
		case !c.Expect.Valid && (c.Expect.Principal != nil || !slices.Contains(Codes, c.Expect.Error)):
			return fmt.Errorf("vectors: case %q: an invalid case needs a known error (got %q) and no principal", c.Name, c.Expect.Error)
		case c.Require != nil && (c.Require.MaxAgeSeconds == nil) == (len(c.Require.ACRValues) == 0):
			return fmt.Errorf("vectors: case %q: require needs exactly one of max_age_seconds and acr_values", c.Name)
		case c.Require != nil && !c.Expect.Valid:
			return fmt.Errorf("vectors: case %q: require applies to an accepted credential only", c.Name)
		case c.Expect.Valid && c.Expect.Challenge != nil &&
			(c.Require == nil || c.Expect.Challenge["error"] != ChallengeInsufficientUserAuthentication):
			return fmt.Errorf("vectors: case %q: a challenge needs require and error %q", c.Name, ChallengeInsufficientUserAuthentication)
		case !c.Expect.Valid && c.Expect.Challenge != nil && c.Expect.Challenge["realm"] != c.Options.Audience:
			return fmt.Errorf("vectors: case %q: a rejection's challenge needs the audience as its realm", c.Name)
		case c.Expect.Challenge != nil && c.Expect.Challenge["resource_metadata"] != wantResourceMetadata(c.Options.ResourceMetadata):
			return fmt.Errorf("vectors: case %q: the challenge's resource_metadata is not the option's", c.Name)
		}
		seen[c.Name] = true
	}
	for _, c := range f.DPoPCases {
		if c.Name == "" || seen[c.Name] || len(c.Requests) == 0 || c.Options.Audience == "" {
			return fmt.Errorf("vectors: DPoP case %q: needs a unique name, an audience and requests", c.Name)
		}
		seen[c.Name] = true
		for _, r := range c.Requests {
			known := slices.Contains(Codes, r.Expect.Error) || r.Expect.Error == CodeDPoPProof || r.Expect.Error == CodeDPoPBound
			if r.Expect.Valid == (r.Expect.Error != "") || (!r.Expect.Valid && !known) || (r.Scheme != "DPoP" && r.Scheme != "Bearer") {
				return fmt.Errorf("vectors: DPoP case %q: a request needs a scheme and either valid or a known error", c.Name)
			}
		}
	}
	for _, c := range f.MTLSCases {
		if c.Name == "" || seen[c.Name] || len(c.Requests) == 0 || c.Options.Audience == "" {
			return fmt.Errorf("vectors: mTLS case %q: needs a unique name, an audience and requests", c.Name)
		}
		seen[c.Name] = true
		for _, r := range c.Requests {
			known := slices.Contains(Codes, r.Expect.Error) || slices.Contains([]string{CodeDPoPProof, CodeDPoPBound, CodeCertBound}, r.Expect.Error)
			scheme := r.Expect.ChallengeScheme == "Bearer" || r.Expect.ChallengeScheme == "DPoP"
			if r.Expect.Valid == (r.Expect.Error != "") || (!r.Expect.Valid && (!known || !scheme)) ||
				(r.Scheme != "DPoP" && r.Scheme != "Bearer") || r.RemoteAddr == "" {
				return fmt.Errorf("vectors: mTLS case %q: a request needs a scheme, an address and either valid or a known error and challenge", c.Name)
			}
		}
	}
	return f.validateFeed(seen)
}

// validateFeed checks the feed cases: unique names, events of type status, checks
// that expect an answer of Codes.
func (f *File) validateFeed(seen map[string]bool) error {
	for _, c := range f.FeedCases {
		if c.Name == "" || seen[c.Name] || len(c.Events) == 0 || len(c.Checks) == 0 || c.Options.Audience == "" || c.Rejected > len(c.Events) {
			return fmt.Errorf("vectors: feed case %q: needs a unique name, an audience, events and checks", c.Name)
		}
		seen[c.Name] = true
		for _, e := range c.Events {
			if e.Event != "status" || !utf8.ValidString(e.Data) {
				return fmt.Errorf("vectors: feed case %q: events are of type status, in UTF-8", c.Name)
			}
		}
		for _, k := range c.Checks {
			if k.Expect.Valid == (k.Expect.Error != "") || (!k.Expect.Valid && !slices.Contains(Codes, k.Expect.Error)) {
				return fmt.Errorf("vectors: feed case %q: a check needs either valid or a known error", c.Name)
			}
		}
	}
	return nil
}

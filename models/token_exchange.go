package models

// GrantTokenExchange is OAuth 2.0 Token Exchange (RFC 8693): a project that received a
// token (an API's resource server) exchanges it for a token for another API, acting for
// the same subject.
const GrantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"

// Token type identifiers of RFC 8693 §3.
const (
	TokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
	TokenTypeJWT         = "urn:ietf:params:oauth:token-type:jwt"
)

// ParamImpersonate is the token-exchange parameter with which a client asks for
// impersonation ("true"): a token without an act claim naming it. RFC 8693 leaves the
// choice between delegation and impersonation to the authorization server.
const ParamImpersonate = "gatehouse_impersonate"

// DefaultTokenExchangeMaxDepth is how many actors a token's act chain may hold unless
// configured otherwise (GATEHOUSE_TOKEN_EXCHANGE_MAX_DEPTH); MaxTokenExchangeDepth is
// the most it may be configured to, below the verifiers' own bound.
const (
	DefaultTokenExchangeMaxDepth = 4
	MaxTokenExchangeDepth        = 10
)

// ActClaim is an actor of RFC 8693 §4.1: the party acting for the token's subject, with
// the party it acted for before in its own act (nearest first). In may_act (§4.4) it
// names who may act for the subject.
type ActClaim struct {
	Subject string    `json:"sub"`
	SubType string    `json:"sub_type,omitempty"`
	Act     *ActClaim `json:"act,omitempty"`
}

// Depth is the number of actors in the chain a (nil: 0).
func (a *ActClaim) Depth() int {
	n := 0
	for ; a != nil; a = a.Act {
		n++
	}
	return n
}

// TokenExchange is an RFC 8693 token-exchange request as the store sees it: its
// parameters, already checked for presence and supported values by the grant.
type TokenExchange struct {
	// SubjectToken is the access token the client received and wants to act on.
	SubjectToken string
	// Scope narrows the new token's scopes (empty: every scope it can carry).
	Scope string
	// Resources are the RFC 8707 resource values (and audience) naming the target API.
	Resources []string
	// Impersonate asks for a token without an act claim naming the client.
	Impersonate bool
	// RequestedTokenType is the requested_token_type parameter, if any. With
	// TokenTypeJWT and a reference token as subject, the answer is the JWT the
	// reference token stands for.
	RequestedTokenType string
}

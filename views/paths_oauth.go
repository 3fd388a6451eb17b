package views

import "net/url"

// AuthorizePath is the authorization endpoint, /oauth/authorize (GET).
func AuthorizePath() string { return "/oauth/authorize" }

// AuthorizeResumePath is /oauth/authorize?resume={id}: where sign-in returns to carry
// on with the authorization request the session keeps under id.
func AuthorizeResumePath(id string) string { return AuthorizePath() + "?resume=" + url.QueryEscape(id) }

// PushedAuthorizationPath is the pushed authorization request endpoint, /oauth/par
// (POST, RFC 9126).
func PushedAuthorizationPath() string { return "/oauth/par" }

// ConsentPath is /oauth/consent (POST): the user's answer on the consent page.
func ConsentPath() string { return "/oauth/consent" }

// APIScopeDelegationPath is /apis/{api}/scopes/delegation (POST, the scope and whether
// users may delegate it in the form).
func APIScopeDelegationPath(id string) string { return APIScopesPath(id) + "/delegation" }

// ConsentRevokePath is /account/consents/revoke (POST, the project and API in the form).
func ConsentRevokePath() string { return "/account/consents/revoke" }

// APIDelegationPath is /apis/{api}/delegation (POST, who may delegate the API's scopes:
// any signed-in user or members of the checked teams).
func APIDelegationPath(id string) string { return APIPath(id) + "/delegation" }

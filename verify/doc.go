// Package verify lets an API accept Gatehouse API keys and access tokens offline.
//
// A Verifier discovers the portal from its issuer URL (RFC 8414 metadata), keeps its
// JWKS and the status lists its credentials point at cached and refreshed in the
// background, and checks each credential without calling the portal on the request
// path:
//
//	v, err := verify.New(ctx, "https://portal.example.com", verify.Audience("orders-api"))
//	if err != nil { … }
//	http.Handle("/", v.Middleware(handler))          // or e.Use(echo.WrapMiddleware(v.Middleware))
//
//	func handler(w http.ResponseWriter, r *http.Request) {
//		p := verify.FromContext(r.Context())     // p.API, p.Project, p.Team, p.Scopes, p.KeyID, p.Kind
//		if !p.HasScope("orders:write") { … }
//	}
//
// Every credential is checked for: a compact JWS of bounded size; a header and claims
// that name each member once and spell the names verify reads exactly (no duplicate,
// no "AUD" or "ſub" taken for "aud" or "sub": see package jsonstrict); an algorithm
// from the configured list that equals the algorithm of the JWKS key named by kid
// (never taken from the token alone); no embedded keys or key URLs (jwk, jku, x5u, x5c), no crit,
// no unencoded payload; a valid signature; iss, aud, exp and nbf with a small leeway;
// typ (apikey+jwt and/or at+jwt, as the API chooses: ID tokens, status-list tokens and
// anything else are never accepted); and for API keys the status bit in the status
// list, which must live under the issuer. An API that narrows who may call it further
// lists projects (Projects) or teams (Teams): other credentials are rejected with
// ErrNotAllowed once signature and claims have passed. Each rejection wraps one of
// the Err values, so an API can log why.
//
// A credential seen before is accepted from a bounded, concurrency-safe cache keyed by
// its SHA-256, without a new signature check; its expiry, its signing key's presence in
// the JWKS and its status bit are still checked on every call.
//
// When the portal is unreachable, the Verifier keeps using the JWKS it has, and each
// status list until the list's own exp; after that, credentials that need the list are
// rejected (ErrStatusUnavailable) unless FailOpen is set. Both are logged and counted
// in Stats.
//
// Access tokens issued for users carry the user's authentication (auth_time, acr,
// amr: Principal.AuthTime, ACR, AMR). A route that needs a recent or a stronger
// authentication steps up (RFC 9470) with RequireAuthTime or RequireACR after
// Middleware, or calls Principal.CheckAuthTime or CheckACR itself and answers the
// error with WriteError: 401 with error="insufficient_user_authentication" and
// max_age or acr_values, which tells the client to have the user sign in again.
//
// A token issued by token exchange (RFC 8693) names the services it passed through:
// Principal.Actors is its act chain, nearest first (Actors[0] exchanged the token this
// API received; the subject stays the user). An act that is not an object, an actor
// without a sub, or more than MaxActors is ErrClaims; may_act is not read.
//
// # Certificate-bound access tokens (RFC 8705)
//
// An access token whose cnf carries x5t#S256 (the base64url SHA-256 of a client
// certificate's DER) is accepted only from a request presenting that certificate:
// Middleware and VerifyRequest check it (Verify, which sees no request, refuses such a
// token with ErrCertBound). The certificate is the TLS connection's when the API
// terminates TLS itself (ask for one with tls.RequestClientCert: the token decides
// whether it is needed), or the one a TLS-terminating proxy forwards in the RFC 9440
// Client-Cert header (ClientCertHeader renames it), believed only from the proxies
// listed in TrustedProxies (the request's RemoteAddr; a header from any other address
// is ignored). An unbound token needs no certificate:
//
//	v, err := verify.New(ctx, issuer, verify.Audience("orders-api"),
//		verify.TrustedProxies("10.0.0.0/8")) // the TLS-terminating proxies, if any
//	if err != nil {
//		return err
//	}
//	orders := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//		p := verify.FromContext(r.Context()) // p.CertBound, p.CertThumbprint
//		fmt.Fprintln(w, p.Subject, p.CertThumbprint)
//	})
//	srv := &http.Server{
//		Handler:   v.Middleware(orders),
//		TLSConfig: &tls.Config{ClientAuth: tls.RequestClientCert}, // ask; the token decides
//	}
//
// A bound token without its certificate (none, another one, a proxy's malformed
// header) is ErrCertBound, answered 401 invalid_token with a Bearer challenge, or a
// DPoP one when the token is DPoP-bound too (cnf with both jkt and x5t#S256 needs both
// the proof and the certificate). A cnf member other than jkt and x5t#S256, or an
// x5t#S256 that is not 32 bytes of base64url, is ErrClaims: a binding the verifier does
// not understand is refused, never ignored.
//
// The package imports only the standard library and go-jose, so an API's build does not
// pull in the portal.
package verify

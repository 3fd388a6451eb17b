// Express (and plain node:http) middleware: verifies every request's credential and
// sets req.gatehouse, or answers the RFC 6750 way (verify/http.go).
//
//   app.use(gatehouse(verifier));
//   app.post('/orders', requireScope('orders:write'), handler);
//   app.post('/payouts', requireAuthTime(300), requireACR('urn:example:mfa'), handler);

import {
  acrList, errorAnswer, logRejection, maxAgeOf, missingScope, requestClocks, scopeAnswer, scopeList, stepUpCheck,
} from './http.js';

/**
 * Writes an answer with node:http's API (works for Express and bare servers).
 * @param {import('node:http').ServerResponse} res
 * @param {import('./http.js').Answer} a
 */
function send(res, a) {
  res.statusCode = a.status;
  for (const [k, v] of Object.entries(a.headers)) res.setHeader(k, v);
  res.end(a.body);
}

/**
 * Middleware that verifies the request's credential. On success req.gatehouse is the
 * Principal; a missing credential gets 401 with a bare Bearer challenge, a rejected one
 * 401 invalid_token (both challenges with resource_metadata when the verifier has the
 * resourceMetadata option), and a credential without one of options.scopes 403
 * insufficient_scope. The next handler is not called then.
 * @param {import('./index.js').Verifier} verifier
 * @param {{scopes?: string[]}} [options]
 */
export function gatehouse(verifier, options = {}) {
  const scopes = scopeList(options.scopes ?? []);
  return async function gatehouseMiddleware(req, res, next) {
    let p;
    try {
      p = await verifier.verify(verifier.tokenFromRequest(req));
    } catch (err) {
      logRejection(verifier, err, req.path ?? req.url);
      send(res, errorAnswer(err, verifier.audience, verifier.resourceMetadata));
      return;
    }
    req.gatehouse = p;
    requestClocks.set(req, () => verifier.now());
    const missing = missingScope(p, scopes);
    if (missing !== undefined) {
      send(res, scopeAnswer(missing, scopes));
      return;
    }
    next();
  };
}

/**
 * Middleware (after gatehouse) that answers 403 insufficient_scope unless
 * req.gatehouse carries every scope.
 * @param {...(string|string[])} scopes
 */
export function requireScope(...scopes) {
  const need = scopeList(scopes);
  return function requireScopeMiddleware(req, res, next) {
    const missing = missingScope(req.gatehouse, need);
    if (missing !== undefined) {
      send(res, scopeAnswer(missing, need));
      return;
    }
    next();
  };
}

/**
 * Middleware (after gatehouse) that answers 401 insufficient_user_authentication with
 * max_age (RFC 9470) unless req.gatehouse's user authenticated at most maxAgeSeconds
 * ago, by the verifier's clock (Principal.checkAuthTime).
 * @param {number} maxAgeSeconds
 */
export function requireAuthTime(maxAgeSeconds) {
  const maxAge = maxAgeOf(maxAgeSeconds);
  return function requireAuthTimeMiddleware(req, res, next) {
    const a = stepUpCheck(req, req.gatehouse, { maxAge });
    if (a !== undefined) {
      send(res, a);
      return;
    }
    next();
  };
}

/**
 * Middleware (after gatehouse) that answers 401 insufficient_user_authentication with
 * acr_values (RFC 9470) unless req.gatehouse's acr is one of values
 * (Principal.checkACR).
 * @param {...(string|string[])} values
 */
export function requireACR(...values) {
  const acrValues = acrList(values);
  return function requireACRMiddleware(req, res, next) {
    const a = stepUpCheck(req, req.gatehouse, { acrValues });
    if (a !== undefined) {
      send(res, a);
      return;
    }
    next();
  };
}

/**
 * Answers a verification error (a VerifyError, or an InsufficientScopeError thrown by
 * your own code) the RFC 6750 way, with resource_metadata when the verifier has the
 * resourceMetadata option.
 * @param {import('node:http').ServerResponse} res
 * @param {unknown} err
 * @param {import('./index.js').Verifier} verifier
 */
export function sendError(res, err, verifier) {
  send(res, errorAnswer(err, verifier.audience, verifier.resourceMetadata));
}

// Express (and plain node:http) middleware: verifies every request's credential and
// sets req.gatehouse, or answers the RFC 6750 way (verify/http.go).
//
//   app.use(gatehouse(verifier));
//   app.post('/orders', requireScope('orders:write'), handler);

import { errorAnswer, logRejection, missingScope, scopeAnswer, scopeList } from './http.js';

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
 * 401 invalid_token, and a credential without one of options.scopes 403
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
      send(res, errorAnswer(err, verifier.audience));
      return;
    }
    req.gatehouse = p;
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
 * Answers a verification error (a VerifyError, or an InsufficientScopeError thrown by
 * your own code) the RFC 6750 way.
 * @param {import('node:http').ServerResponse} res
 * @param {unknown} err
 * @param {import('./index.js').Verifier} verifier
 */
export function sendError(res, err, verifier) {
  send(res, errorAnswer(err, verifier.audience));
}

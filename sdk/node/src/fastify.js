// Fastify: a preHandler hook that verifies every request's credential and sets
// request.gatehouse, or answers the RFC 6750 way (verify/http.go).
//
//   app.addHook('preHandler', gatehouse(verifier));                       // or:
//   await app.register(gatehousePlugin, { verifier });
//   app.post('/orders', { preHandler: requireScope('orders:write') }, handler);
//   app.post('/payouts', { preHandler: [requireAuthTime(300), requireACR('urn:example:mfa')] }, handler);

import {
  acrList, errorAnswer, logRejection, maxAgeOf, missingScope, requestClocks, scopeAnswer, scopeList, stepUpCheck,
} from './http.js';

/**
 * @param {import('fastify').FastifyReply} reply
 * @param {import('./http.js').Answer} a
 */
function send(reply, a) {
  return reply.code(a.status).headers(a.headers).send(a.body);
}

/**
 * A preHandler hook that verifies the request's credential. On success
 * request.gatehouse is the Principal; otherwise the request is answered 401 (bare
 * challenge or invalid_token, with resource_metadata when the verifier has the
 * resourceMetadata option) or, when options.scopes are not all carried, 403
 * insufficient_scope, and the route handler is not called.
 * @param {import('./index.js').Verifier} verifier
 * @param {{scopes?: string[]}} [options]
 */
export function gatehouse(verifier, options = {}) {
  const scopes = scopeList(options.scopes ?? []);
  return async function gatehousePreHandler(request, reply) {
    let p;
    try {
      p = await verifier.verify(verifier.tokenFromRequest(request));
    } catch (err) {
      logRejection(verifier, err, request.url);
      return send(reply, errorAnswer(err, verifier.audience, verifier.resourceMetadata));
    }
    request.gatehouse = p;
    requestClocks.set(request, () => verifier.now());
    const missing = missingScope(p, scopes);
    if (missing !== undefined) return send(reply, scopeAnswer(missing, scopes));
    return undefined;
  };
}

/**
 * A preHandler (after gatehouse) that answers 403 insufficient_scope unless
 * request.gatehouse carries every scope.
 * @param {...(string|string[])} scopes
 */
export function requireScope(...scopes) {
  const need = scopeList(scopes);
  return async function requireScopePreHandler(request, reply) {
    const missing = missingScope(request.gatehouse, need);
    if (missing !== undefined) return send(reply, scopeAnswer(missing, need));
    return undefined;
  };
}

/**
 * A preHandler (after gatehouse) that answers 401 insufficient_user_authentication
 * with max_age (RFC 9470) unless request.gatehouse's user authenticated at most
 * maxAgeSeconds ago, by the verifier's clock (Principal.checkAuthTime).
 * @param {number} maxAgeSeconds
 */
export function requireAuthTime(maxAgeSeconds) {
  const maxAge = maxAgeOf(maxAgeSeconds);
  return async function requireAuthTimePreHandler(request, reply) {
    const a = stepUpCheck(request, request.gatehouse, { maxAge });
    if (a !== undefined) return send(reply, a);
    return undefined;
  };
}

/**
 * A preHandler (after gatehouse) that answers 401 insufficient_user_authentication
 * with acr_values (RFC 9470) unless request.gatehouse's acr is one of values
 * (Principal.checkACR).
 * @param {...(string|string[])} values
 */
export function requireACR(...values) {
  const acrValues = acrList(values);
  return async function requireACRPreHandler(request, reply) {
    const a = stepUpCheck(request, request.gatehouse, { acrValues });
    if (a !== undefined) return send(reply, a);
    return undefined;
  };
}

/**
 * A Fastify plugin: decorates requests with gatehouse and adds the gatehouse hook to the
 * scope it is registered in (not encapsulated, like fastify-plugin).
 * @param {import('fastify').FastifyInstance} fastify
 * @param {{verifier: import('./index.js').Verifier, scopes?: string[]}} opts
 */
export async function gatehousePlugin(fastify, opts) {
  if (!opts?.verifier) throw new TypeError('gatehousePlugin: the verifier option is required');
  if (!fastify.hasRequestDecorator('gatehouse')) fastify.decorateRequest('gatehouse', null);
  fastify.addHook('preHandler', gatehouse(opts.verifier, opts));
}
/** @type {any} */ (gatehousePlugin)[Symbol.for('skip-override')] = true;
/** @type {any} */ (gatehousePlugin)[Symbol.for('fastify.display-name')] = '@gatehouse/verify';

/**
 * Answers a verification error the RFC 6750 way, with resource_metadata when the
 * verifier has the resourceMetadata option.
 * @param {import('fastify').FastifyReply} reply
 * @param {unknown} err
 * @param {import('./index.js').Verifier} verifier
 */
export function replyError(reply, err, verifier) {
  return send(reply, errorAnswer(err, verifier.audience, verifier.resourceMetadata));
}

export default gatehousePlugin;

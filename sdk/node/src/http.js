// RFC 6750 answers, shared by the Express and Fastify adapters (verify/http.go).

import { DPOP_ALGS } from './dpop.js';
import {
  CertBoundError, DPoPBoundError, DPoPProofError, InsufficientScopeError, InsufficientUserAuthenticationError, NoTokenError, VerifyError,
} from './errors.js';

/**
 * An HTTP answer: status, headers and the JSON body text.
 * @typedef {{status: number, headers: Record<string,string>, body: string}} Answer
 */

/** Makes s safe inside a quoted-string of an auth-param. */
export function quote(s) {
  return String(s).replace(/[\\"\r\n]/g, '');
}

/**
 * What a client is told about a rejection: the category only, never token content;
 * for a NotAllowedError also which list refused it (never the id).
 * @param {unknown} err
 */
export function describe(err) {
  return err instanceof VerifyError ? err.description : 'invalid token';
}

/** @returns {Answer} */
function json(status, headers, code, description) {
  return {
    status,
    headers: { ...headers, 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
    body: `${JSON.stringify({ error: code, error_description: description })}\n`,
  };
}

/**
 * 403 insufficient_scope naming the scope that is missing (and, in the challenge, all
 * the route needs).
 * @param {string} missing
 * @param {string[]} scopes
 * @returns {Answer}
 */
export function scopeAnswer(missing, scopes) {
  const desc = `this request needs the scope ${missing}`;
  let h = `Bearer error="insufficient_scope", error_description="${quote(desc)}"`;
  if (scopes.length > 0) h += `, scope="${quote(scopes.join(' '))}"`;
  return json(403, { 'WWW-Authenticate': h }, 'insufficient_scope', desc);
}

/**
 * 401 insufficient_user_authentication (RFC 9470 §3) with max_age or acr_values.
 * @param {InsufficientUserAuthenticationError} err
 * @returns {Answer}
 */
export function stepUpAnswer(err) {
  let h = `Bearer error="insufficient_user_authentication", error_description="${quote(err.reason)}"`;
  if (err.acrValues !== null) h += `, acr_values="${quote(err.acrValues.join(' '))}"`;
  else h += `, max_age="${Math.floor(err.maxAge ?? 0)}"`;
  return json(401, { 'WWW-Authenticate': h }, 'insufficient_user_authentication', err.reason);
}

/**
 * Checks a requireAuthTime maxAge (seconds, ≥ 0).
 * @param {unknown} maxAge
 * @returns {number}
 */
export function maxAgeOf(maxAge) {
  if (typeof maxAge !== 'number' || !Number.isFinite(maxAge) || maxAge < 0) {
    throw new TypeError('gatehouse: requireAuthTime needs a max age in seconds, 0 or more');
  }
  return maxAge;
}

/** Flattens requireACR('a', ['b']) and checks there is at least one value, none empty. */
export function acrList(values) {
  const out = values.flat();
  if (out.length === 0 || out.some((s) => typeof s !== 'string' || s === '')) {
    throw new TypeError('gatehouse: requireACR needs at least one value, and no empty one');
  }
  return out;
}

/**
 * The clocks of the verifiers whose middleware accepted a request, by request: a
 * step-up requirement judges auth_time by the verifier's clock (its now option).
 * @type {WeakMap<object, () => number>}
 */
export const requestClocks = new WeakMap();

/**
 * The RFC 9470 answer when the request's principal does not meet a step-up
 * requirement, else undefined.
 * @param {object} req
 * @param {import('./index.js').Principal | null | undefined} p
 * @param {{maxAge?: number, acrValues?: string[]}} need
 * @returns {Answer|undefined}
 */
export function stepUpCheck(req, p, need) {
  let err;
  if (need.acrValues !== undefined) {
    err = p ? p.checkACR(...need.acrValues) : new InsufficientUserAuthenticationError(ACR_REASON, need);
  } else {
    const now = (requestClocks.get(req) ?? Date.now)();
    err = p ? p.checkAuthTime(now, /** @type {number} */ (need.maxAge)) : new InsufficientUserAuthenticationError(NO_AUTH_TIME, need);
  }
  return err === undefined ? undefined : stepUpAnswer(err);
}

/** The error_descriptions of step-up answers (as the Go verifier words them). */
export const NO_AUTH_TIME = 'the credential does not say when the user authenticated';
export const TOO_OLD = 'the user authenticated too long ago';
export const ACR_REASON = "the user's authentication is not of a required level";

/**
 * The answer to a verification error: 401 with a bare challenge when no credential was
 * sent, 401 invalid_token otherwise, 403 insufficient_scope, 401
 * insufficient_user_authentication. With resourceMetadata (the verifier's option), the
 * challenge ends with resource_metadata="…" (RFC 9728 §5.1), as verify's WriteError
 * writes it.
 * @param {unknown} err
 * @param {string} realm the API's audience
 * @param {string} [resourceMetadata] the URL of the API's protected resource metadata ('' for none)
 * @returns {Answer}
 */
export function errorAnswer(err, realm, resourceMetadata = '') {
  const a = baseErrorAnswer(err, realm);
  if (resourceMetadata) a.headers['WWW-Authenticate'] += `, resource_metadata="${quote(resourceMetadata)}"`;
  return a;
}

/** @returns {Answer} */
function baseErrorAnswer(err, realm) {
  if (err instanceof DPoPProofError || err instanceof DPoPBoundError || (err instanceof CertBoundError && err.dpop)) {
    // RFC 9449 §7.1: a DPoP challenge naming the algorithms proofs may use.
    const code = err instanceof DPoPProofError ? 'invalid_dpop_proof' : 'invalid_token';
    return json(401, {
      'WWW-Authenticate': `DPoP realm="${quote(realm)}", error="${code}", error_description="${quote(err.reason)}", algs="${DPOP_ALGS.join(' ')}"`,
    }, code, err.reason);
  }
  if (err instanceof CertBoundError) {
    // RFC 8705 §3 leaves the answer to RFC 6750 (a DPoP challenge, above, when the
    // token is DPoP-bound too).
    return json(401, {
      'WWW-Authenticate': `Bearer realm="${quote(realm)}", error="invalid_token", error_description="${quote(err.reason)}"`,
    }, 'invalid_token', err.reason);
  }
  if (err instanceof NoTokenError) {
    return json(401, { 'WWW-Authenticate': `Bearer realm="${quote(realm)}"` }, 'invalid_request',
      'no credential: send Authorization: Bearer <key>');
  }
  if (err instanceof InsufficientScopeError) return scopeAnswer(err.scopes[0] ?? '', err.scopes);
  if (err instanceof InsufficientUserAuthenticationError) return stepUpAnswer(err);
  const desc = describe(err);
  return json(401, {
    'WWW-Authenticate': `Bearer realm="${quote(realm)}", error="invalid_token", error_description="${quote(desc)}"`,
  }, 'invalid_token', desc);
}

/**
 * The first of scopes the principal lacks, or undefined.
 * @param {{hasScope(s: string): boolean} | null | undefined} p
 * @param {string[]} scopes
 */
export function missingScope(p, scopes) {
  for (const s of scopes) if (!p || !p.hasScope(s)) return s;
  return undefined;
}

/** Flattens requireScope('a', ['b', 'c']) and checks every scope is a non-empty string. */
export function scopeList(scopes) {
  const out = scopes.flat();
  for (const s of out) if (typeof s !== 'string' || s === '') throw new TypeError('gatehouse: scopes must be non-empty strings');
  return out;
}

/**
 * Logs a rejection (not a missing credential) at info, or warns about an error that is
 * not a VerifyError (a bug: it is answered 401 "invalid token").
 * @param {{logger: any}} verifier
 * @param {unknown} err
 * @param {string} path
 */
export function logRejection(verifier, err, path) {
  const log = verifier.logger;
  if (err instanceof NoTokenError) return;
  if (err instanceof VerifyError) log?.info?.('verify: credential rejected', { path, reason: err.message });
  else log?.warn?.('verify: unexpected error while verifying a credential', { path, error: String(err) });
}

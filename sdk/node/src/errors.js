// Typed reasons a credential is rejected (sdk/conformance/README.md). Every class
// extends VerifyError and has a `code`; `description` is what an RFC 6750 answer tells
// the client (the category only, never token content), `message` may say more.

/** Base class of every rejection. */
export class VerifyError extends Error {
  /**
   * @param {string} [detail] what went wrong, for logs
   * @param {unknown} [cause] the underlying error (a MalformedError inside a StatusUnavailableError, …)
   */
  constructor(detail, cause) {
    const d = /** @type {typeof VerifyError} */ (new.target).description;
    super(detail ? `${d}: ${detail}` : d, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
  }

  /** @returns {string} */
  get code() {
    return /** @type {any} */ (this.constructor).code;
  }

  /** The RFC 6750 error_description for this rejection. */
  get description() {
    return /** @type {any} */ (this.constructor).description;
  }
}
VerifyError.code = 'invalid_token';
VerifyError.description = 'invalid token';

/** @param {string} code @param {string} description @param {string} name */
function reason(code, description, name) {
  const C = class extends VerifyError {};
  Object.defineProperty(C, 'name', { value: name });
  C.code = code;
  C.description = description;
  return C;
}

/** The request carried no credential. */
export const NoTokenError = reason('no_token', 'no credential', 'NoTokenError');
/** Not a compact JWS of bounded size, or a header or claims with a duplicate member or a case variant of a name the verifier reads. */
export const MalformedError = reason('malformed', 'malformed token', 'MalformedError');
/** The JOSE header asks for something never accepted (embedded keys, key URLs, crit, b64, zip, an algorithm not allowed). */
export const HeaderError = reason('header', 'unacceptable token header', 'HeaderError');
/** The kid is not in the issuer's JWKS (after at most one refetch per cooldown). */
export const UnknownKeyError = reason('unknown_key', 'unknown signing key', 'UnknownKeyError');
/** The signature does not verify. */
export const SignatureError = reason('signature', 'bad signature', 'SignatureError');
/** typ is not a credential type this API accepts. */
export const TokenTypeError = reason('type', 'wrong token type', 'TokenTypeError');
/** iss is not the configured issuer. */
export const IssuerError = reason('issuer', 'wrong issuer', 'IssuerError');
/** aud does not contain this API's audience. */
export const AudienceError = reason('audience', 'wrong audience', 'AudienceError');
/** exp is missing or past. */
export const ExpiredError = reason('expired', 'expired', 'ExpiredError');
/** nbf or iat is in the future. */
export const NotYetValidError = reason('not_yet_valid', 'not yet valid', 'NotYetValidError');
/** A required claim is missing or has the wrong type. */
export const ClaimsError = reason('claims', 'invalid claims', 'ClaimsError');
/** The status list marks the credential revoked. */
export const RevokedError = reason('revoked', 'revoked', 'RevokedError');
/** The credential's status cannot be established (list unreachable past its exp, invalid, out of range, not under the issuer). */
export const StatusUnavailableError = reason('status_unavailable', 'status unavailable', 'StatusUnavailableError');

/** Why a NotAllowedError refused a credential; told to the client. */
const NOT_ALLOWED_REASONS = {
  project: 'project not on the allow-list',
  team: 'team not on the allow-list',
  no_team: 'no team claim',
};

/** The credential is valid, but the API's Projects/Teams allow-list refuses it. */
export class NotAllowedError extends VerifyError {
  /**
   * @param {'project'|'team'|'no_team'} why
   * @param {string} [detail]
   */
  constructor(why, detail) {
    super(detail ? `${NOT_ALLOWED_REASONS[why]}: ${detail}` : NOT_ALLOWED_REASONS[why]);
    /** @type {'project'|'team'|'no_team'} */
    this.reason = why;
  }

  get description() {
    return `not allowed: ${NOT_ALLOWED_REASONS[this.reason]}`;
  }
}
NotAllowedError.code = 'not_allowed';
NotAllowedError.description = 'not allowed';

/** The credential lacks a scope the route requires (answered 403). */
export class InsufficientScopeError extends VerifyError {
  /** @param {string|string[]} scopes the scopes the route requires */
  constructor(scopes) {
    const list = typeof scopes === 'string' ? [scopes] : [...scopes];
    super(list.join(' '));
    /** @type {string[]} */
    this.scopes = list;
  }
}
InsufficientScopeError.code = 'insufficient_scope';
InsufficientScopeError.description = 'insufficient scope';

/**
 * The credential is valid, but the user's authentication is older or weaker than the
 * route requires (RFC 9470): answered 401 with error="insufficient_user_authentication"
 * and max_age (maxAge, seconds) or acr_values (acrValues).
 */
export class InsufficientUserAuthenticationError extends VerifyError {
  /**
   * @param {string} reason told to the client as the error_description
   * @param {{maxAge?: number, acrValues?: string[]}} need
   */
  constructor(reason, need) {
    super(reason);
    /** The error_description. */
    this.reason = reason;
    /** @type {number|null} the oldest authentication the route accepts, in seconds (requireAuthTime) */
    this.maxAge = need.maxAge ?? null;
    /** @type {string[]|null} the acr values the route accepts (requireACR) */
    this.acrValues = need.acrValues ? [...need.acrValues] : null;
  }

  get description() {
    return this.reason;
  }
}
InsufficientUserAuthenticationError.code = 'insufficient_user_authentication';
InsufficientUserAuthenticationError.description = 'insufficient user authentication';

/**
 * A DPoP proof (RFC 9449) is missing where a DPoP-bound token needs one, malformed, or
 * does not match the request, the key or the token: answered 401 invalid_dpop_proof
 * with a DPoP challenge. The description says what is wrong.
 */
export class DPoPProofError extends VerifyError {
  /** @param {string} reason */
  constructor(reason) {
    super(reason);
    /** The error_description. */
    this.reason = reason;
  }

  get description() {
    return this.reason;
  }
}
DPoPProofError.code = 'dpop_proof';
DPoPProofError.description = 'invalid DPoP proof';

/**
 * A DPoP-bound token sent as a bearer token (or an unbound one under the DPoP scheme),
 * or an unbound token where requireDPoP asks for a bound one: answered 401
 * invalid_token with a DPoP challenge.
 */
export class DPoPBoundError extends VerifyError {
  /** @param {string} reason */
  constructor(reason) {
    super(reason);
    /** The error_description. */
    this.reason = reason;
  }

  get description() {
    return this.reason;
  }
}
DPoPBoundError.code = 'dpop_bound';
DPoPBoundError.description = 'DPoP binding';

/**
 * A certificate-bound token (cnf.x5t#S256, RFC 8705) came without the client
 * certificate it is bound to (none, another, or a malformed header from a trusted
 * proxy), or to verify(), which sees no request: answered 401 invalid_token, with a
 * Bearer challenge (a DPoP one when the token is DPoP-bound too: dpop).
 */
export class CertBoundError extends VerifyError {
  /** @param {string} reason @param {boolean} [dpop] */
  constructor(reason, dpop = false) {
    super(reason);
    /** The error_description. */
    this.reason = reason;
    /** True when the token is DPoP-bound too. */
    this.dpop = dpop;
  }

  get description() {
    return this.reason;
  }
}
CertBoundError.code = 'cert_bound';
CertBoundError.description = 'certificate binding';

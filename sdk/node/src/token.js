// Compact JWS parsing and the header rules (verify/token.go).

import { HeaderError, MalformedError } from './errors.js';
import { Names, parseStrict, readString, StrictJSONError, TypeMismatch } from './strictjson.js';

/** Longer credentials are rejected before any decoding. */
export const MAX_TOKEN_LEN = 8 << 10;

/** Header members read, and those whose mere presence rejects the token. */
export const HEADER_NAMES = new Names('alg', 'kid', 'typ', 'crit', 'b64', 'jwk', 'jku', 'x5u', 'x5c', 'enc', 'zip');

/** Claim names read (nested ones included). */
export const CLAIM_NAMES = new Names('iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'scope', 'client_id', 'team',
  'sub_type', 'auth_time', 'acr', 'amr', 'act', 'may_act', 'status', 'status_list', 'idx', 'uri', 'cnf', 'jkt', 'x5t#S256');

/** Status list claim names read. */
export const STATUS_CLAIM_NAMES = new Names('iss', 'sub', 'exp', 'iat', 'ttl', 'status_list', 'bits', 'lst');

const COMPACT = /^[A-Za-z0-9_.-]*$/;
const B64URL = /^[A-Za-z0-9_-]*$/;
const B64_VALUE = new Int8Array(128).fill(-1);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'].entries()) {
  B64_VALUE[c.charCodeAt(0)] = i;
}

/**
 * Decodes unpadded base64url strictly (Go's base64.RawURLEncoding.Strict()): only the
 * URL alphabet, no padding, no impossible length, unused trailing bits zero. Returns
 * null when s is not such an encoding. The caller has checked the alphabet when
 * checked is true.
 * @param {string} s
 * @param {boolean} [checked]
 * @returns {Buffer|null}
 */
export function b64decode(s, checked = false) {
  if (!checked && !B64URL.test(s)) return null;
  const rem = s.length & 3;
  if (rem === 1) return null;
  if (rem !== 0) {
    const last = B64_VALUE[s.charCodeAt(s.length - 1)];
    if ((last & (rem === 2 ? 0x0f : 0x03)) !== 0) return null;
  }
  return Buffer.from(s, 'base64url');
}

/** Reused for header and payload decoding: they become immutable strings at once. */
const SCRATCH = Buffer.allocUnsafe(MAX_TOKEN_LEN);

/**
 * Decodes strict unpadded base64url (see b64decode; alphabet already checked) into a
 * byte string (one char per byte), or null.
 * @param {string} s
 */
function b64text(s) {
  const rem = s.length & 3;
  if (rem === 1) return null;
  if (rem !== 0 && (B64_VALUE[s.charCodeAt(s.length - 1)] & (rem === 2 ? 0x0f : 0x03)) !== 0) return null;
  if (s.length > SCRATCH.length) {
    const b = Buffer.from(s, 'base64url');
    return b.toString('latin1');
  }
  const n = SCRATCH.write(s, 0, 'base64url');
  return SCRATCH.toString('latin1', 0, n);
}

/**
 * Headers already parsed, by their exact base64url segment: a verifier sees a handful
 * of distinct ones (one per signing key and credential type), so most tokens skip
 * decoding and parsing theirs. Only headers that passed every rule are kept, and the
 * memo is emptied when it reaches HEADER_MEMO entries, so a flood of distinct headers
 * costs no memory.
 * @type {Map<string, {alg: string, kid: string, typ: string}>}
 */
const headerMemo = new Map();
const HEADER_MEMO = 256;

/**
 * A split compact JWS whose header passed the header rules; the signature is not checked.
 * @typedef {object} Compact
 * @property {{alg: string, kid: string, typ: string}} header
 * @property {string} signingInput
 * @property {string} payload the payload's bytes as a byte string (latin1)
 * @property {Buffer} signature
 */

/**
 * Splits and decodes a compact JWS of at most maxLen characters and applies the header
 * rules: anything that is not exactly header.payload.signature in the base64url
 * alphabet is malformed, and so is a header with a duplicate member or a case variant
 * of a member name; embedded keys, key URLs, crit, b64 and zip are header errors.
 * @param {string} token
 * @param {number} [maxLen]
 * @returns {Compact}
 */
export function parseCompact(token, maxLen = MAX_TOKEN_LEN) {
  if (token.length === 0 || token.length > maxLen) throw new MalformedError(`length ${token.length}`);
  if (!COMPACT.test(token)) throw new MalformedError('a character outside base64url and "."');
  const i = token.indexOf('.');
  const j = token.lastIndexOf('.');
  if (i <= 0 || j === i || token.lastIndexOf('.', j - 1) !== i || j === token.length - 1) {
    throw new MalformedError('not header.payload.signature');
  }
  const hseg = token.slice(0, i);
  let header = headerMemo.get(hseg);
  if (header === undefined) {
    header = parseHeader(hseg);
    if (hseg.length <= 512) {
      if (headerMemo.size >= HEADER_MEMO) headerMemo.clear();
      headerMemo.set(hseg, header);
    }
  }
  const payload = b64text(token.slice(i + 1, j));
  if (payload === null) throw new MalformedError('payload encoding');
  const signature = b64decode(token.slice(j + 1), true);
  if (signature === null) throw new MalformedError('signature encoding');
  return { header, signingInput: token.slice(0, j), payload, signature };
}

/**
 * Decodes and checks a header segment (alphabet already checked): duplicate or
 * case-variant member names and non-string alg/kid/typ are malformed; JWE (enc) is
 * malformed; embedded keys, key URLs, crit, b64, zip and a missing or long kid are
 * header errors.
 * @param {string} seg
 * @returns {{alg: string, kid: string, typ: string}}
 */
function parseHeader(seg) {
  const hb = b64text(seg);
  if (hb === null) throw new MalformedError('header encoding');
  let h;
  try {
    h = parseStrict(hb, HEADER_NAMES);
  } catch (e) {
    if (e instanceof StrictJSONError) throw new MalformedError(`header: ${e.message}`);
    throw e;
  }
  let header;
  try {
    header = { alg: readString(h.get('alg'), 'alg'), kid: readString(h.get('kid'), 'kid'), typ: readString(h.get('typ'), 'typ') };
  } catch (e) {
    if (e instanceof TypeMismatch) throw new MalformedError('header JSON');
    throw e;
  }
  if (h.has('enc')) throw new MalformedError('encrypted tokens (JWE) are not accepted');
  if (h.has('jwk') || h.has('jku') || h.has('x5u') || h.has('x5c')) {
    throw new HeaderError('embedded keys and key URLs are not accepted');
  }
  if (h.has('crit') || h.has('b64') || h.has('zip')) throw new HeaderError('crit, b64 and zip are not accepted');
  if (header.kid === '' || utf8Length(header.kid) > 128) throw new HeaderError('kid missing or too long');
  return Object.freeze(header);
}

/** The UTF-8 length of s (Go's len). */
function utf8Length(s) {
  return Buffer.byteLength(s, 'utf8');
}

/**
 * typ as compared: lower-cased as Go's strings.ToLower does (only the runes whose lower
 * case is ASCII matter: A–Z, İ → i, Kelvin sign → k) and without "application/".
 * @param {string} t
 */
export function normalizeTyp(t) {
  let out = t;
  if (!/^[\x00-\x7f]*$/.test(t)) out = t.replace(/[\u0130\u212a]/g, (c) => (c === '\u0130' ? 'i' : 'k'));
  out = asciiLower(out);
  return out.startsWith('application/') ? out.slice('application/'.length) : out;
}

/** Lower-cases ASCII letters only. */
function asciiLower(s) {
  return /[A-Z]/.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s;
}

/** Which credential kind a typ names, or undefined (ID tokens, status lists, no typ). */
export function kindOf(typ) {
  if (typ === 'apikey+jwt') return 'api_key'; // the common spellings, without normalizing
  if (typ === 'at+jwt') return 'access_token';
  switch (normalizeTyp(typ)) {
    case 'apikey+jwt':
      return 'api_key';
    case 'at+jwt':
      return 'access_token';
    default:
      return undefined;
  }
}

/** Bounds attacker-controlled text in error messages. */
export function truncate(s, n) {
  return s.length <= n ? s : `${s.slice(0, n)}…`;
}

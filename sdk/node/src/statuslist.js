// Status lists (IETF Token Status List, verify/statuslist.go): decoding a list token
// with every defect failing closed, and bounded decompression.

import { inflateSync } from 'node:zlib';
import { MalformedError, StatusUnavailableError, VerifyError } from './errors.js';
import { parseStrict, readFloat, readInt, readObject, readString, StrictJSONError, TypeMismatch } from './strictjson.js';
import { b64decode, normalizeTyp, parseCompact, STATUS_CLAIM_NAMES } from './token.js';

/** A decompressed status list is cut off here (8 Mi entries): a zlib bomb is refused. */
export const MAX_STATUS_BYTES = 1 << 20;

/** Every document fetched from the portal (metadata, JWKS, status list) is bounded. */
export const MAX_DOCUMENT = 1 << 20;

/**
 * A verified, decoded status list. Times in ms since the epoch.
 * @typedef {object} StatusList
 * @property {Buffer} bits
 * @property {number} exp
 * @property {number} ttl
 * @property {number} fetched
 * @property {number|null} ver the list's version, when the token says (null: unknown)
 */

/**
 * Decompresses zlib data, refusing output beyond limit bytes (without producing it).
 * @param {Buffer} z
 * @param {number} limit
 * @returns {Buffer}
 */
export function inflateBounded(z, limit) {
  let out;
  try {
    out = inflateSync(z, { maxOutputLength: limit + 1 });
  } catch (e) {
    if (/** @type {any} */ (e)?.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
      throw new Error(`lst decompresses beyond ${limit} bytes`);
    }
    throw new Error('lst is not zlib or does not decompress');
  }
  if (out.length > limit) throw new Error(`lst decompresses beyond ${limit} bytes`);
  return out;
}

/** The bit of idx: true revoked, false valid, undefined outside the list. */
export function statusBit(bits, idx) {
  if (idx < 0) return undefined;
  const byte = Math.floor(idx / 8);
  if (byte >= bits.length) return undefined;
  return (bits[byte] & (1 << idx % 8)) !== 0;
}

/** NumericDates from 1970 to the year 9999; anything else is not a time. */
export function validNumericDate(f) {
  return f >= 0 && f < 253402300800;
}

/**
 * Verifies a status list token for uri and decodes its bits. Any defect throws
 * StatusUnavailableError; a duplicate member or case variant of a member name also
 * gives it a MalformedError cause.
 * @param {object} ctx
 * @param {string} ctx.uri
 * @param {string} ctx.token
 * @param {string} ctx.issuer
 * @param {number} ctx.now ms
 * @param {number} ctx.defaultTtl ms
 * @param {(kid: string, alg: string) => Promise<import('./keys.js').PublicKey>} ctx.keyFor
 * @returns {Promise<StatusList>}
 */
export async function decodeStatusList({ uri, token, issuer, now, defaultTtl, keyFor }) {
  const bad = (why, cause) => new StatusUnavailableError(`status list ${uri}: ${why}`, cause);
  let c;
  try {
    c = parseCompact(token, MAX_DOCUMENT);
  } catch (e) {
    if (e instanceof VerifyError) throw bad(e.message, e);
    throw e;
  }
  if (normalizeTyp(c.header.typ) !== 'statuslist+jwt') throw bad('typ is not statuslist+jwt');
  let k;
  try {
    k = await keyFor(c.header.kid, c.header.alg);
  } catch (e) {
    if (e instanceof VerifyError) throw bad(e.message, e);
    throw e;
  }
  if (!k.verify(c.signingInput, c.signature)) throw bad('bad signature');
  let raw;
  try {
    raw = parseStrict(c.payload, STATUS_CLAIM_NAMES);
  } catch (e) {
    if (e instanceof StrictJSONError) {
      const m = new MalformedError(`claims: ${e.message}`);
      throw bad(m.message, m);
    }
    throw e;
  }
  let cl;
  try {
    const sl = readObject(raw.get('status_list'), 'status_list');
    cl = {
      iss: readString(raw.get('iss'), 'iss'),
      sub: readString(raw.get('sub'), 'sub'),
      exp: readFloat(raw.get('exp'), 'exp'),
      iat: readFloat(raw.get('iat'), 'iat'),
      ttl: readFloat(raw.get('ttl'), 'ttl'),
      statusList: sl && { bits: readInt(sl.get('bits'), 'bits') ?? 0, lst: readString(sl.get('lst'), 'lst') },
    };
  } catch (e) {
    if (e instanceof TypeMismatch) throw bad('claims do not decode');
    throw e;
  }
  if (cl.sub !== uri) throw bad("sub is not the list's URI");
  if (cl.iss !== '' && cl.iss !== issuer) throw bad('wrong issuer');
  if (cl.exp === null || !validNumericDate(cl.exp) || !(now < cl.exp * 1000)) throw bad('expired or without exp');
  if (cl.statusList === null || cl.statusList.bits !== 1) throw bad('not a 1-bit status list');
  // Go's base64 decoder skips CR and LF wherever they are; nothing else is tolerated.
  const z = b64decode(cl.statusList.lst.replace(/[\r\n]/g, ''));
  if (z === null) throw bad('lst encoding');
  let bits;
  try {
    bits = inflateBounded(z, MAX_STATUS_BYTES);
  } catch (e) {
    throw bad(/** @type {Error} */ (e).message);
  }
  let ttl = defaultTtl;
  if (cl.ttl !== null && cl.ttl >= 1) ttl = Math.min(Math.trunc(cl.ttl), 1e9) * 1000;
  return { bits, exp: cl.exp * 1000, ttl, fetched: now, ver: null };
}

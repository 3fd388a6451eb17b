// DPoP proofs (RFC 9449 §4.3), as verify/dpop.go checks them.

import nodeCrypto from 'node:crypto';

import { DPoPProofError } from './errors.js';
import { Names, parseStrict, StrictJSONError } from './strictjson.js';
import { b64decode } from './token.js';

/** The algorithms a DPoP proof may be signed with: asymmetric only. */
export const DPOP_ALGS = Object.freeze(['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256']);

/** Longer proofs are refused before anything is decoded. */
export const MAX_DPOP_PROOF_LEN = 8 << 10;

/** How far a proof's iat may be from the verifier's clock (ms). */
export const DPOP_WINDOW = 60_000;

const HEADER_NAMES = new Names('typ', 'alg', 'jwk', 'kid', 'jku', 'x5u', 'x5c', 'crit', 'b64', 'enc', 'zip');
const CLAIM_NAMES = new Names('jti', 'htm', 'htu', 'iat', 'ath', 'nonce');
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * The URL as htu compares it: no query or fragment, scheme and host lower case, the
 * default port dropped ('' for anything but an absolute http(s) URL).
 * @param {string} raw
 */
export function htu(raw) {
  let u;
  try {
    u = new URL(raw);
  } catch {
    return '';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return '';
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/**
 * The RFC 7638 SHA-256 thumbprint (base64url) of a public JWK.
 * @param {Record<string, unknown>} jwk
 */
export function jwkThumbprint(jwk) {
  let members;
  if (jwk.kty === 'EC') members = { crv: jwk.crv, kty: 'EC', x: jwk.x, y: jwk.y };
  else if (jwk.kty === 'OKP') members = { crv: jwk.crv, kty: 'OKP', x: jwk.x };
  else if (jwk.kty === 'RSA') members = { e: jwk.e, kty: 'RSA', n: jwk.n };
  else throw new DPoPProofError('the proof\'s jwk is not a valid public key');
  for (const v of Object.values(members)) {
    if (typeof v !== 'string') throw new DPoPProofError('the proof\'s jwk is not a valid public key');
  }
  return nodeCrypto.createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

/** The proof's key, checked against alg. */
function proofKey(jwk, alg) {
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) throw new DPoPProofError('the proof\'s header must carry its public key (jwk)');
  for (const m of PRIVATE_MEMBERS) {
    if (Object.hasOwn(jwk, m)) throw new DPoPProofError('the proof\'s jwk must be a public key: it has private members');
  }
  const jkt = jwkThumbprint(jwk);
  let key;
  try {
    key = nodeCrypto.createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    throw new DPoPProofError('the proof\'s jwk is not a valid public key');
  }
  const d = key.asymmetricKeyDetails ?? {};
  const fits = (alg === 'ES256' && key.asymmetricKeyType === 'ec' && d.namedCurve === 'prime256v1')
    || (alg === 'ES384' && key.asymmetricKeyType === 'ec' && d.namedCurve === 'secp384r1')
    || (alg === 'EdDSA' && key.asymmetricKeyType === 'ed25519')
    || ((alg === 'RS256' || alg === 'PS256') && key.asymmetricKeyType === 'rsa' && (d.modulusLength ?? 0) >= 2048);
  if (!fits) throw new DPoPProofError('the proof\'s jwk does not fit its alg');
  return { key, jkt };
}

function verifySignature(alg, key, input, sig) {
  const data = Buffer.from(input, 'latin1');
  try {
    switch (alg) {
      case 'ES256':
        return sig.length === 64 && nodeCrypto.verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig);
      case 'ES384':
        return sig.length === 96 && nodeCrypto.verify('sha384', data, { key, dsaEncoding: 'ieee-p1363' }, sig);
      case 'EdDSA':
        return sig.length === 64 && nodeCrypto.verify(null, data, key, sig);
      case 'RS256':
        return nodeCrypto.verify('sha256', data, key, sig);
      case 'PS256':
        return nodeCrypto.verify('sha256', data, { key, padding: nodeCrypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig);
      default:
        return false;
    }
  } catch {
    return false;
  }
}

/**
 * Checks one DPoP proof JWT (RFC 9449 §4.3): typ dpop+jwt, an algorithm of DPOP_ALGS, a
 * public jwk (no private members) that verifies the signature, htm and htu matching the
 * request, iat within the window, a jti, and ath matching accessToken when given. The
 * jti's replay and the nonce are the caller's to check. Throws a DPoPProofError.
 * @param {string} proof
 * @param {{method: string, url: string, accessToken?: string, now: number, windowMs?: number}} check
 * @returns {{jkt: string, jti: string, iat: number, nonce: string}}
 */
export function checkDPoPProof(proof, check) {
  if (typeof proof !== 'string' || proof.length === 0 || proof.length > MAX_DPOP_PROOF_LEN || !COMPACT.test(proof)) {
    throw new DPoPProofError(`the proof must be a compact JWS of at most ${MAX_DPOP_PROOF_LEN} bytes`);
  }
  const [h64, p64, s64] = proof.split('.');
  const hb = b64decode(h64, true);
  const pb = b64decode(p64, true);
  const sig = b64decode(s64, true);
  let header;
  try {
    if (hb === null) throw new StrictJSONError('encoding');
    parseStrict(hb.toString('latin1'), HEADER_NAMES);
    header = JSON.parse(hb.toString('utf8'));
  } catch (e) {
    if (e instanceof StrictJSONError || e instanceof SyntaxError) throw new DPoPProofError('the proof\'s header is malformed');
    throw e;
  }
  if (typeof header.typ !== 'string' || header.typ.toLowerCase() !== 'dpop+jwt') throw new DPoPProofError('the proof\'s typ must be dpop+jwt');
  if (!DPOP_ALGS.includes(header.alg)) throw new DPoPProofError(`the proof's alg must be one of ${DPOP_ALGS.join(', ')}`);
  if (header.jwk === undefined) throw new DPoPProofError('the proof\'s header must carry its public key (jwk)');
  for (const m of ['jku', 'x5u', 'x5c', 'crit', 'b64', 'enc', 'zip']) {
    if (header[m] !== undefined) throw new DPoPProofError('the proof\'s header carries key URLs, certificates, crit or encryption, which are not accepted');
  }
  const { key, jkt } = proofKey(header.jwk, header.alg);
  if (sig === null || !verifySignature(header.alg, key, `${h64}.${p64}`, sig)) {
    throw new DPoPProofError('the proof\'s signature does not verify with its jwk');
  }
  let c;
  try {
    if (pb === null) throw new StrictJSONError('encoding');
    parseStrict(pb.toString('latin1'), CLAIM_NAMES);
    c = JSON.parse(pb.toString('utf8'));
  } catch (e) {
    if (e instanceof StrictJSONError || e instanceof SyntaxError) throw new DPoPProofError('the proof\'s claims are malformed');
    throw e;
  }
  const str = (v) => v === undefined || v === null || typeof v === 'string';
  if (!str(c.jti) || !str(c.htm) || !str(c.htu) || !str(c.ath) || !str(c.nonce)
    || !(c.iat === undefined || c.iat === null || typeof c.iat === 'number')) {
    throw new DPoPProofError('the proof\'s claims are malformed');
  }
  const windowMs = check.windowMs ?? DPOP_WINDOW;
  if (!c.jti || c.jti.length > 256) throw new DPoPProofError('the proof needs a jti of at most 256 characters');
  if (c.htm !== check.method) throw new DPoPProofError(`the proof's htm is not this request's method (${check.method})`);
  const want = htu(check.url);
  if (want === '' || htu(c.htu ?? '') !== want) throw new DPoPProofError('the proof\'s htu is not this request\'s URL');
  if (typeof c.iat !== 'number' || !(c.iat >= 0 && c.iat < 253402300800)) throw new DPoPProofError('the proof has no valid iat');
  if (Math.abs(check.now - c.iat * 1000) > windowMs) {
    throw new DPoPProofError(`the proof's iat is not within ${Math.floor(windowMs / 1000)} seconds of the server's clock`);
  }
  if (check.accessToken) {
    if (typeof c.ath !== 'string') throw new DPoPProofError('the proof has no ath (the hash of the access token)');
    const want = nodeCrypto.createHash('sha256').update(check.accessToken).digest('base64url');
    if (c.ath !== want) throw new DPoPProofError('the proof\'s ath does not match the access token');
  }
  return { jkt, jti: c.jti, iat: c.iat * 1000, nonce: c.nonce ?? '' };
}

/**
 * Remembers the DPoP proofs seen within their window, bounded: entries leave in the
 * order they came (each is kept for the same time).
 */
export class ReplayCache {
  /** @param {number} max */
  constructor(max) {
    this.max = max;
    /** @type {Map<string, number>} key → expiry (ms), in insertion order */
    this.seen = new Map();
  }

  /**
   * Records key as seen at now for keepMs; throws a DPoPProofError on a replay, or when
   * the cache is full of entries still in their window.
   * @param {string} key @param {number} now @param {number} keepMs
   */
  use(key, now, keepMs) {
    for (const [k, exp] of this.seen) {
      if (now < exp) break;
      this.seen.delete(k);
    }
    if (this.seen.has(key)) throw new DPoPProofError('the proof (jti) has already been used');
    if (this.seen.size >= this.max) throw new DPoPProofError('too many recent proofs to check for replay; retry shortly');
    this.seen.set(key, now + keepMs);
  }
}

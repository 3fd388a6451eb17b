// JWKS keys and signature checks (verify/fetch.go parseJWKS, verify/token.go verifySignature).
//
// jose imports each JWK once; the KeyObject it yields is kept, and every signature is
// checked with node:crypto's one-shot verify against the JWKS key's own algorithm —
// never one taken from the token alone.

import { KeyObject, verify as cryptoVerify } from 'node:crypto';
import { importJWK } from 'jose';

/** The algorithms a verifier can accept. */
export const SUPPORTED_ALGS = ['ES256', 'EdDSA', 'RS256'];

// Low-order Ed25519 encodings go-jose refuses as verification keys.
const WEAK_ED25519 = new Set([
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '0100000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
]);

/** A JWKS key reduced to what verification needs; its algorithm is fixed by the JWKS. */
export class PublicKey {
  /** @param {string} kid @param {string} alg @param {KeyObject} key */
  constructor(kid, alg, key) {
    this.kid = kid;
    this.alg = alg;
    this.key = key;
    /** RS256: the modulus length in bytes, which a signature must have. */
    this.size = alg === 'RS256' ? Math.ceil(/** @type {number} */ (key.asymmetricKeyDetails?.modulusLength) / 8) : 64;
    this.es = { key, dsaEncoding: 'ieee-p1363' };
  }

  /**
   * Checks sig over the signing input with this key's algorithm only. ES256 takes
   * exactly R‖S (64 bytes; DER or any other length is refused, and OpenSSL refuses r
   * or s outside [1, n-1]); EdDSA 64 bytes; RS256 exactly the modulus length.
   * @param {string} input ASCII signing input
   * @param {Buffer} sig
   */
  verify(input, sig) {
    if (sig.length !== this.size) return false;
    try {
      return this.#check(stringData ? input : Buffer.from(input, 'latin1'), sig);
    } catch (e) {
      if (stringData && /** @type {any} */ (e)?.code === 'ERR_INVALID_ARG_TYPE') {
        stringData = false; // a Node that wants bytes: copy from now on
        return this.verify(input, sig);
      }
      return false;
    }
  }

  /** @param {string|Buffer} data @param {Buffer} sig */
  #check(data, sig) {
    switch (this.alg) {
      case 'ES256':
        return cryptoVerify('sha256', data, this.es, sig);
      case 'EdDSA':
        return cryptoVerify(null, data, this.key, sig);
      case 'RS256':
        return cryptoVerify('sha256', data, this.key, sig);
      default:
        return false;
    }
  }
}

// node:crypto's verify takes the signing input as a string (UTF-8 encoded; the input
// is ASCII, base64url and a dot, so those are its bytes), which saves a copy per check.
// Should a Node refuse strings, the first check says so and Buffers are used instead.
let stringData = true;

/** @param {unknown} v */
const str = (v) => (typeof v === 'string' ? v : '');

/**
 * Keeps the keys that can verify: public, for signatures, with an allowed algorithm
 * that matches the key type (ES256 on P-256, EdDSA on Ed25519, RS256 of at least 2048
 * bits). Others are skipped, never guessed; a key that does not import is skipped too.
 * A later key of the same kid replaces an earlier one.
 * @param {unknown} doc the parsed JWKS
 * @param {Set<string>} allowed
 * @returns {Promise<Map<string, PublicKey>>}
 */
export async function parseJWKS(doc, allowed) {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('JWKS is not a JSON object');
  const list = /** @type {any} */ (doc).keys;
  if (list !== undefined && list !== null && !Array.isArray(list)) throw new Error('JWKS keys is not an array');
  const keys = new Map();
  for (const k of list ?? []) {
    const pk = await importKey(k, allowed);
    if (pk) keys.set(pk.kid, pk);
  }
  return keys;
}

/**
 * @param {any} k
 * @param {Set<string>} allowed
 * @returns {Promise<PublicKey|null>}
 */
async function importKey(k, allowed) {
  if (k === null || typeof k !== 'object' || Array.isArray(k)) return null;
  const kid = str(k.kid);
  const alg = str(k.alg);
  const use = str(k.use);
  if (kid === '' || (use !== '' && use !== 'sig') || !allowed.has(alg)) return null;
  // Private or symmetric material: not a public key.
  if (k.d !== undefined || k.p !== undefined || k.q !== undefined || k.k !== undefined || k.priv !== undefined) return null;
  /** @type {Record<string,string>} */
  let jwk;
  switch (k.kty) {
    case 'EC': {
      const x = b64loose(k.x);
      const y = b64loose(k.y);
      if (alg !== 'ES256' || k.crv !== 'P-256' || x?.length !== 32 || y?.length !== 32) return null;
      jwk = { kty: 'EC', crv: 'P-256', x: k.x, y: k.y };
      break;
    }
    case 'OKP': {
      const x = b64loose(k.x);
      if (alg !== 'EdDSA' || k.crv !== 'Ed25519' || x?.length !== 32 || WEAK_ED25519.has(x.toString('hex'))) return null;
      jwk = { kty: 'OKP', crv: 'Ed25519', x: k.x };
      break;
    }
    case 'RSA': {
      if (alg !== 'RS256' || typeof k.n !== 'string' || typeof k.e !== 'string') return null;
      jwk = { kty: 'RSA', n: k.n, e: k.e };
      break;
    }
    default:
      return null;
  }
  let key;
  try {
    const imported = await importJWK(jwk, alg, { extractable: true });
    key = imported instanceof KeyObject ? imported : KeyObject.from(/** @type {any} */ (imported));
  } catch {
    return null; // not a point on the curve, not an RSA key, …
  }
  if (alg === 'RS256') {
    const d = key.asymmetricKeyDetails;
    const bits = d?.modulusLength ?? 0;
    if (bits < 2048 || bits > 4096 || (d?.publicExponent ?? 0n) < 2n) return null;
  }
  return new PublicKey(kid, alg, key);
}

/** Base64url as go-jose reads JWK members (unpadded, trailing bits not checked). */
function b64loose(v) {
  if (typeof v !== 'string' || v === '' || !/^[A-Za-z0-9_-]*$/.test(v) || (v.length & 3) === 1) return null;
  return Buffer.from(v, 'base64url');
}

// Certificate-bound access tokens (RFC 8705 §3), as verify/mtls.go checks them: a token
// whose cnf carries x5t#S256 (the base64url SHA-256 of the client certificate's DER) is
// accepted only from a request presenting that certificate, on the TLS connection this
// process terminates or forwarded by a trusted proxy (RFC 9440 Client-Cert).

import nodeCrypto from 'node:crypto';
import net from 'node:net';

import { CertBoundError } from './errors.js';
import { b64decode } from './token.js';

/** The header trusted proxies forward the client's certificate in (RFC 9440). */
export const DEFAULT_CLIENT_CERT_HEADER = 'client-cert';

/** A longer forwarded certificate is refused before it is decoded. */
export const MAX_CLIENT_CERT_HEADER_LEN = 16 << 10;

const B64STD = /^[A-Za-z0-9+/]*$/;

/**
 * The base64url (no padding) SHA-256 of a certificate's DER: its cnf.x5t#S256.
 * @param {Uint8Array} der
 */
export function certThumbprint(der) {
  return nodeCrypto.createHash('sha256').update(der).digest('base64url');
}

/**
 * Decodes a cnf.x5t#S256: exactly 32 bytes in canonical unpadded base64url, or null.
 * @param {string} s
 * @returns {Buffer|null}
 */
export function parseX5t(s) {
  if (s.length !== 43) return null;
  const b = b64decode(s);
  return b !== null && b.length === 32 ? b : null;
}

/**
 * Decodes an RFC 8941 Byte Sequence (":" base64 ":", padding optional, spaces around
 * allowed, not empty), as Go's base64.RawStdEncoding.Strict() decodes; null otherwise.
 * @param {string} s
 * @returns {Buffer|null}
 */
export function parseByteSequence(s) {
  s = s.replace(/^[ \t]+|[ \t]+$/g, '');
  if (s.length < 3 || s.length > MAX_CLIENT_CERT_HEADER_LEN || s[0] !== ':' || s[s.length - 1] !== ':') return null;
  const body = s.slice(1, -1).replace(/=+$/, '');
  if (!B64STD.test(body) || body.length % 4 === 1) return null;
  const der = Buffer.from(body, 'base64');
  if (der.length === 0 || der.toString('base64').replace(/=+$/, '') !== body) return null;
  return der;
}

/**
 * A matcher of the trustedProxies option: CIDRs ("10.0.0.0/8", "2001:db8::/32") or
 * single addresses. Throws a TypeError on anything else.
 * @param {unknown} list
 * @returns {(address: string) => boolean}
 */
export function trustedProxyMatcher(list) {
  if (list === undefined || list === null) return () => false;
  if (!Array.isArray(list)) throw new TypeError('verify: trustedProxies must be an array of CIDRs');
  if (list.length === 0) return () => false;
  const bl = new net.BlockList();
  for (const s of list) {
    const bad = new TypeError(`verify: trustedProxies: ${JSON.stringify(s)} is not a CIDR or an address`);
    if (typeof s !== 'string') throw bad;
    const [addr, bits, extra] = s.split('/');
    const v = net.isIP(addr);
    if (v === 0 || extra !== undefined) throw bad;
    const type = v === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) {
      bl.addAddress(addr, type);
      continue;
    }
    const n = /^[0-9]{1,3}$/.test(bits) ? Number(bits) : -1;
    if (n < 0 || n > (v === 4 ? 32 : 128)) throw bad;
    bl.addSubnet(addr, n, type);
  }
  return (address) => {
    let a = String(address ?? '').replace(/%.*$/, '');
    const mapped = /^::ffff:([0-9.]+)$/i.exec(a);
    if (mapped && net.isIPv4(mapped[1])) a = mapped[1];
    const v = net.isIP(a);
    return v !== 0 && bl.check(a, v === 4 ? 'ipv4' : 'ipv6');
  };
}

/** The direct peer's address of a Node, Express or Fastify request, or a fetch-style {remoteAddress}. */
function remoteAddress(req) {
  return req?.socket?.remoteAddress ?? req?.raw?.socket?.remoteAddress ?? req?.remoteAddress ?? '';
}

/** The DER of the certificate on the request's own TLS connection, or null. */
function tlsCertificate(req) {
  if (req?.clientCertificate instanceof Uint8Array) return Buffer.from(req.clientCertificate);
  const socket = req?.socket ?? req?.raw?.socket;
  if (typeof socket?.getPeerCertificate !== 'function') return null;
  const c = socket.getPeerCertificate(true);
  return c && Buffer.isBuffer(c.raw) && c.raw.length > 0 ? c.raw : null;
}

/**
 * The DER of the certificate the client presented with req: the header when req comes
 * from a trusted proxy (null without it), otherwise the TLS connection's (null without
 * one). A trusted proxy's header that is not one Byte Sequence throws a CertBoundError.
 * @param {any} req
 * @param {(address: string) => boolean} trusted
 * @param {string} header lower case
 * @param {(req: any, name: string) => string} get
 * @returns {Buffer|null}
 */
export function clientCertificate(req, trusted, header, get) {
  if (trusted(remoteAddress(req))) {
    const v = get(req, header);
    if (v === '') return null;
    const der = parseByteSequence(v);
    if (der === null) throw new CertBoundError(`the proxy's ${header} header is not a certificate (:base64 DER:)`);
    return der;
  }
  return tlsCertificate(req);
}

/**
 * Throws a CertBoundError unless req presents the certificate whose SHA-256 is x5t;
 * dpop says the token is DPoP-bound too (the answer is then a DPoP challenge).
 * @param {Buffer|null} der
 * @param {Buffer} x5t
 * @param {boolean} dpop
 */
export function checkCertBinding(der, x5t, dpop) {
  if (der === null) throw new CertBoundError('the token is bound to a client certificate and the request presented none', dpop);
  const sum = nodeCrypto.createHash('sha256').update(der).digest();
  if (!nodeCrypto.timingSafeEqual(sum, x5t)) {
    throw new CertBoundError("the request's client certificate is not the one the token is bound to", dpop);
  }
}

// @gatehouse/verify: accept Gatehouse API keys and access tokens offline.
//
// A Verifier discovers the portal from its issuer URL (RFC 8414 metadata), keeps its
// JWKS and the status lists its credentials point at cached and refreshed in the
// background, and checks each credential without calling the portal on the request
// path. This is the Node.js port of the Go package verify (verify/doc.go); it answers
// every case of sdk/conformance/vectors.json as the Go verifier does.

import * as nodeCrypto from 'node:crypto';
import { ClockCache } from './cache.js';
import { checkDPoPProof, DPOP_WINDOW, htu, ReplayCache } from './dpop.js';
import {
  checkCertBinding, clientCertificate, DEFAULT_CLIENT_CERT_HEADER, parseX5t, trustedProxyMatcher,
} from './mtls.js';
import {
  AudienceError, CertBoundError, ClaimsError, DPoPBoundError, DPoPProofError, ExpiredError, HeaderError, InsufficientUserAuthenticationError, IssuerError, MalformedError,
  NoTokenError, NotAllowedError, NotYetValidError, RevokedError, SignatureError, StatusUnavailableError, TokenTypeError, UnknownKeyError,
} from './errors.js';
import { parseJWKS, SUPPORTED_ALGS } from './keys.js';
import { decodeStatusList, MAX_DOCUMENT, statusBit, validNumericDate } from './statuslist.js';
import {
  parseStrict, readAudience, readFloat, readInt, readObject, readString, readStringArray, StrictJSONError, TypeMismatch, decodeUTF8,
} from './strictjson.js';
import { CLAIM_NAMES, kindOf, MAX_TOKEN_LEN, parseCompact, truncate } from './token.js';
import {
  checkEventIssuer, checkEventTyp, IDLE_TIMEOUT, readEventClaims, SeqWindow, Subscriber,
} from './feed.js';
import { ACR_REASON, maxAgeOf, NO_AUTH_TIME, TOO_OLD } from './http.js';

export * from './errors.js';
export { MAX_TOKEN_LEN };
export { checkDPoPProof, DPOP_ALGS, jwkThumbprint } from './dpop.js';
export { certThumbprint, DEFAULT_CLIENT_CERT_HEADER } from './mtls.js';

/** Most distinct status lists one verifier tracks. */
const MAX_LISTS = 1024;
/** A status list without a usable ttl is refreshed this often. */
const DEFAULT_STATUS_TTL = 60_000;
/** A list not used for this long is no longer refreshed in the background. */
const LIST_IDLE = 3_600_000;

/** The cache key: the token's SHA-256, as a 32-char byte string. */
const sha256 = typeof nodeCrypto.hash === 'function'
  ? (/** @type {string} */ s) => nodeCrypto.hash('sha256', s, 'latin1')
  : (/** @type {string} */ s) => nodeCrypto.createHash('sha256').update(s).digest('latin1');

/** Go's unicode.IsSpace, for strings.Fields and strings.TrimSpace. */
const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const FIELDS = new RegExp(`[${GO_SPACE}]+`);
const TRIM = new RegExp(`^[${GO_SPACE}]+|[${GO_SPACE}]+$`, 'g');

/** strings.TrimSpace */
function goTrimSpace(s) {
  return s.replace(TRIM, '');
}

/** strings.Fields */
function goFields(s) {
  if (s === '') return [];
  return s.split(FIELDS).filter((x) => x !== '');
}

/** The subject types (the sub_type claim; none means a project). */
export const SUBJECT_PROJECT = 'project';
export const SUBJECT_SERVICE_ACCOUNT = 'service_account';
export const SUBJECT_USER = 'user';

/**
 * @typedef {object} Actor One party of an actor chain.
 * @property {string} subject its sub
 * @property {string} subjectType its sub_type ('project' for the projects Gatehouse names; '' when the claim does not say)
 */

/**
 * Who called: the project (or service account, or user) a verified credential belongs
 * to, and the API it was accepted for.
 */
export class Principal {
  #iat;
  #exp;
  #authTime;

  /**
   * @param {object} f
   * @param {'api_key'|'access_token'} f.kind
   * @param {string} f.api
   * @param {string} f.project
   * @param {string} f.team
   * @param {string[]} f.scopes
   * @param {string} f.keyId
   * @param {string[]} f.audience
   * @param {number|null} f.issuedAt ms
   * @param {number} f.expiresAt ms
   * @param {'project'|'service_account'|'user'} f.subjectType
   * @param {string} f.subject
   * @param {string} f.serviceAccount
   * @param {string} f.clientId
   * @param {number|null} f.authTime ms
   * @param {string} f.acr
   * @param {string[]} f.amr
   * @param {Actor[]} f.actors
   */
  constructor(f) {
    /** api_key or access_token */
    this.kind = f.kind;
    /** The API the credential was accepted for: the verifier's audience. */
    this.api = f.api;
    /**
     * What subject is: 'project', 'service_account' or 'user' (the sub_type claim; a
     * token without one is a project's). Decide on it before trusting project.
     */
    this.subjectType = f.subjectType;
    /** The token's sub, whatever its type. */
    this.subject = f.subject;
    /** The project's client_id (sub) when subjectType is 'project', else ''. */
    this.project = f.project;
    /** The service account's id (sub) when subjectType is 'service_account', else ''. */
    this.serviceAccount = f.serviceAccount;
    /**
     * The client the credential was issued to: the project (API keys, a project's
     * tokens), the service account, or, for a user's token, the project acting for the
     * user. The projects allow-list is checked against it.
     */
    this.clientId = f.clientId;
    /** The project's team ('' for access tokens issued before the claim existed). */
    this.team = f.team;
    /** The credential's scopes. */
    this.scopes = Object.freeze(f.scopes);
    /** The credential's id (jti): key_… for API keys. */
    this.keyId = f.keyId;
    /** The aud claim. */
    this.audience = Object.freeze(f.audience);
    /** The authentication context class of the user's authentication (acr), or ''. */
    this.acr = f.acr;
    /** The authentication methods used (amr: 'pwd', 'otp', 'hwk', …), or []. */
    this.amr = Object.freeze(f.amr);
    /**
     * The parties acting for subject, nearest first, on a token issued by token exchange
     * (the act claim, RFC 8693): actors[0] is the project that exchanged the token this
     * API received, actors[1] the one that called it, and so on; [] when none.
     */
    this.actors = Object.freeze(f.actors);
    /**
     * True for a sender-constrained token (cnf.jkt, RFC 9449): the request carried a
     * valid DPoP proof signed by the key the token is bound to, whose RFC 7638
     * thumbprint is dpopThumbprint ('' for an unbound token).
     */
    this.dpopBound = f.dpopThumbprint !== '';
    this.dpopThumbprint = f.dpopThumbprint;
    /**
     * True for a certificate-bound token (cnf.x5t#S256, RFC 8705): the request
     * presented the client certificate the token is bound to, whose SHA-256
     * (base64url) is certThumbprint ('' for a token not bound to a certificate).
     */
    this.certBound = f.certThumbprint !== '';
    this.certThumbprint = f.certThumbprint;
    this.#iat = f.issuedAt;
    this.#exp = f.expiresAt;
    this.#authTime = f.authTime;
    Object.freeze(this);
  }

  /** When the user last authenticated (auth_time), or null when the token does not say. */
  get authTime() {
    return this.#authTime === null ? null : new Date(this.#authTime);
  }

  /**
   * undefined when the user authenticated at most maxAgeSeconds before now, else an
   * InsufficientUserAuthenticationError (returned, not thrown) asking for an
   * authentication within maxAgeSeconds: the token has no auth_time, or it is older.
   * Handlers that step up on some requests only answer it with sendError/replyError.
   * @param {Date|number} now the verifier's clock (a Date, or ms since the epoch)
   * @param {number} maxAgeSeconds
   * @returns {InsufficientUserAuthenticationError|undefined}
   */
  checkAuthTime(now, maxAgeSeconds) {
    const maxAge = maxAgeOf(maxAgeSeconds);
    if (this.#authTime === null) return new InsufficientUserAuthenticationError(NO_AUTH_TIME, { maxAge });
    const ms = now instanceof Date ? now.getTime() : now;
    if (ms - this.#authTime > maxAge * 1000) return new InsufficientUserAuthenticationError(TOO_OLD, { maxAge });
    return undefined;
  }

  /**
   * undefined when acr is one of values, else an InsufficientUserAuthenticationError
   * (returned, not thrown) asking for one of them. A token without acr never passes.
   * @param {...(string|string[])} values
   * @returns {InsufficientUserAuthenticationError|undefined}
   */
  checkACR(...values) {
    const acrValues = values.flat();
    if (this.acr === '' || !acrValues.includes(this.acr)) return new InsufficientUserAuthenticationError(ACR_REASON, { acrValues });
    return undefined;
  }

  /** When the credential was issued (null without iat). */
  get issuedAt() {
    return this.#iat === null ? null : new Date(this.#iat);
  }

  /** When the credential expires. */
  get expiresAt() {
    return new Date(this.#exp);
  }

  /** Whether the credential carries scope. */
  hasScope(scope) {
    return this.scopes.includes(scope);
  }

  toJSON() {
    return {
      kind: this.kind, api: this.api, subjectType: this.subjectType, subject: this.subject, project: this.project,
      serviceAccount: this.serviceAccount, clientId: this.clientId, team: this.team, scopes: this.scopes, keyId: this.keyId,
      audience: this.audience, issuedAt: this.issuedAt, expiresAt: this.expiresAt, authTime: this.authTime,
      acr: this.acr, amr: this.amr, actors: this.actors,
    };
  }
}

const noop = () => {};
/** The default logger: warnings (fetch failures, fail-open decisions) to console.warn. */
const defaultLogger = {
  debug: noop,
  info: noop,
  warn: (/** @type {string} */ msg, /** @type {object} */ fields) => console.warn(`${msg} ${JSON.stringify(fields)}`),
  error: (/** @type {string} */ msg, /** @type {object} */ fields) => console.error(`${msg} ${JSON.stringify(fields)}`),
};

/** @param {unknown} v @param {string} name */
function idList(v, name) {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'string' || x === '')) {
    throw new TypeError(`verify: ${name} needs at least one id, and no empty one`);
  }
  return new Set(v);
}

/** @param {unknown} v @param {string} name @param {number} def @param {number} [min] */
function num(v, name, def, min = 0) {
  if (v === undefined || v === null) return def;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new TypeError(`verify: ${name} must be a number ≥ ${min}`);
  return v;
}

/**
 * Discovers the issuer, fetches its JWKS and starts refreshing in the background.
 * @param {string} issuer
 * @param {import('./index.js').VerifierOptions} options
 * @returns {Promise<Verifier>}
 */
export async function createVerifier(issuer, options) {
  const v = new Verifier(issuer, options, INTERNAL);
  await v._start();
  return v;
}

const INTERNAL = Symbol('gatehouse.internal');

/** Checks Gatehouse credentials offline. Make one with createVerifier. */
export class Verifier {
  #issuer;
  #audience;
  #kinds;
  #algs;
  #leeway;
  #projects;
  #teams;
  #failOpen;
  #cooldown;
  #refreshEvery;
  #fetchTimeout;
  #fetch;
  #now;
  #logger;
  #headerApiKey;
  #queryParam;
  #resourceMetadata;
  #requireDPoP;
  #publicURL;
  #proofs;
  #statusEvents;
  #eventsIdle;
  #trustedProxy;
  #clientCertHeader;

  #jwksURI = '';
  #listPrefix = '';
  /** @type {Set<string>} */
  #allowed = new Set();
  /** @type {{keys: Map<string, import('./keys.js').PublicKey>, fetched: number, maxAge: number} | null} */
  #keys = null;
  #lastJWKS = -Infinity;
  /** @type {Promise<boolean>|null} */
  #jwksInflight = null;
  /** @type {Map<string, ListEntry>} */
  #lists = new Map();
  #cache;
  #stats = {
    verified: 0, rejected: 0, cachedRejected: 0, jwksFetches: 0, jwksFetchErrors: 0, statusFetches: 0,
    statusFetchErrors: 0, statusStale: 0, failClosed: 0, failOpen: 0,
  };
  /** The revocation feed: its connection, or null when not subscribed. */
  /** @type {Subscriber|null} */
  #feed = null;
  #feedStats = { applied: 0, rejected: 0, ignored: 0, lastEventAt: null, lagMs: null, resets: 0 };
  #seqs = new SeqWindow();
  /** @type {Set<Promise<void>>} list refetches a reset started */
  #resetting = new Set();
  /** @type {ReturnType<typeof setTimeout>|null} */
  #timer = null;
  /** When the timer fires (performance.now() ms). */
  #timerAt = Infinity;
  /** @type {Promise<void>|null} */
  #ticking = null;
  #closed = false;
  #abort = new AbortController();

  /**
   * @param {string} issuer
   * @param {import('./index.js').VerifierOptions} options
   * @param {symbol} [internal]
   */
  constructor(issuer, options, internal) {
    if (internal !== INTERNAL) throw new TypeError('verify: use createVerifier(issuer, options)');
    const o = options ?? /** @type {any} */ ({});
    if (typeof issuer !== 'string' || issuer === '') throw new TypeError('verify: an issuer URL is required');
    if (typeof o.audience !== 'string' || o.audience === '') throw new TypeError('verify: an audience is required');
    this.#issuer = issuer.endsWith('/') ? issuer.slice(0, -1) : issuer;
    this.#audience = o.audience;
    const accept = o.accept ?? ['api_key', 'access_token'];
    if (!Array.isArray(accept) || accept.length === 0) throw new TypeError('verify: accept needs at least one kind');
    for (const k of accept) {
      if (k !== 'api_key' && k !== 'access_token') throw new TypeError(`verify: unknown credential kind ${JSON.stringify(k)}`);
    }
    this.#kinds = new Set(accept);
    this.#algs = o.algorithms ?? ['ES256', 'EdDSA', 'RS256'];
    if (!Array.isArray(this.#algs)) throw new TypeError('verify: algorithms must be an array');
    for (const a of this.#algs) {
      if (!SUPPORTED_ALGS.includes(a)) throw new TypeError(`verify: algorithm ${JSON.stringify(a)} is not supported`);
    }
    const leeway = num(o.leewaySeconds, 'leewaySeconds', 30);
    if (leeway > 300) throw new TypeError('verify: leewaySeconds must be between 0 and 300');
    this.#leeway = leeway * 1000;
    this.#projects = idList(o.projects, 'projects');
    this.#teams = idList(o.teams, 'teams');
    this.#failOpen = o.failOpen === true;
    const cacheSize = num(o.cacheSize, 'cacheSize', 10000);
    this.#cache = new ClockCache(Math.floor(cacheSize));
    this.#cooldown = num(o.cooldownSeconds, 'cooldownSeconds', 30) * 1000;
    this.#refreshEvery = num(o.refreshIntervalSeconds, 'refreshIntervalSeconds', 5, 0.01) * 1000;
    this.#fetchTimeout = num(o.fetchTimeoutMs, 'fetchTimeoutMs', 10000, 1);
    this.#fetch = o.fetch ?? globalThis.fetch;
    if (typeof this.#fetch !== 'function') throw new TypeError('verify: fetch must be a function');
    this.#now = o.now ?? Date.now;
    this.#logger = o.logger ?? defaultLogger;
    this.#headerApiKey = o.headerApiKey === true;
    this.#queryParam = typeof o.queryParam === 'string' ? o.queryParam : '';
    this.#requireDPoP = o.requireDPoP === true;
    this.#publicURL = typeof o.publicURL === 'string' ? o.publicURL.replace(/\/$/, '') : '';
    if (this.#publicURL !== '' && htu(this.#publicURL) === '') throw new TypeError('verify: publicURL must be an absolute http or https URL');
    this.#proofs = new ReplayCache(Math.floor(num(o.dpopReplayCacheSize, 'dpopReplayCacheSize', 100000, 1)));
    this.#trustedProxy = trustedProxyMatcher(o.trustedProxies);
    const cch = o.clientCertHeader ?? DEFAULT_CLIENT_CERT_HEADER;
    if (typeof cch !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(cch) || cch.toLowerCase() === 'authorization') {
      throw new TypeError('verify: clientCertHeader must be a header name other than Authorization');
    }
    this.#clientCertHeader = cch.toLowerCase();
    const rm = o.resourceMetadata ?? '';
    if (typeof rm !== 'string') throw new TypeError('verify: resourceMetadata must be a string (a URL)');
    this.#resourceMetadata = rm;
    if (o.statusEvents !== undefined && typeof o.statusEvents !== 'boolean') throw new TypeError('verify: statusEvents must be a boolean');
    this.#statusEvents = o.statusEvents !== false;
    this.#eventsIdle = num(o.statusEventsIdleTimeoutMs, 'statusEventsIdleTimeoutMs', IDLE_TIMEOUT, 1);
  }

  /** The issuer URL (without a trailing slash). */
  get issuer() {
    return this.#issuer;
  }

  /** This API's audience (the realm of RFC 6750 answers). */
  get audience() {
    return this.#audience;
  }

  /**
   * The URL of this API's RFC 9728 protected resource metadata (the resourceMetadata
   * option), or ''. The middleware's answers to rejected credentials (and
   * sendError/replyError) name it as resource_metadata (RFC 9728 §5.1).
   */
  get resourceMetadata() {
    return this.#resourceMetadata;
  }

  /** The verifier's clock (its now option), in ms since the epoch: what exp and step-up requirements are judged by. */
  now() {
    return this.#now();
  }

  /** The logger the verifier and its middleware report to. */
  get logger() {
    return this.#logger;
  }

  /** @internal discovery, first JWKS, background refresh. */
  async _start() {
    const m = await this.#discover();
    this.#jwksURI = m.jwksURI;
    this.#listPrefix = m.statusListURIPrefix || `${this.#issuer}/statuslists/`;
    for (const a of this.#algs) {
      if (m.signingAlgs.length === 0 || m.signingAlgs.includes(a)) this.#allowed.add(a);
    }
    if (this.#allowed.size === 0) throw new Error('verify: no algorithm is both allowed and advertised by the issuer');
    await this.#refreshJWKS();
    this.#schedule(this.#refreshEvery);
    if (this.#statusEvents && m.statusEventsEndpoint !== '') this.#subscribe(m.statusEventsEndpoint);
  }

  /**
   * Stops the background refreshes and aborts fetches in flight. Idempotent.
   * @returns {Promise<void>}
   */
  async close() {
    if (!this.#closed) {
      this.#closed = true;
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = null;
      this.#abort.abort();
    }
    if (this.#ticking) await this.#ticking;
    if (this.#feed?.done) await this.#feed.done;
    await Promise.allSettled(this.#resetting);
  }

  /**
   * Checks a credential and returns its principal, or rejects with a VerifyError.
   * @param {string} token
   * @returns {Promise<Principal>}
   */
  async verify(token) {
    const c = await this.#verifyEntry(token);
    if (c.jkt !== '') {
      this.#stats.rejected++;
      throw new DPoPBoundError('a DPoP-bound token must be sent with the DPoP scheme and a proof');
    }
    if (c.x5t !== null) {
      this.#stats.rejected++;
      throw new CertBoundError('a certificate-bound token is accepted only with its request\'s client certificate (verifyRequest)');
    }
    if (this.#requireDPoP) {
      this.#stats.rejected++;
      throw new DPoPBoundError('this API accepts DPoP-bound tokens only');
    }
    return c.p;
  }

  /**
   * Checks a request's credential: an unbound token as verify does; a DPoP-bound token
   * (cnf.jkt) only as "Authorization: DPoP <token>" with exactly one DPoP header holding
   * a proof (RFC 9449) for this request's method and URL (publicURL joined with the
   * path when set), with ath, an iat within 60 s, a jti not seen before (an in-memory
   * replay cache) and signed by the key whose thumbprint is cnf.jkt. A
   * certificate-bound token (cnf.x5t#S256, RFC 8705) must come with the client
   * certificate whose SHA-256 it names (see clientCertificate), or it is a
   * CertBoundError; a token bound both ways needs both.
   * @param {any} req a Node request (method, url, headers, socket), or {method, url, headers, remoteAddress?, clientCertificate?} with an absolute url
   * @returns {Promise<Principal>}
   */
  async verifyRequest(req) {
    const get = headerGetter(req);
    const auth = get('authorization') ?? '';
    const sp = auth.indexOf(' ');
    const dpop = sp >= 0 && auth.slice(0, sp).toLowerCase() === 'dpop';
    const token = dpop ? goTrimSpace(auth.slice(sp + 1)) : this.tokenFromRequest(req);
    const c = await this.#verifyEntry(token);
    if (c.jkt === '' && (dpop || this.#requireDPoP)) {
      this.#stats.rejected++;
      throw new DPoPBoundError(dpop ? 'the DPoP scheme was used with a token that is not DPoP-bound' : 'this API accepts DPoP-bound tokens only');
    }
    if (c.jkt !== '' && !dpop) {
      this.#stats.rejected++;
      throw new DPoPBoundError('a DPoP-bound token must be sent with the DPoP scheme and a proof');
    }
    if (c.x5t !== null) {
      // The certificate before the proof, so that a refused request uses up no jti.
      try {
        checkCertBinding(this.clientCertificate(req), c.x5t, c.jkt !== '');
      } catch (e) {
        this.#stats.rejected++;
        if (e instanceof CertBoundError) e.dpop = c.jkt !== '';
        throw e;
      }
    }
    if (c.jkt === '') return c.p;
    try {
      const proofs = dpopHeaders(req);
      if (proofs.length === 0) throw new DPoPProofError('the request has no DPoP header');
      if (proofs.length > 1) throw new DPoPProofError('the request has more than one DPoP header');
      const now = this.#now();
      const p = checkDPoPProof(proofs[0], { method: req.method ?? 'GET', url: this.requestURL(req), accessToken: token, now });
      if (p.jkt !== c.jkt) throw new DPoPProofError('the proof is signed by a key the token is not bound to');
      this.#proofs.use(`${c.jkt} ${p.jti}`, now, 2 * DPOP_WINDOW);
    } catch (e) {
      this.#stats.rejected++;
      throw e;
    }
    return c.p;
  }

  /**
   * The DER of the certificate the client presented with req (a Buffer), or null: the
   * clientCertHeader header (RFC 9440 Client-Cert, ":base64 DER:") when req's direct
   * peer (socket.remoteAddress, never X-Forwarded-For) is one of trustedProxies, and
   * nothing else; otherwise the certificate of req's own TLS connection
   * (socket.getPeerCertificate(true).raw), or a fetch-style request's
   * clientCertificate. A trusted proxy's header that is not a certificate throws a
   * CertBoundError.
   * @param {any} req
   * @returns {Buffer|null}
   */
  clientCertificate(req) {
    return clientCertificate(req, this.#trustedProxy, this.#clientCertHeader, (r, name) => headerGetter(r)(name));
  }

  /**
   * The URL a DPoP proof for req must name (htu): publicURL joined with the request's
   * path when set, otherwise the request's own absolute URL or one rebuilt from its
   * Host header.
   * @param {any} req
   */
  requestURL(req) {
    const raw = typeof req?.originalUrl === 'string' ? req.originalUrl : (req?.url ?? '/');
    if (/^https?:\/\//i.test(raw)) {
      if (this.#publicURL === '') return raw;
      return this.#publicURL + new URL(raw).pathname;
    }
    const path = raw.split('?')[0];
    if (this.#publicURL !== '') return this.#publicURL + path;
    const secure = req?.socket?.encrypted === true || req?.protocol === 'https';
    return `${secure ? 'https' : 'http'}://${headerGetter(req)('host') || 'localhost'}${path}`;
  }

  /** verify's work: the cache entry of a checked credential. */
  async #verifyEntry(token) {
    if (token === undefined || token === null || token === '') throw new NoTokenError();
    if (typeof token !== 'string') throw new TypeError('verify: the token must be a string');
    if (token.length > MAX_TOKEN_LEN) {
      this.#stats.rejected++;
      throw new MalformedError(`length ${token.length}`);
    }
    const key = sha256(token);
    const hit = this.#cache.get(key);
    if (hit !== undefined) {
      try {
        const r = this.#recheck(hit);
        if (r !== undefined) await r;
      } catch (e) {
        this.#cache.delete(key);
        this.#stats.rejected++;
        this.#stats.cachedRejected++;
        throw e;
      }
      return hit;
    }
    let c;
    try {
      c = this.#verifyFull(token);
      if (c instanceof Promise) c = await c;
    } catch (e) {
      this.#stats.rejected++;
      throw e;
    }
    this.#cache.set(key, c);
    this.#stats.verified++;
    return c;
  }

  /**
   * The credential a request carries: "Authorization: Bearer …" (scheme matched
   * case-insensitively), then X-API-Key if headerApiKey is set, then the query
   * parameter if queryParam is set; '' when none.
   * @param {any} req a request (Node, Express, Fastify, fetch Request), a fetch Headers, or a plain header object
   */
  tokenFromRequest(req) {
    const get = headerGetter(req);
    const h = get('authorization');
    if (h) {
      const sp = h.indexOf(' ');
      if (sp >= 0 && h.slice(0, sp).toLowerCase() === 'bearer') return goTrimSpace(h.slice(sp + 1));
    }
    if (this.#headerApiKey) {
      const k = get('x-api-key');
      if (k) return goTrimSpace(k);
    }
    if (this.#queryParam && req && typeof req.url === 'string') {
      const q = req.url.indexOf('?');
      if (q >= 0) return new URLSearchParams(req.url.slice(q + 1)).get(this.#queryParam) ?? '';
    }
    return '';
  }

  /** Counters since the verifier started, for logs and metrics. */
  stats() {
    const s = this.#stats;
    return {
      verified: s.verified,
      cacheHits: this.#cache.hits - s.cachedRejected,
      rejected: s.rejected,
      jwksFetches: s.jwksFetches,
      jwksFetchErrors: s.jwksFetchErrors,
      statusFetches: s.statusFetches,
      statusFetchErrors: s.statusFetchErrors,
      statusStale: s.statusStale,
      failClosed: s.failClosed,
      failOpen: s.failOpen,
      cachedCredentials: this.#cache.size,
      feedEnabled: this.#feed !== null,
      feedConnected: this.#feed?.connected ?? false,
      feedEventsApplied: this.#feedStats.applied,
      feedEventsRejected: this.#feedStats.rejected,
      feedEventsIgnored: this.#feedStats.ignored,
      feedLastEventId: this.#seqs.highest,
      feedLastEventAt: this.#feedStats.lastEventAt === null ? null : new Date(this.#feedStats.lastEventAt),
      feedLagMs: this.#feedStats.lagMs,
      feedReconnects: this.#feed?.reconnects ?? 0,
      feedResets: this.#feedStats.resets,
    };
  }

  /**
   * Runs one background refresh pass now: the JWKS if it is due, and every recently used
   * status list older than 90% of its ttl. Resolves to the ms until something is next
   * due. The background timer calls this by itself; tests with an injected clock call
   * it to stand in for the timer.
   * @returns {Promise<number>}
   */
  async refresh() {
    const now = this.#now();
    let next = this.#refreshEvery;
    const ks = this.#keys;
    if (ks && now - ks.fetched >= ks.maxAge - this.#refreshEvery) await this.#refreshJWKS().catch(noop);
    for (const e of this.#lists.values()) {
      if (now - e.lastUsed * 1000 > LIST_IDLE) continue; // fetched again on demand
      let l = e.current;
      // A list older than a pushed event it lacked is fetched again at the next pass (once per cooldown).
      const behind = e.behind && now - e.lastTry >= this.#cooldown;
      if (l === null || behind || now - l.fetched >= l.ttl * 0.9) {
        try {
          await this.#fetchStatusList(e);
        } catch (err) {
          this.#logFetchError('status list', e.uri, err);
        }
        l = e.current;
      }
      if (l !== null) {
        const due = l.fetched + l.ttl * 0.9 - this.#now();
        if (due < next) next = due;
      }
    }
    return Math.max(next, 100);
  }

  // --- internals ---

  #schedule(ms) {
    if (this.#closed) return;
    this.#timerAt = performance.now() + ms;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#timerAt = Infinity;
      this.#ticking = this.refresh().then(
        (next) => this.#schedule(next),
        () => this.#schedule(this.#refreshEvery),
      ).finally(() => {
        this.#ticking = null;
      });
    }, ms);
    this.#timer.unref?.();
  }

  /**
   * Brings the next background pass forward to within ms (a list was just installed
   * whose refresh is due sooner than the timer). No-op while a pass runs: it computes
   * its own next wake.
   */
  #wake(ms) {
    if (this.#closed || this.#timer === null) return;
    const delay = Math.max(ms, 100);
    if (performance.now() + delay >= this.#timerAt) return;
    clearTimeout(this.#timer);
    this.#timer = null;
    this.#schedule(delay);
  }

  /**
   * GETs url, bounded in size; resolves to the body and the Cache-Control max-age (ms, 0 when absent).
   * @param {string} url
   * @param {string} accept
   * @returns {Promise<{body: Buffer, maxAge: number}>}
   */
  async #get(url, accept) {
    const signal = anySignal(AbortSignal.timeout(this.#fetchTimeout), this.#abort.signal);
    const res = await this.#fetch(url, { method: 'GET', headers: { accept }, signal });
    if (res.status !== 200) {
      try {
        await res.body?.cancel();
      } catch {
        // nothing to release
      }
      throw new Error(`GET ${url}: ${res.status}`);
    }
    const chunks = [];
    let n = 0;
    if (res.body) {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        n += value.byteLength;
        if (n > MAX_DOCUMENT) {
          await reader.cancel().catch(noop);
          throw new Error(`GET ${url}: response larger than ${MAX_DOCUMENT} bytes`);
        }
        chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      }
    }
    return { body: Buffer.concat(chunks, n), maxAge: maxAge(res.headers?.get?.('cache-control') ?? '') };
  }

  /** The issuer's RFC 8414 metadata; its issuer must equal the configured one. */
  async #discover() {
    let m;
    try {
      const { body } = await this.#get(`${this.#issuer}/.well-known/oauth-authorization-server`, 'application/json');
      m = JSON.parse(body.toString('utf8'));
    } catch (e) {
      throw new Error(`verify: discovery: ${/** @type {Error} */ (e).message}`, { cause: e });
    }
    if (m === null || typeof m !== 'object' || Array.isArray(m)) throw new Error('verify: discovery: the metadata is not a JSON object');
    const s = (v, name) => {
      if (v === undefined || v === null) return '';
      if (typeof v !== 'string') throw new Error(`verify: discovery: ${name} is not a string`);
      return v;
    };
    const issuer = s(m.issuer, 'issuer');
    if (issuer !== this.#issuer) {
      throw new Error(`verify: discovery: metadata issuer ${JSON.stringify(issuer)} is not ${JSON.stringify(this.#issuer)}`);
    }
    const jwksURI = s(m.jwks_uri, 'jwks_uri');
    if (jwksURI === '') throw new Error('verify: discovery: metadata has no jwks_uri');
    const algs = m.signing_alg_values_supported ?? [];
    if (!Array.isArray(algs) || algs.some((a) => typeof a !== 'string')) {
      throw new Error('verify: discovery: signing_alg_values_supported is not a list of strings');
    }
    const events = s(m.status_list_events_endpoint, 'status_list_events_endpoint');
    if (events !== '' && !events.startsWith(`${this.#issuer}/`)) {
      throw new Error(`verify: discovery: status_list_events_endpoint ${JSON.stringify(truncate(events, 100))} is not under the issuer`);
    }
    return {
      jwksURI, signingAlgs: algs, statusListURIPrefix: s(m.status_list_uri_prefix, 'status_list_uri_prefix'), statusEventsEndpoint: events,
    };
  }

  /** Fetches the JWKS and installs it; on failure the old one stays. One fetch at a time. */
  #refreshJWKS() {
    if (this.#jwksInflight) return this.#jwksInflight;
    this.#lastJWKS = this.#now();
    this.#stats.jwksFetches++;
    this.#jwksInflight = (async () => {
      try {
        const { body, maxAge: age } = await this.#get(this.#jwksURI, 'application/json');
        const keys = await parseJWKS(JSON.parse(body.toString('utf8')), this.#allowed);
        this.#keys = { keys, fetched: this.#now(), maxAge: age === 0 || age > 3_600_000 ? 300_000 : age };
        return true;
      } catch (e) {
        this.#stats.jwksFetchErrors++;
        this.#logFetchError('JWKS', this.#jwksURI, e);
        if (this.#keys === null) throw new Error(`verify: JWKS: ${/** @type {Error} */ (e).message}`, { cause: e });
        return false;
      } finally {
        this.#jwksInflight = null;
      }
    })();
    return this.#jwksInflight;
  }

  /**
   * The key for kid, refetching the JWKS once per cooldown when the kid is unknown (a
   * new key may have been published). The token's alg must equal the key's.
   * @param {string} kid
   * @param {string} alg
   * @returns {Promise<import('./keys.js').PublicKey>}
   */
  async #keyFor(kid, alg) {
    const k = this.#keySync(kid, alg);
    if (k !== undefined) return k;
    return this.#keySlow(kid, alg);
  }

  /** The key when no fetch is needed; undefined when the kid is unknown. */
  #keySync(kid, alg) {
    if (!this.#allowed.has(alg)) throw new HeaderError(`algorithm ${JSON.stringify(truncate(alg, 20))} is not accepted`);
    const k = /** @type {NonNullable<typeof this.keys>} */ (this.#keys).keys.get(kid);
    if (k === undefined) return undefined;
    if (k.alg !== alg) throw new HeaderError(`the key is ${k.alg}, the token says ${JSON.stringify(truncate(alg, 20))}`);
    return k;
  }

  async #keySlow(kid, alg) {
    if (this.#jwksInflight) await this.#jwksInflight.catch(noop);
    else if (this.#now() - this.#lastJWKS >= this.#cooldown) await this.#refreshJWKS().catch(noop);
    const k = this.#keySync(kid, alg);
    if (k === undefined) throw new UnknownKeyError();
    return k;
  }

  /**
   * What a cached credential must still pass: not expired, the allow-lists, its key
   * still published, its status bit still clear. Returns a promise only when the
   * status list has to be fetched.
   */
  #recheck(c) {
    if (!(this.#now() < c.exp + this.#leeway)) throw new ExpiredError();
    this.#checkAllowed(c.project, c.team);
    if (!this.#keys?.keys.has(c.kid)) throw new UnknownKeyError();
    if (c.statusURI !== '') return this.#checkStatus(c.statusURI, c.statusIdx);
    return undefined;
  }

  /**
   * The first sight of a credential: parse, header rules, signature, then claims (so a
   * badly signed expired token is reported as a bad signature), then status. Returns
   * the cache entry synchronously, or a promise of it when something must be fetched.
   * @param {string} token
   */
  #verifyFull(token) {
    const c = parseCompact(token);
    const kind = kindOf(c.header.typ);
    if (kind === undefined || !this.#kinds.has(kind)) throw new TokenTypeError(`typ ${JSON.stringify(truncate(c.header.typ, 40))}`);
    const k = this.#keySync(c.header.kid, c.header.alg);
    if (k === undefined) return this.#keySlow(c.header.kid, c.header.alg).then((key) => this.#verifySigned(c, kind, key));
    return this.#verifySigned(c, kind, k);
  }

  /**
   * The rest of the first sight, once the key is known. Returns the cache entry, or a
   * promise of it when the status list has to be fetched.
   * @param {import('./token.js').Compact} c
   * @param {'api_key'|'access_token'} kind
   * @param {import('./keys.js').PublicKey} k
   */
  #verifySigned(c, kind, k) {
    if (!k.verify(c.signingInput, c.signature)) throw new SignatureError();
    let raw;
    try {
      raw = parseStrict(c.payload, CLAIM_NAMES);
    } catch (e) {
      if (e instanceof StrictJSONError) throw new MalformedError(`claims: ${e.message}`);
      throw e;
    }
    const cl = readClaims(raw);
    if ((cl.exp !== null && !validNumericDate(cl.exp)) || (cl.nbf !== null && !validNumericDate(cl.nbf))
      || (cl.iat !== null && !validNumericDate(cl.iat)) || (cl.authTime !== null && !validNumericDate(cl.authTime))) {
      throw new ClaimsError('a time claim is out of range');
    }
    const now = this.#now();
    const leeway = this.#leeway;
    if (cl.iss !== this.#issuer) throw new IssuerError(JSON.stringify(truncate(cl.iss, 100)));
    if (!cl.aud.includes(this.#audience)) throw new AudienceError(`${JSON.stringify(this.#audience)} is not among ${JSON.stringify(cl.aud)}`);
    if (cl.exp === null) throw new ExpiredError('no exp');
    if (!(now < cl.exp * 1000 + leeway)) throw new ExpiredError(`at ${new Date(cl.exp * 1000).toISOString()}`);
    if (cl.nbf !== null && now + leeway < cl.nbf * 1000) throw new NotYetValidError(`nbf ${new Date(cl.nbf * 1000).toISOString()}`);
    if (cl.iat !== null && now + leeway < cl.iat * 1000) throw new NotYetValidError('iat in the future');
    if (cl.sub === '' || cl.jti === '') throw new ClaimsError('sub and jti are required');
    let subjectType;
    if (cl.subType === '' || cl.subType === SUBJECT_PROJECT) subjectType = SUBJECT_PROJECT;
    else if (kind === 'api_key') throw new ClaimsError(`an API key's subject is always a project, not ${JSON.stringify(truncate(cl.subType, 40))}`);
    else if (cl.subType === SUBJECT_SERVICE_ACCOUNT || cl.subType === SUBJECT_USER) subjectType = cl.subType;
    else throw new ClaimsError(`unknown sub_type ${JSON.stringify(truncate(cl.subType, 40))}`);
    // The allow-list of projects is about the client: for a user's token, the project
    // acting for the user (client_id), not the user.
    const client = subjectType === SUBJECT_USER ? cl.clientId : cl.sub;
    const p = new Principal({
      kind, api: this.#audience, subjectType, subject: cl.sub, project: subjectType === SUBJECT_PROJECT ? cl.sub : '',
      serviceAccount: subjectType === SUBJECT_SERVICE_ACCOUNT ? cl.sub : '', clientId: client, team: cl.team, scopes: goFields(cl.scope),
      keyId: cl.jti, audience: cl.aud, issuedAt: cl.iat === null ? null : cl.iat * 1000, expiresAt: cl.exp * 1000,
      authTime: cl.authTime === null ? null : cl.authTime * 1000, acr: cl.acr, amr: cl.amr === null ? [] : [...cl.amr],
      actors: cl.actors, dpopThumbprint: cl.jkt, certThumbprint: cl.certThumbprint,
    });
    const out = {
      p, exp: cl.exp * 1000, kid: k.kid, kind, project: client, team: cl.team, statusURI: '', statusIdx: 0, jkt: cl.jkt, x5t: cl.x5t,
      _key: '', _i: 0, _ref: false, // the cache's bookkeeping (cache.js)
    };
    // A project's or a service account's token is its own client's: client_id is sub.
    // A user's token names the client acting for the user, which is not the user.
    if (kind === 'access_token') {
      if (subjectType === SUBJECT_USER) {
        if (cl.clientId === '') throw new ClaimsError('client_id is required');
      } else if (cl.clientId !== cl.sub) throw new ClaimsError('client_id must equal sub');
    }
    if (kind === 'api_key') {
      const sl = cl.statusList;
      if (sl === null || sl.idx === null || sl.uri === '') throw new ClaimsError('an API key must carry a status list reference');
      out.statusURI = sl.uri;
      out.statusIdx = sl.idx;
      if (!sl.uri.startsWith(this.#listPrefix) || /[/?#\\]/.test(sl.uri.slice(this.#listPrefix.length))) {
        throw new StatusUnavailableError(`status list ${JSON.stringify(truncate(sl.uri, 100))} is not the issuer's`);
      }
    }
    // The allow-lists come after the signature and the claims, so that a forged or
    // expired credential is reported as such, and before the status list, so that a
    // credential this API never takes costs no fetch.
    this.#checkAllowed(out.project, out.team);
    if (out.statusURI !== '') {
      const r = this.#checkStatus(out.statusURI, out.statusIdx);
      if (r !== undefined) return r.then(() => out);
    }
    return out;
  }

  /** The Projects and Teams allow-lists. */
  #checkAllowed(project, team) {
    if (this.#projects !== null && !this.#projects.has(project)) throw new NotAllowedError('project', JSON.stringify(truncate(project, 100)));
    if (this.#teams !== null) {
      if (team === '') throw new NotAllowedError('no_team');
      if (!this.#teams.has(team)) throw new NotAllowedError('team', JSON.stringify(truncate(team, 100)));
    }
  }

  /**
   * The status bit, failing closed unless failOpen is set. Synchronous (undefined or a
   * throw) while the list is cached; a promise when it has to be fetched.
   * @returns {Promise<void>|undefined}
   */
  #checkStatus(uri, idx) {
    let l;
    try {
      l = this.#statusFor(uri);
    } catch (e) {
      return this.#statusFailed(uri, e);
    }
    if (l instanceof Promise) return l.then((list) => this.#applyBit(list, idx), (e) => this.#statusFailed(uri, e));
    return this.#applyBit(l, idx);
  }

  /** @returns {undefined} */
  #applyBit(l, idx) {
    const revoked = statusBit(l.bits, idx);
    if (revoked === undefined) throw new StatusUnavailableError(`index ${idx} is outside the list`);
    if (revoked) throw new RevokedError();
    return undefined;
  }

  /** No usable list: fail closed (the error), or open when configured; counted, and logged when open. */
  #statusFailed(uri, err) {
    if (this.#failOpen) {
      this.#stats.failOpen++;
      this.#logger.warn?.('verify: accepting an API key without its status (failOpen)', {
        status_list: uri, error: /** @type {Error} */ (err).message,
      });
      return undefined;
    }
    this.#stats.failClosed++;
    throw err;
  }

  /**
   * The list at uri for a credential being verified now: the cached list while it is
   * before its exp (synchronously), else a promise of a fresh fetch (at most one per
   * cooldown).
   * @returns {import('./statuslist.js').StatusList | Promise<import('./statuslist.js').StatusList>}
   */
  #statusFor(uri) {
    let e = this.#lists.get(uri);
    const now = this.#now();
    if (e === undefined) {
      if (this.#lists.size >= MAX_LISTS) throw new StatusUnavailableError('too many status lists');
      e = { uri, current: null, lastUsed: 0, lastTry: -Infinity, inflight: null, pushed: new Map(), behind: false };
      this.#lists.set(uri, e);
    }
    const sec = Math.floor(now / 1000);
    if (e.lastUsed !== sec) e.lastUsed = sec;
    const l = e.current;
    if (l !== null && now < l.exp) {
      if (now - l.fetched > l.ttl + this.#refreshEvery) this.#stats.statusStale++; // the refresh is failing: still within exp
      return l;
    }
    return this.#statusSlow(e, now);
  }

  /** Never fetched, or past its exp: fetch now, at most once per cooldown. */
  async #statusSlow(e, now) {
    if (e.inflight) await e.inflight.catch(noop);
    if (!(now - e.lastTry < this.#cooldown)) {
      try {
        await this.#fetchStatusList(e);
      } catch (err) {
        this.#logFetchError('status list', e.uri, err);
      }
    }
    const l = e.current;
    if (l !== null && now < l.exp) return l;
    throw new StatusUnavailableError(`${e.uri} could not be fetched and no unexpired copy is cached`);
  }

  /** Downloads and installs a list; on failure the previous version stays. One fetch at a time per list. */
  #fetchStatusList(e) {
    if (e.inflight) return e.inflight;
    e.lastTry = this.#now();
    e.inflight = (async () => {
      let body;
      try {
        ({ body } = await this.#get(e.uri, 'application/statuslist+jwt'));
      } catch (err) {
        this.#stats.statusFetches++;
        this.#stats.statusFetchErrors++;
        throw new StatusUnavailableError(/** @type {Error} */ (err).message, err);
      }
      this.#stats.statusFetches++;
      try {
        const l = await decodeStatusList({
          uri: e.uri, token: goTrimSpace(decodeUTF8(body.toString('latin1'))), issuer: this.#issuer,
          now: this.#now(), defaultTtl: DEFAULT_STATUS_TTL, keyFor: (kid, alg) => this.#keyFor(kid, alg),
        });
        installList(e, l);
        this.#wake(e.current.ttl * 0.9);
      } catch (err) {
        this.#stats.statusFetchErrors++;
        throw err;
      }
    })().finally(() => {
      e.inflight = null;
    });
    return e.inflight;
  }

  /** Starts the revocation feed's connection (one per verifier). */
  #subscribe(url) {
    this.#feed = new Subscriber({
      url, fetch: this.#fetch, signal: this.#abort.signal, connectTimeout: this.#fetchTimeout, idleTimeout: this.#eventsIdle,
      lastEventId: () => (this.#seqs.highest > 0 ? String(this.#seqs.highest) : ''),
      onEvent: (ev) => this.#feedEvent(ev),
      warn: (msg, fields) => {
        if (!this.#closed) this.#logger.warn?.(msg, fields);
      },
    });
    this.#feed.start();
  }

  /**
   * One event of the feed. status: verified and applied (or dropped, and counted as
   * rejected); reset: every cached list is fetched again, and the seqs seen are
   * forgotten (the server starts over from now).
   * @param {import('./feed.js').SSEEvent} ev
   */
  async #feedEvent(ev) {
    if (ev.type === 'reset' && !ev.oversize) {
      this.#feedStats.resets++;
      this.#seqs.clear();
      // One list after the other (a reset may reach every verifier at once), beside the
      // events that follow.
      const p = (async () => {
        for (const e of [...this.#lists.values()]) {
          if (e.current === null || this.#closed) continue;
          await this.#fetchStatusList(e).catch((err) => this.#logFetchError('status list', e.uri, err));
        }
      })();
      this.#resetting.add(p);
      p.finally(() => this.#resetting.delete(p));
      return;
    }
    if (ev.type !== 'status') return;
    try {
      const applied = await this.applyStatusEvent(ev.oversize ? '' : ev.data, ev.id);
      if (applied) this.#feedStats.applied++;
      else this.#feedStats.ignored++;
    } catch (err) {
      this.#feedStats.rejected++;
      this.#logger.debug?.('verify: status event rejected', { error: /** @type {Error} */ (err).message });
    }
  }

  /**
   * Checks a status event (the compact JWS of an SSE status event, and the SSE id it came
   * with, or null) by the feed's rules and applies it: true when it set a bit of a cached
   * list; false for a genuine event with nothing to do (a list this verifier does not
   * hold, a status other than 1, a seq already taken). Throws a VerifyError for an event
   * that must not be applied: forged, wrong typ, iss or uri, idx outside the list, a seq
   * that is not its SSE id. The feed calls it; so can a program that receives events
   * another way.
   * @param {string} jws
   * @param {string|null} [id]
   * @returns {Promise<boolean>}
   */
  async applyStatusEvent(jws, id = null) {
    if (typeof jws !== 'string' || jws === '') throw new MalformedError('empty event');
    const c = parseCompact(jws);
    checkEventTyp(c.header.typ);
    const k = await this.#keyFor(c.header.kid, c.header.alg);
    if (!k.verify(c.signingInput, c.signature)) throw new SignatureError('event');
    const cl = readEventClaims(c.payload);
    checkEventIssuer(cl.iss, this.#issuer);
    const prefix = `${this.#issuer}/statuslists/`;
    if (!cl.uri.startsWith(prefix) || !cl.uri.startsWith(this.#listPrefix) || !listName(cl.uri.slice(this.#listPrefix.length))) {
      throw new StatusUnavailableError(`event for ${JSON.stringify(truncate(cl.uri, 100))}, not a list of the issuer`);
    }
    if (id !== null && id !== String(cl.seq)) throw new ClaimsError(`event seq ${cl.seq} under SSE id ${JSON.stringify(truncate(id, 40))}`);
    const e = this.#lists.get(cl.uri);
    const l = e?.current ?? null;
    if (l !== null && statusBit(l.bits, cl.idx) === undefined) throw new StatusUnavailableError(`event index ${cl.idx} is outside the list`);
    // A genuine event from here on. Replayed, for a list not held, or not a revocation: nothing to do.
    if (this.#seqs.seen(cl.seq)) return false;
    this.#seqs.take(cl.seq);
    if (e === undefined || l === null || cl.status !== 1) return false;
    l.bits[cl.idx >> 3] |= 1 << (cl.idx & 7);
    if (e.pushed.size < MAX_PUSHED || e.pushed.has(cl.idx)) e.pushed.set(cl.idx, Math.max(cl.ver, e.pushed.get(cl.idx) ?? cl.ver));
    const now = this.#now();
    this.#feedStats.lastEventAt = now;
    this.#feedStats.lagMs = Math.max(0, now - cl.iat * 1000);
    return true;
  }

  #logFetchError(what, url, err) {
    if (this.#closed) return;
    this.#logger.warn?.(`verify: fetching ${what} failed; using the cached copy while it is valid`, {
      url, error: /** @type {Error} */ (err)?.message ?? String(err),
    });
  }
}

/**
 * @typedef {object} ListEntry
 * @property {string} uri
 * @property {import('./statuslist.js').StatusList|null} current
 * @property {number} lastUsed seconds
 * @property {number} lastTry ms
 * @property {Promise<void>|null} inflight
 * @property {Map<number, number>} pushed bits set by the feed that no fetched list has confirmed yet: index → the event's ver
 * @property {boolean} behind the installed list lacked a pushed bit: fetch it again at the next pass
 */

/** Most pushed bits remembered per list until a fetched list confirms them. */
const MAX_PUSHED = 65536;

/**
 * Installs a fetched list (the source of truth), keeping the pushed bits it does not
 * have yet: revocation is one-way, so a list without a bit a signed event set is older
 * than that event, and is fetched again at the next pass.
 * @param {ListEntry} e
 * @param {import('./statuslist.js').StatusList} l
 */
function installList(e, l) {
  e.behind = false;
  for (const [idx, ver] of e.pushed) {
    const revoked = statusBit(l.bits, idx);
    if (revoked !== false || (l.ver !== null && l.ver >= ver)) {
      e.pushed.delete(idx); // confirmed, or the list is at least as new as the event
      continue;
    }
    l.bits[idx >> 3] |= 1 << (idx & 7);
    e.behind = true;
  }
  e.current = l;
}

/** Reads the claims as encoding/json fills the Go verifier's struct; a wrong JSON type is ClaimsError. */
function readClaims(raw) {
  try {
    const status = readObject(raw.get('status'), 'status');
    const sl = status === null ? null : readObject(status.get('status_list'), 'status_list');
    const { jkt, x5t, certThumbprint } = readCnf(readObject(raw.get('cnf'), 'cnf'));
    return {
      iss: readString(raw.get('iss'), 'iss'),
      sub: readString(raw.get('sub'), 'sub'),
      aud: readAudience(raw.get('aud')),
      exp: readFloat(raw.get('exp'), 'exp'),
      nbf: readFloat(raw.get('nbf'), 'nbf'),
      iat: readFloat(raw.get('iat'), 'iat'),
      jti: readString(raw.get('jti'), 'jti'),
      scope: readString(raw.get('scope'), 'scope'),
      clientId: readString(raw.get('client_id'), 'client_id'),
      team: readString(raw.get('team'), 'team'),
      subType: readString(raw.get('sub_type'), 'sub_type'),
      authTime: readFloat(raw.get('auth_time'), 'auth_time'),
      acr: readString(raw.get('acr'), 'acr'),
      amr: readStringArray(raw.get('amr'), 'amr'),
      actors: readActors(raw.get('act')),
      jkt,
      x5t,
      certThumbprint,
      statusList: sl === null ? null : { idx: readInt(sl.get('idx'), 'idx'), uri: readString(sl.get('uri'), 'uri') },
    };
  } catch (e) {
    if (e instanceof TypeMismatch) throw new ClaimsError(e.message);
    throw e;
  }
}

/**
 * The cnf claim (verify's readCnf): absent or null is an unbound token; otherwise jkt
 * (a DPoP key's thumbprint) and/or x5t#S256 (a certificate's SHA-256, 32 bytes in
 * base64url), both strings, and no other member: a binding this verifier does not
 * understand is refused (ClaimsError), never ignored.
 * @param {import('./strictjson.js').JObj|null} cnf
 */
function readCnf(cnf) {
  const out = { jkt: '', x5t: /** @type {Buffer|null} */ (null), certThumbprint: '' };
  if (cnf === null) return out;
  const names = cnf.keys;
  if (names.length === 0) throw new ClaimsError('cnf must carry a jkt or an x5t#S256');
  for (const name of names) {
    const v = cnf.get(name);
    if (typeof v !== 'string') throw new ClaimsError(`cnf.${truncate(name, 20)} is not a string`);
    if (name === 'jkt') {
      if (v === '' || v.length > 100) throw new ClaimsError('cnf must carry a jkt');
      out.jkt = v;
    } else if (name === 'x5t#S256') {
      out.x5t = parseX5t(v);
      if (out.x5t === null) throw new ClaimsError('cnf.x5t#S256 is not a base64url SHA-256');
      out.certThumbprint = v;
    } else {
      throw new ClaimsError(`cnf.${JSON.stringify(truncate(name, 20))} is a binding this verifier does not understand`);
    }
  }
  return out;
}

/** The longest actor chain (act nested in act) a credential may carry. */
export const MAX_ACTORS = 10;

/**
 * The act claim (RFC 8693 §4.1) as the actor chain, nearest first: absent or null is
 * none; each actor an object with a non-empty string sub and, if present, a string
 * sub_type; at most MAX_ACTORS. Anything else is ClaimsError.
 * @returns {Actor[]}
 */
function readActors(v) {
  const out = [];
  for (let a = readObject(v, 'act'); a !== null; a = readObject(a.get('act'), 'act')) {
    if (out.length === MAX_ACTORS) throw new ClaimsError(`the actor chain is longer than ${MAX_ACTORS}`);
    const sub = readString(a.get('sub'), 'act.sub');
    if (sub === '') throw new ClaimsError('an actor has no sub');
    out.push(Object.freeze({ subject: sub, subjectType: readString(a.get('sub_type'), 'act.sub_type') }));
  }
  return out;
}

/** A list's name under the prefix: not empty, nothing that climbs out of it. */
function listName(name) {
  return name !== '' && !/[/?#\\]/.test(name);
}

/** Cache-Control max-age in ms (0 when absent). */
function maxAge(cc) {
  for (const part of cc.split(',')) {
    const p = part.trim();
    if (p.startsWith('max-age=')) {
      const v = p.slice('max-age='.length);
      if (/^[+-]?[0-9]+$/.test(v)) {
        const n = Number(v);
        if (n > 0 && Number.isSafeInteger(n)) return n * 1000;
      }
    }
  }
  return 0;
}

/** A signal aborted when either is (AbortSignal.any arrived in Node 20.3). */
function anySignal(a, b) {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any([a, b]);
  const c = new AbortController();
  for (const s of [a, b]) {
    if (s.aborted) c.abort(s.reason);
    else s.addEventListener('abort', () => c.abort(s.reason), { once: true });
  }
  return c.signal;
}

/** A header reader for a request, a fetch Headers, or a plain header object. */
function headerGetter(req) {
  if (req === null || req === undefined) return () => '';
  const h = req.headers !== undefined && typeof req.headers === 'object' ? req.headers : req;
  if (typeof h.get === 'function' && typeof h.has === 'function') return (/** @type {string} */ name) => h.get(name) ?? '';
  return (/** @type {string} */ name) => {
    let v = h[name];
    if (v === undefined) {
      for (const k of Object.keys(h)) {
        if (k.toLowerCase() === name) {
          v = h[k];
          break;
        }
      }
    }
    if (Array.isArray(v)) v = v[0];
    return typeof v === 'string' ? v : '';
  };
}

/**
 * The DPoP header values of a request (Node's IncomingMessage joins repeated headers
 * with ", ", which no compact JWS contains).
 * @param {any} req
 * @returns {string[]}
 */
function dpopHeaders(req) {
  const h = req?.headers;
  let v;
  if (h && typeof h.get === 'function') v = h.get('dpop');
  else if (h && typeof h === 'object') v = h.dpop ?? h.DPoP;
  if (v === undefined || v === null || v === '') return [];
  const list = Array.isArray(v) ? v : String(v).split(',');
  return list.map((x) => String(x).trim()).filter((x) => x !== '');
}

// Type declarations of @gatehouse/verify (hand-written; the code is plain ESM).

/** Which credential a request carried. */
export type Kind = 'api_key' | 'access_token';

/** The algorithms a verifier can accept. */
export type Algorithm = 'ES256' | 'EdDSA' | 'RS256';

/** A console-like logger. Only the methods present are called. */
export interface Logger {
  debug?(message: string, fields?: Record<string, unknown>): void;
  info?(message: string, fields?: Record<string, unknown>): void;
  warn?(message: string, fields?: Record<string, unknown>): void;
  error?(message: string, fields?: Record<string, unknown>): void;
}

export interface VerifierOptions {
  /** This API's audience: a credential's aud must contain it. Required. */
  audience: string;
  /** Which credentials this API takes. Default: both. */
  accept?: Kind[];
  /** Accepted signature algorithms, intersected with the issuer's signing_alg_values_supported. Default: all three. */
  algorithms?: Algorithm[];
  /** Clock skew allowed on exp, nbf and iat, 0 to 300. Default 30. */
  leewaySeconds?: number;
  /** Only credentials of these projects (sub / client_id); others are NotAllowedError. Not set: any project. */
  projects?: string[] | null;
  /** Only credentials whose team claim is one of these; others (and those without a team) are NotAllowedError. */
  teams?: string[] | null;
  /** Accept API keys whose status list cannot be had (portal down past the list's exp). Default false: fail closed. */
  failOpen?: boolean;
  /** How many verified credentials are remembered (0 disables the cache). Default 10000. */
  cacheSize?: number;
  /** Least time between two fetches triggered by requests (unknown kid, missing list). Default 30. */
  cooldownSeconds?: number;
  /** The background refresher wakes at least this often. Default 5. */
  refreshIntervalSeconds?: number;
  /** Timeout of each fetch from the portal. Default 10000. */
  fetchTimeoutMs?: number;
  /** A fetch-compatible function. Default globalThis.fetch. */
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
  /** The clock, in ms since the epoch (tests). Default Date.now. */
  now?: () => number;
  /** Receives fetch failures and fail-open decisions (warn) and rejections (info). Default: warnings to console.warn. */
  logger?: Logger;
  /** Also read credentials from the X-API-Key header. Default false. */
  headerApiKey?: boolean;
  /** Also read credentials from this query parameter (off by default: URLs end up in logs). */
  queryParam?: string;
  /** Refuse tokens that are not DPoP-bound (RFC 9449). */
  requireDPoP?: boolean;
  /** The public base URL of this API behind a proxy: a DPoP proof's htu names it joined with the request's path. */
  publicURL?: string;
  /** How many DPoP proofs (jti) are remembered to refuse replays (default 100000). */
  dpopReplayCacheSize?: number;
  /**
   * Subscribe to the issuer's revocation feed (status_list_events_endpoint in its
   * metadata; one SSE connection per verifier): revocations are applied to the cached
   * status lists as they happen, the periodic list fetch staying on. Default true.
   */
  statusEvents?: boolean;
  /** Drop and reconnect the feed after this long without a byte, heartbeats included (default 45000). */
  statusEventsIdleTimeoutMs?: number;
   * The networks (CIDRs, or single addresses) of the TLS-terminating proxies in front
   * of this API (RFC 8705 certificate-bound tokens). From a request whose direct peer
   * (socket.remoteAddress) is in one of them, the client's certificate is the
   * clientCertHeader header and nothing else; from any other address that header is
   * ignored and the certificate is the TLS connection's. Default: none.
   */
  trustedProxies?: string[];
  /** The header trusted proxies forward the client's certificate in (RFC 9440, ":base64 DER:"). Default 'Client-Cert'. */
  clientCertHeader?: string;
  /**
   * The URL of this API's RFC 9728 protected resource metadata (on its own host:
   * https://api.example.com/.well-known/oauth-protected-resource/v1 for
   * https://api.example.com/v1). The gatehouse middleware's 401s, and sendError/replyError,
   * then carry it as resource_metadata (RFC 9728 §5.1); requireScope's, requireAuthTime's
   * and requireACR's answers do not. Default: not set.
   */
  resourceMetadata?: string;
}

/** What a credential's sub is (the sub_type claim; a token without one is a project's). */
export type SubjectType = 'project' | 'service_account' | 'user';
export declare const SUBJECT_PROJECT: 'project';
export declare const SUBJECT_SERVICE_ACCOUNT: 'service_account';
export declare const SUBJECT_USER: 'user';

/** Who called: the project (or service account, or user) a verified credential belongs to, and the API it was accepted for. Immutable. */
/** One party of an actor chain. */
export interface Actor {
  /** Its sub. */
  readonly subject: string;
  /** Its sub_type ('project' for the projects Gatehouse names; '' when the claim does not say). */
  readonly subjectType: string;
}

export declare class Principal {
  private constructor();
  readonly kind: Kind;
  /** The API the credential was accepted for: the verifier's audience. */
  readonly api: string;
  /** What subject is; decide on it before trusting project. */
  readonly subjectType: SubjectType;
  /** The sub claim, whatever its type. */
  readonly subject: string;
  /** The project's client_id (sub) when subjectType is 'project', else ''. */
  readonly project: string;
  /** The client the credential was issued to: the project, the service account, or for a user's token the project acting for the user. */
  readonly clientId: string;
  /** The service account's id (sub) when subjectType is 'service_account', else ''. */
  readonly serviceAccount: string;
  /** When the user last authenticated (auth_time); null when the token does not say. */
  readonly authTime: Date | null;
  /** The user's authentication context class (acr), or ''. */
  readonly acr: string;
  /** The user's authentication methods (amr), or []. */
  readonly amr: readonly string[];
  /**
   * The parties acting for subject, nearest first, on a token issued by token exchange
   * (the act claim, RFC 8693): actors[0] exchanged the token this API received; [] when none.
   */
  readonly actors: readonly Actor[];
  /** True for a DPoP-bound token accepted with its proof (verifyRequest). */
  readonly dpopBound: boolean;
  /** The RFC 7638 thumbprint of the key the token is bound to ('' when unbound). */
  readonly dpopThumbprint: string;
  /** True for a certificate-bound token (cnf.x5t#S256, RFC 8705) accepted with its client certificate (verifyRequest). */
  readonly certBound: boolean;
  /** The base64url SHA-256 of the certificate the token is bound to ('' when not bound to one). */
  readonly certThumbprint: string;
  /** undefined when the user authenticated at most maxAgeSeconds before now, else the error to answer (RFC 9470). */
  checkAuthTime(now: Date | number, maxAgeSeconds: number): InsufficientUserAuthenticationError | undefined;
  /** undefined when acr is one of values, else the error to answer (RFC 9470). */
  checkACR(...values: Array<string | string[]>): InsufficientUserAuthenticationError | undefined;
  /** The project's team ('' for access tokens issued before the claim existed). */
  readonly team: string;
  readonly scopes: readonly string[];
  /** The credential's id (jti): key_… for API keys. */
  readonly keyId: string;
  /** The aud claim. */
  readonly audience: readonly string[];
  /** null when the credential has no iat. */
  readonly issuedAt: Date | null;
  readonly expiresAt: Date;
  hasScope(scope: string): boolean;
  toJSON(): Record<string, unknown>;
}

export interface VerifierStats {
  /** Credentials accepted after a full check. */
  verified: number;
  /** Credentials accepted from the cache. */
  cacheHits: number;
  /** Every rejection (a missing credential is not one). */
  rejected: number;
  jwksFetches: number;
  jwksFetchErrors: number;
  statusFetches: number;
  statusFetchErrors: number;
  /** Uses of a status list older than its ttl (the portal is not answering; still before exp). */
  statusStale: number;
  /** Rejections because no usable status list could be had. */
  failClosed: number;
  /** Acceptances without a status list (failOpen). */
  failOpen: number;
  /** The cache's current size. */
  cachedCredentials: number;
  /** The verifier subscribes to the revocation feed (the issuer offers it, statusEvents is not false). */
  feedEnabled: boolean;
  /** The revocation feed's connection is open. */
  feedConnected: boolean;
  /** Status events that set a bit of a cached list. */
  feedEventsApplied: number;
  /** Status events dropped: forged, of another typ, issuer or list, malformed, over the bounds. */
  feedEventsRejected: number;
  /** Genuine status events that changed nothing: a list not held, a status other than 1, a replay. */
  feedEventsIgnored: number;
  /** The highest seq taken: the Last-Event-ID of the next connection (0: none). */
  feedLastEventId: number;
  /** When the last event was applied (null: none yet). */
  feedLastEventAt: Date | null;
  /** How late the last applied event arrived: its receipt minus its iat, in ms (null: none yet). */
  feedLagMs: number | null;
  /** Connections made after the first. */
  feedReconnects: number;
  /** reset events received (every cached list fetched again). */
  feedResets: number;
}

/** A request, a fetch Headers, or a plain object of header names to values. */
export type HeadersLike =
  | { headers: Record<string, string | string[] | undefined> | Headers; url?: string }
  | Headers
  | Record<string, string | string[] | undefined>;

export declare class Verifier {
  private constructor();
  readonly issuer: string;
  readonly audience: string;
  readonly logger: Logger;
  /** The resourceMetadata option, or ''. */
  readonly resourceMetadata: string;
  /** The verifier's clock (the now option), in ms since the epoch. */
  now(): number;
  /** Checks a credential; rejects with a VerifyError subclass. */
  verify(token: string | null | undefined): Promise<Principal>;
  /** The request's credential, a DPoP-bound token with its proof (RFC 9449). */
  verifyRequest(req: any): Promise<Principal>;
  /** The URL a DPoP proof for req must name (htu). */
  requestURL(req: any): string;
  /**
   * The DER of the client's certificate: a trusted proxy's clientCertHeader, or the TLS
   * connection's (socket.getPeerCertificate(true).raw), or a fetch-style request's
   * clientCertificate; null when none. Throws a CertBoundError for a malformed header.
   */
  clientCertificate(req: any): Buffer | null;
  /** Bearer credential, then X-API-Key (headerApiKey), then the query parameter (queryParam); '' when none. */
  tokenFromRequest(req: HeadersLike): string;
  stats(): VerifierStats;
  /** One background refresh pass now; resolves to the ms until something is next due. */
  refresh(): Promise<number>;
  /**
   * Checks a status event (its compact JWS and SSE id) by the feed's rules and applies
   * it: true when it set a bit of a cached list, false for a genuine event with nothing
   * to do; rejects with a VerifyError for an event that must not be applied.
   */
  applyStatusEvent(jws: string, id?: string | null): Promise<boolean>;
  /** Stops the background refreshes and aborts fetches in flight. */
  close(): Promise<void>;
}

/** Discovers the issuer (RFC 8414), fetches its JWKS and starts refreshing in the background. */
export declare function createVerifier(issuer: string, options: VerifierOptions): Promise<Verifier>;

/** The longest credential parsed at all (8 KiB). */
export declare const MAX_TOKEN_LEN: number;

export type ErrorCode =
  | 'no_token' | 'malformed' | 'header' | 'unknown_key' | 'signature' | 'type' | 'issuer' | 'audience' | 'expired'
  | 'not_yet_valid' | 'claims' | 'revoked' | 'status_unavailable' | 'not_allowed' | 'insufficient_scope'
  | 'insufficient_user_authentication' | 'dpop_proof' | 'dpop_bound' | 'cert_bound';

/** The base of every rejection. */
export declare class VerifyError extends Error {
  constructor(detail?: string, cause?: unknown);
  static readonly code: ErrorCode | 'invalid_token';
  static readonly description: string;
  readonly code: ErrorCode;
  /** The RFC 6750 error_description: the category only, never token content. */
  readonly description: string;
}
export declare class NoTokenError extends VerifyError { readonly code: 'no_token'; }
export declare class MalformedError extends VerifyError { readonly code: 'malformed'; }
export declare class HeaderError extends VerifyError { readonly code: 'header'; }
export declare class UnknownKeyError extends VerifyError { readonly code: 'unknown_key'; }
export declare class SignatureError extends VerifyError { readonly code: 'signature'; }
export declare class TokenTypeError extends VerifyError { readonly code: 'type'; }
export declare class IssuerError extends VerifyError { readonly code: 'issuer'; }
export declare class AudienceError extends VerifyError { readonly code: 'audience'; }
export declare class ExpiredError extends VerifyError { readonly code: 'expired'; }
export declare class NotYetValidError extends VerifyError { readonly code: 'not_yet_valid'; }
export declare class ClaimsError extends VerifyError { readonly code: 'claims'; }
export declare class RevokedError extends VerifyError { readonly code: 'revoked'; }
export declare class StatusUnavailableError extends VerifyError { readonly code: 'status_unavailable'; }
export declare class NotAllowedError extends VerifyError {
  constructor(reason: 'project' | 'team' | 'no_team', detail?: string);
  readonly code: 'not_allowed';
  /** Which list refused the credential. */
  readonly reason: 'project' | 'team' | 'no_team';
}
export declare class InsufficientScopeError extends VerifyError {
  constructor(scopes: string | string[]);
  readonly code: 'insufficient_scope';
  /** The scopes the route requires. */
  readonly scopes: string[];
}
/** The user's authentication is older or weaker than the route requires (RFC 9470): answered 401 with max_age or acr_values. */
export declare class InsufficientUserAuthenticationError extends VerifyError {
  constructor(reason: string, need: { maxAge?: number; acrValues?: string[] });
  readonly code: 'insufficient_user_authentication';
  /** The error_description. */
  readonly reason: string;
  /** Seconds: the oldest authentication the route accepts (checkAuthTime), else null. */
  readonly maxAge: number | null;
  /** The acr values the route accepts (checkACR), else null. */
  readonly acrValues: string[] | null;
}
/** A DPoP proof is missing, malformed, or does not match the request, key or token: 401 invalid_dpop_proof. */
export declare class DPoPProofError extends VerifyError {
  constructor(reason: string);
  readonly code: 'dpop_proof';
  readonly reason: string;
}
/** A DPoP-bound token sent as a bearer token, or an unbound one where DPoP is required: 401 invalid_token. */
export declare class DPoPBoundError extends VerifyError {
  constructor(reason: string);
  readonly code: 'dpop_bound';
  readonly reason: string;
}
/**
 * A certificate-bound token (RFC 8705) without the client certificate it is bound to:
 * 401 invalid_token (a DPoP challenge when the token is DPoP-bound too: dpop).
 */
export declare class CertBoundError extends VerifyError {
  constructor(reason: string, dpop?: boolean);
  readonly code: 'cert_bound';
  readonly reason: string;
  readonly dpop: boolean;
}
/** The base64url SHA-256 of a certificate's DER: its cnf.x5t#S256 (RFC 8705 §3.1). */
export declare function certThumbprint(der: Uint8Array): string;
/** The default clientCertHeader. */
export declare const DEFAULT_CLIENT_CERT_HEADER: string;
/** The algorithms DPoP proofs may be signed with. */
export declare const DPOP_ALGS: readonly string[];
/** The RFC 7638 SHA-256 thumbprint (base64url) of a public JWK. */
export declare function jwkThumbprint(jwk: Record<string, unknown>): string;
/** Checks one DPoP proof JWT (RFC 9449 §4.3); the jti's replay and the nonce are the caller's. */
export declare function checkDPoPProof(
  proof: string,
  check: { method: string; url: string; accessToken?: string; now: number; windowMs?: number },
): { jkt: string; jti: string; iat: number; nonce: string };

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal, Verifier } from './index.js';

type Next = (err?: unknown) => void;
type Middleware = (req: IncomingMessage & { gatehouse?: Principal }, res: ServerResponse, next: Next) => void | Promise<void>;

/** Verifies every request's credential and sets req.gatehouse, or answers 401/403 the RFC 6750 way. */
export declare function gatehouse(verifier: Verifier, options?: { scopes?: string[] }): Middleware;
/** After gatehouse: 403 insufficient_scope unless req.gatehouse carries every scope. */
export declare function requireScope(...scopes: Array<string | string[]>): Middleware;
/** After gatehouse: 401 insufficient_user_authentication with max_age unless the user authenticated at most maxAgeSeconds ago (RFC 9470). */
export declare function requireAuthTime(maxAgeSeconds: number): Middleware;
/** After gatehouse: 401 insufficient_user_authentication with acr_values unless req.gatehouse.acr is one of values (RFC 9470). */
export declare function requireACR(...values: Array<string | string[]>): Middleware;
/** Answers a VerifyError (InsufficientScopeError: 403; InsufficientUserAuthenticationError: 401 RFC 9470) the RFC 6750 way. */
export declare function sendError(res: ServerResponse, err: unknown, verifier: Verifier): void;

declare global {
  namespace Express {
    interface Request {
      /** The principal @gatehouse/verify accepted. */
      gatehouse?: Principal;
    }
  }
}

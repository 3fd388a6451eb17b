import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal, Verifier } from './index.js';

type PreHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;

/** A preHandler hook: verifies the credential and sets request.gatehouse, or answers 401/403 the RFC 6750 way. */
export declare function gatehouse(verifier: Verifier, options?: { scopes?: string[] }): PreHandler;
/** A preHandler (after gatehouse): 403 insufficient_scope unless request.gatehouse carries every scope. */
export declare function requireScope(...scopes: Array<string | string[]>): PreHandler;
/** A preHandler (after gatehouse): 401 insufficient_user_authentication with max_age unless the user authenticated at most maxAgeSeconds ago (RFC 9470). */
export declare function requireAuthTime(maxAgeSeconds: number): PreHandler;
/** A preHandler (after gatehouse): 401 insufficient_user_authentication with acr_values unless request.gatehouse.acr is one of values (RFC 9470). */
export declare function requireACR(...values: Array<string | string[]>): PreHandler;
/** The gatehouse hook as a plugin for the scope it is registered in. */
export declare const gatehousePlugin: FastifyPluginAsync<{ verifier: Verifier; scopes?: string[] }>;
/** Answers a VerifyError (InsufficientScopeError: 403; InsufficientUserAuthenticationError: 401 RFC 9470) the RFC 6750 way. */
export declare function replyError(reply: FastifyReply, err: unknown, verifier: Verifier): FastifyReply;
export default gatehousePlugin;

declare module 'fastify' {
  interface FastifyRequest {
    /** The principal @gatehouse/verify accepted. */
    gatehouse?: Principal | null;
  }
}

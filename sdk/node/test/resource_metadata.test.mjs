// The resourceMetadata option (RFC 9728 §5.1), as verify.ResourceMetadata: the
// challenges of the verifier's error answers (the gatehouse middleware, sendError,
// replyError) end with resource_metadata="<url>"; the requirement helpers'
// (requireScope, requireAuthTime, requireACR, the scopes option) do not. Through real
// Express and Fastify servers on 127.0.0.1:0.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import Fastify from 'fastify';
import { createVerifier, InsufficientScopeError } from '../src/index.js';
import * as ex from '../src/express.js';
import * as fa from '../src/fastify.js';
import { FakeIssuer, silent } from './helpers.mjs';

const META = 'https://orders.example.com/.well-known/oauth-protected-resource/v1';
const PARAM = `, resource_metadata="${META}"`;

const f = new FakeIssuer();
let verifier;
let plain;

const options = (more = {}) => ({ audience: 'orders-api', fetch: f.fetch, now: f.clock.now, logger: silent, ...more });

before(async () => {
  verifier = await createVerifier(f.url, options({ resourceMetadata: META }));
  plain = await createVerifier(f.url, options());
});
after(async () => {
  await verifier.close();
  await plain.close();
});

/** A user's access token that authenticated an hour ago, without acr. */
const userToken = () => f.accessToken((c) => {
  c.sub = 'usr_1';
  c.sub_type = 'user';
  c.auth_time = f.clock.sec - 3600;
});

/**
 * Each app serves, behind gatehouse(verifier): GET /orders; GET /write
 * (requireScope); GET /recent (requireAuthTime(300)); GET /mfa (requireACR);
 * GET /admin (the scopes option); GET /handler-scope and /handler-stepup (the handler
 * answers with sendError/replyError); and GET /plain/orders behind a verifier without
 * the option.
 */
const apps = {
  async express() {
    const app = express();
    app.use('/plain', ex.gatehouse(plain), (req, res) => res.json({ ok: true }));
    app.use('/admin', ex.gatehouse(verifier, { scopes: ['orders:admin'] }), (req, res) => res.json({ ok: true }));
    app.use(ex.gatehouse(verifier));
    app.get('/orders', (req, res) => res.json({ ok: true }));
    app.get('/write', ex.requireScope('orders:delete'), (req, res) => res.json({ ok: true }));
    app.get('/recent', ex.requireAuthTime(300), (req, res) => res.json({ ok: true }));
    app.get('/mfa', ex.requireACR('urn:example:mfa'), (req, res) => res.json({ ok: true }));
    app.get('/handler-scope', (req, res) => ex.sendError(res, new InsufficientScopeError('orders:admin'), verifier));
    app.get('/handler-stepup', (req, res) => ex.sendError(res, req.gatehouse.checkAuthTime(verifier.now(), 300), verifier));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => { server.close(r); server.closeAllConnections(); }) };
  },
  async fastify() {
    const app = Fastify();
    await app.register(async (scope) => {
      await scope.register(fa.gatehousePlugin, { verifier: plain });
      scope.get('/plain/orders', async () => ({ ok: true }));
    });
    await app.register(async (scope) => {
      scope.addHook('preHandler', fa.gatehouse(verifier, { scopes: ['orders:admin'] }));
      scope.get('/admin', async () => ({ ok: true }));
    });
    await app.register(async (scope) => {
      await scope.register(fa.gatehousePlugin, { verifier });
      scope.get('/orders', async () => ({ ok: true }));
      scope.get('/write', { preHandler: fa.requireScope('orders:delete') }, async () => ({ ok: true }));
      scope.get('/recent', { preHandler: fa.requireAuthTime(300) }, async () => ({ ok: true }));
      scope.get('/mfa', { preHandler: fa.requireACR('urn:example:mfa') }, async () => ({ ok: true }));
      scope.get('/handler-scope', async (req, reply) => fa.replyError(reply, new InsufficientScopeError('orders:admin'), verifier));
      scope.get('/handler-stepup', async (req, reply) => fa.replyError(reply, req.gatehouse.checkAuthTime(verifier.now(), 300), verifier));
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    return { url: `http://127.0.0.1:${app.server.address().port}`, close: () => app.close() };
  },
};

async function call(base, path, token) {
  const res = await fetch(base + path, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  return { status: res.status, challenge: res.headers.get('www-authenticate'), body: await res.json() };
}

for (const [name, start] of Object.entries(apps)) {
  describe(`${name}: resourceMetadata`, () => {
    let srv;
    before(async () => {
      srv = await start();
    });
    after(() => srv.close());

    test('no credential: the bare challenge names the metadata', async () => {
      const a = await call(srv.url, '/orders');
      assert.equal(a.status, 401);
      assert.equal(a.challenge, `Bearer realm="orders-api"${PARAM}`);
      assert.equal(a.body.error, 'invalid_request');
    });

    test('a rejected credential: invalid_token names the metadata', async () => {
      const a = await call(srv.url, '/orders', f.apiKey((c) => { c.exp = f.clock.sec - 3600; }));
      assert.equal(a.status, 401);
      assert.equal(a.challenge, `Bearer realm="orders-api", error="invalid_token", error_description="expired"${PARAM}`);
      assert.deepEqual(a.body, { error: 'invalid_token', error_description: 'expired' });
    });

    test('a verifier without the option: no parameter', async () => {
      assert.equal((await call(srv.url, '/plain/orders')).challenge, 'Bearer realm="orders-api"');
      const a = await call(srv.url, '/plain/orders', 'not-a-key');
      assert.equal(a.challenge, 'Bearer realm="orders-api", error="invalid_token", error_description="malformed token"');
    });

    test('sendError/replyError name it, for a scope and for a step-up', async () => {
      const s = await call(srv.url, '/handler-scope', f.apiKey());
      assert.equal(s.status, 403);
      assert.equal(s.challenge,
        `Bearer error="insufficient_scope", error_description="this request needs the scope orders:admin", scope="orders:admin"${PARAM}`);
      const u = await call(srv.url, '/handler-stepup', userToken());
      assert.equal(u.status, 401);
      assert.equal(u.challenge,
        `Bearer error="insufficient_user_authentication", error_description="the user authenticated too long ago", max_age="300"${PARAM}`);
    });

    test("the requirement helpers' answers do not, as verify's RequireScope and RequireACR", async () => {
      const reader = f.apiKey((c) => { c.jti = 'key_r'; c.scope = 'orders:read'; });
      for (const [path, token, status] of [['/write', reader, 403], ['/admin', reader, 403], ['/recent', userToken(), 401],
        ['/mfa', userToken(), 401]]) {
        const a = await call(srv.url, path, token);
        assert.equal(a.status, status, path);
        assert.ok(a.challenge.startsWith('Bearer error='), `${path}: ${a.challenge}`);
        assert.doesNotMatch(a.challenge, /resource_metadata/, path);
      }
      assert.equal((await call(srv.url, '/orders', f.apiKey())).status, 200);
    });
  });
}

describe('the option', () => {
  test('is the verifier\'s resourceMetadata; unset and "" are off', async () => {
    assert.equal(verifier.resourceMetadata, META);
    assert.equal(plain.resourceMetadata, '');
    const empty = await createVerifier(f.url, options({ resourceMetadata: '' }));
    const nulled = await createVerifier(f.url, options({ resourceMetadata: null }));
    try {
      for (const v of [empty, nulled]) {
        assert.equal(v.resourceMetadata, '');
        let written;
        const res = { statusCode: 0, headers: {}, setHeader(k, val) { this.headers[k] = val; }, end(b) { written = b; } };
        ex.sendError(res, await v.verify('').catch((e) => e), v);
        assert.equal(res.statusCode, 401);
        assert.equal(res.headers['WWW-Authenticate'], 'Bearer realm="orders-api"');
        assert.match(written, /invalid_request/);
      }
    } finally {
      await empty.close();
      await nulled.close();
    }
  });

  test('anything but a string is refused, before the portal is asked', async () => {
    for (const bad of [42, true, ['https://x.example/.well-known/oauth-protected-resource'], new URL(META), {}]) {
      const before = f.requests.length;
      await assert.rejects(createVerifier(f.url, options({ resourceMetadata: bad })),
        { name: 'TypeError', message: 'verify: resourceMetadata must be a string (a URL)' }, String(bad));
      assert.equal(f.requests.length, before, 'no request to the portal');
    }
  });
});

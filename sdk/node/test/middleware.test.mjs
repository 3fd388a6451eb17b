// The Express and Fastify adapters answer exactly as verify/http.go does, through real
// servers on 127.0.0.1:0.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import Fastify from 'fastify';
import { createVerifier, InsufficientScopeError } from '../src/index.js';
import * as ex from '../src/express.js';
import * as fa from '../src/fastify.js';
import { FakeIssuer, silent } from './helpers.mjs';

const f = new FakeIssuer();
const logged = [];
const logger = { ...silent, info: (m, fields) => logged.push([m, fields]) };
let verifier;
let narrowVerifier;

/** Each app serves: GET /orders (any scope), POST /orders (orders:write), GET /admin (gatehouse scopes option), GET /boom (own InsufficientScopeError). */
const apps = {
  async express() {
    const app = express();
    app.use('/admin', ex.gatehouse(verifier, { scopes: ['orders:admin'] }), (req, res) => res.json({ ok: true }));
    app.use('/narrow', ex.gatehouse(narrowVerifier), (req, res) => res.json({ ok: true }));
    app.use(ex.gatehouse(verifier));
    app.get('/orders', (req, res) => res.json({ project: req.gatehouse.project, kind: req.gatehouse.kind, scopes: req.gatehouse.scopes }));
    app.post('/orders', ex.requireScope('orders:write'), (req, res) => res.status(201).json({ created: true }));
    app.get('/both', ex.requireScope('orders:read', ['orders:delete']), (req, res) => res.json({ ok: true }));
    app.get('/boom', (req, res) => ex.sendError(res, new InsufficientScopeError('orders:admin'), verifier));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => { server.close(r); server.closeAllConnections(); }) };
  },
  async fastify() {
    const app = Fastify();
    await app.register(async (scope) => {
      scope.addHook('preHandler', fa.gatehouse(verifier, { scopes: ['orders:admin'] }));
      scope.get('/admin', async () => ({ ok: true }));
    });
    await app.register(async (scope) => {
      await scope.register(fa.gatehousePlugin, { verifier: narrowVerifier });
      scope.get('/narrow', async () => ({ ok: true }));
    });
    await app.register(async (scope) => {
      await scope.register(fa.gatehousePlugin, { verifier });
      scope.get('/orders', async (req) => ({ project: req.gatehouse.project, kind: req.gatehouse.kind, scopes: req.gatehouse.scopes }));
      scope.post('/orders', { preHandler: fa.requireScope('orders:write') }, async (req, reply) => reply.code(201).send({ created: true }));
      scope.get('/both', { preHandler: fa.requireScope('orders:read', ['orders:delete']) }, async () => ({ ok: true }));
      scope.get('/boom', async (req, reply) => fa.replyError(reply, new InsufficientScopeError('orders:admin'), verifier));
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    return { url: `http://127.0.0.1:${app.server.address().port}`, close: () => app.close() };
  },
};

before(async () => {
  verifier = await createVerifier(f.url, { audience: 'orders-api', fetch: f.fetch, now: f.clock.now, logger });
  narrowVerifier = await createVerifier(f.url, { audience: 'orders-api', fetch: f.fetch, now: f.clock.now, logger: silent, teams: ['team_1'] });
});
after(async () => {
  await verifier.close();
  await narrowVerifier.close();
});

async function call(base, method, path, token, headers = {}) {
  const h = { ...headers };
  if (token !== undefined) h.authorization = `Bearer ${token}`;
  const res = await fetch(base + path, { method, headers: h });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, challenge: res.headers.get('www-authenticate'), type: res.headers.get('content-type'), cache: res.headers.get('cache-control'), body };
}

for (const [name, start] of Object.entries(apps)) {
  describe(`${name} middleware`, () => {
    let srv;
    before(async () => {
      srv = await start();
    });
    after(() => srv.close());

    test('a valid key reaches the handler with its principal', async () => {
      const a = await call(srv.url, 'GET', '/orders', f.apiKey());
      assert.equal(a.status, 200);
      assert.deepEqual(a.body, { project: 'prj_orders', kind: 'api_key', scopes: ['orders:read', 'orders:write'] });
      const b = await call(srv.url, 'POST', '/orders', f.apiKey());
      assert.equal(b.status, 201);
      const lower = await fetch(`${srv.url}/orders`, { headers: { authorization: `bearer ${f.apiKey()}` } });
      assert.equal(lower.status, 200, 'the scheme is case-insensitive');
      await lower.text();
    });

    test('no credential: 401 with a bare challenge', async () => {
      const a = await call(srv.url, 'GET', '/orders');
      assert.equal(a.status, 401);
      assert.equal(a.challenge, 'Bearer realm="orders-api"');
      assert.deepEqual(a.body, { error: 'invalid_request', error_description: 'no credential: send Authorization: Bearer <key>' });
      assert.match(a.type, /^application\/json/);
      assert.equal(a.cache, 'no-store');
      const k = await call(srv.url, 'GET', '/orders', undefined, { 'x-api-key': f.apiKey() });
      assert.equal(k.status, 401, 'X-API-Key is off by default');
    });

    test('a rejected credential: 401 invalid_token with the category only', async () => {
      const expired = f.apiKey((c) => { c.exp = f.clock.sec - 3600; });
      const t = f.apiKey();
      const tampered = `${t.slice(0, -10)}${t.slice(-10, -9) === 'A' ? 'B' : 'A'}${t.slice(-9)}`;
      for (const [tok, desc] of [['not-a-key', 'malformed token'], [tampered, 'bad signature'], [expired, 'expired'],
        [f.apiKey((c) => { c.aud = ['billing-api']; }), 'wrong audience']]) {
        const a = await call(srv.url, 'GET', '/orders', tok);
        assert.equal(a.status, 401, desc);
        assert.equal(a.challenge, `Bearer realm="orders-api", error="invalid_token", error_description="${desc}"`);
        assert.deepEqual(a.body, { error: 'invalid_token', error_description: desc });
        assert.equal(a.cache, 'no-store');
      }
      assert.ok(logged.some(([m, fields]) => m === 'verify: credential rejected' && /malformed/.test(fields.reason)));
    });

    test('not allowed names the list, never the id', async () => {
      const a = await call(srv.url, 'GET', '/narrow', f.accessToken());
      assert.equal(a.status, 401);
      assert.equal(a.challenge, 'Bearer realm="orders-api", error="invalid_token", error_description="not allowed: no team claim"');
      assert.equal((await call(srv.url, 'GET', '/narrow', f.apiKey())).status, 200);
    });

    test('a missing scope: 403 insufficient_scope naming it', async () => {
      const reader = f.apiKey((c) => { c.jti = 'key_r'; c.scope = 'orders:read'; });
      const a = await call(srv.url, 'POST', '/orders', reader);
      assert.equal(a.status, 403);
      assert.equal(a.challenge, 'Bearer error="insufficient_scope", error_description="this request needs the scope orders:write", scope="orders:write"');
      assert.deepEqual(a.body, { error: 'insufficient_scope', error_description: 'this request needs the scope orders:write' });
      assert.equal(a.cache, 'no-store');
      const both = await call(srv.url, 'GET', '/both', reader);
      assert.equal(both.status, 403);
      assert.equal(both.challenge, 'Bearer error="insufficient_scope", error_description="this request needs the scope orders:delete", scope="orders:read orders:delete"');
      const admin = await call(srv.url, 'GET', '/admin', reader);
      assert.equal(admin.status, 403, 'the scopes option of gatehouse');
      assert.match(admin.challenge, /scope="orders:admin"/);
      const boom = await call(srv.url, 'GET', '/boom', reader);
      assert.equal(boom.status, 403);
      assert.match(boom.challenge, /error="insufficient_scope"/);
    });
  });
}

test('the Express middleware works on a bare node:http server (a revoked key)', async () => {
  const g = new FakeIssuer();
  const v = await createVerifier(g.url, { audience: 'orders-api', fetch: g.fetch, now: g.clock.now, logger: silent });
  g.revoke('sl_1', 3);
  const server = createServer((req, res) => ex.gatehouse(v)(req, res, () => res.end('ok')));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    const a = await call(`http://127.0.0.1:${server.address().port}`, 'GET', '/', g.apiKey());
    assert.equal(a.status, 401);
    assert.equal(a.body.error_description, 'revoked');
  } finally {
    server.close();
    await v.close();
  }
});

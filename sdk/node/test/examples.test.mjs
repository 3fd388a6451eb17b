// The example APIs (used by e2e/sdk_e2e_test.go) keep their interface: env
// GATEHOUSE_ISSUER, GATEHOUSE_AUDIENCE, PORT=0; one "listening on" line; GET and POST
// /orders; a clean exit on SIGTERM. Here against a fake issuer served over HTTP.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { Clock, eventually, serveIssuer, startExample } from './helpers.mjs';

for (const file of ['express.mjs', 'fastify.mjs']) {
  describe(`examples/${file}`, () => {
    let portal;
    let api;
    before(async () => {
      portal = await serveIssuer({ clock: new Clock('real'), listTTL: 1, listLife: 4 });
      api = await startExample(file, portal.issuer.url);
    });
    after(async () => {
      if (api.child.exitCode === null) api.child.kill('SIGKILL');
      await portal.close();
    });

    test('answers GET and POST /orders through the middleware', async () => {
      const f = portal.issuer;
      const reader = f.apiKey((c) => { c.scope = 'orders:read'; });
      const writer = f.apiKey((c) => { c.jti = 'key_w'; });
      const auth = (t) => ({ headers: { authorization: `Bearer ${t}` } });
      let r = await fetch(`${api.url}/orders`, auth(reader));
      assert.equal(r.status, 200);
      assert.deepEqual(await r.json(), { project: 'prj_orders', kind: 'api_key', scopes: ['orders:read'] });
      r = await fetch(`${api.url}/orders`, { method: 'POST', ...auth(reader) });
      assert.equal(r.status, 403);
      assert.match(r.headers.get('www-authenticate'), /error="insufficient_scope"/);
      await r.text();
      r = await fetch(`${api.url}/orders`, { method: 'POST', ...auth(writer) });
      assert.equal(r.status, 201);
      await r.text();
      r = await fetch(`${api.url}/orders`);
      assert.equal(r.status, 401);
      assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="orders-api"');
      await r.text();
      r = await fetch(`${api.url}/orders`, auth('not-a-key'));
      assert.equal(r.status, 401);
      assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="orders-api", error="invalid_token", error_description="malformed token"');
      await r.text();
      assert.equal(api.lines.filter((l) => l.startsWith('listening on')).length, 1);
    });

    test('sees a revocation within the ttl; with the portal stopped, accepts until the list\'s exp, then fails closed', async () => {
      const f = portal.issuer;
      const reader = f.apiKey((c) => { c.jti = 'key_rev'; c.status.status_list.idx = 7; });
      const writer = f.apiKey((c) => { c.jti = 'key_live'; c.status.status_list.idx = 8; });
      const get = async (t) => {
        const r = await fetch(`${api.url}/orders`, { headers: { authorization: `Bearer ${t}` } });
        const body = await r.json();
        return { status: r.status, desc: body.error_description };
      };
      assert.equal((await get(reader)).status, 200);
      f.revoke('sl_1', 7);
      await eventually(async () => {
        const a = await get(reader);
        if (a.status !== 200) assert.deepEqual(a, { status: 401, desc: 'revoked' });
        return a.status === 401;
      }, { timeoutMs: 10_000, everyMs: 100 });
      assert.equal((await get(writer)).status, 200);
      await portal.close();
      const stoppedAt = Date.now();
      assert.equal((await get(writer)).status, 200, 'from the cached list right after the portal stopped');
      assert.deepEqual(await get(reader), { status: 401, desc: 'revoked' });
      let oks = 0;
      await eventually(async () => {
        const a = await get(writer);
        if (a.status === 200) {
          oks++;
          return false;
        }
        assert.deepEqual(a, { status: 401, desc: 'status unavailable' });
        return true;
      }, { timeoutMs: 15_000, everyMs: 200 });
      assert.ok(oks > 0);
      assert.ok(Date.now() - stoppedAt < 4000 + 2000, `failed closed ${Date.now() - stoppedAt} ms after the stop`);
    });

    test('exits cleanly on SIGTERM, even with a keep-alive connection open', async () => {
      const keepAlive = await fetch(`${api.url}/orders`); // undici keeps the connection
      await keepAlive.text();
      const t0 = Date.now();
      api.child.kill('SIGTERM');
      const [code, signal] = await once(api.child, 'exit');
      assert.equal(signal, null, api.stderr());
      assert.equal(code, 0, api.stderr());
      assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
    });
  });
}

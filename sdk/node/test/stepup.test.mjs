// Subject types (sub_type) and step-up authentication (RFC 9470: auth_time, acr, amr,
// requireAuthTime, requireACR), as verify does them; the middleware through real
// Express and Fastify servers on 127.0.0.1:0.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import Fastify from 'fastify';
import {
  ClaimsError, createVerifier, InsufficientUserAuthenticationError, MalformedError,
} from '../src/index.js';
import * as ex from '../src/express.js';
import * as fa from '../src/fastify.js';
import { FakeIssuer, silent } from './helpers.mjs';

const f = new FakeIssuer();
let verifier;

before(async () => {
  verifier = await createVerifier(f.url, { audience: 'orders-api', fetch: f.fetch, now: f.clock.now, logger: silent });
});
after(async () => {
  await verifier.close();
});

/** A user's access token: sub the user, client_id the app acting for them. */
const userToken = (edit) => f.accessToken((c) => {
  c.sub = 'usr_1';
  c.sub_type = 'user';
  c.client_id = 'prj_orders';
  edit?.(c);
});

async function rejection(token) {
  try {
    await verifier.verify(token);
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('subject types', () => {
  test('project, service account and user principals', async () => {
    let p = await verifier.verify(f.accessToken());
    assert.deepEqual([p.subjectType, p.subject, p.project, p.serviceAccount], ['project', 'prj_orders', 'prj_orders', '']);
    p = await verifier.verify(f.accessToken((c) => { c.sub = 'sa_build'; c.client_id = 'sa_build'; c.sub_type = 'service_account'; }));
    assert.deepEqual([p.subjectType, p.subject, p.project, p.serviceAccount], ['service_account', 'sa_build', '', 'sa_build']);
    p = await verifier.verify(userToken());
    assert.deepEqual([p.subjectType, p.subject, p.project, p.serviceAccount], ['user', 'usr_1', '', '']);
    assert.equal(p.toJSON().subjectType, 'user');
    assert.equal(p.clientId, 'prj_orders');
  });

  test("the projects allow-list checks a user's token's client, not the user", async () => {
    const listed = await createVerifier(f.url, { audience: 'orders-api', fetch: f.fetch, now: f.clock.now, logger: silent, projects: ['prj_orders'] });
    const other = await createVerifier(f.url, { audience: 'orders-api', fetch: f.fetch, now: f.clock.now, logger: silent, projects: ['prj_other'] });
    try {
      const p = await listed.verify(userToken());
      assert.deepEqual([p.clientId, p.subject, p.project], ['prj_orders', 'usr_1', '']);
      await assert.rejects(other.verify(userToken()), (e) => e.name === 'NotAllowedError');
    } finally {
      await listed.close();
      await other.close();
    }
  });

  test('unknown sub_type, non-project API keys, case variants and a user token without client_id are refused', async () => {
    assert.ok(await rejection(f.accessToken((c) => { c.sub_type = 'robot'; })) instanceof ClaimsError);
    assert.ok(await rejection(f.apiKey((c) => { c.sub_type = 'service_account'; })) instanceof ClaimsError);
    assert.ok(await rejection(f.accessToken((c) => { c.SUB_TYPE = 'project'; })) instanceof MalformedError);
    assert.ok(await rejection(userToken((c) => { delete c.client_id; })) instanceof ClaimsError);
    assert.ok(await rejection(f.accessToken((c) => { c.client_id = 'prj_other'; })) instanceof ClaimsError);
  });
});

describe('step-up claims', () => {
  test('auth_time, acr and amr reach the principal', async () => {
    const authAt = f.clock.sec - 120;
    const p = await verifier.verify(userToken((c) => { c.auth_time = authAt; c.acr = 'mfa'; c.amr = ['pwd', 'otp']; }));
    assert.equal(p.authTime.getTime(), authAt * 1000);
    assert.equal(p.acr, 'mfa');
    assert.deepEqual([...p.amr], ['pwd', 'otp']);
    const q = await verifier.verify(f.accessToken());
    assert.deepEqual([q.authTime, q.acr, [...q.amr]], [null, '', []]);
  });

  for (const [name, edit, want] of [
    ['auth_time a string', (c) => { c.auth_time = '1777636800'; }, ClaimsError],
    ['auth_time 1e19', (c) => { c.auth_time = 1e19; }, ClaimsError],
    ['auth_time negative', (c) => { c.auth_time = -1; }, ClaimsError],
    ['acr a number', (c) => { c.acr = 2; }, ClaimsError],
    ['amr a string', (c) => { c.amr = 'pwd'; }, ClaimsError],
    ['amr with a null element', (c) => { c.amr = ['pwd', null]; }, ClaimsError],
    ['AUTH_TIME', (c) => { c.AUTH_TIME = 1; }, MalformedError],
    ['Acr', (c) => { c.Acr = 'mfa'; }, MalformedError],
    ['AMR', (c) => { c.AMR = ['pwd']; }, MalformedError],
  ]) {
    test(`${name} is refused`, async () => {
      const e = await rejection(userToken(edit));
      assert.ok(e instanceof want, `got ${e}, want ${want.name}`);
    });
  }

  test('checkAuthTime and checkACR', async () => {
    const now = f.clock.now();
    const p = await verifier.verify(userToken((c) => { c.auth_time = f.clock.sec - 300; c.acr = 'mfa'; }));
    assert.equal(p.checkAuthTime(now, 600), undefined);
    assert.equal(p.checkAuthTime(new Date(now), 300), undefined, 'exactly max age old');
    const e = p.checkAuthTime(now, 299);
    assert.ok(e instanceof InsufficientUserAuthenticationError);
    assert.equal(e.maxAge, 299);
    assert.equal(e.code, 'insufficient_user_authentication');
    assert.ok((await verifier.verify(f.accessToken())).checkAuthTime(now, 3600) instanceof InsufficientUserAuthenticationError);
    assert.equal(p.checkACR('hwk', 'mfa'), undefined);
    assert.deepEqual(p.checkACR(['hwk']).acrValues, ['hwk']);
    assert.throws(() => p.checkAuthTime(now, -1), TypeError);
  });

  test('requireAuthTime and requireACR check their arguments', () => {
    for (const m of [ex, fa]) {
      assert.throws(() => m.requireAuthTime(-1), TypeError);
      assert.throws(() => m.requireAuthTime('300'), TypeError);
      assert.throws(() => m.requireACR(), TypeError);
      assert.throws(() => m.requireACR('mfa', ''), TypeError);
    }
  });
});

const apps = {
  async express() {
    const app = express();
    app.use(ex.gatehouse(verifier));
    app.get('/fresh', ex.requireAuthTime(300), (req, res) => res.json({ subject: req.gatehouse.subject }));
    app.get('/mfa', ex.requireACR('urn:gatehouse:acr:mfa', 'urn:gatehouse:acr:hwk'), (req, res) => res.json({ subject: req.gatehouse.subject }));
    app.get('/own', (req, res) => ex.sendError(res, req.gatehouse.checkACR('urn:gatehouse:acr:hwk'), verifier));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => { server.close(r); server.closeAllConnections(); }) };
  },
  async fastify() {
    const app = Fastify();
    await app.register(fa.gatehousePlugin, { verifier });
    app.get('/fresh', { preHandler: fa.requireAuthTime(300) }, async (req) => ({ subject: req.gatehouse.subject }));
    app.get('/mfa', { preHandler: fa.requireACR('urn:gatehouse:acr:mfa', 'urn:gatehouse:acr:hwk') }, async (req) => ({ subject: req.gatehouse.subject }));
    app.get('/own', async (req, reply) => fa.replyError(reply, req.gatehouse.checkACR('urn:gatehouse:acr:hwk'), verifier));
    await app.listen({ host: '127.0.0.1', port: 0 });
    return { url: `http://127.0.0.1:${app.server.address().port}`, close: () => app.close() };
  },
};

const STALE = 'the user authenticated too long ago';
const NO_AUTH_TIME = 'the credential does not say when the user authenticated';
const WEAK = "the user's authentication is not of a required level";

for (const [name, start] of Object.entries(apps)) {
  describe(`${name}: step-up middleware`, () => {
    let app;
    before(async () => {
      app = await start();
    });
    after(async () => {
      await app.close();
    });
    const call = async (path, token) => {
      const res = await fetch(app.url + path, { headers: { authorization: `Bearer ${token}` } });
      return { status: res.status, challenge: res.headers.get('www-authenticate'), cache: res.headers.get('cache-control'), body: await res.json() };
    };
    const challenged = (r, params, desc) => {
      assert.equal(r.status, 401);
      assert.equal(r.challenge, `Bearer error="insufficient_user_authentication", error_description="${desc}", ${params}`);
      assert.deepEqual(r.body, { error: 'insufficient_user_authentication', error_description: desc });
      assert.equal(r.cache, 'no-store');
    };

    test('auth_time on the verifier\'s clock', async () => {
      // The fake clock is months behind the wall clock: a minute-old authentication
      // passes only if the verifier's clock is the one used.
      const tok = userToken((c) => { c.auth_time = f.clock.sec - 60; });
      const r = await call('/fresh', tok);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { subject: 'usr_1' });
      f.clock.advance(241_000); // 301 s after auth_time
      try {
        challenged(await call('/fresh', tok), 'max_age="300"', STALE);
      } finally {
        f.clock.advance(-241_000);
      }
      challenged(await call('/fresh', f.accessToken()), 'max_age="300"', NO_AUTH_TIME);
    });

    test('acr among the values, or challenged with acr_values', async () => {
      const hwk = userToken((c) => { c.acr = 'urn:gatehouse:acr:hwk'; });
      const r = await call('/mfa', hwk);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { subject: 'usr_1' });
      challenged(await call('/mfa', userToken((c) => { c.acr = 'urn:gatehouse:acr:pwd'; })),
        'acr_values="urn:gatehouse:acr:mfa urn:gatehouse:acr:hwk"', WEAK);
      challenged(await call('/own', userToken((c) => { c.acr = 'urn:gatehouse:acr:pwd'; })), 'acr_values="urn:gatehouse:acr:hwk"', WEAK);
    });
  });
}

// The Verifier: caching, status lists while the portal is down, background refresh,
// the unknown-kid cooldown, allow-lists and options (verify/verify_test.go,
// verify/allowlist_test.go, verify/hostile_test.go).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  createVerifier, ExpiredError, MalformedError, NoTokenError, NotAllowedError, Principal, RevokedError, SignatureError,
  StatusUnavailableError, UnknownKeyError, VerifyError,
} from '../src/index.js';
import { Clock, eventually, FakeIssuer, silent } from './helpers.mjs';

/** A verifier of f with the test clock and no background surprises. */
async function verifierOf(f, opts = {}) {
  return createVerifier(f.url, { audience: 'orders-api', fetch: f.fetch, now: f.clock.now, logger: silent, ...opts });
}

/** Runs fn with a verifier and closes it. */
async function withVerifier(f, opts, fn) {
  const v = await verifierOf(f, opts);
  try {
    return await fn(v);
  } finally {
    await v.close();
  }
}

const rejectsWith = (p, Cls, msg) => assert.rejects(p, (e) => {
  assert.ok(e instanceof Cls, `${msg ?? ''} got ${e?.name}: ${e?.message}, want ${Cls.name}`);
  return true;
});

describe('verify', () => {
  test('an API key and an access token give their principal', async () => {
    const f = new FakeIssuer();
    await withVerifier(f, {}, async (v) => {
      const p = await v.verify(f.apiKey());
      assert.ok(p instanceof Principal);
      assert.equal(p.kind, 'api_key');
      assert.equal(p.api, 'orders-api');
      assert.equal(p.project, 'prj_orders');
      assert.equal(p.team, 'team_1');
      assert.equal(p.keyId, 'key_1');
      assert.deepEqual([...p.scopes], ['orders:read', 'orders:write']);
      assert.deepEqual([...p.audience], ['orders-api']);
      assert.ok(p.hasScope('orders:write') && !p.hasScope('orders:delete'));
      assert.equal(p.expiresAt.getTime(), (f.clock.sec + 3600) * 1000);
      assert.equal(p.issuedAt.getTime(), f.clock.sec * 1000);
      const a = await v.verify(f.accessToken());
      assert.equal(a.kind, 'access_token');
      assert.equal(a.team, '');
      assert.equal((await v.verify(f.accessToken((c) => { c.jti = 'at_noiat'; delete c.iat; }))).issuedAt, null);
    });
  });

  test('scopes are split on Go whitespace', async () => {
    const f = new FakeIssuer();
    await withVerifier(f, {}, async (v) => {
      const p = await v.verify(f.accessToken((c) => { c.scope = ' a\tb\u0085c\u3000d  '; }));
      assert.deepEqual([...p.scopes], ['a', 'b', 'c', 'd']);
      const none = await v.verify(f.accessToken((c) => { c.jti = 'at_2'; c.scope = ''; }));
      assert.deepEqual([...none.scopes], []);
    });
  });

  test('the principal cannot be changed by its holder', async () => {
    const f = new FakeIssuer();
    await withVerifier(f, { projects: ['prj_orders'] }, async (v) => {
      const tok = f.apiKey();
      const p = await v.verify(tok);
      assert.throws(() => { p.project = 'prj_billing'; }, TypeError);
      assert.throws(() => p.scopes.push('orders:admin'), TypeError);
      p.expiresAt.setTime(0);
      assert.equal((await v.verify(tok)).expiresAt.getTime(), (f.clock.sec + 3600) * 1000);
      assert.equal(JSON.parse(JSON.stringify(p)).project, 'prj_orders');
    });
  });

  test('no token, and tokens over MAX_TOKEN_LEN, are refused before any work', async () => {
    const f = new FakeIssuer();
    await withVerifier(f, {}, async (v) => {
      await rejectsWith(v.verify(''), NoTokenError);
      await rejectsWith(v.verify(undefined), NoTokenError);
      await rejectsWith(v.verify('x'.repeat(9000)), MalformedError);
      await rejectsWith(v.verify('.'.repeat(1 << 20)), MalformedError);
      assert.equal(v.stats().rejected, 2, 'a missing credential is not a rejection');
    });
  });

  test('every rejection is a VerifyError with a code and a description', async () => {
    const f = new FakeIssuer();
    await withVerifier(f, {}, async (v) => {
      const e = await v.verify('garbage').catch((x) => x);
      assert.ok(e instanceof VerifyError && e instanceof MalformedError);
      assert.equal(e.code, 'malformed');
      assert.equal(e.description, 'malformed token');
      assert.equal(e.name, 'MalformedError');
      assert.equal(MalformedError.code, 'malformed');
    });
  });

  test('a badly signed expired token is a bad signature', async () => {
    const f = new FakeIssuer();
    await withVerifier(f, {}, async (v) => {
      const t = f.apiKey((c) => { c.exp = f.clock.sec - 3600; });
      const [h, p, s] = t.split('.');
      const sig = Buffer.from(s, 'base64url');
      sig[40] ^= 1;
      await rejectsWith(v.verify(`${h}.${p}.${sig.toString('base64url')}`), SignatureError);
      await rejectsWith(v.verify(t), ExpiredError);
    });
  });

  test('EdDSA and RS256 keys verify; a token naming another alg than its key is a header error', async () => {
    const f = new FakeIssuer();
    const ed = f.addKey('EdDSA');
    const rs = f.addKey('RS256');
    await withVerifier(f, {}, async (v) => {
      assert.equal((await v.verify(f.sign('at+jwt', f.accessClaims(), { kid: ed }))).kind, 'access_token');
      assert.equal((await v.verify(f.sign('at+jwt', f.accessClaims((c) => { c.jti = 'rs'; }), { kid: rs }))).kind, 'access_token');
      const wrong = f.sign('at+jwt', f.accessClaims((c) => { c.jti = 'x'; }), { kid: f.signKID, alg: 'RS256', key: f.keys.get(rs).privateKey });
      await assert.rejects(v.verify(wrong), (e) => e.code === 'header');
    });
    await withVerifier(f, { algorithms: ['EdDSA'] }, async (v) => {
      await assert.rejects(v.verify(f.apiKey()), (e) => e.code === 'header');
      assert.equal((await v.verify(f.sign('at+jwt', f.accessClaims(), { kid: ed }))).kind, 'access_token');
    });
  });
});

describe('cache', () => {
  test('a credential seen before is accepted from the cache, still checking expiry, status and key', async () => {
    const f = new FakeIssuer();
    await withVerifier(f, {}, async (v) => {
      const tok = f.apiKey((c) => { c.exp = f.clock.sec + 600; });
      for (let i = 0; i < 3; i++) await v.verify(tok);
      let s = v.stats();
      assert.equal(s.verified, 1);
      assert.equal(s.cacheHits, 2);
      assert.equal(s.cachedCredentials, 1);
      // Revoked: once the refreshed list says so, the cached key is refused and dropped.
      f.revoke('sl_1', 3);
      f.clock.advance(61_000);
      await v.refresh();
      await rejectsWith(v.verify(tok), RevokedError);
      s = v.stats();
      assert.equal(s.cachedCredentials, 0);
      assert.equal(s.cacheHits, 2, 'a refused hit is not a hit');
      // Expired: a cached token past exp (and the leeway) is refused.
      const other = f.apiKey((c) => { c.jti = 'key_2'; c.exp = f.clock.sec + 60; c.status.status_list.idx = 5; });
      await v.verify(other);
      f.clock.advance(60_000 + 29_000);
      await v.verify(other);
      f.clock.advance(2_000);
      await rejectsWith(v.verify(other), ExpiredError);
    });
  });

  test('a cached credential whose key left the JWKS is refused', async () => {
    const f = new FakeIssuer();
    await withVerifier(f, {}, async (v) => {
      const old = f.signKID;
      const tok = f.apiKey();
      await v.verify(tok);
      f.signKID = f.addKey();
      f.keys.delete(old);
      f.clock.advance(301_000);
      await v.refresh(); // the JWKS (max-age 300) is due
      await rejectsWith(v.verify(tok), UnknownKeyError);
      assert.equal((await v.verify(f.apiKey((c) => { c.jti = 'key_new'; }))).keyId, 'key_new');
    });
  });

  test('is bounded: least recently used credentials are evicted', async () => {
    const f = new FakeIssuer();
    await withVerifier(f, { cacheSize: 8 }, async (v) => {
      const toks = Array.from({ length: 20 }, (_, i) => f.apiKey((c) => { c.jti = `key_${i}`; }));
      for (const t of toks) await v.verify(t);
      assert.equal(v.stats().cachedCredentials, 8);
      await v.verify(toks[12]); // recently used: stays
      for (const t of toks.slice(0, 7)) await v.verify(t);
      const before = v.stats().cacheHits;
      await v.verify(toks[12]);
      assert.equal(v.stats().cacheHits, before + 1, 'the recently used entry survived');
      await v.verify(toks[13]);
      assert.equal(v.stats().cacheHits, before + 1, 'a least recently used entry was evicted');
    });
    await withVerifier(f, { cacheSize: 0 }, async (v) => {
      const t = f.apiKey();
      await v.verify(t);
      await v.verify(t);
      assert.deepEqual([v.stats().verified, v.stats().cacheHits, v.stats().cachedCredentials], [2, 0, 0]);
    });
  });

  test('a rejected credential is never remembered', async () => {
    const f = new FakeIssuer();
    await withVerifier(f, { projects: ['prj_billing'] }, async (v) => {
      const t = f.apiKey();
      for (let i = 0; i < 2; i++) {
        await assert.rejects(v.verify(t), (e) => e instanceof NotAllowedError && e.description === 'not allowed: project not on the allow-list');
      }
      assert.deepEqual([v.stats().rejected, v.stats().cachedCredentials], [2, 0]);
    });
  });
});

describe('the portal is down', () => {
  test('lists are used until their exp, then fail closed — or open when configured, counted and logged', async () => {
    const f = new FakeIssuer({ listLife: 600 });
    const warnings = [];
    const logger = { ...silent, warn: (m, fields) => warnings.push([m, fields]) };
    const closed = await verifierOf(f);
    const open = await verifierOf(f, { failOpen: true, logger });
    try {
      const tok = f.apiKey((c) => { c.exp = f.clock.sec + 86400; });
      await closed.verify(tok);
      await open.verify(tok);
      f.down = true;
      // JWKS and list cached: a new key of a known signing key verifies.
      const fresh = f.apiKey((c) => { c.jti = 'key_2'; c.exp = f.clock.sec + 86400; });
      assert.equal((await closed.verify(fresh)).keyId, 'key_2');
      // The background refresh fails; the list is still used until its exp, counted as stale.
      f.clock.advance(120_000);
      await closed.refresh();
      assert.ok(closed.stats().statusFetchErrors >= 1);
      await closed.verify(tok);
      assert.ok(closed.stats().statusStale >= 1);
      f.clock.advance(480_000 - 1); // 1 ms before the list's exp
      await closed.verify(tok);
      // Past exp: fail closed; fail open when configured.
      f.clock.advance(1);
      await rejectsWith(closed.verify(tok), StatusUnavailableError);
      await rejectsWith(closed.verify(fresh), StatusUnavailableError);
      assert.equal((await open.verify(tok)).keyId, 'key_1');
      assert.equal(closed.stats().failClosed, 2);
      assert.equal(open.stats().failOpen, 1);
      assert.ok(warnings.some(([m]) => /failOpen/.test(m)), 'fail-open is logged');
      // A revoked bit in a list is never overridden by failOpen, nor is a bad status URI.
      await assert.rejects(open.verify(f.apiKey((c) => { c.jti = 'k3'; c.status.status_list.uri = 'https://evil.example/statuslists/sl_1'; })),
        StatusUnavailableError);
      // Back up: past the cooldown the list is fetched again and the key accepted.
      f.down = false;
      await rejectsWith(closed.verify(tok), StatusUnavailableError); // within the cooldown of the last try
      f.clock.advance(31_000);
      assert.equal((await closed.verify(tok)).keyId, 'key_1');
    } finally {
      await closed.close();
      await open.close();
    }
  });

  test('a list never fetched is fetched at most once per cooldown while it fails', async () => {
    const f = new FakeIssuer();
    await withVerifier(f, {}, async (v) => {
      const tok = f.apiKey((c) => { c.status.status_list.uri = `${f.url}/statuslists/sl_missing`; });
      for (let i = 0; i < 10; i++) await rejectsWith(v.verify(tok), StatusUnavailableError);
      assert.equal(f.hit('/statuslists/sl_missing'), 1);
      f.clock.advance(31_000);
      await rejectsWith(v.verify(tok), StatusUnavailableError);
      assert.equal(f.hit('/statuslists/sl_missing'), 2);
    });
  });

  test('concurrent first sights of one list share one fetch', async () => {
    const f = new FakeIssuer();
    await withVerifier(f, {}, async (v) => {
      const toks = Array.from({ length: 20 }, (_, i) => f.apiKey((c) => { c.jti = `key_${i}`; }));
      await Promise.all(toks.map((t) => v.verify(t)));
      assert.equal(f.hit('/statuslists/sl_1'), 1);
    });
  });
});

describe('background refresh', () => {
  test('picks up a revocation within the ttl (injected clock, manual tick)', async () => {
    const f = new FakeIssuer({ listTTL: 10 });
    await withVerifier(f, {}, async (v) => {
      const tok = f.apiKey();
      await v.verify(tok);
      f.revoke('sl_1', 3);
      f.clock.advance(5_000);
      assert.equal(await v.refresh() <= 4_000, true, 'next wake before 90% of the ttl');
      await v.verify(tok); // not yet due: the cached list still says valid
      assert.equal(f.hit('/statuslists/sl_1'), 1);
      f.clock.advance(4_000); // 9 s: 90% of the ttl
      await v.refresh();
      assert.equal(f.hit('/statuslists/sl_1'), 2);
      await rejectsWith(v.verify(tok), RevokedError);
    });
  });

  test('picks up a revocation with the real timer (condition polled with a deadline)', async () => {
    const f = new FakeIssuer({ listTTL: 1, clock: new Clock('real') });
    await withVerifier(f, { now: Date.now, refreshIntervalSeconds: 0.1 }, async (v) => {
      const tok = f.apiKey();
      await v.verify(tok);
      f.revoke('sl_1', 3);
      await eventually(() => v.verify(tok).then(() => false, (e) => e instanceof RevokedError), { timeoutMs: 10_000 });
      assert.ok(v.stats().statusFetches >= 2);
    });
  });

  test('a list installed by a request brings the next pass forward to within its ttl', async () => {
    const f = new FakeIssuer({ listTTL: 1, clock: new Clock('real') });
    // The loop would next wake in 30 s; the list's ttl of 1 s must win.
    await withVerifier(f, { now: Date.now, refreshIntervalSeconds: 30 }, async (v) => {
      const tok = f.apiKey();
      await v.verify(tok);
      f.revoke('sl_1', 3);
      const t0 = Date.now();
      await eventually(() => v.verify(tok).then(() => false, (e) => e instanceof RevokedError), { timeoutMs: 5_000 });
      assert.ok(Date.now() - t0 < 3_000, `revocation seen after ${Date.now() - t0} ms`);
    });
  });

  test('does not hold the process open, and close() stops it', () => {
    const child = fileURLToPath(new URL('./fixtures/open-verifier.mjs', import.meta.url));
    const r = spawnSync(process.execPath, [child], { timeout: 20_000, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /verified api_key/);
  });

  test('close() stops the timer: no fetch afterwards', async () => {
    const f = new FakeIssuer({ listTTL: 1, clock: new Clock('real') });
    const v = await verifierOf(f, { now: Date.now, refreshIntervalSeconds: 0.05 });
    await v.verify(f.apiKey());
    await eventually(() => f.hit('/statuslists/sl_1') >= 2);
    await v.close();
    const n = f.requests.length;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(f.requests.length, n);
    await v.close(); // idempotent
  });
});

describe('unknown kid', () => {
  test('refetches the JWKS at most once per cooldown, and lets a new key in after it', async () => {
    const f = new FakeIssuer();
    await withVerifier(f, {}, async (v) => {
      const unknown = (i) => v.verify(f.sign('apikey+jwt', f.claims(), { kid: `unknown-${i}`, key: f.keys.get(f.signKID).privateKey, alg: 'ES256' }));
      f.clock.advance(31_000); // past the cooldown of the first fetch
      const h0 = f.hit('/jwks');
      for (let i = 0; i < 20; i++) await rejectsWith(unknown(i), UnknownKeyError);
      assert.equal(f.hit('/jwks') - h0, 1, '20 unknown kids in one cooldown: one fetch');
      const h1 = f.hit('/jwks');
      f.clock.advance(31_000);
      await rejectsWith(unknown(100), UnknownKeyError);
      await rejectsWith(unknown(101), UnknownKeyError);
      assert.equal(f.hit('/jwks') - h1, 1);
      // Concurrent unknown kids share the fetch.
      f.clock.advance(31_000);
      const h2 = f.hit('/jwks');
      await Promise.all(Array.from({ length: 10 }, (_, i) => rejectsWith(unknown(200 + i), UnknownKeyError)));
      assert.equal(f.hit('/jwks') - h2, 1);
      // A freshly published key: unknown within the cooldown, accepted after it.
      const kid = f.addKey();
      const tok = f.sign('apikey+jwt', f.claims(), { kid });
      await rejectsWith(v.verify(tok), UnknownKeyError);
      f.clock.advance(31_000);
      assert.equal((await v.verify(tok)).keyId, 'key_1');
      assert.equal(v.stats().jwksFetches, f.hit('/jwks'));
    });
  });
});

describe('allow-lists', () => {
  const f = new FakeIssuer();
  const cases = [
    [{ projects: ['prj_orders'] }, () => f.apiKey(), null],
    [{ projects: ['prj_billing', 'prj_orders'] }, () => f.accessToken(), null],
    [{ projects: ['prj_billing'] }, () => f.apiKey(), 'not allowed: project not on the allow-list'],
    [{ projects: ['PRJ_ORDERS'] }, () => f.apiKey(), 'not allowed: project not on the allow-list'],
    [{ teams: ['team_1'] }, () => f.apiKey(), null],
    [{ teams: ['team_2'] }, () => f.apiKey(), 'not allowed: team not on the allow-list'],
    [{ teams: ['team_1'] }, () => f.accessToken(), 'not allowed: no team claim'],
    [{ teams: ['team_1'] }, () => f.accessToken((c) => { c.team = ''; }), 'not allowed: no team claim'],
    [{ teams: ['team_2', 'team_1'] }, () => f.accessToken((c) => { c.team = 'team_1'; }), null],
    [{ projects: ['prj_orders'], teams: ['team_2'] }, () => f.apiKey(), 'not allowed: team not on the allow-list'],
  ];
  for (const [opts, tok, desc] of cases) {
    test(`${JSON.stringify(opts)} ${desc ?? 'accepted'}`, async () => {
      await withVerifier(f, opts, async (v) => {
        const t = tok();
        if (desc === null) {
          assert.equal((await v.verify(t)).project, 'prj_orders');
        } else {
          await assert.rejects(v.verify(t), (e) => e instanceof NotAllowedError && e.code === 'not_allowed' && e.description === desc);
        }
      });
    });
  }

  test('a credential of a project not listed costs no status list fetch', async () => {
    const g = new FakeIssuer();
    await withVerifier(g, { projects: ['prj_billing'] }, async (v) => {
      await rejectsWith(v.verify(g.apiKey((c) => { c.status.status_list.uri = `${g.url}/statuslists/sl_x`; })), NotAllowedError);
      assert.equal(g.hit('/statuslists/sl_x'), 0);
    });
  });
});

describe('construction', () => {
  test('options are validated', async () => {
    const f = new FakeIssuer();
    const bad = [
      {}, { audience: '' }, { audience: 'a', projects: [] }, { audience: 'a', teams: [''] }, { audience: 'a', algorithms: ['HS256'] },
      { audience: 'a', accept: [] }, { audience: 'a', accept: ['id_token'] }, { audience: 'a', leewaySeconds: 301 },
      { audience: 'a', leewaySeconds: -1 }, { audience: 'a', cacheSize: -1 },
    ];
    for (const o of bad) {
      await assert.rejects(createVerifier(f.url, { fetch: f.fetch, logger: silent, ...o }), TypeError, JSON.stringify(o));
    }
    assert.equal(f.requests.length, 0, 'bad options fail before any fetch');
  });

  test('discovery is validated; the issuer must match and the algorithms intersect', async () => {
    const f = new FakeIssuer();
    await assert.rejects(createVerifier(`${f.url}/other`, { audience: 'a', fetch: f.fetch, logger: silent }), /discovery/);
    const down = new FakeIssuer();
    down.down = true;
    await assert.rejects(createVerifier(down.url, { audience: 'a', fetch: down.fetch, logger: silent }), /discovery/);
    const es = new FakeIssuer();
    es.metadataExtra = { signing_alg_values_supported: ['ES256'] };
    await assert.rejects(createVerifier(es.url, { audience: 'a', fetch: es.fetch, logger: silent, algorithms: ['EdDSA'] }),
      /no algorithm is both allowed and advertised/);
    const noJWKS = new FakeIssuer();
    noJWKS.metadataExtra = { jwks_uri: '' };
    await assert.rejects(createVerifier(noJWKS.url, { audience: 'a', fetch: noJWKS.fetch, logger: silent }), /jwks_uri/);
    const trailing = await createVerifier(`${f.url}/`, { audience: 'orders-api', fetch: f.fetch, logger: silent, now: f.clock.now });
    assert.equal(trailing.issuer, f.url);
    assert.equal((await trailing.verify(f.apiKey())).project, 'prj_orders');
    await trailing.close();
  });

  test('documents over 1 MiB are refused', async () => {
    const f = new FakeIssuer();
    const big = (url, init) => (String(url).endsWith('/jwks')
      ? Promise.resolve(new Response(JSON.stringify({ keys: [], pad: 'x'.repeat(1 << 20) })))
      : f.fetch(url, init));
    await assert.rejects(createVerifier(f.url, { audience: 'a', fetch: big, logger: silent }), /larger than/);
  });

  test('unusable JWKS keys are skipped, never guessed', async () => {
    const f = new FakeIssuer();
    const good = f.jwks().keys[0];
    const jwks = {
      keys: [
        { ...good, kid: 'enc', use: 'enc' }, { ...good, kid: 'noalg', alg: undefined }, { ...good, kid: 'rsalg', alg: 'RS256' },
        { ...good, kid: 'p384', crv: 'P-384' }, { ...good, kid: 'priv', d: good.x }, { kty: 'oct', kid: 'oct', alg: 'HS256', k: 'AAAA' },
        { ...good, kid: 'offcurve', y: good.x }, { ...good, kid: '' }, { kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', kid: 'weak', x: 'A'.repeat(43) },
        { kty: 'XYZ', kid: 'xyz', alg: 'ES256' }, null, 'x', good,
      ],
    };
    const fetch = (url, init) => (String(url).endsWith('/jwks') ? Promise.resolve(new Response(JSON.stringify(jwks))) : f.fetch(url, init));
    await withVerifier(f, { fetch }, async (v) => {
      assert.equal((await v.verify(f.apiKey())).project, 'prj_orders');
      for (const kid of ['enc', 'noalg', 'rsalg', 'p384', 'priv', 'oct', 'offcurve', 'weak', 'xyz']) {
        const alg = kid === 'oct' ? 'HS256' : kid === 'rsalg' ? 'RS256' : kid === 'weak' ? 'EdDSA' : 'ES256';
        await assert.rejects(v.verify(f.sign('apikey+jwt', f.claims((c) => { c.jti = kid; }), { kid, key: f.keys.get(f.signKID).privateKey, alg: 'ES256', header: { alg } })),
          (e) => ['unknown_key', 'header'].includes(e.code), kid);
      }
    });
  });
});

describe('tokenFromRequest', () => {
  test('reads Bearer, then X-API-Key and the query parameter when enabled', async () => {
    const f = new FakeIssuer();
    await withVerifier(f, {}, async (v) => {
      assert.equal(v.tokenFromRequest({ headers: { authorization: 'Bearer abc' } }), 'abc');
      assert.equal(v.tokenFromRequest({ headers: { authorization: 'bearer  abc \t' } }), 'abc');
      assert.equal(v.tokenFromRequest({ headers: { authorization: 'Basic abc' } }), '');
      assert.equal(v.tokenFromRequest({ headers: { authorization: 'Bearer' } }), '');
      assert.equal(v.tokenFromRequest({ Authorization: 'Bearer abc' }), 'abc', 'plain object, any case');
      assert.equal(v.tokenFromRequest(new Headers({ Authorization: 'Bearer abc' })), 'abc');
      assert.equal(v.tokenFromRequest(new Request('http://x/', { headers: { authorization: 'Bearer abc' } })), 'abc');
      assert.equal(v.tokenFromRequest({ headers: { 'x-api-key': 'abc' } }), '', 'X-API-Key is off by default');
      assert.equal(v.tokenFromRequest({ headers: {}, url: '/?api_key=abc' }), '', 'query is off by default');
      assert.equal(v.tokenFromRequest(null), '');
    });
    await withVerifier(f, { headerApiKey: true, queryParam: 'api_key' }, async (v) => {
      assert.equal(v.tokenFromRequest({ headers: { 'x-api-key': ' abc ' } }), 'abc');
      assert.equal(v.tokenFromRequest({ headers: { authorization: 'Bearer b', 'x-api-key': 'k' } }), 'b', 'Bearer first');
      assert.equal(v.tokenFromRequest({ headers: {}, url: '/orders?x=1&api_key=q' }), 'q');
    });
  });
});

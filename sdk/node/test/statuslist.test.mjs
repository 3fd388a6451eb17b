// Status list decoding (verify/statuslist.go): bounded inflate, every defect fails closed.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createDeflate, deflateSync } from 'node:zlib';
import { MalformedError, StatusUnavailableError, UnknownKeyError } from '../src/errors.js';
import { PublicKey } from '../src/keys.js';
import { decodeStatusList, inflateBounded, MAX_STATUS_BYTES, statusBit } from '../src/statuslist.js';
import { b64, Clock, FakeIssuer } from './helpers.mjs';

/** One zlib stream of n zero bytes, made without holding them. */
function zlibZeros(n, level) {
  const d = createDeflate({ level });
  const chunks = [];
  d.on('data', (c) => chunks.push(c));
  const done = new Promise((resolve, reject) => {
    d.on('end', () => resolve(Buffer.concat(chunks)));
    d.on('error', reject);
  });
  const chunk = Buffer.alloc(1 << 20);
  (function write() {
    while (n > 0) {
      const m = Math.min(n, chunk.length);
      n -= m;
      if (!d.write(chunk.subarray(0, m))) {
        d.once('drain', write);
        return;
      }
    }
    d.end();
  })();
  return done;
}

describe('status lists', () => {
  const clock = new Clock();
  const f = new FakeIssuer({ clock });
  const uri = `${f.url}/statuslists/sl_1`;
  const keys = new Map();
  const ready = (async () => {
    const { parseJWKS } = await import('../src/keys.js');
    for (const [kid, k] of await parseJWKS(f.jwks(), new Set(['ES256']))) keys.set(kid, k);
  })();
  const keyFor = async (kid, alg) => {
    await ready;
    const k = keys.get(kid);
    if (!k) throw new UnknownKeyError();
    assert.ok(k instanceof PublicKey);
    assert.equal(k.alg, alg);
    return k;
  };
  const decode = (token, u = uri) => decodeStatusList({ uri: u, token, issuer: f.url, now: clock.now(), defaultTtl: 60000, keyFor });
  const listWith = (edit) => f.statusToken('sl_1', { edit });
  const rejects = async (token, name, cause) => {
    await assert.rejects(decode(token), (e) => {
      assert.ok(e instanceof StatusUnavailableError, `${name}: ${e}`);
      if (cause) assert.ok(e.cause instanceof cause, `${name}: cause ${e.cause}`);
      return true;
    }, name);
  };

  test('a good list decodes, with its bits, exp and ttl', async () => {
    f.lists.set('sl_1', Buffer.alloc(16));
    f.revoke('sl_1', 5);
    const l = await decode(f.statusToken('sl_1'));
    assert.equal(l.bits.length, 16);
    assert.equal(statusBit(l.bits, 5), true);
    assert.equal(statusBit(l.bits, 4), false);
    assert.equal(statusBit(l.bits, 127), false);
    assert.equal(statusBit(l.bits, 128), undefined);
    assert.equal(statusBit(l.bits, -1), undefined);
    assert.equal(statusBit(l.bits, 2 ** 62), undefined);
    assert.equal(l.exp, (clock.sec + 3600) * 1000);
    assert.equal(l.ttl, 60000);
    assert.equal(l.fetched, clock.now());
  });

  test('ttl: missing or below 1 s is the default, fractions are truncated', async () => {
    assert.equal((await decode(listWith((c) => delete c.ttl))).ttl, 60000);
    assert.equal((await decode(listWith((c) => { c.ttl = 0.5; }))).ttl, 60000);
    assert.equal((await decode(listWith((c) => { c.ttl = 2.9; }))).ttl, 2000);
  });

  test('every defect fails closed', async () => {
    await rejects(f.statusToken('sl_1', { nbits: 2 }), 'bits 2');
    await rejects(f.statusToken('sl_1', { nbits: 0 }), 'bits 0');
    await rejects(f.statusToken('sl_1', { typ: 'JWT' }), 'typ JWT');
    await rejects(f.statusToken('sl_1', { typ: 'apikey+jwt' }), 'typ apikey+jwt');
    await rejects(f.statusToken('sl_1', { sub: `${f.url}/statuslists/sl_2` }), 'sub of another list');
    await rejects(listWith((c) => delete c.sub), 'no sub');
    await rejects(listWith((c) => { c.iss = 'https://evil.example'; }), 'other iss');
    await rejects(listWith((c) => { c.exp = clock.sec - 60; }), 'expired');
    await rejects(listWith((c) => { c.exp = clock.sec; }), 'exp now');
    await rejects(listWith((c) => { c.exp = 1e19; }), 'exp 1e19');
    await rejects(listWith((c) => delete c.exp), 'no exp');
    await rejects(listWith((c) => { c.exp = String(c.exp); }), 'exp a string');
    await rejects(listWith((c) => { c.iat = 'now'; }), 'iat a string');
    await rejects(listWith((c) => { c.status_list.bits = 1.0001; }), 'bits a fraction');
    await rejects(listWith((c) => delete c.status_list), 'no status_list');
    await rejects(listWith((c) => { c.status_list.lst = '!!not base64!!'; }), 'lst not base64');
    const padded = deflateSync(Buffer.alloc(2)); // 10 bytes: padded base64 ends in ==
    assert.equal(padded.length % 3, 1);
    await rejects(listWith((c) => { c.status_list.lst = `${b64(padded)}==`; }), 'lst padded');
    await rejects(listWith((c) => { c.status_list.lst = b64(Buffer.alloc(16)); }), 'lst not zlib');
    const z = deflateSync(Buffer.alloc(300, 0x5a));
    await rejects(listWith((c) => { c.status_list.lst = b64(z.subarray(0, z.length - 6)); }), 'truncated zlib');
    const bad = Buffer.from(deflateSync(Buffer.alloc(16)));
    bad[bad.length - 1] ^= 0xff;
    await rejects(listWith((c) => { c.status_list.lst = b64(bad); }), 'bad checksum');
    const t = f.statusToken('sl_1');
    const s = Buffer.from(t.split('.')[2], 'base64url');
    s[10] ^= 1;
    await rejects(`${t.split('.').slice(0, 2).join('.')}.${b64(s)}`, 'flipped signature');
    await rejects(f.statusToken('sl_1').replace(/^[^.]+/, b64(JSON.stringify({ alg: 'ES256', typ: 'statuslist+jwt', kid: 'k404' }))),
      'unknown kid', UnknownKeyError);
    await rejects('hello', 'garbage', MalformedError);
    await rejects(f.signRaw(`{"alg":"ES256","typ":"JWT","kid":"${f.signKID}","typ":"statuslist+jwt"}`, JSON.stringify(f.claims())),
      'duplicate typ in the header', MalformedError);
    const claims = JSON.parse(Buffer.from(f.statusToken('sl_1').split('.')[1], 'base64url'));
    const raw = (extra) => f.signRaw(`{"alg":"ES256","typ":"statuslist+jwt","kid":"${f.signKID}"}`,
      `${JSON.stringify(claims).slice(0, -1)},${extra}}`);
    await rejects(raw('"TTL":1'), 'TTL alongside ttl', MalformedError);
    await rejects(raw(`"SUB":"${uri}"`), 'SUB', MalformedError);
    await rejects(raw('"x":{"status_list":{"bits":1,"bits":2}}'), 'nested duplicate', MalformedError);
    assert.ok(await decode(raw('"x":1')), 'control: extra unknown claims are fine');
  });

  test('lst with CR and LF inside decodes, as Go base64 skips them', async () => {
    const lst = b64(deflateSync(Buffer.alloc(16)));
    const l = await decode(listWith((c) => { c.status_list.lst = `${lst.slice(0, 4)}\r\n${lst.slice(4)}\n`; }));
    assert.equal(l.bits.length, 16);
  });

  test('inflate is bounded at 1 MiB: exactly 1 MiB is a list, one byte more is not', () => {
    assert.equal(inflateBounded(deflateSync(Buffer.alloc(MAX_STATUS_BYTES)), MAX_STATUS_BYTES).length, MAX_STATUS_BYTES);
    assert.throws(() => inflateBounded(deflateSync(Buffer.alloc(MAX_STATUS_BYTES + 1)), MAX_STATUS_BYTES), /beyond/);
  });

  test('a zlib bomb (64 MiB of zeros in a list token) fails closed without inflating it', async () => {
    const z = await zlibZeros(64 << 20, 1);
    assert.ok(z.length < 1 << 20, `bomb of ${z.length} bytes`);
    const before = process.memoryUsage().arrayBuffers + process.memoryUsage().external;
    assert.throws(() => inflateBounded(z, MAX_STATUS_BYTES), /beyond/);
    const grown = process.memoryUsage().arrayBuffers + process.memoryUsage().external - before;
    assert.ok(grown < 8 << 20, `inflate kept ${grown} bytes`);
    await rejects(listWith((c) => { c.status_list.lst = b64(z); }), 'bomb list');
    // A small bomb that fits in a credential-sized token is refused the same way.
    const small = await zlibZeros(4 << 20, 9);
    assert.ok(small.length < 8 << 10);
    await rejects(listWith((c) => { c.status_list.lst = b64(small); }), 'small bomb');
  });
});

// The revocation feed (GET /statuslists/events): the SSE parser, and a verifier
// subscribed to an in-test SSE server that signs events with the fake issuer's key.
// Orderings are asserted (the server's list GETs counted), never times.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { createVerifier, RevokedError } from '../src/index.js';
import { backoff, retryAfter, SSEParser } from '../src/feed.js';
import { eventually, newKey, servePortal, silent } from './helpers.mjs';

describe('SSE parser', () => {
  const parse = (...chunks) => {
    const p = new SSEParser({ maxLine: 64, maxEvent: 128 });
    for (const c of chunks) p.push(c);
    return p;
  };

  test('fields, multi-line data, comments, CRLF, CR and LF, split anywhere', () => {
    const text = '\ufeff: ping\r\nretry: 250\r\nid: 7\revent: status\ndata: a\r\ndata:b\r\n\r\n: ping\n\nid: 8\ndata\n\n';
    for (let cut = 0; cut <= text.length; cut++) {
      const p = parse(text.slice(0, cut), text.slice(cut));
      assert.deepEqual(p.events, [
        { type: 'status', data: 'a\nb', id: '7', oversize: false },
        { type: 'message', data: '', id: '8', oversize: false },
      ], `cut at ${cut}`);
      assert.equal(p.retry, 250);
      assert.equal(p.comments, 2);
    }
    // One byte at a time.
    const p = parse(...text);
    assert.equal(p.events.length, 2);
    assert.equal(p.events[0].data, 'a\nb');
  });

  test('a block without data is no event; an id with NUL and a bad retry are ignored', () => {
    const p = parse('event: status\nid: 1\n\nid: 2\0\nretry: 1x\ndata: x\n\n');
    assert.deepEqual(p.events, [{ type: 'message', data: 'x', id: null, oversize: false }]);
    assert.equal(p.retry, null);
  });

  test('a line or data over the bounds marks the event oversize; the stream goes on', () => {
    const long = 'x'.repeat(100);
    const p = parse(`event: status\ndata: ${long.slice(0, 30)}`, `${long}\n\n`, 'data: ok\n\n');
    assert.deepEqual(p.events, [
      { type: 'status', data: '', id: null, oversize: true },
      { type: 'message', data: 'ok', id: null, oversize: false },
    ]);
    const q = parse(`${'data: 0123456789012345678901234567890123456789\n'.repeat(4)}\ndata: ok\n\n`);
    assert.deepEqual(q.events.map((e) => e.oversize), [true, false]);
  });

  test('Retry-After and backoff', () => {
    assert.equal(retryAfter('3', 0), 3000);
    assert.equal(retryAfter('0', 0), 1000); // at least 1 s
    assert.equal(retryAfter('999999', 0), 600_000); // at most 10 min
    assert.equal(retryAfter(new Date(60_000).toUTCString(), 0), 60_000);
    assert.equal(retryAfter('soon', 0), null);
    assert.equal(backoff(500, 0), 500);
    for (let f = 1; f < 30; f++) {
      const d = backoff(500, f);
      assert.ok(d >= 500 && d <= 60_000, `${f}: ${d}`);
    }
  });
});

describe('a verifier subscribed to the feed', () => {
  const open = [];
  after(async () => {
    for (const x of open.reverse()) await x.close();
  });
  async function setup({ portal: po = {}, verifier: vo = {} } = {}) {
    const portal = await servePortal(po);
    open.push(portal);
    const v = await createVerifier(portal.issuer.url, { audience: 'orders-api', logger: silent, ...vo });
    open.push(v);
    return { portal, f: portal.issuer, v };
  }
  const connected = (portal, n = 1) => eventually(() => portal.conns.length >= n && !portal.conns[n - 1].closed);

  test('a revoked bit is applied at once: rejected before any list refetch', async () => {
    const { portal, f, v } = await setup();
    await connected(portal);
    await eventually(() => v.stats().feedConnected);
    const key = f.apiKey(); // idx 3 of sl_1
    const other = f.apiKey((c) => { c.jti = 'key_4'; c.status.status_list.idx = 4; });
    assert.equal((await v.verify(key)).keyId, 'key_1');
    assert.equal((await v.verify(other)).keyId, 'key_4');
    assert.equal(portal.listGets(), 1);
    portal.send(portal.event(41, 3));
    await eventually(() => v.stats().feedEventsApplied === 1);
    await assert.rejects(v.verify(key), RevokedError); // the cached credential too
    assert.equal((await v.verify(other)).keyId, 'key_4');
    assert.equal(portal.listGets(), 1, 'no list fetch between the event and the rejection');
    const s = v.stats();
    assert.equal(s.feedConnected, true);
    assert.equal(s.feedEventsRejected, 0);
    assert.ok(s.feedLastEventAt instanceof Date);
    assert.ok(s.feedLagMs >= 0);
    assert.equal(s.feedReconnects, 0);
  });

  test('forged, misdirected, non-revoking and replayed events change nothing', async () => {
    const { portal, f, v } = await setup();
    await connected(portal);
    const key = f.apiKey();
    await v.verify(key);
    const attacker = newKey('ES256');
    // Rejected: each counted.
    portal.send(portal.event(50, 3, { sign: { key: attacker.privateKey } })); // the issuer's kid, another key
    portal.send(portal.event(51, 3, { typ: 'statuslist+jwt' }));
    portal.send(portal.event(52, 3, { edit: (c) => { c.iss = 'https://attacker.test'; } }));
    portal.send(portal.event(53, 3, { edit: (c) => { c.uri = 'https://attacker.test/statuslists/sl_1'; } }));
    portal.send(portal.event(54, 3, { sseID: '99' }));
    portal.send(`event: status\ndata: ${'A'.repeat(20000)}\n\n`); // over the event bound
    await eventually(() => v.stats().feedEventsRejected === 6);
    assert.equal(v.stats().feedEventsApplied, 0);
    assert.equal((await v.verify(key)).keyId, 'key_1');
    // Genuine but nothing to apply: status 0 cannot clear, a replay applies nothing more.
    portal.send(portal.event(60, 4));
    await eventually(() => v.stats().feedEventsApplied === 1);
    portal.send(portal.event(61, 4, { edit: (c) => { c.status = 0; } }));
    portal.send(portal.event(60, 4)); // replayed
    portal.send(portal.event(62, 5)); // a marker: once applied, the two before were read
    await eventually(() => v.stats().feedEventsApplied === 2);
    assert.equal(v.stats().feedEventsRejected, 6);
    assert.equal(v.stats().feedEventsIgnored, 2);
    assert.equal(v.stats().feedLastEventId, 62);
    assert.equal((await v.verify(key)).keyId, 'key_1');
    const on4 = f.apiKey((c) => { c.jti = 'key_4'; c.status.status_list.idx = 4; });
    await assert.rejects(v.verify(on4), RevokedError);
    assert.equal(portal.listGets(), 1);
  });

  test('reconnects with Last-Event-ID after the server cuts the stream', async () => {
    const { portal, f, v } = await setup();
    await connected(portal);
    await v.verify(f.apiKey());
    portal.send(portal.event(7, 3));
    portal.send(portal.event(8, 4, { id: 'sl_other' })); // genuine, for a list not held: still taken
    await eventually(() => v.stats().feedEventsApplied === 1);
    assert.equal(portal.conns[0].lastEventId, '');
    portal.conn.res.socket.destroy();
    await connected(portal, 2);
    assert.equal(portal.conns[1].lastEventId, '8');
    await eventually(() => v.stats().feedConnected && v.stats().feedReconnects === 1);
    portal.send(portal.event(9, 5));
    await eventually(() => v.stats().feedEventsApplied === 2);
    portal.conn.res.end(); // a clean end (the server's maximum lifetime) too
    await connected(portal, 3);
    assert.equal(portal.conns[2].lastEventId, '9');
  });

  test('reset refetches every cached list', async () => {
    const { portal, f, v } = await setup();
    await connected(portal);
    const key = f.apiKey();
    await v.verify(key);
    portal.send(portal.event(30, 4));
    await eventually(() => v.stats().feedLastEventId === 30);
    f.revoke('sl_1', 3); // missed by the feed
    assert.equal(portal.listGets(), 1);
    portal.send('event: reset\ndata: {}\n\n');
    await eventually(() => portal.listGets() === 2);
    await eventually(() => v.verify(key).then(() => false, (e) => e instanceof RevokedError));
    assert.equal(v.stats().feedResets, 1);
    assert.equal(v.stats().feedLastEventId, 0, 'the seqs before the reset are forgotten');
    portal.send(portal.event(3, 5)); // the server starts over: a lower seq is not a replay
    await eventually(() => v.stats().feedEventsApplied === 2);
    assert.equal(v.stats().feedLastEventId, 3);
  });

  test('a pushed bit outlives an older list until a fetched list has it', async () => {
    const { portal, f, v } = await setup({ verifier: { cooldownSeconds: 0 } });
    await connected(portal);
    const on5 = f.apiKey((c) => { c.jti = 'key_5'; c.status.status_list.idx = 5; });
    await v.verify(on5);
    portal.send(portal.event(70, 5));
    await eventually(() => v.stats().feedEventsApplied === 1);
    portal.send('event: reset\ndata: {}\n\n'); // refetch: the portal's list (a stale copy) lacks bit 5
    await eventually(() => portal.listGets() === 2 && v.stats().statusFetches === 2);
    await assert.rejects(v.verify(on5), RevokedError);
    await v.refresh(); // the list is behind the event: fetched again at the next pass
    assert.equal(portal.listGets(), 3);
    await assert.rejects(v.verify(on5), RevokedError);
    f.revoke('sl_1', 5);
    await v.refresh();
    assert.equal(portal.listGets(), 4);
    await v.refresh(); // confirmed: nothing due any more
    assert.equal(portal.listGets(), 4);
    await assert.rejects(v.verify(on5), RevokedError);
  });

  test('503 with Retry-After: the lists are polled, the feed is tried again later', async () => {
    const { portal, f, v } = await setup({
      portal: { listTTL: 1 },
      verifier: { refreshIntervalSeconds: 0.05 },
    });
    let busy = true;
    portal.onEvents = (conn) => {
      if (busy) {
        conn.res.writeHead(503, { 'retry-after': '1' });
        conn.res.end();
        return;
      }
      conn.res.writeHead(200, { 'content-type': 'text/event-stream' });
      conn.res.write(': ping\n\n');
    };
    await eventually(() => portal.conns.length === 1);
    const key = f.apiKey();
    await v.verify(key);
    assert.equal(v.stats().feedConnected, false);
    f.revoke('sl_1', 3); // no event: only the list says so
    await eventually(() => v.verify(key).then(() => false, (e) => e instanceof RevokedError));
    assert.ok(portal.listGets() >= 2);
    busy = false;
    await eventually(() => v.stats().feedConnected);
    assert.ok(portal.conns.length >= 2);
    assert.equal(v.stats().feedReconnects, portal.conns.length - 1);
  });

  test('heartbeats keep a quiet stream connected; a silent one is dropped and made again', async () => {
    const { portal, v } = await setup({ verifier: { statusEventsIdleTimeoutMs: 1000 } });
    let pings = 0;
    let beat = true;
    const timer = setInterval(() => {
      const c = portal.conn;
      if (beat && c && !c.closed) {
        c.res.write(': ping\n\n');
        pings++;
      }
    }, 30);
    try {
      await eventually(() => pings >= 50); // 50 heartbeats: longer than the idle timeout
      assert.equal(portal.conns.length, 1);
      assert.equal(v.stats().feedReconnects, 0);
      assert.equal(v.stats().feedConnected, true);
      beat = false;
      await eventually(() => portal.conns.length === 2);
      assert.equal(portal.conns[0].closed, true);
      assert.equal(v.stats().feedReconnects, 1);
    } finally {
      clearInterval(timer);
    }
  });

  test('a feed endpoint not under the issuer is refused', async () => {
    const portal = await servePortal();
    open.push(portal);
    portal.issuer.metadataExtra = { status_list_events_endpoint: 'https://attacker.test/statuslists/events' };
    await assert.rejects(createVerifier(portal.issuer.url, { audience: 'orders-api', logger: silent }), /not under the issuer/);
    assert.equal(portal.conns.length, 0);
  });

  test('statusEvents: false does not subscribe', async () => {
    const { portal, f, v } = await setup({ verifier: { statusEvents: false } });
    await v.verify(f.apiKey());
    assert.equal(portal.conns.length, 0);
    assert.equal(v.stats().feedEnabled, false);
    assert.equal(v.stats().feedConnected, false);
  });

  test('close() ends the connection and the retries', async () => {
    const { portal, v } = await setup();
    await connected(portal);
    await v.close();
    await eventually(() => portal.conn.closed);
    assert.equal(v.stats().feedConnected, false);
    assert.equal(portal.conns.length, 1);
  });
});

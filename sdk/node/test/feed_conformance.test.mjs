// The revocation feed's cases of sdk/conformance/vectors.json (feed_cases): each on a new
// verifier whose metadata offers the feed. The feed's first connection is held open
// until the case's prime credentials are verified (the verifier then holds their lists),
// then carries the case's events as Server-Sent Events and ends; the verifier's second
// connection shows the Last-Event-ID it reconnects with. Then the checks, and the
// rejected count.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import { createVerifier, VerifyError } from '../src/index.js';
import { eventually } from './helpers.mjs';

const vectors = JSON.parse(readFileSync(new URL('../../conformance/vectors.json', import.meta.url), 'utf8'));
const META = `${vectors.issuer}/.well-known/oauth-authorization-server`;
const EVENTS = `${vectors.issuer}/statuslists/events`;

/** The case's events as an SSE stream. */
function sse(events) {
  let s = 'retry: 1\n\n';
  for (const e of events) s += `id: ${e.id}\nevent: ${e.event}\ndata: ${e.data}\n\n`;
  return s;
}

/** The file's web, with the feed offered: the first connection streams once released, later ones record Last-Event-ID. */
function web(c) {
  const w = { primed: null, reconnects: [], requested: [] };
  let release;
  w.primed = new Promise((r) => { release = r; });
  w.release = release;
  w.fetch = async (url, init) => {
    url = String(url);
    w.requested.push(url);
    if (url === EVENTS) {
      const headers = new Headers(init?.headers);
      if (w.requested.filter((u) => u === EVENTS).length > 1) {
        w.reconnects.push(headers.get('last-event-id') ?? '');
        return new Response('busy', { status: 503, headers: { 'retry-after': '3600' } });
      }
      const body = new ReadableStream({
        async start(ctl) {
          await w.primed;
          ctl.enqueue(new TextEncoder().encode(sse(c.events)));
          ctl.close();
        },
      });
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
    }
    const d = vectors.documents[url];
    if (!d) return new Response('not found', { status: 404 });
    let body = d.body;
    if (url === META) body = JSON.stringify({ ...JSON.parse(body), status_list_events_endpoint: EVENTS });
    return new Response(body, { status: d.status, headers: { 'content-type': d.content_type, 'cache-control': 'max-age=300' } });
  };
  return w;
}

async function answer(v, token) {
  try {
    await v.verify(token);
    return 'valid';
  } catch (e) {
    assert.ok(e instanceof VerifyError, `not a VerifyError: ${e?.stack ?? e}`);
    return e.code;
  }
}

describe(`feed conformance vectors (${vectors.feed_cases?.length ?? 0} cases)`, () => {
  test('the file has feed cases', () => assert.ok(vectors.feed_cases.length > 0));
  for (const c of vectors.feed_cases ?? []) {
    test(c.name, async () => {
      const o = c.options;
      const w = web(c);
      const v = await createVerifier(vectors.issuer, {
        audience: o.audience, accept: o.accept, algorithms: o.algorithms, leewaySeconds: o.leeway_seconds,
        projects: o.projects ?? undefined, teams: o.teams ?? undefined, failOpen: o.fail_open,
        now: () => vectors.now * 1000, fetch: w.fetch, logger: { warn() {}, debug() {} },
      });
      try {
        for (const t of c.prime) assert.equal(await answer(v, t), 'valid', 'a prime credential was refused');
        w.release();
        await eventually(() => w.reconnects.length > 0);
        if (c.last_event_id !== null) assert.equal(w.reconnects[0], c.last_event_id, 'Last-Event-ID');
        assert.equal(v.stats().feedEventsRejected, c.rejected, 'events rejected');
        for (const [i, k] of c.checks.entries()) {
          assert.equal(await answer(v, k.token), k.expect.valid ? 'valid' : k.expect.error, `check ${i}`);
        }
        for (const u of w.requested) {
          assert.ok(u === META || u === EVENTS || u in vectors.documents, `requested ${u}`);
        }
      } finally {
        await v.close();
      }
    });
  }
});

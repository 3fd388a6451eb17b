// The README's revocation feed example, run exactly as shown (only the issuer URL
// replaced) against the fake issuer over HTTP with the feed offered.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { createVerifier } from '../src/index.js';
import { eventually, servePortal } from './helpers.mjs';

/** The fenced block between <!-- name … --> and <!-- /name -->. */
function readmeBlock(name) {
  const s = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const start = s.indexOf(`<!-- ${name}`);
  const end = s.indexOf(`<!-- /${name} -->`);
  assert.ok(start >= 0 && end > start, `README.md: no block ${name}`);
  const block = s.slice(start, end);
  const open = block.indexOf('\n```');
  const body = block.slice(block.indexOf('\n', open + 1) + 1);
  return body.slice(0, body.lastIndexOf('```'));
}

test('README: the revocation feed example', async () => {
  const portal = await servePortal();
  const f = portal.issuer;
  let code = readmeBlock('readme:node-feed');
  assert.ok(code.includes("'https://portal.example.com'"), 'the README example no longer names the issuer URL this test replaces');
  code = code.replaceAll("'https://portal.example.com'", JSON.stringify(f.url));
  const lines = [];
  const log = { log: (...a) => lines.push(a.join(' ')) };
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
  const run = new AsyncFunction('createVerifier', 'console', `${code}\nreturn { verifier, pollingOnly };`);
  const { verifier, pollingOnly } = await run(createVerifier, log);
  try {
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^feed (up|down): 0 applied, 0 rejected, lag null ms, 0 reconnects, 0 resets$/);
    await eventually(() => verifier.stats().feedConnected);
    assert.equal(portal.conns.length, 1, 'one connection: the verifier subscribed, pollingOnly did not');
    assert.equal(pollingOnly.stats().feedConnected, false);
  } finally {
    await verifier.close();
    await pollingOnly.close();
    await portal.close();
  }
});

// Benchmarks of @gatehouse/verify against its floor:
//   (a) first sight: verify() of N distinct fresh ES256 API keys (JWKS and status list
//       cached, every token new to the verifier's cache);
//   (b) the same N tokens checked with bare node:crypto verify (ieee-p1363, a KeyObject
//       made once; inputs and signatures decoded beforehand) — the signature check
//       alone, which (a) cannot go below;
//   (c) seen before: verify() of a token already in the cache.
// Targets: (a)/(b) ≤ 1.3; (c) ≤ 5 µs.
//
//   node bench/bench.mjs [N] [rounds]

import { verify as cryptoVerify } from 'node:crypto';
import { createVerifier } from '../src/index.js';
import { FakeIssuer, silent } from '../test/helpers.mjs';

const N = Number(process.argv[2] ?? 5000);
const ROUNDS = Number(process.argv[3] ?? 5);

const f = new FakeIssuer();
const keyObject = f.keys.get(f.signKID).publicKey;
const mint = (tag, n) => Array.from({ length: n }, (_, i) => f.apiKey((c) => { c.jti = `key_${tag}_${i}`; c.status.status_list.idx = i % 128; }));

/** A verifier whose caches hold the JWKS and the status list, and room for every token. */
async function warmVerifier() {
  const v = await createVerifier(f.url, { audience: 'orders-api', fetch: f.fetch, now: f.clock.now, logger: silent, cacheSize: 10 * N });
  await v.verify(f.apiKey((c) => { c.jti = 'warm'; }));
  return v;
}

async function firstSight(v, tokens) {
  const t0 = process.hrtime.bigint();
  for (const t of tokens) await v.verify(t);
  return Number(process.hrtime.bigint() - t0) / tokens.length / 1e3; // µs per token
}

function bare(tokens) {
  const parts = tokens.map((t) => {
    const j = t.lastIndexOf('.');
    return [Buffer.from(t.slice(0, j)), Buffer.from(t.slice(j + 1), 'base64url')];
  });
  const key = { key: keyObject, dsaEncoding: 'ieee-p1363' };
  let ok = 0;
  const t0 = process.hrtime.bigint();
  for (const [input, sig] of parts) if (cryptoVerify('sha256', input, key, sig)) ok++;
  const us = Number(process.hrtime.bigint() - t0) / parts.length / 1e3;
  if (ok !== parts.length) throw new Error('bare verify failed');
  return us;
}

async function seenBefore(v, token, n) {
  await v.verify(token);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await v.verify(token);
  return Number(process.hrtime.bigint() - t0) / n / 1e3;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Warm up the JIT on both paths.
{
  const v = await warmVerifier();
  const w = mint('warmup', 2000);
  await firstSight(v, w);
  bare(w);
  await seenBefore(v, w[0], 50000);
  await v.close();
}

const a = [];
const b = [];
const c = [];
for (let r = 0; r < ROUNDS; r++) {
  const tokens = mint(`r${r}`, N);
  const v = await warmVerifier();
  // Interleave so that both see the same machine state.
  b.push(bare(tokens));
  a.push(await firstSight(v, tokens));
  c.push(await seenBefore(v, tokens[0], 200000));
  const s = v.stats();
  if (s.verified !== N + 1 || s.statusFetches !== 1 || s.jwksFetches !== 1) throw new Error(`unexpected stats ${JSON.stringify(s)}`);
  await v.close();
}

const fmt = (x) => x.toFixed(2).padStart(7);
console.log(`@gatehouse/verify benchmark — node ${process.version}, ${process.arch}, N=${N} distinct ES256 API keys, ${ROUNDS} rounds (medians)`);
console.log(`(a) first sight, verify()            ${fmt(median(a))} µs/token   [rounds: ${a.map((x) => x.toFixed(1)).join(', ')}]`);
console.log(`(b) bare crypto.verify (ieee-p1363)  ${fmt(median(b))} µs/token   [rounds: ${b.map((x) => x.toFixed(1)).join(', ')}]`);
console.log(`    ratio (a)/(b)                    ${fmt(median(a) / median(b))}×        (target ≤ 1.30×)`);
console.log(`(c) seen before (cache hit)          ${fmt(median(c))} µs/verify  [rounds: ${c.map((x) => x.toFixed(2)).join(', ')}] (target ≤ 5 µs)`);

// Benchmarks of @gatehouse/verify against its floor:
//   (a) first sight: verify() of N distinct fresh ES256 API keys (JWKS and status list
//       cached, every token new to the verifier's cache);
//   (b) the same N tokens checked with bare node:crypto verify (ieee-p1363, a KeyObject
//       made once; signing inputs and signatures decoded beforehand): the signature
//       check alone, which (a) cannot go below;
//   (c) seen before: verify() of a token already in the cache.
// Targets: (a)/(b) ≤ 1.3; (c) ≤ 5 µs.
//
// (a) and (b) run interleaved in blocks of 50 tokens, alternating which goes first, so
// that both see the same machine state; each block is timed in wall-clock and in this
// process's CPU time (which a busy, shared machine inflates less). The ratio reported
// is the median of the per-block ratios; totals are shown too.
//
//   node bench/bench.mjs [N] [rounds]

import { verify as cryptoVerify } from 'node:crypto';
import { createVerifier } from '../src/index.js';
import { FakeIssuer, silent } from '../test/helpers.mjs';

const N = Number(process.argv[2] ?? 5000);
const ROUNDS = Number(process.argv[3] ?? 5);
const BLOCK = 50;

const f = new FakeIssuer();
const keyObject = f.keys.get(f.signKID).publicKey;
const mint = (tag, n) => Array.from({ length: n }, (_, i) => f.apiKey((c) => { c.jti = `key_${tag}_${i}`; c.status.status_list.idx = i % 128; }));

/** A verifier whose caches hold the JWKS and the status list, with room for every token. */
async function warmVerifier() {
  const v = await createVerifier(f.url, { audience: 'orders-api', fetch: f.fetch, now: f.clock.now, logger: silent, cacheSize: 10 * N });
  await v.verify(f.apiKey((c) => { c.jti = 'warm'; }));
  return v;
}

const cpu = () => { const u = process.cpuUsage(); return u.user + u.system; }; // µs
const wall = () => Number(process.hrtime.bigint()) / 1e3; // µs

/** (a) and (b) interleaved over the same tokens; per-block [wallA, wallB, cpuA, cpuB] in µs. */
async function interleaved(v, tokens) {
  const parts = tokens.map((t) => {
    const j = t.lastIndexOf('.');
    return [Buffer.from(t.slice(0, j)), Buffer.from(t.slice(j + 1), 'base64url')];
  });
  const key = { key: keyObject, dsaEncoding: 'ieee-p1363' };
  const blocks = [];
  let ok = 0;
  for (let i = 0, blk = 0; i < tokens.length; i += BLOCK, blk++) {
    const end = Math.min(i + BLOCK, tokens.length);
    const r = [0, 0, 0, 0];
    const runA = async () => {
      const w0 = wall();
      const c0 = cpu();
      for (let k = i; k < end; k++) await v.verify(tokens[k]);
      r[2] = cpu() - c0;
      r[0] = wall() - w0;
    };
    const runB = () => {
      const w0 = wall();
      const c0 = cpu();
      for (let k = i; k < end; k++) if (cryptoVerify('sha256', parts[k][0], key, parts[k][1])) ok++;
      r[3] = cpu() - c0;
      r[1] = wall() - w0;
    };
    if (blk % 2 === 0) {
      runB();
      await runA();
    } else {
      await runA();
      runB();
    }
    blocks.push(r.map((x) => x / (end - i)));
  }
  if (ok !== tokens.length) throw new Error('bare verify failed');
  return blocks;
}

async function seenBefore(v, token, n) {
  await v.verify(token);
  const t0 = wall();
  for (let i = 0; i < n; i++) await v.verify(token);
  return (wall() - t0) / n;
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const sum = (xs) => xs.reduce((x, y) => x + y, 0);

// Warm up the JIT on both paths.
{
  const v = await warmVerifier();
  const w = mint('warmup', 2000);
  await interleaved(v, w);
  await seenBefore(v, w[0], 50000);
  await v.close();
}

const blocks = [];
const hits = [];
for (let r = 0; r < ROUNDS; r++) {
  const tokens = mint(`r${r}`, N);
  const v = await warmVerifier();
  blocks.push(...await interleaved(v, tokens));
  hits.push(await seenBefore(v, tokens[0], 200000));
  const s = v.stats();
  if (s.verified !== N + 1 || s.statusFetches !== 1 || s.jwksFetches !== 1) throw new Error(`unexpected stats ${JSON.stringify(s)}`);
  await v.close();
}

const col = (i) => blocks.map((b) => b[i]);
const fmt = (x, d = 2) => x.toFixed(d).padStart(8);
const [wa, wb, ca, cb] = [0, 1, 2, 3].map(col);
console.log(`@gatehouse/verify benchmark — node ${process.version} ${process.arch}, ${N} distinct ES256 API keys × ${ROUNDS} rounds, blocks of ${BLOCK}`);
console.log('                                        wall µs/token    CPU µs/token');
console.log(`(a) first sight, verify()              ${fmt(median(wa))}        ${fmt(median(ca))}     (median block)`);
console.log(`(b) bare crypto.verify, ieee-p1363     ${fmt(median(wb))}        ${fmt(median(cb))}     (median block)`);
console.log(`    ratio (a)/(b), median of blocks    ${fmt(median(wa.map((x, i) => x / wb[i])), 3)}×       ${fmt(median(ca.map((x, i) => x / cb[i])), 3)}×    (target ≤ 1.30×)`);
console.log(`    ratio (a)/(b), totals              ${fmt(sum(wa) / sum(wb), 3)}×       ${fmt(sum(ca) / sum(cb), 3)}×`);
console.log(`    overhead (a)−(b), median of blocks ${fmt(median(wa.map((x, i) => x - wb[i])))}        ${fmt(median(ca.map((x, i) => x - cb[i])))}`);
console.log(`(c) seen before (cache hit)            ${fmt(median(hits))} µs/verify (median of rounds: ${hits.map((x) => x.toFixed(2)).join(', ')}; target ≤ 5 µs)`);

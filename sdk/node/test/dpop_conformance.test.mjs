// The DPoP cases of sdk/conformance/vectors.json (RFC 9449): each on a new verifier,
// its requests in order through verifyRequest, on the file's clock.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import { createVerifier, VerifyError } from '../src/index.js';

const vectors = JSON.parse(readFileSync(new URL('../../conformance/vectors.json', import.meta.url), 'utf8'));

function web(url) {
  const d = vectors.documents[url];
  if (!d) return new Response('not found', { status: 404 });
  return new Response(d.body, { status: d.status, headers: { 'content-type': d.content_type, 'cache-control': 'max-age=300' } });
}

describe(`DPoP conformance vectors (${vectors.dpop_cases.length} cases)`, () => {
  test('the file has DPoP cases', () => assert.ok(vectors.dpop_cases.length > 0));
  for (const c of vectors.dpop_cases) {
    test(c.name, async () => {
      const o = c.options;
      const v = await createVerifier(vectors.issuer, {
        audience: o.audience, accept: o.accept, algorithms: o.algorithms, leewaySeconds: o.leeway_seconds,
        now: () => vectors.now * 1000, fetch: async (url) => web(String(url)), requireDPoP: c.require_dpop,
      });
      try {
        for (const [i, r] of c.requests.entries()) {
          const headers = new Headers({ authorization: `${r.scheme} ${c.token}` });
          for (const p of r.dpop ?? []) headers.append('dpop', p);
          let p;
          let err;
          try {
            p = await v.verifyRequest({ method: r.method, url: r.url, headers });
          } catch (e) {
            err = e;
          }
          if (r.expect.valid) {
            assert.equal(err, undefined, `request ${i}: rejected with ${err?.code}: ${err?.message}`);
            assert.equal(p.dpopThumbprint, r.expect.dpop_thumbprint ?? '', `request ${i}: thumbprint`);
            assert.equal(p.dpopBound, (r.expect.dpop_thumbprint ?? '') !== '');
          } else {
            assert.equal(p, undefined, `request ${i}: accepted, want ${r.expect.error}`);
            assert.ok(err instanceof VerifyError, `request ${i}: not a VerifyError: ${err?.stack ?? err}`);
            assert.equal(err.code, r.expect.error, `request ${i}: got ${err.code} (${err.message}), want ${r.expect.error}`);
          }
        }
      } finally {
        await v.close();
      }
    });
  }
});

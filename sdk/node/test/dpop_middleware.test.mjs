// The Express middleware with DPoP (RFC 9449): a bound token with its proof reaches the
// handler; a replayed proof and the token sent as a bearer token get 401 with a DPoP
// challenge. Tokens and proofs come from the conformance vectors; the API runs behind
// publicURL (the proofs name https://api.conformance.test).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import express from 'express';

import { createVerifier } from '../src/index.js';
import * as ex from '../src/express.js';

const vectors = JSON.parse(readFileSync(new URL('../../conformance/vectors.json', import.meta.url), 'utf8'));
const valid = vectors.dpop_cases.find((c) => c.name === 'DPoP/valid proof');

let server;
let base;
let verifier;

before(async () => {
  verifier = await createVerifier(vectors.issuer, {
    audience: valid.options.audience, now: () => vectors.now * 1000, publicURL: 'https://api.conformance.test',
    fetch: async (url) => {
      const d = vectors.documents[String(url)];
      return d ? new Response(d.body, { status: d.status, headers: { 'content-type': d.content_type } }) : new Response('', { status: 404 });
    },
  });
  const app = express();
  app.use(ex.gatehouse(verifier));
  app.get('/orders', (req, res) => res.json({ thumbprint: req.gatehouse.dpopThumbprint, bound: req.gatehouse.dpopBound }));
  await new Promise((resolve) => {
    server = app.listen(0, '127.0.0.1', resolve);
  });
  base = `http://127.0.0.1:${server.address().port}`;
});

after(async () => {
  await verifier.close();
  await new Promise((resolve) => server.close(resolve));
});

test('Express: a DPoP-bound token with its proof, then a replay and a bearer use', async () => {
  const headers = { authorization: `DPoP ${valid.token}`, dpop: valid.requests[0].dpop[0] };
  let res = await fetch(`${base}/orders`, { headers });
  assert.equal(res.status, 200, await res.clone().text());
  assert.deepEqual(await res.json(), { thumbprint: valid.requests[0].expect.dpop_thumbprint, bound: true });
  for (const [h, code] of [[headers, 'invalid_dpop_proof'], [{ authorization: `Bearer ${valid.token}` }, 'invalid_token']]) {
    res = await fetch(`${base}/orders`, { headers: h });
    assert.equal(res.status, 401);
    const ch = res.headers.get('www-authenticate');
    assert.match(ch, new RegExp(`^DPoP realm="orders-api", error="${code}", error_description="[^"]+", algs="ES256 ES384 EdDSA RS256 PS256"$`));
    assert.equal((await res.json()).error, code);
  }
});

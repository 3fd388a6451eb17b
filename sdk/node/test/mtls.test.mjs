// Certificate-bound tokens (RFC 8705) outside the vectors: verify() refuses them (it
// sees no request), a fetch-style request carries its peer's address and certificate,
// and the options are checked.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';

import { CertBoundError, certThumbprint, createVerifier } from '../src/index.js';
import { FakeIssuer, silent } from './helpers.mjs';

const f = new FakeIssuer();
const der = randomBytes(300); // only its SHA-256 matters to the binding
const tok = f.accessToken((c) => { c.cnf = { 'x5t#S256': certThumbprint(der) }; });
const opts = (o) => ({ audience: 'orders-api', fetch: f.fetch, now: f.clock.now, logger: silent, ...o });

test('verify() refuses a certificate-bound token', async () => {
  const v = await createVerifier(f.url, opts());
  try {
    await assert.rejects(v.verify(tok), (e) => e instanceof CertBoundError && e.code === 'cert_bound' && !e.dpop);
  } finally {
    await v.close();
  }
});

test('a fetch-style request: remoteAddress and clientCertificate', async () => {
  const v = await createVerifier(f.url, opts({ trustedProxies: ['192.0.2.0/24'], clientCertHeader: 'X-Client-Cert' }));
  try {
    const headers = new Headers({ authorization: `Bearer ${tok}` });
    const p = await v.verifyRequest({ method: 'GET', url: 'https://api.example.com/orders', headers, clientCertificate: new Uint8Array(der) });
    assert.equal(p.certThumbprint, certThumbprint(der));
    headers.set('x-client-cert', `:${der.toString('base64')}:`);
    const q = await v.verifyRequest({ method: 'GET', url: 'https://api.example.com/orders', headers, remoteAddress: '192.0.2.1' });
    assert.equal(q.certBound, true);
    await assert.rejects(v.verifyRequest({ method: 'GET', url: 'https://api.example.com/orders', headers, remoteAddress: '198.51.100.1' }),
      (e) => e instanceof CertBoundError && /presented none/.test(e.reason));
    headers.append('x-client-cert', `:${der.toString('base64')}:`); // a second header: joined with ", "
    await assert.rejects(v.verifyRequest({ method: 'GET', url: 'https://api.example.com/orders', headers, remoteAddress: '192.0.2.1' }),
      (e) => e instanceof CertBoundError && /not a certificate/.test(e.reason));
  } finally {
    await v.close();
  }
});

test('the options are checked', async () => {
  for (const o of [{ trustedProxies: ['10.0.0.0/33'] }, { trustedProxies: ['proxy.internal'] }, { trustedProxies: '10.0.0.0/8' },
    { clientCertHeader: 'Authorization' }, { clientCertHeader: '' }, { clientCertHeader: 'a b' }]) {
    await assert.rejects(createVerifier(f.url, opts(o)), TypeError, JSON.stringify(o));
  }
});

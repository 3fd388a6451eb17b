// The mTLS cases of sdk/conformance/vectors.json (RFC 8705 certificate-bound tokens):
// each on a new verifier with the case's trustedProxies and clientCertHeader, its
// requests in order through verifyRequest as Node requests (a socket with the peer's
// address and, for TLS, getPeerCertificate), each refusal through sendError's answer.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import { createVerifier, VerifyError } from '../src/index.js';
import { errorAnswer } from '../src/http.js';

const vectors = JSON.parse(readFileSync(new URL('../../conformance/vectors.json', import.meta.url), 'utf8'));

function web(url) {
  const d = vectors.documents[url];
  if (!d) return new Response('not found', { status: 404 });
  return new Response(d.body, { status: d.status, headers: { 'content-type': d.content_type, 'cache-control': 'max-age=300' } });
}

/** A node:http request as the vectors describe it: headers in lower case, a socket. */
function nodeRequest(c, r) {
  const headers = { authorization: `${r.scheme} ${c.token}` };
  if ((r.dpop ?? []).length > 0) headers.dpop = r.dpop.join(', ');
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = v;
  const der = r.tls_client_cert ? Buffer.from(r.tls_client_cert, 'base64') : null;
  const u = new URL(r.url);
  return {
    method: r.method, url: u.pathname, headers: { ...headers, host: u.host },
    socket: {
      remoteAddress: r.remote_addr,
      encrypted: true,
      // A TLS socket answers {} when the client presented no certificate.
      getPeerCertificate: () => (der ? { raw: der } : {}),
    },
  };
}

describe(`mTLS conformance vectors (${vectors.mtls_cases.length} cases)`, () => {
  test('the file has mTLS cases', () => assert.ok(vectors.mtls_cases.length > 0));
  for (const c of vectors.mtls_cases) {
    test(c.name, async () => {
      const o = c.options;
      const v = await createVerifier(vectors.issuer, {
        audience: o.audience, accept: o.accept, algorithms: o.algorithms, leewaySeconds: o.leeway_seconds,
        now: () => vectors.now * 1000, fetch: async (url) => web(String(url)),
        trustedProxies: c.trusted_proxies ?? undefined, clientCertHeader: c.client_cert_header || undefined,
      });
      try {
        for (const [i, r] of c.requests.entries()) {
          let p;
          let err;
          try {
            p = await v.verifyRequest(nodeRequest(c, r));
          } catch (e) {
            err = e;
          }
          if (r.expect.valid) {
            assert.equal(err, undefined, `request ${i}: rejected with ${err?.code}: ${err?.message}`);
            assert.equal(p.certThumbprint, r.expect.cert_thumbprint ?? '', `request ${i}: cert thumbprint`);
            assert.equal(p.certBound, (r.expect.cert_thumbprint ?? '') !== '');
            assert.equal(p.dpopThumbprint, r.expect.dpop_thumbprint ?? '', `request ${i}: dpop thumbprint`);
            continue;
          }
          assert.equal(p, undefined, `request ${i}: accepted, want ${r.expect.error}`);
          assert.ok(err instanceof VerifyError, `request ${i}: not a VerifyError: ${err?.stack ?? err}`);
          assert.equal(err.code, r.expect.error, `request ${i}: got ${err.code} (${err.message}), want ${r.expect.error}`);
          const a = errorAnswer(err, v.audience);
          assert.equal(a.status, 401);
          assert.ok(a.headers['WWW-Authenticate'].startsWith(`${r.expect.challenge_scheme} `), a.headers['WWW-Authenticate']);
          assert.match(a.headers['WWW-Authenticate'], /error="invalid_/);
        }
      } finally {
        await v.close();
      }
    });
  }
});

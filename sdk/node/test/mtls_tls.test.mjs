// Certificate-bound tokens (RFC 8705) over real TLS: an Express app on
// https.createServer({requestCert: true, rejectUnauthorized: false}) with the gatehouse
// middleware, called by clients presenting a certificate, another one, or none; and
// the same app behind a trusted proxy address, where the Client-Cert header counts and
// a forged one from elsewhere does not; examples/mtls.mjs (the README's example) as a
// process. The certificates come from the openssl command.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import express from 'express';
import Fastify from 'fastify';

import { certThumbprint, createVerifier } from '../src/index.js';
import * as ex from '../src/express.js';
import * as fa from '../src/fastify.js';
import { Clock, FakeIssuer, serveIssuer, silent, startExample } from './helpers.mjs';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-mtls-'));
let haveOpenSSL = true;
try {
  execFileSync('openssl', ['version'], { stdio: 'ignore' });
} catch {
  haveOpenSSL = false;
}
const skip = !haveOpenSSL && process.env.GATEHOUSE_TEST_INTEROP !== 'require' ? 'the openssl command is missing' : false;

/** A fresh P-256 key and self-signed certificate: {key, cert} (PEM) and der. */
function newCert(name) {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const pem = { key: readFileSync(key), cert: readFileSync(cert) };
  return { ...pem, der: new X509Certificate(pem.cert).raw };
}

const f = new FakeIssuer();
let verifier;
let proxied;
let servers = [];
let server;
let alice;
let mallory;

/** An https server for app: its port. */
async function listen(app, serverCert) {
  const s = https.createServer({ key: serverCert.key, cert: serverCert.cert, requestCert: true, rejectUnauthorized: false }, app);
  await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
  servers.push(s);
  return s.address().port;
}

function app(v) {
  const a = express();
  a.use(ex.gatehouse(v));
  a.get('/orders', (req, res) => res.json({ certBound: req.gatehouse.certBound, certThumbprint: req.gatehouse.certThumbprint }));
  return a;
}

/** GET /orders on port with the bearer token, a client certificate (or none) and headers. */
function get(port, token, cert, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port, path: '/orders', rejectUnauthorized: false, agent: false,
      headers: { authorization: `Bearer ${token}`, ...headers }, ...(cert ? { key: cert.key, cert: cert.cert } : {}),
    }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, challenge: res.headers['www-authenticate'] ?? '', body }));
    });
    req.on('error', reject);
    req.end();
  });
}

let port;
let proxyPort;
let serverCert;

before(async () => {
  if (skip) return;
  serverCert = newCert('server');
  alice = newCert('alice');
  mallory = newCert('mallory');
  verifier = await createVerifier(f.url, { audience: 'orders-api', fetch: f.fetch, now: f.clock.now, logger: silent, trustedProxies: ['10.0.0.0/8'] });
  // Here the loopback address stands for the proxy's.
  proxied = await createVerifier(f.url, { audience: 'orders-api', fetch: f.fetch, now: f.clock.now, logger: silent, trustedProxies: ['127.0.0.1/32', '::1'] });
  port = await listen(app(verifier), serverCert);
  proxyPort = await listen(app(proxied), serverCert);
});

after(async () => {
  await verifier?.close();
  await proxied?.close();
  for (const s of servers) await new Promise((resolve) => { s.close(resolve); s.closeAllConnections(); });
  rmSync(dir, { recursive: true, force: true });
});

const bound = (c) => f.accessToken((cl) => { cl.cnf = { 'x5t#S256': certThumbprint(c.der) }; });
const header = (c) => ({ 'client-cert': `:${Buffer.from(c.der).toString('base64')}:` });

test('TLS: a certificate-bound token with its certificate, another one, none, or a forged header', { skip }, async () => {
  const tok = bound(alice);
  let r = await get(port, tok, alice);
  assert.equal(r.status, 200, r.body);
  assert.deepEqual(JSON.parse(r.body), { certBound: true, certThumbprint: certThumbprint(alice.der) });
  for (const [name, cert, hdr, desc] of [
    ['another certificate', mallory, {}, 'is not the one the token is bound to'],
    ['no certificate', null, {}, 'presented none'],
    ['a forged Client-Cert from an untrusted address', null, header(alice), 'presented none'],
  ]) {
    r = await get(port, tok, cert, hdr);
    assert.equal(r.status, 401, name);
    assert.match(r.challenge, /^Bearer realm="orders-api", error="invalid_token", error_description="[^"]+"$/, name);
    assert.ok(r.challenge.includes(desc), `${name}: ${r.challenge}`);
    assert.equal(JSON.parse(r.body).error, 'invalid_token');
  }
  r = await get(port, f.accessToken(), null);
  assert.equal(r.status, 200, r.body);
  assert.deepEqual(JSON.parse(r.body), { certBound: false, certThumbprint: '' });
});

test('TLS behind a trusted proxy: the Client-Cert header is the certificate, the connection\'s is not', { skip }, async () => {
  const tok = bound(alice);
  let r = await get(proxyPort, tok, null, header(alice));
  assert.equal(r.status, 200, r.body);
  assert.equal(JSON.parse(r.body).certThumbprint, certThumbprint(alice.der));
  // The proxy's own TLS certificate is not the client's.
  r = await get(proxyPort, tok, alice);
  assert.equal(r.status, 401);
  assert.ok(r.challenge.includes('presented none'), r.challenge);
  r = await get(proxyPort, tok, null, header(mallory));
  assert.equal(r.status, 401);
  assert.ok(r.challenge.includes('is not the one'), r.challenge);
  r = await get(proxyPort, tok, null, { 'client-cert': 'not a byte sequence' });
  assert.equal(r.status, 401);
  assert.ok(r.challenge.includes('is not a certificate'), r.challenge);
});

test('Fastify over TLS: the certificate of request.socket', { skip }, async () => {
  const app = Fastify({ https: { key: serverCert.key, cert: serverCert.cert, requestCert: true, rejectUnauthorized: false } });
  app.addHook('preHandler', fa.gatehouse(verifier));
  app.get('/orders', async (request) => ({ certThumbprint: request.gatehouse.certThumbprint }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const p = app.server.address().port;
    const tok = bound(alice);
    let r = await get(p, tok, alice);
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(JSON.parse(r.body), { certThumbprint: certThumbprint(alice.der) });
    r = await get(p, tok, mallory);
    assert.equal(r.status, 401);
    assert.match(r.challenge, /^Bearer realm="orders-api", error="invalid_token", error_description="the request's client certificate is not the one/);
  } finally {
    await app.close();
  }
});

test('examples/mtls.mjs, shown in the README, serves certificate-bound tokens over TLS', { skip }, async () => {
  const example = readFileSync(new URL('../examples/mtls.mjs', import.meta.url), 'utf8');
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  assert.ok(readme.includes(`\`\`\`js\n${example}\`\`\``), 'the README shows examples/mtls.mjs as it is');
  const portal = await serveIssuer({ clock: new Clock('real') });
  const keyFile = join(dir, 'example.key');
  const certFile = join(dir, 'example.pem');
  writeFileSync(keyFile, serverCert.key);
  writeFileSync(certFile, serverCert.cert);
  const api = await startExample('mtls.mjs', portal.issuer.url, { TLS_KEY: keyFile, TLS_CERT: certFile });
  try {
    const p = Number(new URL(api.url).port);
    const tok = portal.issuer.accessToken((cl) => { cl.cnf = { 'x5t#S256': certThumbprint(alice.der) }; });
    let r = await get(p, tok, alice);
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(JSON.parse(r.body), { project: 'prj_orders', certBound: true, certThumbprint: certThumbprint(alice.der) });
    r = await get(p, tok, mallory);
    assert.equal(r.status, 401);
    assert.match(r.challenge, /error="invalid_token"/);
    r = await get(p, portal.issuer.accessToken(), null);
    assert.equal(r.status, 200, r.body);
    api.child.kill('SIGTERM');
    const [code] = await once(api.child, 'exit');
    assert.equal(code, 0, api.stderr());
  } finally {
    if (api.child.exitCode === null) api.child.kill('SIGKILL');
    await portal.close();
  }
});

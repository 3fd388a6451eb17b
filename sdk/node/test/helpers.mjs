// A fake Gatehouse issuer for the tests: keys, credentials, status lists and a fetch
// that serves its documents (no network), plus a clock.

import { spawn } from 'node:child_process';
import { generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

export const b64 = (b) => Buffer.from(b).toString('base64url');
export const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** A clock the tests move by hand (or the real one: new Clock('real')). */
export class Clock {
  constructor(t = Date.UTC(2026, 4, 1, 12, 0, 0)) {
    this.t = t;
    this.now = t === 'real' ? Date.now : () => this.t;
  }
  advance(ms) {
    this.t += ms;
  }
  get sec() {
    return Math.floor(this.now() / 1000);
  }
}

/** Signs input (a string) with a private key as JWS alg does. */
export function jwsSign(alg, key, input) {
  switch (alg) {
    case 'ES256':
      return cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA':
      return cryptoSign(null, Buffer.from(input), key);
    case 'RS256':
      return cryptoSign('sha256', Buffer.from(input), key);
    default:
      throw new Error(`cannot sign ${alg}`);
  }
}

export function newKey(alg) {
  const { privateKey, publicKey } = alg === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, publicKey, jwk: publicKey.export({ format: 'jwk' }) };
}

export class FakeIssuer {
  constructor({ url = 'https://issuer.test', clock = new Clock(), listTTL = 60, listLife = 3600, audience = 'orders-api' } = {}) {
    this.url = url;
    this.clock = clock;
    this.audience = audience;
    this.listTTL = listTTL;
    this.listLife = listLife;
    this.keys = new Map(); // kid → {alg, privateKey, jwk}
    this.signKID = this.addKey('ES256');
    this.lists = new Map([['sl_1', Buffer.alloc(16)]]);
    this.listTok = new Map(); // id → a token served instead of the real list
    this.hits = new Map();
    this.requests = [];
    this.down = false;
    this.metadataExtra = {};
    this.fetch = this.fetch.bind(this);
  }

  addKey(alg = 'ES256', kid = `k${this.keys.size + 1}`) {
    this.keys.set(kid, { alg, ...newKey(alg) });
    return kid;
  }

  hit(path) {
    return this.hits.get(path) ?? 0;
  }

  jwks() {
    return { keys: [...this.keys].map(([kid, k]) => ({ ...k.jwk, kid, alg: k.alg, use: 'sig' })) };
  }

  metadata() {
    return {
      issuer: this.url, jwks_uri: `${this.url}/jwks`, signing_alg_values_supported: ['ES256', 'EdDSA', 'RS256'],
      status_list_uri_prefix: `${this.url}/statuslists/`, ...this.metadataExtra,
    };
  }

  revoke(id, idx) {
    const bits = this.lists.get(id);
    bits[idx >> 3] |= 1 << (idx & 7);
  }

  /** The status list token for list id. */
  statusToken(id, { bits = this.lists.get(id), nbits = 1, typ = 'statuslist+jwt', sub = `${this.url}/statuslists/${id}`, edit } = {}) {
    const now = this.clock.sec;
    const c = { iss: this.url, sub, iat: now, exp: now + this.listLife, ttl: this.listTTL,
      status_list: { bits: nbits, lst: b64(deflateSync(bits)) } };
    edit?.(c);
    return this.sign(typ, c);
  }

  /** A fetch serving the issuer's documents. */
  async fetch(url, init) {
    this.requests.push(String(url));
    if (init?.signal?.aborted) throw init.signal.reason ?? new Error('aborted');
    if (this.down) throw new TypeError('fetch failed');
    if (!String(url).startsWith(`${this.url}/`)) throw new Error(`request outside the issuer: ${url}`);
    const path = String(url).slice(this.url.length);
    this.hits.set(path, this.hit(path) + 1);
    const json = (o) => new Response(JSON.stringify(o), { headers: { 'content-type': 'application/json', 'cache-control': 'max-age=300' } });
    if (path === '/.well-known/oauth-authorization-server') return json(this.metadata());
    if (path === '/jwks') return json(this.jwks());
    const m = /^\/statuslists\/([^/?#]+)$/.exec(path);
    if (m) {
      const id = m[1];
      const tok = this.listTok.get(id) ?? (this.lists.has(id) ? this.statusToken(id) : null);
      if (tok !== null) return new Response(tok, { headers: { 'content-type': 'application/statuslist+jwt', 'cache-control': 'max-age=60' } });
    }
    return new Response('not found', { status: 404 });
  }

  claims(edit) {
    const now = this.clock.sec;
    const c = { iss: this.url, sub: 'prj_orders', aud: [this.audience], exp: now + 3600, iat: now, jti: 'key_1',
      scope: 'orders:read orders:write', team: 'team_1',
      status: { status_list: { idx: 3, uri: `${this.url}/statuslists/sl_1` } } };
    edit?.(c);
    return c;
  }

  accessClaims(edit) {
    const c = this.claims();
    delete c.status;
    delete c.team;
    c.client_id = c.sub;
    c.jti = 'at_1';
    edit?.(c);
    return c;
  }

  apiKey(edit) {
    return this.sign('apikey+jwt', this.claims(edit));
  }

  accessToken(edit) {
    return this.sign('at+jwt', this.accessClaims(edit));
  }

  /** Signs claims (an object or raw JSON text) with the signing key, or opts.kid/opts.key. */
  sign(typ, claims, { kid = this.signKID, key, alg, header } = {}) {
    const k = this.keys.get(kid);
    const h = { alg: alg ?? k?.alg ?? 'ES256', kid };
    if (typ) h.typ = typ;
    Object.assign(h, header);
    return this.signRaw(JSON.stringify(h), typeof claims === 'string' ? claims : JSON.stringify(claims),
      key ?? k.privateKey, alg ?? k?.alg ?? 'ES256');
  }

  /** Signs an exact header and payload text. */
  signRaw(header, payload, key = this.keys.get(this.signKID).privateKey, alg = 'ES256') {
    const input = `${b64(header)}.${b64(payload)}`;
    return `${input}.${b64(jwsSign(alg, key, input))}`;
  }
}

/** Polls cond until it is true or the deadline passes. */
export async function eventually(cond, { timeoutMs = 10000, everyMs = 20 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Answers a request with what issuer serves at its path (a dropped connection while "down"). */
async function serveDocument(issuer, req, res) {
  try {
    const r = await issuer.fetch(issuer.url + req.url);
    res.writeHead(r.status, Object.fromEntries(r.headers));
    res.end(Buffer.from(await r.arrayBuffer()));
  } catch {
    req.socket.destroy(); // "down": the connection is dropped
  }
}

/**
 * Serves a FakeIssuer over HTTP on 127.0.0.1 (for the example APIs, which use the real
 * fetch). Resolves to {issuer, close}.
 */
export async function serveIssuer(opts = {}) {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const issuer = new FakeIssuer({ ...opts, url: `http://127.0.0.1:${server.address().port}` });
  server.on('request', (req, res) => serveDocument(issuer, req, res));
  return {
    issuer,
    close: () => new Promise((r) => {
      server.close(r);
      server.closeAllConnections();
    }),
  };
}

/**
 * The fake issuer over HTTP on 127.0.0.1, its metadata offering the feed. Each feed
 * connection is recorded and handed to onEvents (the default opens the stream with
 * retry: 20 and keeps it open).
 */
export async function servePortal(opts = {}) {
  const server = createServer();
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const issuer = new FakeIssuer({ clock: new Clock('real'), ...opts, url: `http://127.0.0.1:${server.address().port}` });
  issuer.metadataExtra = { status_list_events_endpoint: `${issuer.url}/statuslists/events` };
  const portal = {
    issuer,
    /** @type {{req: any, res: any, lastEventId: string, closed: boolean}[]} */
    conns: [],
    onEvents: (conn) => {
      conn.res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      conn.res.write('retry: 20\n\n');
    },
    listGets: (id = 'sl_1') => issuer.hit(`/statuslists/${id}`),
    /** The connection being served (the last one). */
    get conn() {
      return this.conns.at(-1);
    },
    send(text) {
      this.conn.res.write(text);
    },
    /** A status event of seq revoking idx of list id, as SSE text; edit changes its claims, sign its signing. */
    event(seq, idx, { id = 'sl_1', edit, sign = {}, typ = 'statuslist-event+jwt', sseID = String(seq) } = {}) {
      const c = { iss: issuer.url, uri: `${issuer.url}/statuslists/${id}`, idx, status: 1, ver: seq, seq, iat: issuer.clock.sec };
      edit?.(c);
      return `id: ${sseID}\nevent: status\ndata: ${issuer.sign(typ, c, sign)}\n\n`;
    },
    close: () => new Promise((r) => {
      server.close(r);
      for (const s of sockets) s.destroy();
    }),
  };
  server.on('request', async (req, res) => {
    if (req.url === '/statuslists/events') {
      const conn = { req, res, lastEventId: req.headers['last-event-id'] ?? '', closed: false };
      res.on('close', () => { conn.closed = true; });
      portal.conns.push(conn);
      portal.onEvents(conn);
      return;
    }
    await serveDocument(issuer, req, res);
  });
  return portal;
}

/**
 * Starts an example (examples/<file>) against issuer, with env added, and resolves when
 * it says where it listens: {child, url, lines, stderr}.
 */
export async function startExample(file, issuer, env = {}) {
  const child = spawn(process.execPath, [fileURLToPath(new URL(`../examples/${file}`, import.meta.url))], {
    env: { ...process.env, GATEHOUSE_ISSUER: issuer, GATEHOUSE_AUDIENCE: 'orders-api', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const lines = [];
  const rl = createInterface({ input: child.stdout });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line within 15 s: ${stderr}`)), 15_000);
    rl.on('line', (line) => {
      lines.push(line);
      const m = /^listening on (https?:\/\/127\.0\.0\.1:\d+)$/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code} before listening: ${stderr}`)));
  });
  return { child, url, lines, stderr: () => stderr };
}

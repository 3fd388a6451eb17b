// Runs every case of sdk/conformance/vectors.json (format: sdk/conformance/README.md):
// each case gets a new verifier built with its options, a fetch that answers only from
// the file's documents, and a clock fixed at the file's now; the answer must be the
// expected principal or the expected typed reason.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { errorAnswer } from '../src/http.js';
import { createVerifier, InsufficientUserAuthenticationError, VerifyError } from '../src/index.js';

const file = fileURLToPath(new URL('../../conformance/vectors.json', import.meta.url));
if (!existsSync(file)) throw new Error(`${file} is missing: run make vectors (go run ./sdk/conformance/gen)`);
const vectors = JSON.parse(readFileSync(file, 'utf8'));

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** Every URL any verifier requested, and those outside the issuer (which fail the run). */
const requested = [];
const outside = [];

/** A fetch that knows only the documents of the file. */
async function documentsFetch(input) {
  const url = String(input instanceof Request ? input.url : input);
  requested.push(url);
  if (!url.startsWith(`${vectors.issuer}/`)) {
    outside.push(url);
    throw new Error(`conformance: request for ${url}, outside the issuer`);
  }
  const d = vectors.documents[url];
  if (!d) return new Response('not found', { status: 404, headers: { 'content-type': 'text/plain' } });
  return new Response(d.body, { status: d.status, headers: { 'content-type': d.content_type, 'cache-control': 'max-age=300' } });
}

/** The case's options, as @gatehouse/verify spells them (null: not set). */
function optionsOf(o) {
  const opts = { audience: o.audience, fetch: documentsFetch, now: () => vectors.now * 1000, logger: silent };
  if (o.accept !== null) opts.accept = o.accept;
  if (o.algorithms !== null) opts.algorithms = o.algorithms;
  if (o.leeway_seconds !== null) opts.leewaySeconds = o.leeway_seconds;
  if (o.projects !== null) opts.projects = o.projects;
  if (o.teams !== null) opts.teams = o.teams;
  if (o.fail_open) opts.failOpen = true;
  if (o.resource_metadata !== null) opts.resourceMetadata = o.resource_metadata;
  return opts;
}

/** Parses `Bearer k="v", k="v"` (quoted values without escapes, as the SDK writes them). */
function authParams(h) {
  assert.ok(h.startsWith('Bearer '), `challenge ${h} is not Bearer`);
  const out = {};
  for (const m of h.slice('Bearer '.length).matchAll(/([a-z_]+)="([^"]*)"(?:, |$)/g)) out[m[1]] = m[2];
  return out;
}

/**
 * Answers err as the verifier's sendError/replyError do and compares the status and the
 * challenge's auth-params (all but error_description) with want.
 */
function checkChallenge(v, err, want) {
  const a = errorAnswer(err, v.audience, v.resourceMetadata);
  const params = authParams(a.headers['WWW-Authenticate']);
  delete params.error_description;
  assert.equal(a.status, 401);
  assert.deepEqual(params, want);
}

/**
 * Applies a case's step-up requirement to p on the file's clock, answers the error as
 * the case's verifier does (sendError/replyError), and compares the challenge's
 * auth-params (all but error_description) with the case's.
 */
function checkStepUp(c, v, p) {
  const r = c.require;
  const err = r.max_age_seconds !== null ? p.checkAuthTime(vectors.now * 1000, r.max_age_seconds) : p.checkACR(...r.acr_values);
  if (!c.expect.challenge) {
    assert.equal(err, undefined, `require ${JSON.stringify(r)}: ${err?.message}, want met`);
    return;
  }
  assert.ok(err instanceof InsufficientUserAuthenticationError, `require ${JSON.stringify(r)}: ${err}, want a challenge`);
  checkChallenge(v, err, c.expect.challenge);
}

describe(`conformance vectors (${vectors.cases.length} cases, version ${vectors.version})`, () => {
  test('file format', () => {
    assert.equal(vectors.version, 1);
    assert.ok(vectors.cases.length > 0);
  });

  for (const c of vectors.cases) {
    test(c.name, async () => {
      const v = await createVerifier(vectors.issuer, optionsOf(c.options));
      try {
        let p;
        let err;
        try {
          p = await v.verify(c.token);
        } catch (e) {
          err = e;
        }
        if (c.expect.valid) {
          assert.equal(err, undefined, `rejected with ${err?.code}: ${err?.message}`);
          const want = c.expect.principal;
          assert.deepEqual(
            {
              kind: p.kind, api: p.api, subject_type: p.subjectType, subject: p.subject, project: p.project,
              service_account: p.serviceAccount, team: p.team, scopes: [...p.scopes], key_id: p.keyId,
              auth_time: p.authTime === null ? null : Math.floor(p.authTime.getTime() / 1000), acr: p.acr, amr: [...p.amr],
              actors: p.actors.map((a) => ({ sub: a.subject, sub_type: a.subjectType })),
            },
            { ...want, scopes: want.scopes ?? [], amr: want.amr ?? [], actors: want.actors ?? [] },
          );
          if (c.require) checkStepUp(c, v, p);
        } else {
          assert.equal(p, undefined, `accepted, want ${c.expect.error}`);
          assert.ok(err instanceof VerifyError, `not a VerifyError: ${err?.stack ?? err}`);
          assert.equal(err.code, c.expect.error, `got ${err.code} (${err.message}), want ${c.expect.error}`);
          if (c.expect.challenge) checkChallenge(v, err, c.expect.challenge);
        }
      } finally {
        await v.close();
      }
    });
  }

  after(() => {
    assert.deepEqual(outside, [], 'requests outside the issuer');
  });
});

test('no request ever left the issuer', { concurrency: false }, () => {
  assert.deepEqual(outside, []);
});

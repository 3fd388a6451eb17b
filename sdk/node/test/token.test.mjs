// Compact JWS parsing and the header rules (verify/token.go).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HeaderError, MalformedError } from '../src/errors.js';
import { b64decode, kindOf, MAX_TOKEN_LEN, normalizeTyp, parseCompact } from '../src/token.js';
import { b64 } from './helpers.mjs';

const payload = b64('{"sub":"x"}');
const sig = b64(Buffer.alloc(64, 1));
const tok = (header, p = payload, s = sig) => `${b64(typeof header === 'string' ? header : JSON.stringify(header))}.${p}.${s}`;
const good = { alg: 'ES256', typ: 'apikey+jwt', kid: 'k1' };
const codeOf = (t) => {
  try {
    parseCompact(t);
    return 'ok';
  } catch (e) {
    return e.code;
  }
};

describe('compact serialization', () => {
  test('a well-formed token parses', () => {
    const c = parseCompact(tok(good));
    assert.deepEqual(c.header, { alg: 'ES256', kid: 'k1', typ: 'apikey+jwt' });
    assert.equal(c.payload, '{"sub":"x"}');
    assert.equal(c.signature.length, 64);
    assert.equal(c.signingInput, tok(good).slice(0, tok(good).lastIndexOf('.')));
  });

  test('anything but exactly header.payload.signature in base64url is malformed', () => {
    const t = tok(good);
    const [h, p, s] = t.split('.');
    const flipBits = s.slice(0, -1) + 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[
      'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(s.at(-1)) | 1];
    for (const [name, bad] of Object.entries({
      '1 MB of dots': '.'.repeat(1 << 20),
      'two segments': `${h}.${p}`,
      'two segments and a dot': `${h}.${p}.`,
      'four segments': `${t}.${s}`,
      'JWE (5 segments)': `${h}.${p}.${s}.${s}.${s}`,
      'empty header': `.${p}.${s}`,
      'padding in the header': `${h}=.${p}.${s}`,
      'padding in the signature': `${t}==`,
      'standard base64 +': `${h}.+${p.slice(1)}.${s}`,
      'standard base64 /': `${h}.${p}./${s.slice(1)}`,
      'leading space': ` ${t}`,
      'newline inside': `${h.slice(0, 5)}\n${h.slice(5)}.${p}.${s}`,
      'CR LF at the end': `${t}\r\n`,
      'non-canonical trailing bits': `${h}.${p}.${flipBits}`,
      'impossible length': `${h}.${p}.${s}AAA`,
      'JSON serialization': JSON.stringify({ payload: p, protected: h, signature: s }),
      'header not an object': tok('["ES256"]'),
      'header not JSON': tok('alg=ES256'),
      'longer than MAX_TOKEN_LEN': tok({ ...good, pad: 'x'.repeat(MAX_TOKEN_LEN) }),
      'non-ASCII': `${t}é`,
      'enc in the header (JWE)': tok({ ...good, enc: 'A256GCM' }),
      'kid a number': tok({ ...good, kid: 1 }),
      'alg an object': tok({ ...good, alg: {} }),
      'duplicate alg': tok('{"alg":"ES256","typ":"apikey+jwt","kid":"k1","alg":"none"}'),
      'TYP': tok('{"alg":"ES256","TYP":"apikey+jwt","kid":"k1"}'),
      'Jwk': tok({ ...good, Jwk: {} }),
      'Kelvin-sign kid': tok('{"alg":"ES256","typ":"apikey+jwt","\u212aid":"k1"}'),
    })) {
      assert.equal(codeOf(bad), 'malformed', name);
    }
    assert.throws(() => parseCompact('.'.repeat(10)), MalformedError);
  });

  test('embedded keys, key URLs, crit, b64, zip and a missing or long kid are header errors', () => {
    for (const [name, h] of Object.entries({
      jwk: { ...good, jwk: { kty: 'EC' } },
      jku: { ...good, jku: 'https://evil.example/jwks' },
      x5u: { ...good, x5u: 'https://evil.example/c.pem' },
      x5c: { ...good, x5c: ['MIIB'] },
      'jwk null': { ...good, jwk: null },
      crit: { ...good, crit: ['exp'] },
      'crit empty': { ...good, crit: [] },
      b64: { ...good, b64: false },
      zip: { ...good, zip: 'DEF' },
      'no kid': { alg: 'ES256', typ: 'apikey+jwt' },
      'empty kid': { ...good, kid: '' },
      'null kid': { ...good, kid: null },
      '129-byte kid': { ...good, kid: 'k'.repeat(129) },
      '43 three-byte runes kid': { ...good, kid: '€'.repeat(43) },
    })) {
      assert.equal(codeOf(tok(h)), 'header', name);
    }
    assert.equal(codeOf(tok({ ...good, kid: 'k'.repeat(128) })), 'ok');
    assert.throws(() => parseCompact(tok({ ...good, jku: 'x' })), HeaderError);
  });

  test('payload and signature are decoded strictly after the header', () => {
    assert.equal(codeOf(tok(good, `${payload}=`)), 'malformed');
    assert.equal(codeOf(tok(good, '', sig)), 'ok', 'an empty payload is left to the signature check');
  });

  test('strict base64url', () => {
    assert.deepEqual(b64decode('AQ'), Buffer.from([1]));
    assert.equal(b64decode('AR'), null, 'trailing bits');
    assert.equal(b64decode('AQ=='), null, 'padding');
    assert.equal(b64decode('A'), null, 'length');
    assert.equal(b64decode('!!'), null);
    assert.deepEqual(b64decode(''), Buffer.alloc(0));
  });

  test('typ: lower-cased as Go does, application/ dropped, only credential types are credentials', () => {
    assert.equal(kindOf('apikey+jwt'), 'api_key');
    assert.equal(kindOf('application/apikey+jwt'), 'api_key');
    assert.equal(kindOf('AT+JWT'), 'access_token');
    assert.equal(kindOf('Application/At+Jwt'), 'access_token');
    assert.equal(kindOf('api\u212aey+jwt'), 'api_key', 'Go lower-cases the Kelvin sign to k');
    assert.equal(kindOf('ap\u0130key+jwt'), 'api_key', 'Go lower-cases İ to i');
    for (const t of ['', 'JWT', 'statuslist+jwt', 'application/jwt', 'apikey+jwt2', ' at+jwt', 'at+jwt ', 'application/application/at+jwt']) {
      assert.equal(kindOf(t), undefined, t);
    }
    assert.equal(normalizeTyp('APPLICATION/STATUSLIST+JWT'), 'statuslist+jwt');
  });
});

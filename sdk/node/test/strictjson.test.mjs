// Strict JSON (the port of verify/jsonstrict): duplicate member names and case/Unicode
// fold variants of the names read are refused at any depth; decoding matches encoding/json.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decodeUTF8, JNum, JObj, MAX_DEPTH, Names, parseStrict, readAudience, readFloat, readInt, readObject, readString, StrictJSONError,
  TypeMismatch,
} from '../src/strictjson.js';
import { CLAIM_NAMES, HEADER_NAMES, STATUS_CLAIM_NAMES } from '../src/token.js';

/** UTF-8 text as the byte string parseStrict reads. */
const bytes = (s) => Buffer.from(s, 'utf8').toString('latin1');
const parse = (s, names = CLAIM_NAMES) => parseStrict(bytes(s), names);
const kindOf = (s, names = CLAIM_NAMES) => {
  try {
    parse(s, names);
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof StrictJSONError, String(e));
    return e.kind;
  }
};

describe('strict JSON', () => {
  test('accepts well-formed objects and decodes them', () => {
    const v = parse('{"iss":"a","aud":["x","y"],"exp":1.5e3,"n":null,"t":true,"f":false,"o":{"k":{}},"e":[]}');
    assert.ok(v instanceof JObj);
    assert.deepEqual(v.keys, ['iss', 'aud', 'exp', 'n', 't', 'f', 'o', 'e']);
    assert.equal(v.get('iss'), 'a');
    assert.deepEqual(v.get('aud'), ['x', 'y']);
    assert.ok(v.get('exp') instanceof JNum, 'an exponent keeps its literal');
    assert.equal(v.get('exp').text, '1.5e3');
    assert.equal(v.get('n'), null);
    assert.equal(v.get('t'), true);
    assert.equal(v.get('f'), false);
    assert.ok(v.get('o').get('k') instanceof JObj);
    assert.equal(v.get('missing'), undefined);
    assert.equal(v.get('__proto__'), undefined);
    assert.equal(kindOf(' \t\r\n{ "a" : 1 , "b" : [ 1 , 2 ] } \n'), 'ok');
  });

  test('refuses what is not exactly one JSON object', () => {
    for (const s of ['', '[]', '"x"', '1', 'null', '{', '{"a":1', '{"a":1,}', '{"a":1}x', '{"a":1}{}', '{a:1}', "{'a':1}",
      '{"a":01}', '{"a":1.}', '{"a":.5}', '{"a":1e}', '{"a":+1}', '{"a":tru}', '{"a":"\\x"}', '{"a":"\\u12"}', '{"a":"\x01"}',
      '{"a":[1,]}', '{"a":[,1]}', '{"a" 1}', '{"a":1 "b":2}', '\ufeff{}', '{"a":NaN}', '{"a":-}']) {
      assert.equal(kindOf(s), 'syntax', JSON.stringify(s));
    }
  });

  test('refuses duplicate member names at any depth, after unescaping', () => {
    assert.equal(kindOf('{"aud":"a","aud":"b"}'), 'duplicate');
    assert.equal(kindOf('{"aud":"a","\\u0061ud":"b"}'), 'duplicate');
    assert.equal(kindOf('{"foo":1,"foo":2}'), 'duplicate');
    assert.equal(kindOf('{"ext":[{"a":{"b":1,"b":2}}]}'), 'duplicate');
    assert.equal(kindOf('{"status":{"status_list":{"idx":5,"uri":"u","idx":3}}}'), 'duplicate');
    assert.equal(kindOf('{"a":{"x":1},"b":{"x":1}}'), 'ok', 'the same name in two objects');
    assert.equal(kindOf('{"__proto__":1,"__proto__":2}'), 'duplicate');
    const many = Array.from({ length: 100 }, (_, i) => `"m${i}":${i}`).join(',');
    assert.equal(kindOf(`{${many}}`), 'ok');
    assert.equal(kindOf(`{${many},"m77":0}`), 'duplicate');
  });

  test('refuses case and Unicode-fold variants of known names at any depth', () => {
    for (const s of ['{"AUD":"x"}', '{"Aud":"x"}', '{"aUd":"x"}', '{"ſub":"x"}', '{"\\u017fub":"x"}', '{"ıss":"x"}', '{"İss":"x"}',
      '{"\\u0130SS":"x"}', '{"SCOPE":"x"}', '{"CLIENT_ID":"x"}', '{"x":{"deep":[{"URI":"u"}]}}', '{"status":{"status_list":{"IDX":1}}}']) {
      assert.equal(kindOf(s), 'variant', s);
    }
    assert.equal(kindOf('{"\u212aid":"k1"}', HEADER_NAMES), 'variant', 'Kelvin sign for k');
    assert.equal(kindOf('{"Kid":"k1"}', HEADER_NAMES), 'variant');
    assert.equal(kindOf('{"TTL":1}', STATUS_CLAIM_NAMES), 'variant');
    assert.equal(kindOf('{"LST":"x"}', STATUS_CLAIM_NAMES), 'variant');
  });

  test('accepts exact names, escaped exact names, and other spellings of unknown names', () => {
    assert.equal(kindOf('{"\\u0073cope":"orders:read"}'), 'ok');
    assert.equal(parse('{"\\u0073cope":"orders:read"}').get('scope'), 'orders:read');
    assert.equal(kindOf('{"Foo":1,"foo":2,"FOO":{"sub":"x","aud":"y"}}'), 'ok');
    assert.equal(kindOf('{"subs":1,"su":2,"ſ":3,"ſubx":4}'), 'ok');
    assert.equal(kindOf('{"AUD":"x"}', new Names()), 'ok', 'no known names: only duplicates matter');
    // Every name read, upper-cased, is refused; exact, accepted (strict_test.go).
    for (const names of [HEADER_NAMES, CLAIM_NAMES, STATUS_CLAIM_NAMES]) {
      for (const n of names.exact) {
        assert.equal(kindOf(`{"${n.toUpperCase()}":0}`, names), 'variant', n);
        assert.equal(kindOf(`{"${n}":0}`, names), 'ok', n);
      }
    }
  });

  test(`nests at most ${MAX_DEPTH} levels`, () => {
    const nest = (n) => `{"x":${'['.repeat(n - 1)}${']'.repeat(n - 1)}}`;
    assert.equal(kindOf(nest(MAX_DEPTH)), 'ok');
    assert.equal(kindOf(nest(MAX_DEPTH + 1)), 'depth');
    assert.equal(kindOf(`{"x":${'['.repeat(100000)}`), 'depth', 'no stack overflow');
  });

  test('member names must be UTF-8; values are decoded as encoding/json decodes them', () => {
    assert.throws(() => parseStrict('{"\xff":1}', CLAIM_NAMES), (e) => e.kind === 'name');
    assert.throws(() => parseStrict('{"\xed\xa0\x80":1}', CLAIM_NAMES), (e) => e.kind === 'name', 'a surrogate in UTF-8');
    assert.throws(() => parseStrict('{"\xc0\xaf":1}', CLAIM_NAMES), (e) => e.kind === 'name', 'overlong');
    // Values: one U+FFFD per invalid byte (Go), escapes of lone surrogates U+FFFD.
    assert.equal(parseStrict('{"s":"a\xe2\x82b"}').get('s'), 'a\ufffd\ufffdb');
    assert.equal(parseStrict('{"s":"a\xed\xa0\x80b"}').get('s'), 'a\ufffd\ufffd\ufffdb');
    assert.equal(parseStrict('{"s":"\xc3\xa9\xf0\x9f\x98\x80"}').get('s'), 'é😀');
    assert.equal(parse('{"s":"a\\ud800b"}').get('s'), 'a\ufffdb');
    assert.equal(parse('{"s":"\\ud83d\\ude00"}').get('s'), '😀');
    assert.equal(parse('{"s":"\\ud83d\\u0041"}').get('s'), '\ufffdA');
    assert.equal(parse('{"s":"\\"\\\\\\/\\b\\f\\n\\r\\t"}').get('s'), '"\\/\b\f\n\r\t');
    assert.equal(decodeUTF8('ok\xff'), 'ok\ufffd');
  });

  test('typed reads follow the Go field types', () => {
    const o = parse('{"s":"x","n":null,"i":3,"neg":-0,"f":1.0,"e":1e2,"big":1e400,"huge":99999999999999999999,"o":{},"a":[]}');
    const v = Object.fromEntries(o.keys.map((k) => [k, o.get(k)]));
    assert.equal(readString(v.s, 's'), 'x');
    assert.equal(readString(v.n, 'n'), '');
    assert.equal(readString(v.missing, 'm'), '');
    assert.throws(() => readString(v.i, 'i'), TypeMismatch);
    assert.equal(readInt(v.i, 'i'), 3);
    assert.equal(readInt(v.neg, 'neg'), 0);
    assert.equal(readInt(v.n, 'n'), null);
    assert.throws(() => readInt(v.f, 'f'), TypeMismatch, '1.0 is not an int');
    assert.throws(() => readInt(v.e, 'e'), TypeMismatch, '1e2 is not an int');
    assert.throws(() => readInt(v.huge, 'huge'), TypeMismatch, 'beyond int64');
    assert.throws(() => readInt(v.s, 's'), TypeMismatch);
    assert.equal(readFloat(v.e, 'e'), 100);
    assert.throws(() => readFloat(v.big, 'big'), TypeMismatch, 'out of float64 range');
    assert.throws(() => readFloat(v.s, 's'), TypeMismatch);
    assert.equal(readObject(v.n, 'n'), null);
    assert.ok(readObject(v.o, 'o'));
    assert.throws(() => readObject(v.a, 'a'), TypeMismatch);
    assert.throws(() => readObject(v.s, 's'), TypeMismatch);
    assert.deepEqual(readAudience(parse('{"aud":"x"}').get('aud')), ['x']);
    assert.deepEqual(readAudience(parse('{"aud":["x",null]}').get('aud')), ['x', '']);
    assert.deepEqual(readAudience(undefined), []);
    assert.throws(() => readAudience(parse('{"aud":42}').get('aud')), TypeMismatch);
    assert.throws(() => readAudience(parse('{"aud":[1]}').get('aud')), TypeMismatch);
  });
});

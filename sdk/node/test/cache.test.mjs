// The CLOCK cache (src/cache.js): bounded, second chance for recently used entries,
// O(1) delete that keeps the ring consistent.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClockCache } from '../src/cache.js';

const entry = (v) => ({ v, _key: '', _i: 0, _ref: false });

/** The ring and the map describe the same entries, each at its own index. */
function consistent(c) {
  assert.equal(c.ring.length, c.map.size);
  c.ring.forEach((n, i) => {
    assert.equal(n._i, i);
    assert.equal(c.map.get(n._key), n);
  });
}

test('is bounded and evicts entries not used since the hand passed', () => {
  const c = new ClockCache(4);
  for (const k of ['a', 'b', 'c', 'd']) c.set(k, entry(k));
  assert.equal(c.size, 4);
  c.get('a');
  c.get('c');
  c.set('e', entry('e')); // a and c get a second chance; b goes
  assert.equal(c.get('b'), undefined);
  for (const k of ['a', 'c', 'd', 'e']) assert.equal(c.get(k)?.v, k);
  consistent(c);
  for (let i = 0; i < 1000; i++) {
    c.set(`k${i}`, entry(i));
    if (i % 3 === 0) c.get(`k${i}`);
  }
  assert.equal(c.size, 4);
  consistent(c);
});

test('replaces an entry under the same key, and deletes in O(1)', () => {
  const c = new ClockCache(8);
  for (let i = 0; i < 8; i++) c.set(`k${i}`, entry(i));
  c.set('k3', entry('new'));
  assert.equal(c.get('k3').v, 'new');
  assert.equal(c.size, 8);
  c.delete('k0');
  c.delete('k7');
  c.delete('missing');
  assert.equal(c.size, 6);
  consistent(c);
  c.set('x', entry('x'));
  c.set('y', entry('y'));
  c.set('z', entry('z')); // full again: evicts one
  assert.equal(c.size, 8);
  consistent(c);
  assert.equal(c.hits, 1);
});

test('size 0 caches nothing', () => {
  const c = new ClockCache(0);
  c.set('a', entry('a'));
  assert.equal(c.get('a'), undefined);
  assert.equal(c.size, 0);
});

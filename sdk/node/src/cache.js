// The bounded cache of verified credentials, keyed by the SHA-256 of the token
// (verify/cache.go): CLOCK, an approximation of LRU. A hit only sets the entry's
// "recently used" bit — it never reorders the Map, which in V8 degrades when large
// Maps see a delete and re-insert per lookup — and eviction sweeps a ring, clearing
// bits until it finds an entry not used since the hand last passed it.
//
// The cache is intrusive: an entry is any object, and the cache keeps its own
// bookkeeping on it (key, ring index, recently-used bit), so a cached credential costs
// one object, not two.

/** @typedef {{_key?: string, _i?: number, _ref?: boolean}} Entry */

/** @template {Entry} V */
export class ClockCache {
  /** @param {number} max at most this many entries; 0 disables the cache */
  constructor(max) {
    this.max = max;
    /** @type {Map<string, V>} */
    this.map = new Map();
    /** @type {V[]} */
    this.ring = [];
    this.hand = 0;
    this.hits = 0;
  }

  /** The entry for key (marked recently used), or undefined. @returns {V|undefined} */
  get(key) {
    const n = this.map.get(key);
    if (n === undefined) return undefined;
    if (!n._ref) n._ref = true;
    this.hits++;
    return n;
  }

  /**
   * Adds an entry (an object not in any cache), evicting one not recently used when
   * full; an entry already under key is replaced.
   * @param {string} key @param {V} n
   */
  set(key, n) {
    if (this.max <= 0) return;
    n._key = key;
    n._ref = false;
    const old = this.map.get(key);
    const ring = this.ring;
    if (old !== undefined) {
      n._i = old._i;
      ring[/** @type {number} */ (old._i)] = n;
      this.map.set(key, n);
      return;
    }
    if (ring.length < this.max) {
      n._i = ring.length;
      ring.push(n);
      this.map.set(key, n);
      return;
    }
    while (ring[this.hand]._ref) {
      ring[this.hand]._ref = false;
      this.hand = (this.hand + 1) % ring.length;
    }
    this.map.delete(/** @type {string} */ (ring[this.hand]._key));
    n._i = this.hand;
    ring[this.hand] = n;
    this.map.set(key, n);
    this.hand = (this.hand + 1) % ring.length;
  }

  /** Drops an entry (a credential that failed its re-check). */
  delete(key) {
    const n = this.map.get(key);
    if (n === undefined) return;
    this.map.delete(key);
    const last = /** @type {V} */ (this.ring.pop());
    if (last !== n) {
      this.ring[/** @type {number} */ (n._i)] = last;
      last._i = n._i;
    }
    if (this.hand >= this.ring.length) this.hand = 0;
  }

  get size() {
    return this.map.size;
  }
}

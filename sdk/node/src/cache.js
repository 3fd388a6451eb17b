// The bounded cache of verified credentials, keyed by the SHA-256 of the token
// (verify/cache.go): CLOCK, an approximation of LRU. A hit only sets the entry's
// "recently used" bit — it never reorders the Map, which in V8 degrades when large
// Maps see a delete and re-insert per lookup — and eviction sweeps a ring, clearing
// bits until it finds an entry not used since the hand last passed it.

/** @template V */
class Node {
  /** @param {string} key @param {V} val @param {number} i */
  constructor(key, val, i) {
    this.key = key;
    this.val = val;
    this.i = i;
    this.ref = false;
  }
}

/** @template V */
export class ClockCache {
  /** @param {number} max at most this many entries; 0 disables the cache */
  constructor(max) {
    this.max = max;
    /** @type {Map<string, Node<V>>} */
    this.map = new Map();
    /** @type {Node<V>[]} */
    this.ring = [];
    this.hand = 0;
    this.hits = 0;
  }

  /** The value for key (marked recently used), or undefined. @returns {V|undefined} */
  get(key) {
    const n = this.map.get(key);
    if (n === undefined) return undefined;
    if (!n.ref) n.ref = true;
    this.hits++;
    return n.val;
  }

  /** Adds or replaces an entry, evicting one not recently used when full. @param {string} key @param {V} val */
  set(key, val) {
    if (this.max <= 0) return;
    const old = this.map.get(key);
    if (old !== undefined) {
      old.val = val;
      return;
    }
    if (this.ring.length < this.max) {
      const n = new Node(key, val, this.ring.length);
      this.ring.push(n);
      this.map.set(key, n);
      return;
    }
    const ring = this.ring;
    while (ring[this.hand].ref) {
      ring[this.hand].ref = false;
      this.hand = (this.hand + 1) % ring.length;
    }
    this.map.delete(ring[this.hand].key);
    const n = new Node(key, val, this.hand);
    ring[this.hand] = n;
    this.map.set(key, n);
    this.hand = (this.hand + 1) % ring.length;
  }

  /** Drops an entry (a credential that failed its re-check). */
  delete(key) {
    const n = this.map.get(key);
    if (n === undefined) return;
    this.map.delete(key);
    const last = /** @type {Node<V>} */ (this.ring.pop());
    if (last !== n) {
      this.ring[n.i] = last;
      last.i = n.i;
    }
    if (this.hand >= this.ring.length) this.hand = 0;
  }

  get size() {
    return this.map.size;
  }
}

// Strict JSON: the port of verify/jsonstrict, fused with parsing.
//
// A JSON text is accepted only if it is exactly one object, nested at most MAX_DEPTH
// deep, whose member names (compared after unescaping, as the Go verifier compares
// them) are valid UTF-8, unique within their object, and never a case or Unicode-fold
// variant of one of the names the caller reads ("AUD" or "ſub" for "aud" or "sub", the
// Kelvin sign for "k", dotless or dotted I for "i") — at any depth. This is what
// keeps every Gatehouse verifier (Go, Node, Python) reading the same claims from the
// same bytes: encoding/json matches names case-insensitively and keeps the last of
// duplicates; JSON.parse keeps the last of duplicates and is case-sensitive.
//
// The input is a "byte string": a JS string whose char codes are the bytes (0–255) of
// the UTF-8 text (buf.toString('latin1')). Strings are decoded as encoding/json decodes
// them: escapes unescaped, an unpaired surrogate escape and every byte of invalid UTF-8
// become U+FFFD. Plain integer literals are numbers; other numbers keep their literal
// text (JNum), so that integer fields can be read as Go reads them ("1.0" is not an
// int). Objects are JObj.

/** Deepest nesting of objects and arrays; the top-level object is depth 1. */
export const MAX_DEPTH = 64;

/** Why strict parsing refused the input. kind: syntax | depth | name | variant | duplicate. */
export class StrictJSONError extends Error {
  /** @param {'syntax'|'depth'|'name'|'variant'|'duplicate'} kind @param {string} message */
  constructor(kind, message) {
    super(message);
    this.name = 'StrictJSONError';
    this.kind = kind;
  }
}

/**
 * A JSON object: its member names and values in order. Small objects are searched
 * linearly (cheaper than any hashed structure for the dozen members of a token);
 * past SMALL_OBJECT members a Map takes over.
 */
export class JObj {
  constructor() {
    /** Names and values, alternating. @type {any[]} */
    this.kv = [];
    /** @type {Map<string, any>|null} */
    this.map = null;
  }

  /** The member names, in order. */
  get keys() {
    return this.kv.filter((_, i) => i % 2 === 0);
  }

  /** The value of member name, or undefined. */
  get(name) {
    if (this.map !== null) return this.map.get(name);
    const kv = this.kv;
    for (let i = 0; i < kv.length; i += 2) if (kv[i] === name) return kv[i + 1];
    return undefined;
  }

  has(name) {
    return this.get(name) !== undefined;
  }

  /** Adds a member; false if the name is already there. */
  add(name, v) {
    if (this.map !== null) {
      if (this.map.has(name)) return false;
      this.map.set(name, v);
    } else if (this.get(name) !== undefined) {
      return false;
    } else if (this.kv.length >= 2 * SMALL_OBJECT) {
      this.map = new Map();
      for (let i = 0; i < this.kv.length; i += 2) this.map.set(this.kv[i], this.kv[i + 1]);
      this.map.set(name, v);
    }
    this.kv.push(name, v);
    return true;
  }

  /** Sets the value of the member added last. */
  setLast(v) {
    const kv = this.kv;
    kv[kv.length - 1] = v;
    if (this.map !== null) this.map.set(kv[kv.length - 2], v);
  }
}

const SMALL_OBJECT = 32;

/** A JSON number that is not a plain integer of at most 15 digits, kept as its literal. */
export class JNum {
  /** @param {string} text */
  constructor(text) {
    this.text = text;
  }
}

// Runes other than ASCII letters that encoding/json folds onto an ASCII letter: long s
// (ſ → S) and the Kelvin sign (K → K) by unicode.SimpleFold, and dotted and dotless I
// (İ ı → I) by the upper-of-lower folding of Go 1.21 to 1.25. Checked against every
// Unicode rune (go run: foldA and foldB of verify/jsonstrict); no other rune folds to
// ASCII, so for ASCII names these four are all there is.
const FOLD_SPECIAL = new Map([
  [0x017f, 0x53],
  [0x212a, 0x4b],
  [0x0130, 0x49],
  [0x0131, 0x49],
]);

/**
 * A set of member names that must be spelled exactly. Only ASCII names (all the
 * Gatehouse claims and header members are).
 */
export class Names {
  /** @param {...string} names */
  constructor(...names) {
    /** @type {Set<string>} */
    this.exact = new Set();
    /** @type {Map<string,string>} folded spelling → known name */
    this.folded = new Map();
    for (const n of names) {
      if (!/^[\x00-\x7f]*$/.test(n)) throw new TypeError(`strictjson: name ${JSON.stringify(n)} is not ASCII`);
      this.exact.add(n);
      this.folded.set(n.toUpperCase(), n);
    }
  }

  /**
   * The known name that name is a variant of, or undefined (also when it is exactly known).
   * @param {string} name
   */
  variantOf(name) {
    if (this.exact.has(name)) return undefined;
    let out = '';
    for (let i = 0; i < name.length; i++) {
      let c = name.charCodeAt(i);
      if (c >= 0x61 && c <= 0x7a) c -= 0x20;
      else if (c >= 0x80) {
        const f = FOLD_SPECIAL.get(c);
        if (f === undefined) return undefined; // a rune no known (ASCII) name can fold to
        c = f;
      }
      out += String.fromCharCode(c);
    }
    return this.folded.get(out);
  }
}

const EMPTY = new Names();

/** Bytes that a string holds as they are: printable ASCII but the quote and backslash. */
const PLAIN = new Uint8Array(256);
for (let c = 0x20; c < 0x80; c++) PLAIN[c] = c !== 0x22 && c !== 0x5c ? 1 : 0;

/**
 * Parses bytes (a byte string) as one strict JSON object.
 * @param {string} s byte string
 * @param {Names} [known]
 * @returns {JObj}
 */
export function parseStrict(s, known = EMPTY) {
  const p = new Parser(s, known);
  p.skip();
  if (p.i >= s.length || s.charCodeAt(p.i) !== 0x7b) p.syntax();
  const v = p.value(0);
  p.skip();
  if (p.i !== s.length) p.syntax();
  return v;
}

class Parser {
  /** @param {string} s @param {Names} known */
  constructor(s, known) {
    this.s = s;
    this.i = 0;
    this.known = known;
  }

  /** @returns {never} */
  syntax() {
    if (this.i >= this.s.length) throw new StrictJSONError('syntax', `not a well-formed JSON object: unexpected end at offset ${this.s.length}`);
    throw new StrictJSONError('syntax', `not a well-formed JSON object: unexpected ${JSON.stringify(this.s[this.i])} at offset ${this.i}`);
  }

  skip() {
    const s = this.s;
    let i = this.i;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    }
    this.i = i;
  }

  /** A value at this.i (after whitespace); depth is the number of open containers. */
  value(depth) {
    const s = this.s;
    if (this.i >= s.length) this.syntax();
    const c = s.charCodeAt(this.i);
    switch (c) {
      case 0x7b: // {
        return this.object(depth);
      case 0x5b: // [
        return this.array(depth);
      case 0x22: // "
        return this.string(false).value;
      case 0x74: // t
        return this.literal('true', true);
      case 0x66: // f
        return this.literal('false', false);
      case 0x6e: // n
        return this.literal('null', null);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
        return this.syntax();
    }
  }

  literal(lit, v) {
    if (this.s.startsWith(lit, this.i)) {
      this.i += lit.length;
      return v;
    }
    return this.syntax();
  }

  object(depth) {
    if (depth === MAX_DEPTH) throw new StrictJSONError('depth', `nested too deeply: more than ${MAX_DEPTH} levels at offset ${this.i}`);
    const s = this.s;
    const obj = new JObj();
    this.i++;
    this.skip();
    if (this.i < s.length && s.charCodeAt(this.i) === 0x7d) {
      this.i++;
      return obj;
    }
    for (;;) {
      if (this.i >= s.length || s.charCodeAt(this.i) !== 0x22) this.syntax();
      const start = this.i;
      const { value: name, invalid } = this.string(true);
      if (invalid) throw new StrictJSONError('name', `member name is not valid UTF-8 at offset ${start}`);
      const k = this.known.variantOf(name);
      if (k !== undefined) {
        throw new StrictJSONError('variant', `member name ${quoteName(name)} is a case variant of ${JSON.stringify(k)} at offset ${start}`);
      }
      this.skip();
      if (this.i >= s.length || s.charCodeAt(this.i) !== 0x3a) this.syntax();
      this.i++;
      this.skip();
      // The value is a placeholder until parsed: the name check comes first, as in jsonstrict.
      if (!obj.add(name, null)) throw new StrictJSONError('duplicate', `duplicate member name ${quoteName(name)} at offset ${start}`);
      obj.setLast(this.value(depth + 1));
      this.skip();
      if (this.i >= s.length) this.syntax();
      const c = s.charCodeAt(this.i);
      if (c === 0x2c) {
        this.i++;
        this.skip();
        continue;
      }
      if (c === 0x7d) {
        this.i++;
        return obj;
      }
      this.syntax();
    }
  }

  array(depth) {
    if (depth === MAX_DEPTH) throw new StrictJSONError('depth', `nested too deeply: more than ${MAX_DEPTH} levels at offset ${this.i}`);
    const s = this.s;
    const arr = [];
    this.i++;
    this.skip();
    if (this.i < s.length && s.charCodeAt(this.i) === 0x5d) {
      this.i++;
      return arr;
    }
    for (;;) {
      this.skip();
      arr.push(this.value(depth + 1));
      this.skip();
      if (this.i >= s.length) this.syntax();
      const c = s.charCodeAt(this.i);
      if (c === 0x2c) {
        this.i++;
        continue;
      }
      if (c === 0x5d) {
        this.i++;
        return arr;
      }
      this.syntax();
    }
  }

  /**
   * A number. A plain integer literal of at most 15 digits (every NumericDate, every
   * index) is returned as a JS number, exact; any other literal (a fraction, an
   * exponent, more digits) as a JNum keeping its text, so that integer fields can tell
   * "1.0" from "1" as Go does.
   */
  number() {
    const s = this.s;
    const start = this.i;
    let i = start;
    const neg = s.charCodeAt(i) === 0x2d;
    if (neg) i++;
    const c = s.charCodeAt(i);
    let v = 0;
    if (c === 0x30) i++;
    else if (c >= 0x31 && c <= 0x39) {
      for (; i < s.length; i++) {
        const d = s.charCodeAt(i) - 0x30;
        if (d < 0 || d > 9) break;
        v = v * 10 + d;
      }
    } else {
      this.i = i;
      this.syntax();
    }
    let plain = i - start - (neg ? 1 : 0) <= 15;
    if (s.charCodeAt(i) === 0x2e) {
      plain = false;
      const j = digits(s, i + 1);
      if (j === i + 1) {
        this.i = j;
        this.syntax();
      }
      i = j;
    }
    const e = s.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      plain = false;
      i++;
      const sign = s.charCodeAt(i);
      if (sign === 0x2b || sign === 0x2d) i++;
      const j = digits(s, i);
      if (j === i) {
        this.i = j;
        this.syntax();
      }
      i = j;
    }
    this.i = i;
    if (plain) return neg ? 0 - v : v; // 0 - 0 is 0: "-0" is 0, as Go's ParseInt reads it
    return new JNum(s.slice(start, i));
  }

  /**
   * The string whose opening quote is at this.i, decoded as encoding/json decodes it.
   * invalid: the raw bytes are not valid UTF-8 (what jsonstrict rejects in names).
   * @param {boolean} isName
   * @returns {{value: string, invalid: boolean}}
   */
  string(isName) {
    const s = this.s;
    const start = this.i + 1;
    let i = start;
    while (i < s.length && PLAIN[s.charCodeAt(i)] === 1) i++;
    if (i < s.length && s.charCodeAt(i) === 0x22) {
      this.i = i + 1;
      return { value: s.slice(start, i), invalid: false };
    }
    // Escapes, bytes of 0x80 and more, or an error: the general decoder.
    let out = s.slice(start, i);
    let invalid = false;
    for (;;) {
      if (i >= s.length) {
        this.i = i;
        this.syntax();
      }
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        this.i = i + 1;
        return { value: out, invalid };
      }
      if (c === 0x5c) {
        if (i + 1 >= s.length) {
          this.i = i;
          this.syntax();
        }
        const e = s.charCodeAt(i + 1);
        switch (e) {
          case 0x22: out += '"'; i += 2; break;
          case 0x5c: out += '\\'; i += 2; break;
          case 0x2f: out += '/'; i += 2; break;
          case 0x62: out += '\b'; i += 2; break;
          case 0x66: out += '\f'; i += 2; break;
          case 0x6e: out += '\n'; i += 2; break;
          case 0x72: out += '\r'; i += 2; break;
          case 0x74: out += '\t'; i += 2; break;
          case 0x75: {
            const r = hex4(s, i + 2);
            if (r < 0) {
              this.i = i;
              this.syntax();
            }
            i += 6;
            if (r >= 0xd800 && r < 0xe000) {
              // A surrogate: valid only as a high one followed by an escaped low one;
              // otherwise U+FFFD, and what follows is read on its own (utf16.DecodeRune).
              if (r < 0xdc00 && s.charCodeAt(i) === 0x5c && s.charCodeAt(i + 1) === 0x75) {
                const r2 = hex4(s, i + 2);
                if (r2 >= 0xdc00 && r2 < 0xe000) {
                  out += String.fromCharCode(r, r2);
                  i += 6;
                  break;
                }
              }
              out += '\ufffd';
              break;
            }
            out += String.fromCharCode(r);
            break;
          }
          default:
            this.i = i;
            this.syntax();
        }
        continue;
      }
      if (c < 0x20) {
        this.i = i;
        this.syntax();
      }
      if (c < 0x80) {
        let j = i + 1;
        while (j < s.length && PLAIN[s.charCodeAt(j)] === 1) j++;
        out += s.slice(i, j);
        i = j;
        continue;
      }
      const [cp, size] = decodeRune(s, i);
      if (cp < 0) {
        invalid = true;
        out += '\ufffd';
      } else {
        out += String.fromCodePoint(cp);
      }
      i += size;
    }
  }
}

/** @param {string} s @param {number} i */
function digits(s, i) {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    i++;
  }
  return i;
}

/** Four hexadecimal digits at s[i:], or -1. */
function hex4(s, i) {
  if (s.length - i < 4) return -1;
  let r = 0;
  for (let k = 0; k < 4; k++) {
    const c = s.charCodeAt(i + k);
    let d;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
    else return -1;
    r = (r << 4) | d;
  }
  return r;
}

/**
 * Decodes one UTF-8 sequence of a byte string at i as Go's utf8.DecodeRune does:
 * [code point, size], or [-1, 1] for an invalid or truncated sequence (one U+FFFD per
 * bad byte). Surrogates and overlong forms are invalid.
 * @param {string} s @param {number} i
 * @returns {[number, number]}
 */
export function decodeRune(s, i) {
  const n = s.length - i;
  const b0 = s.charCodeAt(i);
  if (b0 < 0x80) return [b0, 1];
  let size;
  let lo = 0x80;
  let hi = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) size = 2;
  else if (b0 >= 0xe0 && b0 <= 0xef) {
    size = 3;
    if (b0 === 0xe0) lo = 0xa0;
    else if (b0 === 0xed) hi = 0x9f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    size = 4;
    if (b0 === 0xf0) lo = 0x90;
    else if (b0 === 0xf4) hi = 0x8f;
  } else return [-1, 1];
  if (n < size) return [-1, 1];
  const b1 = s.charCodeAt(i + 1);
  if (b1 < lo || b1 > hi) return [-1, 1];
  if (size === 2) return [((b0 & 0x1f) << 6) | (b1 & 0x3f), 2];
  const b2 = s.charCodeAt(i + 2);
  if (b2 < 0x80 || b2 > 0xbf) return [-1, 1];
  if (size === 3) return [((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f), 3];
  const b3 = s.charCodeAt(i + 3);
  if (b3 < 0x80 || b3 > 0xbf) return [-1, 1];
  return [((b0 & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f), 4];
}

/** Decodes a whole byte string as Go decodes UTF-8 (U+FFFD per invalid byte). */
export function decodeUTF8(s) {
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; ) {
    const [cp, size] = decodeRune(s, i);
    out += cp < 0 ? '\ufffd' : String.fromCodePoint(cp);
    i += size;
  }
  return out;
}

/** A member name for an error message, bounded in length. */
function quoteName(name) {
  return name.length > 40 ? `${JSON.stringify(name.slice(0, 40))}…` : JSON.stringify(name);
}

// Typed reads, as encoding/json decodes into the Go verifier's structs. Each throws
// TypeMismatch when the value's JSON type does not fit the Go field's type; a missing
// member or null leaves the Go field at its zero value.

/** A JSON value of the wrong type for the field it fills (encoding/json's UnmarshalTypeError). */
export class TypeMismatch extends Error {
  constructor(field) {
    super(`${field} has the wrong JSON type`);
    this.name = 'TypeMismatch';
  }
}

/** A Go string field: '' when missing or null. */
export function readString(v, field) {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  throw new TypeMismatch(field);
}

/** A Go *float64 field: null when missing or null; out of float64 range is a mismatch. */
export function readFloat(v, field) {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return v;
  if (v instanceof JNum) {
    const f = Number(v.text);
    if (Number.isFinite(f)) return f;
  }
  throw new TypeMismatch(field);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A Go int (int64) field: null when missing or null; "1.0", "1e2" and overflow are mismatches. */
export function readInt(v, field) {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return v; // a plain integer literal of at most 15 digits
  if (v instanceof JNum && /^-?(0|[1-9][0-9]*)$/.test(v.text)) {
    const b = BigInt(v.text);
    if (b >= INT64_MIN && b <= INT64_MAX) return Number(b); // beyond 2^53 only ever out of a list's range
  }
  throw new TypeMismatch(field);
}

/** A Go *struct field: null when missing or null. @returns {JObj|null} */
export function readObject(v, field) {
  if (v === undefined || v === null) return null;
  if (v instanceof JObj) return v;
  throw new TypeMismatch(field);
}

/** The aud claim: a string or an array of strings (a null element is ''). */
/** An array of strings (amr): null when missing or null; any other element, null included, is a mismatch. */
export function readStringArray(v, field) {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) throw new TypeMismatch(field);
  for (const x of v) if (typeof x !== 'string') throw new TypeMismatch(field);
  return v;
}

export function readAudience(v) {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) {
    return v.map((x) => {
      if (x === null) return '';
      if (typeof x === 'string') return x;
      throw new TypeMismatch('aud');
    });
  }
  throw new TypeMismatch('aud');
}

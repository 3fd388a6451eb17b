// The revocation feed (GET /statuslists/events, Server-Sent Events; the wire format and
// the verifier rules: verify/feed.go and the conformance README). This module holds the
// pieces without the verifier's state: the SSE parser, the event claims, the backoff and
// the connection loop; index.js applies the events to its cached lists.

import { ClaimsError, IssuerError, MalformedError, TokenTypeError } from './errors.js';
import { MAX_STATUS_BYTES, validNumericDate } from './statuslist.js';
import { Names, parseStrict, readFloat, readInt, readString, StrictJSONError, TypeMismatch } from './strictjson.js';

/** The typ of a status event, compared exactly. */
export const EVENT_TYP = 'statuslist-event+jwt';
/** Members of an event's payload that are read. */
export const EVENT_CLAIM_NAMES = new Names('iss', 'uri', 'idx', 'status', 'ver', 'seq', 'iat');
/** An event whose data is longer is rejected (as the Go verifier bounds it). */
export const MAX_EVENT = 8 << 10;
/** A longer SSE line is not kept: the event it belongs to is rejected. */
export const MAX_LINE = MAX_EVENT + 64;
/** Without a byte (not even a heartbeat) for this long, the connection is dropped and made again. */
export const IDLE_TIMEOUT = 45_000;
/** The first reconnection delay when the server names none (retry:). */
export const RETRY = 1_000;
/** Reconnection delays grow up to this after failures. */
export const MAX_BACKOFF = 60_000;
/** A 503's Retry-After is honoured within these bounds. */
const MIN_RETRY_AFTER = 1_000;
const MAX_RETRY_AFTER = 600_000;

/**
 * One dispatched SSE event.
 * @typedef {object} SSEEvent
 * @property {string} type the event field ('message' when none)
 * @property {string} data
 * @property {string|null} id the id field of this event, null when it had none
 * @property {boolean} oversize a line or the data went over the bounds: the event must be rejected
 */

/**
 * A Server-Sent Events parser (the WHATWG algorithm): lines end with CRLF, LF or CR,
 * which may fall across chunks; a leading BOM is skipped; comments (":…") are
 * heartbeats; data lines are joined with "\n"; id, event and retry fields. A line over
 * maxLine characters or data over maxEvent marks the event oversize instead of being
 * kept, so memory stays bounded whatever the server sends.
 */
export class SSEParser {
  #buf = '';
  #skipping = false;
  #cr = false;
  #first = true;
  /** @type {string[]} */
  #data = [];
  #dataLen = 0;
  #type = '';
  /** @type {string|null} */
  #id = null;
  #oversize = false;
  #maxLine;
  #maxEvent;
  /** @type {SSEEvent[]} events dispatched and not yet taken */
  events = [];
  /** The last retry: value (ms), or null. */
  retry = null;
  /** Comment lines seen. */
  comments = 0;

  constructor({ maxLine = MAX_LINE, maxEvent = MAX_EVENT } = {}) {
    this.#maxLine = maxLine;
    this.#maxEvent = maxEvent;
  }

  /** Feeds decoded text; complete events are appended to events. @param {string} text */
  push(text) {
    let i = 0;
    if (this.#first && text.length > 0) {
      this.#first = false;
      if (text.charCodeAt(0) === 0xfeff) i = 1;
    }
    if (this.#cr && i < text.length) {
      this.#cr = false;
      if (text[i] === '\n') i++;
    }
    const n = text.length;
    while (i < n) {
      let j = i;
      while (j < n && text[j] !== '\n' && text[j] !== '\r') j++;
      if (j === n) {
        if (!this.#skipping) {
          this.#buf += text.slice(i);
          if (this.#buf.length > this.#maxLine) {
            this.#buf = '';
            this.#skipping = true;
            this.#oversize = true;
          }
        }
        return;
      }
      if (this.#skipping) this.#skipping = false;
      else {
        const line = this.#buf + text.slice(i, j);
        this.#buf = '';
        if (line.length > this.#maxLine) this.#oversize = true;
        else this.#line(line);
      }
      if (text[j] === '\r') {
        if (j + 1 < n) {
          if (text[j + 1] === '\n') j++;
        } else this.#cr = true;
      }
      i = j + 1;
    }
  }

  /** @param {string} line */
  #line(line) {
    if (line === '') {
      this.#dispatch();
      return;
    }
    if (line[0] === ':') {
      this.comments++;
      return;
    }
    const c = line.indexOf(':');
    const field = c < 0 ? line : line.slice(0, c);
    let value = c < 0 ? '' : line.slice(c + 1);
    if (value[0] === ' ') value = value.slice(1);
    switch (field) {
      case 'data':
        this.#dataLen += value.length + 1;
        if (this.#dataLen > this.#maxEvent) {
          this.#oversize = true;
          this.#data = [];
        } else if (!this.#oversize) this.#data.push(value);
        break;
      case 'event':
        this.#type = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.#id = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.retry = Number(value);
        break;
      default: // unknown fields are ignored
    }
  }

  #dispatch() {
    const type = this.#type === '' ? 'message' : this.#type;
    if (this.#oversize) this.events.push({ type, data: '', id: this.#id, oversize: true });
    else if (this.#dataLen > 0) this.events.push({ type, data: this.#data.join('\n'), id: this.#id, oversize: false });
    this.#data = [];
    this.#dataLen = 0;
    this.#type = '';
    this.#id = null;
    this.#oversize = false;
  }
}

/**
 * An event's payload as read: every member present with its type, or a VerifyError.
 * @param {string} payload the payload's bytes (latin1)
 * @returns {{iss: string, uri: string, idx: number, status: number, ver: number, seq: number, iat: number}}
 */
export function readEventClaims(payload) {
  let raw;
  try {
    raw = parseStrict(payload, EVENT_CLAIM_NAMES);
  } catch (e) {
    if (e instanceof StrictJSONError) throw new MalformedError(`event claims: ${e.message}`);
    throw e;
  }
  let cl;
  try {
    cl = {
      iss: readString(raw.get('iss'), 'iss'),
      uri: readString(raw.get('uri'), 'uri'),
      idx: readInt(raw.get('idx'), 'idx'),
      status: readInt(raw.get('status'), 'status'),
      ver: readInt(raw.get('ver'), 'ver'),
      seq: readInt(raw.get('seq'), 'seq'),
      iat: readFloat(raw.get('iat'), 'iat'),
    };
  } catch (e) {
    if (e instanceof TypeMismatch) throw new ClaimsError(`event: ${e.message}`);
    throw e;
  }
  for (const k of ['idx', 'status', 'ver', 'seq', 'iat']) {
    if (cl[k] === null) throw new ClaimsError(`event: no ${k}`);
  }
  if (cl.idx < 0 || cl.idx >= 8 * MAX_STATUS_BYTES) throw new ClaimsError('event: idx out of range');
  if (!validNumericDate(cl.iat)) throw new ClaimsError('event: iat out of range');
  if (cl.seq < 1 || !Number.isSafeInteger(cl.seq)) throw new ClaimsError('event: seq must be a positive integer');
  return /** @type {any} */ (cl);
}

/** typ, exactly. @param {string} typ */
export function checkEventTyp(typ) {
  if (typ !== EVENT_TYP) throw new TokenTypeError(`event typ ${JSON.stringify(String(typ).slice(0, 40))}`);
}

/** iss. @param {string} iss @param {string} issuer */
export function checkEventIssuer(iss, issuer) {
  if (iss !== issuer) throw new IssuerError(`event iss ${JSON.stringify(iss.slice(0, 100))}`);
}

/**
 * The seqs already taken, to refuse a replayed event: the highest, and those of a
 * window below it (so a genuine event that arrives out of order is still applied).
 */
export class SeqWindow {
  #seen = new Set();
  highest = 0;
  #size;

  constructor(size = 4096) {
    this.#size = size;
  }

  /** Whether seq was taken before (or is too old to tell). */
  seen(seq) {
    return seq <= this.highest - this.#size || this.#seen.has(seq);
  }

  take(seq) {
    this.#seen.add(seq);
    if (seq > this.highest) {
      this.highest = seq;
      if (this.#seen.size > 2 * this.#size) {
        for (const s of this.#seen) if (s <= this.highest - this.#size) this.#seen.delete(s);
      }
    }
  }

  clear() {
    this.#seen.clear();
    this.highest = 0;
  }
}

/**
 * Retry-After (delta-seconds or an HTTP-date) in ms within [1 s, 10 min], or null.
 * @param {string|null|undefined} v
 * @param {number} now ms
 */
export function retryAfter(v, now) {
  if (!v) return null;
  let ms;
  if (/^[0-9]+$/.test(v.trim())) ms = Number(v.trim()) * 1000;
  else {
    const t = Date.parse(v);
    if (Number.isNaN(t)) return null;
    ms = t - now;
  }
  return Math.min(Math.max(ms, MIN_RETRY_AFTER), MAX_RETRY_AFTER);
}

/** The delay before reconnection attempt after failures consecutive failures (with jitter). */
export function backoff(retry, failures, maxBackoff = MAX_BACKOFF) {
  if (failures === 0) return retry;
  const d = Math.min(retry * 2 ** Math.min(failures, 16), maxBackoff);
  return Math.max(retry, d / 2 + Math.random() * (d / 2));
}

/** Resolves after ms, or at once when signal aborts. */
export function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * One feed connection at a time, made again for as long as the signal is not aborted:
 * GET url with Accept: text/event-stream and Last-Event-ID (lastEventId()), each event
 * handed to onEvent in order (awaited), a connection without a byte for idleTimeout
 * dropped, 503 answered by waiting its Retry-After, other failures by a growing delay.
 */
export class Subscriber {
  connected = false;
  reconnects = 0;
  /** The delay before the next connection (ms), for tests and logs. */
  nextDelay = 0;
  #o;
  /** @type {Promise<void>|null} */
  done = null;

  /**
   * @param {object} o
   * @param {string} o.url
   * @param {typeof fetch} o.fetch
   * @param {AbortSignal} o.signal aborted when the verifier closes
   * @param {number} o.connectTimeout ms until the response's headers
   * @param {number} o.idleTimeout ms
   * @param {() => string} o.lastEventId '' for none
   * @param {(ev: SSEEvent) => Promise<void>} o.onEvent
   * @param {(what: string, fields: object) => void} o.warn
   */
  constructor(o) {
    this.#o = o;
  }

  start() {
    this.done = this.#run();
  }

  async #run() {
    const o = this.#o;
    let failures = 0;
    let first = true;
    while (!o.signal.aborted) {
      if (!first) this.reconnects++;
      first = false;
      let r;
      try {
        r = await this.#connect();
      } catch (e) {
        r = { ok: false, wait: null, error: e };
      }
      this.connected = false;
      if (o.signal.aborted) return;
      failures = r.ok ? 0 : failures + 1;
      if (!r.ok) o.warn('verify: the status event feed failed; the status lists are polled meanwhile', { url: o.url, error: String(r.error?.message ?? r.error) });
      this.nextDelay = r.wait ?? backoff(this.#retry, failures);
      await sleep(this.nextDelay, o.signal);
    }
  }

  #retry = RETRY;

  /** One connection, until it ends. ok: it delivered something; wait: a delay the server asked for. */
  async #connect() {
    const o = this.#o;
    const ctl = new AbortController();
    const abort = () => ctl.abort();
    o.signal.addEventListener('abort', abort, { once: true });
    let idle = setTimeout(abort, o.connectTimeout);
    try {
      const headers = { accept: 'text/event-stream', 'cache-control': 'no-cache' };
      const last = o.lastEventId();
      if (last !== '') headers['last-event-id'] = last;
      const res = await o.fetch(o.url, { method: 'GET', headers, signal: ctl.signal });
      const type = res.headers?.get?.('content-type') ?? '';
      if (res.status !== 200 || !/^text\/event-stream\s*(;|$)/i.test(type)) {
        await res.body?.cancel().catch(() => {});
        const wait = res.status === 503 ? retryAfter(res.headers?.get?.('retry-after'), Date.now()) : null;
        return { ok: false, wait, error: new Error(`GET ${o.url}: ${res.status} ${type}`) };
      }
      if (!res.body) return { ok: false, wait: null, error: new Error('no body') };
      this.connected = true;
      const parser = new SSEParser();
      const decoder = new TextDecoder();
      const reader = res.body.getReader();
      let got = false;
      const rearm = () => {
        clearTimeout(idle);
        idle = setTimeout(abort, o.idleTimeout);
      };
      rearm();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          rearm();
          got = true;
          parser.push(decoder.decode(value, { stream: true }));
          if (parser.retry !== null) this.#retry = parser.retry;
          while (parser.events.length > 0) {
            const ev = /** @type {SSEEvent} */ (parser.events.shift());
            await o.onEvent(ev);
          }
        }
      } catch (e) {
        if (o.signal.aborted) return { ok: got, wait: null };
        return { ok: got, wait: null, error: ctl.signal.aborted ? new Error(`no byte for ${o.idleTimeout} ms`) : e };
      } finally {
        reader.cancel().catch(() => {});
      }
      return { ok: got, wait: null, error: new Error('the server closed the stream') };
    } finally {
      clearTimeout(idle);
      o.signal.removeEventListener('abort', abort);
    }
  }
}

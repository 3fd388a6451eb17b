"""The revocation feed (GET /statuslists/events, Server-Sent Events): the SSE parser,
the event claims, the backoff and the connection thread. verifier.py applies the events
to its cached lists."""

from __future__ import annotations

import codecs
import email.utils
import http.client
import logging
import random
import re
import socket
import threading
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple
from urllib.parse import urlsplit

from . import _jsonstrict
from ._fetch import _USER_AGENT
from ._jose import decode_int, decode_num, decode_str, valid_numeric_date
from ._statuslist import MAX_STATUS_BYTES
from .errors import ClaimsError, MalformedError, TokenTypeError

#: The typ of a status event, compared exactly.
EVENT_TYP = "statuslist-event+jwt"
_event_names = _jsonstrict.Names(("iss", "uri", "idx", "status", "ver", "seq", "iat"))
#: An event whose data is longer is rejected (as the Go verifier bounds it).
MAX_EVENT = 8 << 10
#: A longer SSE line is not kept: the event it belongs to is rejected.
MAX_LINE = MAX_EVENT + 64
#: Without a byte (heartbeats included) for this long, the connection is made again.
IDLE_TIMEOUT = 45.0
#: The first reconnection delay when the server names none (retry:), in seconds.
RETRY = 1.0
#: Reconnection delays grow up to this after failures.
MAX_BACKOFF = 60.0
_MIN_RETRY_AFTER, _MAX_RETRY_AFTER = 1.0, 600.0
_DIGITS = re.compile(r"[0-9]+")

#: open(url, headers, connect_timeout, idle_timeout) -> (status, headers, stream); the
#: stream has read1(n) (b"" at the end) and close(), and abort() when another thread
#: may have to interrupt a read in progress.
OpenStream = Callable[[str, Dict[str, str], float, float], Tuple[int, Mapping[str, str], Any]]


class SSEEvent:
    __slots__ = ("type", "data", "id", "oversize")

    def __init__(self, type: str, data: str, id: Optional[str], oversize: bool):
        self.type, self.data, self.id, self.oversize = type, data, id, oversize

    def __repr__(self) -> str:
        return "SSEEvent(%r, %r, %r, %r)" % (self.type, self.data, self.id, self.oversize)


class SSEParser:
    """A Server-Sent Events parser (the WHATWG algorithm): UTF-8, a leading BOM
    skipped, lines ending in CRLF, LF or CR (also across chunks), comments (heartbeats),
    data lines joined with "\\n", id/event/retry fields. A line over max_line characters
    or data over max_event marks its event oversize instead of being kept."""

    def __init__(self, max_line: int = MAX_LINE, max_event: int = MAX_EVENT):
        self._max_line, self._max_event = max_line, max_event
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._buf = ""
        self._skipping = False
        self._cr = False
        self._first = True
        self._data: List[str] = []
        self._data_len = 0
        self._type = ""
        self._id: Optional[str] = None
        self._oversize = False
        self.events: List[SSEEvent] = []
        self.retry: Optional[int] = None  # ms
        self.comments = 0

    def feed(self, chunk: bytes) -> None:
        self.push(self._decoder.decode(chunk))

    def push(self, text: str) -> None:
        i, n = 0, len(text)
        if self._first and n:
            self._first = False
            if text[0] == "\ufeff":
                i = 1
        if self._cr and i < n:
            self._cr = False
            if text[i] == "\n":
                i += 1
        while i < n:
            j = i
            while j < n and text[j] != "\n" and text[j] != "\r":
                j += 1
            if j == n:
                if not self._skipping:
                    self._buf += text[i:]
                    if len(self._buf) > self._max_line:
                        self._buf, self._skipping, self._oversize = "", True, True
                return
            if self._skipping:
                self._skipping = False
            else:
                line = self._buf + text[i:j]
                self._buf = ""
                if len(line) > self._max_line:
                    self._oversize = True
                else:
                    self._line(line)
            if text[j] == "\r":
                if j + 1 < n:
                    if text[j + 1] == "\n":
                        j += 1
                else:
                    self._cr = True
            i = j + 1

    def _line(self, line: str) -> None:
        if line == "":
            self._dispatch()
            return
        if line[0] == ":":
            self.comments += 1
            return
        field, sep, value = line.partition(":")
        if value[:1] == " ":
            value = value[1:]
        if field == "data":
            self._data_len += len(value) + 1
            if self._data_len > self._max_event:
                self._oversize, self._data = True, []
            elif not self._oversize:
                self._data.append(value)
        elif field == "event":
            self._type = value
        elif field == "id":
            if "\0" not in value:
                self._id = value
        elif field == "retry":
            if _DIGITS.fullmatch(value):
                self.retry = int(value)

    def _dispatch(self) -> None:
        typ = self._type or "message"
        if self._oversize:
            self.events.append(SSEEvent(typ, "", self._id, True))
        elif self._data_len:
            self.events.append(SSEEvent(typ, "\n".join(self._data), self._id, False))
        self._data, self._data_len, self._type, self._id, self._oversize = [], 0, "", None, False


class EventClaims:
    __slots__ = ("iss", "uri", "idx", "status", "ver", "seq", "iat")


def read_event_claims(payload: bytes) -> EventClaims:
    """An event's payload: every member present with its type, or a VerifyError."""
    try:
        raw = _jsonstrict.loads(payload, _event_names)
    except _jsonstrict.StrictError as e:
        raise MalformedError("event claims: %s" % e) from None
    c = EventClaims()
    try:
        c.iss = decode_str(raw.get("iss"))
        c.uri = decode_str(raw.get("uri"))
        c.idx = decode_int(raw.get("idx"))
        c.status = decode_int(raw.get("status"))
        c.ver = decode_int(raw.get("ver"))
        c.seq = decode_int(raw.get("seq"))
        c.iat = decode_num(raw.get("iat"))
    except TypeError:
        raise ClaimsError("event claims do not decode") from None
    for name in ("idx", "status", "ver", "seq", "iat"):
        if getattr(c, name) is None:
            raise ClaimsError("event: no %s" % name)
    if c.idx < 0 or c.idx >= 8 * MAX_STATUS_BYTES:
        raise ClaimsError("event: idx out of range")
    if not valid_numeric_date(c.iat):
        raise ClaimsError("event: iat out of range")
    if c.seq < 1:
        raise ClaimsError("event: seq must be a positive integer")
    return c


def check_event_typ(typ: str) -> None:
    if typ != EVENT_TYP:
        raise TokenTypeError("event typ %r" % typ[:40])


class SeqWindow:
    """The seqs already taken, to tell a replayed event: the highest, and those of a
    window below it (a genuine event arriving out of order is still applied)."""

    def __init__(self, size: int = 4096):
        self._size = size
        self._seen: set = set()
        self.highest = 0

    def seen(self, seq: int) -> bool:
        return seq <= self.highest - self._size or seq in self._seen

    def take(self, seq: int) -> None:
        self._seen.add(seq)
        if seq > self.highest:
            self.highest = seq
            if len(self._seen) > 2 * self._size:
                low = self.highest - self._size
                self._seen = {s for s in self._seen if s > low}

    def clear(self) -> None:
        self._seen = set()
        self.highest = 0


def retry_after(v: Optional[str], now: float) -> Optional[float]:
    """Retry-After (delta-seconds or an HTTP-date) in seconds within [1 s, 10 min], or None."""
    if not v:
        return None
    v = v.strip()
    if _DIGITS.fullmatch(v):
        s = float(int(v))
    else:
        try:
            t = email.utils.parsedate_to_datetime(v)
        except (TypeError, ValueError, IndexError):
            return None
        if t is None:
            return None
        s = t.timestamp() - now
    return min(max(s, _MIN_RETRY_AFTER), _MAX_RETRY_AFTER)


def backoff(retry: float, failures: int, max_backoff: float = MAX_BACKOFF) -> float:
    """The delay before the next connection after failures consecutive failures (jittered)."""
    if failures == 0:
        return retry
    d = min(retry * 2 ** min(failures, 16), max_backoff)
    return max(retry, d / 2 + random.random() * d / 2)


class _HTTPStream:
    """An http.client response read chunk by chunk; abort() (from another thread)
    interrupts a read in progress."""

    def __init__(self, conn: http.client.HTTPConnection, sock: socket.socket, res: http.client.HTTPResponse):
        # The socket is kept: getresponse() detaches it from conn when the response ends
        # with the connection (HTTP/1.0, Connection: close).
        self._conn, self._sock, self._res = conn, sock, res

    def read1(self, n: int) -> bytes:
        return self._res.read1(n)

    def abort(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def close(self) -> None:
        self.abort()
        self._res.close()
        self._conn.close()
        self._sock.close()


def http_open(url: str, headers: Dict[str, str], connect_timeout: float, idle_timeout: float) -> Tuple[int, Mapping[str, str], Any]:
    """GET url with http.client; the socket's timeout then is idle_timeout, so a read
    that waits longer for a byte fails."""
    u = urlsplit(url)
    cls = http.client.HTTPSConnection if u.scheme == "https" else http.client.HTTPConnection
    conn = cls(u.hostname or "", u.port, timeout=connect_timeout)
    try:
        path = (u.path or "/") + ("?" + u.query if u.query else "")
        conn.request("GET", path, headers=dict(headers, **{"User-Agent": _USER_AGENT}))
        sock = conn.sock
        res = conn.getresponse()
        sock.settimeout(idle_timeout)
    except BaseException:
        conn.close()
        raise
    return res.status, {k.lower(): v for k, v in res.getheaders()}, _HTTPStream(conn, sock, res)


class Subscriber:
    """The feed's connection thread: GET url (Accept: text/event-stream, Last-Event-ID
    from last_event_id()), each event handed to on_event in order, made again until
    stop(): after retry: (or RETRY) when the stream delivered something, after a growing
    delay when not, after Retry-After on a 503."""

    def __init__(
        self, url: str, open_stream: OpenStream, on_event: Callable[[SSEEvent], None],
        last_event_id: Callable[[], str], connect_timeout: float, idle_timeout: float, log: logging.Logger,
    ):  # fmt: skip
        self.url = url
        self._open = open_stream
        self._on_event = on_event
        self._last_event_id = last_event_id
        self._connect_timeout = connect_timeout
        self._idle_timeout = idle_timeout
        self._log = log
        self._retry = RETRY
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._stream: Any = None
        self.connected = False
        self.reconnects = 0
        self.next_delay = 0.0
        self.thread = threading.Thread(target=self._run, name="gatehouse-verify-feed", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self._stopped.set()
        with self._lock:
            s = self._stream
        if s is not None:
            abort = getattr(s, "abort", None) or getattr(s, "close", None)
            if abort is not None:
                try:
                    abort()
                except Exception:  # noqa: S110 - closing is best effort
                    pass
        t = self.thread
        if t.is_alive() and t is not threading.current_thread():
            t.join()

    def _run(self) -> None:
        failures = 0
        first = True
        while not self._stopped.is_set():
            if not first:
                self.reconnects += 1
            first = False
            try:
                ok, wait, err = self._connect()
            except Exception as e:  # the network: counted as a failure
                ok, wait, err = False, None, e
            self.connected = False
            if self._stopped.is_set():
                return
            failures = 0 if ok else failures + 1
            if not ok:
                self._log.warning(
                    "gatehouse_verify: the status event feed failed; the status lists are polled meanwhile (url=%s, error=%s)",
                    self.url, err,
                )  # fmt: skip
            self.next_delay = wait if wait is not None else backoff(self._retry, failures)
            self._stopped.wait(self.next_delay)

    def _connect(self) -> Tuple[bool, Optional[float], Any]:
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        last = self._last_event_id()
        if last:
            headers["Last-Event-ID"] = last
        status, rh, stream = self._open(self.url, headers, self._connect_timeout, self._idle_timeout)
        try:
            with self._lock:
                self._stream = stream
            if self._stopped.is_set():
                return False, None, "stopped"
            ctype = ""
            for k, v in rh.items():
                if k.lower() == "content-type":
                    ctype = v
            if status != 200 or not re.match(r"text/event-stream\s*(;|$)", ctype, re.I):
                import time

                wait = retry_after(_get(rh, "retry-after"), time.time()) if status == 503 else None
                return False, wait, "status %s, %s" % (status, ctype)
            self.connected = True
            parser = SSEParser()
            got = False
            while not self._stopped.is_set():
                try:
                    chunk = stream.read1(65536)
                except (socket.timeout, TimeoutError):
                    return got, None, "no byte for %ss" % self._idle_timeout
                except (OSError, http.client.HTTPException, ValueError) as e:
                    return got, None, e
                if not chunk:
                    return got, None, "the server closed the stream"
                got = True
                parser.feed(chunk)
                if parser.retry is not None:
                    self._retry = parser.retry / 1000.0
                while parser.events:
                    self._on_event(parser.events.pop(0))
            return got, None, "stopped"
        finally:
            with self._lock:
                self._stream = None
            try:
                stream.close()
            except Exception:  # noqa: S110
                pass


def _get(headers: Mapping[str, str], name: str) -> Optional[str]:
    for k, v in headers.items():
        if k.lower() == name:
            return v
    return None

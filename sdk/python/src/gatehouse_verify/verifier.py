"""The Verifier: checks Gatehouse API keys and access tokens offline (a port of the Go
verifier, package verify, which is the reference for every rule here)."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import itertools
import logging
import re
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Tuple, Union
from urllib.parse import parse_qs, urlsplit

from . import _jsonstrict
from ._cache import Cached, TokenCache
from ._fetch import MAX_DOCUMENT, urllib_fetch
from ._jose import (
    MAX_TOKEN_LEN,
    SUPPORTED_ALGS,
    PublicKey,
    b64decode,
    decode_int,
    decode_num,
    decode_obj,
    decode_str,
    normalize_typ,
    parse_compact,
    parse_jwks,
    valid_numeric_date,
)
from ._dpop import DPOP_WINDOW, ReplayCache, check_dpop_proof, htu
from ._feed import IDLE_TIMEOUT, OpenStream, SeqWindow, SSEEvent, Subscriber, check_event_typ, http_open, read_event_claims
from ._mtls import (
    DEFAULT_CLIENT_CERT_HEADER,
    Peer,
    check_cert_binding,
    check_header_name,
    client_certificate,
    parse_trusted_proxies,
    valid_x5t,
)
from ._statuslist import MAX_STATUS_BYTES, StatusEntry, StatusList, inflate
from .errors import (
    AudienceError,
    ClaimsError,
    DiscoveryError,
    CertBoundError,
    DPoPBoundError,
    DPoPProofError,
    ExpiredError,
    HeaderError,
    IssuerError,
    MalformedError,
    NoTokenError,
    NotAllowedError,
    NotYetValidError,
    RevokedError,
    SignatureError,
    StatusUnavailableError,
    TokenTypeError,
    UnknownKeyError,
    VerifyError,
)
from .principal import (
    KIND_ACCESS_TOKEN,
    KIND_API_KEY,
    MAX_ACTORS,
    SUBJECT_PROJECT,
    SUBJECT_SERVICE_ACCOUNT,
    SUBJECT_USER,
    Actor,
    Principal,
)

__all__ = ["Verifier", "Stats", "Fetch"]

#: fetch(url, accept, timeout) -> (status, headers, body)
Fetch = Callable[[str, str, float], Tuple[int, Mapping[str, str], bytes]]

_KINDS = {"apikey+jwt": KIND_API_KEY, "at+jwt": KIND_ACCESS_TOKEN}

CLAIM_NAMES = (
    "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope", "client_id", "team",
    "sub_type", "auth_time", "acr", "amr", "act", "may_act", "status", "status_list", "idx", "uri", "cnf", "jkt",
    "x5t#S256",
)  # fmt: skip
STATUS_CLAIM_NAMES = ("iss", "sub", "exp", "iat", "ttl", "status_list", "bits", "lst")
_claim_names = _jsonstrict.Names(CLAIM_NAMES)
_status_claim_names = _jsonstrict.Names(STATUS_CLAIM_NAMES)

_sha256 = hashlib.sha256
_MAX_DATE = 253402300800  # NumericDates run from 1970 to the end of year 9999
_new = object.__new__


def _new_principal(
    kind: str, api: str, project: str, team: str, scopes: Tuple[str, ...], key_id: str,
    audience: Tuple[str, ...], issued_at: Optional[float], expires_at: float, subject_type: str,
    subject: str, service_account: str, auth_time: Optional[float], acr: str, amr: Tuple[str, ...],
    client_id: str, actors: Tuple[Actor, ...], jkt: str = "", x5t: str = "",
) -> Principal:  # fmt: skip
    """Principal(...) without the frozen dataclass's per-field object.__setattr__."""
    p = _new(Principal)
    p.__dict__.update(
        kind=kind, api=api, project=project, team=team, scopes=scopes, key_id=key_id,
        audience=audience, issued_at=issued_at, expires_at=expires_at, subject_type=subject_type,
        subject=subject, service_account=service_account, auth_time=auth_time, acr=acr, amr=amr,
        client_id=client_id, actors=actors, dpop_bound=jkt != "", dpop_thumbprint=jkt,
        cert_bound=x5t != "", cert_thumbprint=x5t,
    )  # fmt: skip
    return p


def _decode_actors(v: Any) -> Tuple[Actor, ...]:
    """act (RFC 8693 §4.1) as the actor chain, nearest first: absent or null is ();
    each actor an object with a non-empty string sub and, if present, a string sub_type;
    at most MAX_ACTORS. A wrong type is TypeError, anything else ClaimsError."""
    out = []
    a = decode_obj(v)
    while a is not None:
        if len(out) == MAX_ACTORS:
            raise ClaimsError("the actor chain is longer than %d" % MAX_ACTORS)
        sub = decode_str(a.get("sub"))
        if not sub:
            raise ClaimsError("an actor has no sub")
        out.append(Actor(sub, decode_str(a.get("sub_type"))))
        a = decode_obj(a.get("act"))
    return tuple(out)


def _decode_str_array(v: Any) -> Tuple[str, ...]:
    """amr: absent or null is (); otherwise an array of strings only (null elements too
    are refused)."""
    if v is None:
        return ()
    if type(v) is not list or not all(type(a) is str for a in v):
        raise TypeError
    return tuple(decode_str(a) for a in v)


#: How many distinct status lists one verifier tracks.
MAX_LISTS = 1024
#: Most pushed bits remembered per list until a fetched list confirms them.
MAX_PUSHED = 65536

# Go's strings.Fields splits on unicode.IsSpace; Python's str.split also splits on
# \x1c-\x1f, so anything but printable ASCII takes the explicit set.
_GO_SPACE = re.compile("[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
# strings.TrimSpace for header values.
_TRIM = " \t\n\r\v\f\x85\xa0"
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def _fields(s: str) -> Tuple[str, ...]:
    if s.isascii() and s.isprintable():  # the only white space is " "
        return tuple(s.split())
    return tuple(f for f in _GO_SPACE.split(s) if f)


def _decode_aud(v: Any) -> Tuple[str, ...]:
    """aud as Go decodes it: a string, or an array of strings (null elements are "")."""
    if v is None:
        return ()
    if type(v) is str:
        return (decode_str(v),)
    if type(v) is list:
        return tuple(decode_str(a) for a in v)
    raise TypeError


def _read_cnf(cnf: Any) -> Tuple[str, str]:
    """The cnf claim's (jkt, x5t#S256), as verify's readCnf reads it: absent or null is an
    unbound token; otherwise an object with jkt (a DPoP key's thumbprint) and/or x5t#S256
    (a certificate's SHA-256, 32 bytes in base64url), both strings, and no other member:
    a binding this verifier does not understand is refused (ClaimsError), never ignored."""
    if cnf is None:
        return "", ""
    members = decode_obj(cnf)
    if not members:
        raise ClaimsError("cnf must carry a jkt or an x5t#S256")
    jkt = x5t = ""
    for name, v in members.items():
        if not isinstance(v, str):
            raise ClaimsError("cnf.%s is not a string" % _truncate(name, 20))
        if name == "jkt":
            if not v or len(v) > 100:
                raise ClaimsError("cnf must carry a jkt")
            jkt = v
        elif name == "x5t#S256":
            if not valid_x5t(v):
                raise ClaimsError("cnf.x5t#S256 is not a base64url SHA-256")
            x5t = v
        else:
            raise ClaimsError("cnf.%r is a binding this verifier does not understand" % _truncate(name, 20))
    return jkt, x5t


def _truncate(s: str, n: int) -> str:
    return s if len(s) <= n else s[:n] + "…"


def _header(headers: Any, name: str) -> str:
    """headers[name], case-insensitively, from any mapping (or a list of pairs)."""
    if headers is None:
        return ""
    get = getattr(headers, "get", None)
    if get is not None:
        v = get(name)
        if v is None:
            v = get(name.title())
        if v is not None:
            return v if isinstance(v, str) else (v[0] if isinstance(v, (list, tuple)) and v else str(v))
        items = headers.items()
    else:
        items = headers
    for k, v in items:
        if v is None:
            continue
        if isinstance(k, bytes):
            k = k.decode("latin-1")
        if k.lower() == name:
            if isinstance(v, bytes):
                v = v.decode("latin-1")
            return v if isinstance(v, str) else str(v)
    return ""


def _max_age(cc: str) -> float:
    for part in cc.split(","):
        part = part.strip()
        if part.startswith("max-age="):
            v = part[8:]
            if re.fullmatch(r"[+-]?[0-9]+", v) and int(v) > 0:
                return float(int(v))
    return 0.0


class _FetchError(Exception):
    pass


class _WouldBlock(Exception):
    """Raised by the non-blocking path (averify) when a fetch is needed."""


class _KeySet:
    __slots__ = ("keys", "fetched", "max_age")

    def __init__(self, keys: Dict[str, PublicKey], fetched: float, max_age: float):
        self.keys = keys
        self.fetched = fetched
        self.max_age = max_age


@dataclass(frozen=True)
class Stats:
    """Counters since the verifier started, for logs and metrics."""

    #: Credentials accepted after a full check.
    verified: int
    #: Credentials accepted from the cache.
    cache_hits: int
    #: Every rejection (a missing credential is not counted).
    rejected: int
    jwks_fetches: int
    jwks_fetch_errors: int
    status_fetches: int
    status_fetch_errors: int
    #: Uses of a status list older than its ttl (the portal is not answering).
    status_stale: int
    #: Decisions made without a usable status list.
    fail_closed: int
    fail_open: int
    #: The cache's current size.
    cached_credentials: int
    #: The verifier subscribes to the revocation feed (the issuer offers it, status_events is not False).
    feed_enabled: bool = False
    #: The revocation feed's connection is open.
    feed_connected: bool = False
    #: Status events that set a bit of a cached list.
    feed_events_applied: int = 0
    #: Status events dropped: forged, of another typ, issuer or list, malformed, over the bounds.
    feed_events_rejected: int = 0
    #: Genuine status events that changed nothing: a list not held, a status other than 1, a replay.
    feed_events_ignored: int = 0
    #: The highest seq taken: the Last-Event-ID of the next connection (0: none).
    feed_last_event_id: int = 0
    #: When the last event was applied (Unix seconds, the verifier's clock), or None.
    feed_last_event: Optional[float] = None
    #: How late the last applied event arrived: its receipt minus its iat (seconds), or None.
    feed_lag: Optional[float] = None
    #: Connections made after the first.
    feed_reconnects: int = 0
    #: reset events received (every cached list fetched again).
    feed_resets: int = 0


_COUNTERS = (
    "verified", "cache_hits", "rejected", "jwks_fetches", "jwks_fetch_errors", "status_fetches",
    "status_fetch_errors", "status_stale", "fail_closed", "fail_open",
)  # fmt: skip


class _Counter:
    """A counter that threads may bump at once without a lock: next() on an
    itertools.count is one atomic step (in CPython, and with free threading)."""

    __slots__ = ("_c", "incr")

    def __init__(self) -> None:
        self._c = itertools.count()
        self.incr: Callable[[], int] = functools.partial(next, self._c)

    @property
    def value(self) -> int:
        return int(repr(self._c)[6:-1])  # "count(N)": N increments so far


def _str_set(name: str, ids: Optional[Iterable[str]]) -> Optional[frozenset]:
    if ids is None:
        return None
    if isinstance(ids, str):
        ids = (ids,)
    s = frozenset(ids)
    if not s or "" in s or not all(isinstance(i, str) for i in s):
        raise ValueError("gatehouse_verify: %s needs at least one id, and no empty one" % name)
    return s


class Verifier:
    """Checks Gatehouse credentials offline. Safe to share between threads.

    The constructor discovers the issuer (RFC 8414 metadata at
    ``<issuer>/.well-known/oauth-authorization-server``), fetches its JWKS and starts
    refreshing in the background; it raises DiscoveryError when the portal cannot be
    had, ValueError for bad options. Call ``close()`` (or use ``with``) to stop the
    background thread.
    """

    def __init__(
        self,
        issuer: str,
        audience: Optional[str] = None,
        *,
        accept: Union[str, Iterable[str]] = (KIND_API_KEY, KIND_ACCESS_TOKEN),
        algorithms: Iterable[str] = SUPPORTED_ALGS,
        leeway: float = 30,
        projects: Optional[Iterable[str]] = None,
        teams: Optional[Iterable[str]] = None,
        fail_open: bool = False,
        cache_size: int = 10000,
        cooldown: float = 30,
        refresh_interval: Optional[float] = 5,
        fetch: Optional[Fetch] = None,
        now: Optional[Callable[[], float]] = None,
        logger: Optional[logging.Logger] = None,
        header_api_key: bool = False,
        query_param: Optional[str] = None,
        fetch_timeout: float = 10,
        default_status_ttl: float = 60,
        resource_metadata: Optional[str] = None,
        require_dpop: bool = False,
        public_url: Optional[str] = None,
        dpop_replay_cache_size: int = 100000,
        status_events: bool = True,
        status_events_idle_timeout: float = IDLE_TIMEOUT,
        status_events_open: Optional[OpenStream] = None,
        trusted_proxies: Optional[Iterable[str]] = None,
        client_cert_header: str = DEFAULT_CLIENT_CERT_HEADER,
    ):
        if not audience or not isinstance(audience, str):
            raise ValueError("gatehouse_verify: an audience is required")
        if not 0 <= leeway <= 300:
            raise ValueError("gatehouse_verify: leeway must be between 0 and 300 seconds")
        kinds = frozenset((accept,) if isinstance(accept, str) else accept)
        if not kinds:
            raise ValueError("gatehouse_verify: accept needs at least one kind")
        if not kinds <= {KIND_API_KEY, KIND_ACCESS_TOKEN}:
            raise ValueError("gatehouse_verify: accept takes %r and %r" % (KIND_API_KEY, KIND_ACCESS_TOKEN))
        algs = (algorithms,) if isinstance(algorithms, str) else tuple(algorithms)
        for a in algs:
            if a not in SUPPORTED_ALGS:
                raise ValueError("gatehouse_verify: algorithm %r is not supported" % (a,))
        if refresh_interval is not None and refresh_interval <= 0:
            raise ValueError("gatehouse_verify: refresh_interval must be positive (or None: no background refresh)")
        if resource_metadata is not None and not isinstance(resource_metadata, str):
            raise ValueError("gatehouse_verify: resource_metadata must be a string (a URL)")
        self._resource_metadata = resource_metadata or None
        self._require_dpop = bool(require_dpop)
        self._public_url = (public_url or "").rstrip("/")
        if self._public_url and not htu(self._public_url):
            raise ValueError("public_url must be an absolute http or https URL")
        if dpop_replay_cache_size < 1:
            raise ValueError("dpop_replay_cache_size must be at least 1")
        self._proofs = ReplayCache(int(dpop_replay_cache_size))
        self._trusted_proxies = parse_trusted_proxies(trusted_proxies)
        self._client_cert_header = check_header_name(client_cert_header)
        self._projects = _str_set("projects", projects)
        self._teams = _str_set("teams", teams)
        self._audience = audience
        self._kinds = kinds
        self._leeway = float(leeway)
        self._fail_open = bool(fail_open)
        self._cooldown = float(cooldown)
        self._refresh_every = float(refresh_interval) if refresh_interval else 5.0
        self._fetch: Fetch = fetch or urllib_fetch
        self._now: Callable[[], float] = now or time.time
        self._log = logger or logging.getLogger("gatehouse_verify")
        self._header_api_key = bool(header_api_key)
        self._query_param = query_param or None
        self._fetch_timeout = float(fetch_timeout)
        self._default_status_ttl = float(default_status_ttl)
        self._issuer = issuer[:-1] if issuer.endswith("/") else issuer
        self._cache = TokenCache(cache_size)
        self._n = {name: _Counter() for name in _COUNTERS}
        self._incr = {name: c.incr for name, c in self._n.items()}
        self._n_verified = self._incr["verified"]
        self._n_hits = self._incr["cache_hits"]
        self._n_rejected = self._incr["rejected"]
        self._keys: Optional[_KeySet] = None
        self._keys_lock = threading.Lock()  # one JWKS fetch at a time
        self._last_jwks = 0.0
        self._lists: Dict[str, StatusEntry] = {}  # copied on write
        self._uri_ok: Dict[str, bool] = {}
        self._lists_lock = threading.Lock()
        self._stopped = threading.Event()  # close() was called
        self._wake = threading.Event()  # the background thread should look again now
        self._thread: Optional[threading.Thread] = None
        if status_events_idle_timeout <= 0:
            raise ValueError("gatehouse_verify: status_events_idle_timeout must be positive")
        self._feed: Optional[Subscriber] = None
        self._feed_lock = threading.Lock()  # pushed bits against installed lists, the seqs
        self._seqs = SeqWindow()
        self._feed_n = {"applied": 0, "rejected": 0, "ignored": 0, "resets": 0}
        self._feed_last: Optional[float] = None
        self._feed_lag: Optional[float] = None

        meta = self._discover()
        self._jwks_uri: str = meta["jwks_uri"]
        self._list_prefix: str = meta.get("status_list_uri_prefix") or self._issuer + "/statuslists/"
        advertised = meta.get("signing_alg_values_supported") or ()
        self._allowed = frozenset(a for a in algs if not advertised or a in advertised)
        if not self._allowed:
            raise DiscoveryError("gatehouse_verify: no algorithm is both allowed and advertised by the issuer")
        with self._keys_lock:
            err = self._refresh_jwks_locked()
        if self._keys is None:
            raise DiscoveryError("gatehouse_verify: JWKS: %s" % err)
        if refresh_interval:
            self._thread = threading.Thread(
                target=_background,
                args=(weakref.ref(self), self._wake, self._stopped),
                name="gatehouse-verify-refresh",
                daemon=True,
            )
            weakref.finalize(self, _stop_background, self._wake, self._stopped)
            self._thread.start()
        events = meta.get("status_list_events_endpoint")
        if status_events and events:
            self._subscribe(events, status_events_open or http_open, float(status_events_idle_timeout))

    # --- lifecycle ------------------------------------------------------------------

    def close(self) -> None:
        """Stops the background refresh (idempotent)."""
        _stop_background(self._wake, self._stopped)
        if self._feed is not None:
            self._feed.stop()
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join()

    def __enter__(self) -> "Verifier":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def issuer(self) -> str:
        return self._issuer

    @property
    def audience(self) -> str:
        return self._audience

    @property
    def logger(self) -> logging.Logger:
        return self._log

    @property
    def resource_metadata(self) -> Optional[str]:
        """The URL of this API's RFC 9728 protected resource metadata (the
        ``resource_metadata`` option), or None. The middleware's answers to rejected
        credentials (and wsgi.error_response) name it as resource_metadata (RFC 9728
        §5.1)."""
        return self._resource_metadata

    def now(self) -> float:
        """The verifier's clock (its ``now`` option), Unix seconds: what exp and step-up
        requirements are judged by."""
        return self._now()

    # --- fetching -------------------------------------------------------------------

    def _count(self, name: str) -> None:
        self._incr[name]()

    def _get(self, url: str, accept: str) -> Tuple[bytes, float]:
        """GETs url (bounded in size); returns the body and Cache-Control max-age."""
        try:
            status, headers, body = self._fetch(url, accept, self._fetch_timeout)
        except Exception as e:  # the network, or a fetch that refuses the URL
            raise _FetchError("GET %s: %s" % (url, e)) from None
        if status != 200:
            raise _FetchError("GET %s: status %s" % (url, status))
        if body is None:
            body = b""
        elif isinstance(body, str):
            body = body.encode("utf-8")
        if len(body) > MAX_DOCUMENT:
            raise _FetchError("GET %s: response larger than %d bytes" % (url, MAX_DOCUMENT))
        return bytes(body), _max_age(_header(headers, "cache-control"))

    def _discover(self) -> Dict[str, Any]:
        import json

        url = self._issuer + "/.well-known/oauth-authorization-server"
        try:
            body, _ = self._get(url, "application/json")
        except _FetchError as e:
            raise DiscoveryError("gatehouse_verify: discovery: %s" % e) from None
        try:
            m = json.loads(body)
        except (ValueError, RecursionError) as e:
            raise DiscoveryError("gatehouse_verify: discovery: %s" % e) from None
        if not isinstance(m, dict):
            raise DiscoveryError("gatehouse_verify: discovery: metadata is not a JSON object")
        for name in ("issuer", "jwks_uri", "status_list_uri_prefix", "status_list_events_endpoint"):
            if m.get(name) is not None and not isinstance(m[name], str):
                raise DiscoveryError("gatehouse_verify: discovery: %s is not a string" % name)
        algs = m.get("signing_alg_values_supported")
        if algs is not None and (not isinstance(algs, list) or not all(isinstance(a, str) for a in algs)):
            raise DiscoveryError("gatehouse_verify: discovery: signing_alg_values_supported is not a list of strings")
        if m.get("issuer") != self._issuer:
            raise DiscoveryError(
                "gatehouse_verify: discovery: metadata issuer %r is not %r" % (m.get("issuer"), self._issuer)
            )
        if not m.get("jwks_uri"):
            raise DiscoveryError("gatehouse_verify: discovery: metadata has no jwks_uri")
        events = m.get("status_list_events_endpoint")
        if events and not events.startswith(self._issuer + "/"):
            raise DiscoveryError(
                "gatehouse_verify: discovery: status_list_events_endpoint %r is not under the issuer" % _truncate(events, 100)
            )
        return m

    def _refresh_jwks_locked(self) -> Optional[str]:
        """Fetches the JWKS and installs it; on failure the old one stays and the error
        is returned. The caller holds _keys_lock."""
        self._last_jwks = self._now()
        self._count("jwks_fetches")
        try:
            body, age = self._get(self._jwks_uri, "application/json")
            keys = parse_jwks(body, self._allowed)
        except (_FetchError, ValueError) as e:
            self._count("jwks_fetch_errors")
            self._log_fetch_error("JWKS", self._jwks_uri, e)
            return str(e)
        if age == 0 or age > 3600:
            age = 300.0
        self._keys = _KeySet(keys, self._now(), age)
        return None

    def _log_fetch_error(self, what: str, url: str, err: Any) -> None:
        self._log.warning(
            "gatehouse_verify: fetching %s failed; using the cached copy while it is valid (url=%s, error=%s)",
            what, url, err,
        )  # fmt: skip

    def _key_for(self, kid: str, alg: str, block: bool) -> PublicKey:
        """The key for kid, refetching the JWKS at most once per cooldown when the kid is
        unknown (a new key may have been published). The token's alg must equal the
        key's, and be allowed."""
        if alg not in self._allowed:
            raise HeaderError("algorithm %r is not accepted" % _truncate(alg, 20))
        k = self._keys.keys.get(kid)  # type: ignore[union-attr]
        if k is None and self._now() - self._last_jwks >= self._cooldown:
            if not block:
                raise _WouldBlock
            with self._keys_lock:
                if self._now() - self._last_jwks >= self._cooldown:
                    self._refresh_jwks_locked()
            k = self._keys.keys.get(kid)  # type: ignore[union-attr]
        if k is None:
            raise UnknownKeyError()
        if k.alg != alg:
            raise HeaderError("the key is %s, the token says %r" % (k.alg, _truncate(alg, 20)))
        return k

    # --- verification ---------------------------------------------------------------

    def verify(self, token: Union[str, bytes, None]) -> Principal:
        """Checks a credential and returns its principal, or raises a VerifyError
        subclass (NoTokenError for an empty one). May fetch from the portal: the first
        time a status list is needed, and for an unknown kid once per cooldown. This is
        a bearer use: a DPoP-bound token is refused (DPoPBoundError); verify_request
        accepts it with its proof. A certificate-bound token (cnf.x5t#S256) is refused
        too (CertBoundError): verify_request accepts it with its client certificate."""
        return self._bearer(self._verify(token, True))

    def _bearer(self, p: Principal, peer: Optional[Peer] = None) -> Principal:
        """A bearer use of p by a request whose client certificate peer returns (None:
        no request)."""
        if p.dpop_bound:
            self._n_rejected()
            raise DPoPBoundError("a DPoP-bound token must be sent with the DPoP scheme and a proof")
        if self._require_dpop:
            self._n_rejected()
            raise DPoPBoundError("this API accepts DPoP-bound tokens only")
        if p.cert_bound:
            self._check_cert(p, peer, False)
        return p

    def _check_cert(self, p: Principal, peer: Optional[Peer], dpop: bool) -> None:
        try:
            if peer is None:
                raise CertBoundError(
                    "a certificate-bound token is accepted only with its request's client certificate (verify_request)"
                )
            check_cert_binding(peer(), p.cert_thumbprint, dpop)
        except CertBoundError as e:
            e.dpop = dpop
            self._n_rejected()
            raise

    @property
    def client_cert_header(self) -> str:
        """The header trusted proxies forward the client's certificate in (lower case)."""
        return self._client_cert_header

    def client_certificate(
        self, headers: Any, remote_addr: Optional[str] = None, tls_client_cert: Optional[bytes] = None
    ) -> Optional[bytes]:
        """The DER of the certificate the client presented, or None: the client_cert_header
        header (RFC 9440 Client-Cert, ":base64 DER:") when remote_addr (the direct peer's
        IP address, never X-Forwarded-For) is in trusted_proxies, and nothing else;
        otherwise tls_client_cert (the DER of the certificate on the request's own TLS
        connection). A trusted proxy's header that is not one certificate raises
        CertBoundError."""
        return client_certificate(self._trusted_proxies, self._client_cert_header, headers, remote_addr, tls_client_cert)

    def _verify_bearer(self, token: Union[str, bytes, None], peer: Optional[Peer]) -> Principal:
        return self._bearer(self._verify(token, True), peer)

    async def _averify_bearer(self, token: Union[str, bytes, None], peer: Optional[Peer]) -> Principal:
        try:
            return self._bearer(self._verify(token, False), peer)
        except _WouldBlock:
            return self._bearer(await asyncio.to_thread(self._verify, token, True), peer)

    def request_url(self, url: str) -> str:
        """The URL a DPoP proof must name (htu) for a request to url: public_url joined
        with its path when set, else url itself."""
        if not self._public_url:
            return url
        return self._public_url + (urlsplit(url).path or "/")

    def verify_request(
        self, method: str, url: str, headers: Any, *, remote_addr: Optional[str] = None,
        tls_client_cert: Optional[bytes] = None,
    ) -> Principal:  # fmt: skip
        """Checks a request's credential (RFC 9449): an unbound token as verify does; a
        DPoP-bound token (cnf.jkt) only as "Authorization: DPoP <token>" with exactly one
        DPoP header holding a proof for this method and URL (absolute; see public_url),
        with ath, an iat within 60 s, a jti not seen before (an in-memory replay cache)
        and signed by the key whose thumbprint is cnf.jkt. headers is a mapping or a list
        of (name, value) pairs. A certificate-bound token (cnf.x5t#S256, RFC 8705) must
        come with the client certificate whose SHA-256 it names (CertBoundError
        otherwise): see client_certificate for remote_addr and tls_client_cert. A token
        bound both ways needs both."""
        def peer() -> Optional[bytes]:
            return self.client_certificate(headers, remote_addr, tls_client_cert)

        pairs = list(headers.items()) if hasattr(headers, "items") else list(headers)
        def values(name: str) -> list:
            out = []
            for k, v in pairs:
                k = k.decode("latin-1") if isinstance(k, bytes) else str(k)
                if k.lower() == name:
                    v = v.decode("latin-1") if isinstance(v, bytes) else str(v)
                    out.extend(x.strip() for x in v.split(",") if x.strip())
            return out
        auth = next(iter(values("authorization")), "")
        scheme, _, rest = auth.partition(" ")
        dpop = scheme.lower() == "dpop"
        if not dpop:
            return self._bearer(self._verify(rest.strip() if scheme.lower() == "bearer" else "", True), peer)
        p = self._verify(rest.strip(), True)
        if not p.dpop_bound:
            self._n_rejected()
            raise DPoPBoundError("the DPoP scheme was used with a token that is not DPoP-bound")
        if p.cert_bound:
            # The certificate before the proof, so that a refused request uses up no jti.
            self._check_cert(p, peer, True)
        try:
            proofs = values("dpop")
            if not proofs:
                raise DPoPProofError("the request has no DPoP header")
            if len(proofs) > 1:
                raise DPoPProofError("the request has more than one DPoP header")
            now = self._now()
            jkt, jti, _, _ = check_dpop_proof(proofs[0], method, self.request_url(url), rest.strip(), now)
            if jkt != p.dpop_thumbprint:
                raise DPoPProofError("the proof is signed by a key the token is not bound to")
            self._proofs.use(jkt + " " + jti, now, 2 * DPOP_WINDOW)
        except DPoPProofError:
            self._n_rejected()
            raise
        return p

    async def averify(self, token: Union[str, bytes, None]) -> Principal:
        """verify() for event loops: runs on the loop when no fetch is needed (the usual
        case: the JWKS and the status lists are cached and refreshed in the background),
        and in a worker thread (asyncio.to_thread) when one is."""
        try:
            return self._bearer(self._verify(token, False))
        except _WouldBlock:
            return self._bearer(await asyncio.to_thread(self._verify, token, True))

    def _verify(self, token: Union[str, bytes, None], block: bool) -> Principal:
        if not token:
            raise NoTokenError()
        if type(token) is str:
            tb = token.encode("utf-8", "surrogatepass")
        elif isinstance(token, (bytes, bytearray, memoryview)):
            tb = bytes(token)
        elif isinstance(token, str):
            tb = str(token).encode("utf-8", "surrogatepass")
        else:
            self._n_rejected()
            raise MalformedError("not a string")
        if len(tb) > MAX_TOKEN_LEN:
            self._n_rejected()
            raise MalformedError("length %d" % len(tb))
        # One pass of SHA-256 serves both the cache key (the whole token) and, on first
        # sight, the signature check (the signing input: up to the last dot).
        j = tb.rfind(b".")
        if j > 0:
            h_input = _sha256(tb[:j])
            h = h_input.copy()
            h.update(tb[j:])
            key = h.digest()
        else:
            h_input = None
            key = _sha256(tb).digest()
        c = self._cache.get(key)
        if c is not None:
            try:
                self._recheck(c, block)
            except VerifyError:
                self._cache.remove(key)
                self._n_rejected()
                raise
            self._n_hits()
            return c.principal
        try:
            c = self._verify_full(tb, h_input.digest() if h_input is not None else None, block)
        except VerifyError:
            self._n_rejected()
            raise
        self._cache.put(key, c)
        self._n_verified()
        return c.principal

    def _recheck(self, c: Cached, block: bool) -> None:
        """What a cached credential must still pass: not expired, the allow-lists, its key
        still published, its status bit still clear."""
        if not self._now() < c.exp + self._leeway:
            raise ExpiredError()
        if self._projects is not None or self._teams is not None:
            self._check_allowed(c.project, c.team)
        if c.kid not in self._keys.keys:  # type: ignore[union-attr]
            raise UnknownKeyError()
        if c.status_uri:
            self._check_status(c.status_uri, c.status_idx, block)

    def _verify_full(self, tb: bytes, digest: Optional[bytes], block: bool) -> Cached:
        """The first sight of a credential: parse, header rules, signature, then claims (so
        a badly signed expired token is reported as a bad signature), then status. digest
        is the SHA-256 of the signing input, when known."""
        alg, kid, typ, signing_input, payload, signature = parse_compact(tb)
        kind = _KINDS.get(typ)
        if kind is None:
            kind = _KINDS.get(normalize_typ(typ))
        if kind is None or kind not in self._kinds:
            raise TokenTypeError("typ %r" % _truncate(typ, 40))
        k = self._key_for(kid, alg, block)
        if not k.verify(signing_input, digest, signature):
            raise SignatureError()
        try:
            cl = _jsonstrict.loads(payload, _claim_names)
        except _jsonstrict.StrictError as e:
            raise MalformedError("claims: %s" % e) from None
        get = cl.get
        try:
            iss = decode_str(get("iss"))
            sub = decode_str(get("sub"))
            aud = _decode_aud(get("aud"))
            exp = decode_num(get("exp"))
            nbf = get("nbf")
            if nbf is not None:
                nbf = decode_num(nbf)
            iat = decode_num(get("iat"))
            jti = decode_str(get("jti"))
            scope = decode_str(get("scope"))
            client_id = get("client_id")
            if client_id is not None:
                client_id = decode_str(client_id)
            team = decode_str(get("team"))
            sub_type = decode_str(get("sub_type"))
            auth_time = decode_num(get("auth_time"))
            acr = decode_str(get("acr"))
            amr = _decode_str_array(get("amr"))
            act = get("act")
            actors = () if act is None else _decode_actors(act)
            jkt, x5t = _read_cnf(get("cnf"))
            idx = None
            uri = ""
            status = get("status")
            if status is not None:
                sl = decode_obj(status).get("status_list")
                if sl is not None:
                    sl = decode_obj(sl)
                    idx = decode_int(sl.get("idx"))
                    uri = decode_str(sl.get("uri"))
        except TypeError:
            raise ClaimsError("a claim has the wrong type") from None
        if (
            (exp is not None and not 0 <= exp < _MAX_DATE)
            or (nbf is not None and not 0 <= nbf < _MAX_DATE)
            or (iat is not None and not 0 <= iat < _MAX_DATE)
            or (auth_time is not None and not 0 <= auth_time < _MAX_DATE)
        ):
            raise ClaimsError("a time claim is out of range")
        now = self._now()
        leeway = self._leeway
        if iss != self._issuer:
            raise IssuerError(repr(_truncate(iss, 100)))
        if self._audience not in aud:
            raise AudienceError("%r is not among %r" % (self._audience, aud))
        if exp is None:
            raise ExpiredError("no exp")
        if not now < exp + leeway:
            raise ExpiredError("at %d" % exp)
        if nbf is not None and now + leeway < nbf:
            raise NotYetValidError("nbf %d" % nbf)
        if iat is not None and now + leeway < iat:
            raise NotYetValidError("iat in the future")
        if not sub or not jti:
            raise ClaimsError("sub and jti are required")
        if sub_type == "" or sub_type == SUBJECT_PROJECT:
            sub_type = SUBJECT_PROJECT
        elif kind == KIND_API_KEY:
            raise ClaimsError("an API key's subject is always a project, not %r" % _truncate(sub_type, 40))
        elif sub_type != SUBJECT_SERVICE_ACCOUNT and sub_type != SUBJECT_USER:
            raise ClaimsError("unknown sub_type %r" % _truncate(sub_type, 40))
        status_uri = ""
        if kind == KIND_ACCESS_TOKEN:
            # A project's or a service account's token is its own client's: client_id is
            # sub. A user's token names the client acting for the user, which is not the user.
            if sub_type == SUBJECT_USER:
                if not client_id:
                    raise ClaimsError("client_id is required")
            elif client_id != sub:
                raise ClaimsError("client_id must equal sub")
        else:
            if idx is None or not uri:
                raise ClaimsError("an API key must carry a status list reference")
            ok = self._uri_ok.get(uri)
            if ok is None:
                ok = self._list_uri_ok(uri)
            if not ok:
                raise StatusUnavailableError("status list %r is not the issuer's" % _truncate(uri, 100))
            status_uri = uri
        # The allow-lists come after the signature and the claims, so that a forged or
        # expired credential is reported as such, and before the status list, so that a
        # credential this API never takes costs no fetch.
        # The allow-list of projects is about the client: for a user's token, the project
        # acting for the user (client_id), not the user.
        client = client_id if sub_type == SUBJECT_USER else sub
        if self._projects is not None or self._teams is not None:
            self._check_allowed(client, team)
        if status_uri:
            self._check_status(status_uri, idx, block)  # type: ignore[arg-type]
        p = _new_principal(
            kind, self._audience, sub if sub_type == SUBJECT_PROJECT else "", team, _fields(scope), jti, aud, iat, exp,
            sub_type, sub, sub if sub_type == SUBJECT_SERVICE_ACCOUNT else "", auth_time, acr, amr, client, actors, jkt, x5t,
        )  # fmt: skip
        return Cached(p, exp, k.kid, status_uri, idx or 0, client, team)

    def _list_uri_ok(self, uri: str) -> bool:
        """Whether a status list URI is the issuer's: a name right under
        status_list_uri_prefix, nothing that could climb out of it (remembered, bounded).
        The bare prefix is refused too (Go would fetch it and fail)."""
        prefix = self._list_prefix
        name = uri[len(prefix) :]
        ok = uri.startswith(prefix) and name != "" and not any(ch in name for ch in "/?#\\")
        if len(self._uri_ok) >= MAX_LISTS:
            self._uri_ok = {}
        self._uri_ok[uri] = ok
        return ok

    def _check_allowed(self, project: str, team: str) -> None:
        if self._projects is not None and project not in self._projects:
            raise NotAllowedError(NotAllowedError.PROJECT_NOT_LISTED, repr(_truncate(project, 100)))
        if self._teams is not None:
            if not team:
                raise NotAllowedError(NotAllowedError.NO_TEAM)
            if team not in self._teams:
                raise NotAllowedError(NotAllowedError.TEAM_NOT_LISTED, repr(_truncate(team, 100)))

    def _check_status(self, uri: str, idx: int, block: bool) -> None:
        """Applies the status bit, failing closed unless fail_open is set."""
        e = self._lists.get(uri)
        lst = e.current if e is not None else None
        if lst is not None:
            now = self._now()
            if now < lst.exp and now - lst.fetched <= lst.ttl + self._refresh_every:
                # The usual case, in short: a fresh list (as _status_for would return).
                sec = int(now)
                if e.last_used != sec:  # type: ignore[union-attr]
                    e.last_used = sec  # type: ignore[union-attr]
                bits = lst.bits
                if idx < 0 or (idx >> 3) >= len(bits):
                    raise StatusUnavailableError("index %d is outside the list" % idx)
                if bits[idx >> 3] & (1 << (idx & 7)):
                    raise RevokedError()
                return
        try:
            lst = self._status_for(uri, block)
        except StatusUnavailableError as e:
            if self._fail_open:
                self._count("fail_open")
                self._log.warning(
                    "gatehouse_verify: accepting an API key without its status (fail_open) (status_list=%s, error=%s)",
                    uri, e,
                )  # fmt: skip
                return
            self._count("fail_closed")
            raise
        bits = lst.bits
        if idx < 0 or (idx >> 3) >= len(bits):
            raise StatusUnavailableError("index %d is outside the list" % idx)
        if bits[idx >> 3] & (1 << (idx & 7)):
            raise RevokedError()

    def _status_for(self, uri: str, block: bool) -> StatusList:
        """The list at uri for a credential being verified now: the cached list while it
        is before its exp, a fresh fetch for a list never seen (or past its exp), at most
        once per cooldown."""
        e = self._lists.get(uri)
        now = self._now()
        if e is None:
            e = self._add_list(uri)
        sec = int(now)
        if e.last_used != sec:
            e.last_used = sec  # at most one write a second per list
        lst = e.current
        if lst is not None and now < lst.exp:
            if now - lst.fetched > lst.ttl + self._refresh_every:
                self._count("status_stale")  # the background refresh is failing: still within exp
            return lst
        # Never fetched, or past its exp: fetch now, at most once per cooldown.
        if not e.lock.acquire(blocking=block):
            raise _WouldBlock
        try:
            recent = e.last_try is not None and now - e.last_try < self._cooldown
        finally:
            e.lock.release()
        if not recent:
            if not block:
                raise _WouldBlock
            err = self._fetch_status_list(e)
            if err is not None:
                self._log_fetch_error("status list", uri, err)
            else:
                self._wake.set()  # a list to keep fresh: the background thread reschedules
        lst = e.current
        if lst is not None and now < lst.exp:
            return lst
        raise StatusUnavailableError("%s could not be fetched and no unexpired copy is cached" % uri)

    def _add_list(self, uri: str) -> StatusEntry:
        """Registers a list URI. The registry is copied on write, so reads take no lock."""
        with self._lists_lock:
            old = self._lists
            e = old.get(uri)
            if e is not None:
                return e
            if len(old) >= MAX_LISTS:
                raise StatusUnavailableError("too many status lists")
            e = StatusEntry(uri)
            nxt = dict(old)
            nxt[uri] = e
            self._lists = nxt
            return e

    def _fetch_status_list(self, e: StatusEntry) -> Optional[VerifyError]:
        """Downloads and installs a list; on failure the previous version stays and the
        error is returned."""
        with e.lock:
            e.last_try = self._now()
            try:
                body, _ = self._get(e.uri, "application/statuslist+jwt")
            except _FetchError as err:
                self._count("status_fetches")
                self._count("status_fetch_errors")
                return StatusUnavailableError(str(err))
            self._count("status_fetches")
            try:
                lst = self._decode_status_list(e.uri, body.strip())
            except StatusUnavailableError as err:
                self._count("status_fetch_errors")
                return err
            self._install_list(e, lst)
            return None

    def _decode_status_list(self, uri: str, token: bytes) -> StatusList:
        """Verifies a status list token for uri and decodes its bits. Any defect is
        StatusUnavailableError (a duplicate or case-variant member name also chains a
        MalformedError as its cause)."""

        def bad(why: str) -> StatusUnavailableError:
            return StatusUnavailableError("status list %s: %s" % (uri, why))

        try:
            alg, kid, typ, signing_input, payload, signature = parse_compact(token, MAX_DOCUMENT)
        except VerifyError as err:
            raise bad(str(err)) from err
        if normalize_typ(typ) != "statuslist+jwt":
            raise bad("typ is not statuslist+jwt")
        try:
            k = self._key_for(kid, alg, True)
        except VerifyError as err:
            raise bad(str(err)) from None
        if not k.verify(signing_input, None, signature):
            raise bad("bad signature")
        try:
            cl = _jsonstrict.loads(payload, _status_claim_names)
        except _jsonstrict.StrictError as err:
            raise bad("malformed token: claims: %s" % err) from MalformedError("claims: %s" % err)
        try:
            iss = decode_str(cl.get("iss"))
            sub = decode_str(cl.get("sub"))
            exp = decode_num(cl.get("exp"))
            decode_num(cl.get("iat"))
            ttl = decode_num(cl.get("ttl"))
            sl = decode_obj(cl.get("status_list"))
            nbits = decode_int(sl.get("bits")) if sl is not None else None
            lst = decode_str(sl.get("lst")) if sl is not None else ""
        except TypeError:
            raise bad("claims do not decode") from None
        now = self._now()
        if sub != uri:
            raise bad("sub is not the list's URI")
        if iss and iss != self._issuer:
            raise bad("wrong issuer")
        if exp is None or not valid_numeric_date(exp) or not now < exp:
            raise bad("expired or without exp")
        if sl is None or nbits != 1:
            raise bad("not a 1-bit status list")
        lst = lst.replace("\r", "").replace("\n", "")  # Go's base64 skips newlines
        if not _B64URL.fullmatch(lst):
            raise bad("lst encoding")
        try:
            z = b64decode(lst.encode("ascii"))
        except ValueError:
            raise bad("lst encoding") from None
        try:
            bits = inflate(z, MAX_STATUS_BYTES)
        except ValueError as err:
            raise bad(str(err)) from None
        ttl_s = float(int(ttl)) if ttl is not None and ttl >= 1 else self._default_status_ttl
        return StatusList(bytearray(bits), exp, ttl_s, now)

    # --- background refresh ---------------------------------------------------------

    def refresh(self) -> float:
        """Refreshes what is due now (the JWKS before it expires, every status list used
        in the last hour before it is 90% of its ttl old) and returns the seconds until
        something next is. The background thread calls this; so can tests and programs
        built with refresh_interval=None."""
        now = self._now()
        nxt = self._refresh_every
        ks = self._keys
        if ks is not None and now - ks.fetched >= ks.max_age - self._refresh_every:
            with self._keys_lock:
                self._refresh_jwks_locked()
        for e in list(self._lists.values()):
            if now - e.last_used > 3600:
                continue  # not used lately: fetched again on demand
            lst = e.current
            # A list older than a pushed event it lacked is fetched again at the next pass (once per cooldown).
            behind = e.behind and (e.last_try is None or now - e.last_try >= self._cooldown)
            if lst is None or behind or now - lst.fetched >= lst.ttl * 0.9:
                err = self._fetch_status_list(e)
                if err is not None:
                    self._log_fetch_error("status list", e.uri, err)
                lst = e.current
            if lst is not None:
                due = lst.fetched + lst.ttl * 0.9 - self._now()
                if due < nxt:
                    nxt = due
        return max(nxt, 0.1)

    # --- the revocation feed --------------------------------------------------------

    def _subscribe(self, url: str, open_stream: OpenStream, idle_timeout: float) -> None:
        """Starts the feed's connection thread (one per verifier). It holds the verifier
        weakly, as the refresher does."""
        ref = weakref.ref(self)

        def on_event(ev: SSEEvent) -> None:
            v = ref()
            if v is not None:
                v._feed_event(ev)

        def last_event_id() -> str:
            v = ref()
            return str(v._seqs.highest) if v is not None and v._seqs.highest > 0 else ""

        self._feed = Subscriber(url, open_stream, on_event, last_event_id, self._fetch_timeout, idle_timeout, self._log)
        weakref.finalize(self, self._feed.stop)
        self._feed.start()

    def _feed_event(self, ev: SSEEvent) -> None:
        """One event of the feed. status: verified and applied (or dropped and counted as
        rejected); reset: every cached list is fetched again, and the seqs taken are
        forgotten (the server starts over from now)."""
        if ev.type == "reset" and not ev.oversize:
            self._feed_n["resets"] += 1
            with self._feed_lock:
                self._seqs.clear()
            for e in list(self._lists.values()):
                if e.current is not None:
                    err = self._fetch_status_list(e)
                    if err is not None:
                        self._log_fetch_error("status list", e.uri, err)
            return
        if ev.type != "status":
            return
        try:
            applied = self.apply_status_event("" if ev.oversize else ev.data, ev.id)
        except VerifyError as err:
            self._feed_n["rejected"] += 1
            self._log.debug("gatehouse_verify: status event rejected (error=%s)", err)
            return
        self._feed_n["applied" if applied else "ignored"] += 1

    def apply_status_event(self, jws: Union[str, bytes], id: Optional[str] = None) -> bool:
        """Checks a status event (the compact JWS of an SSE status event, and the SSE id
        it came with, or None) by the feed's rules and applies it: True when it set a bit
        of a cached list; False for a genuine event with nothing to do (a list this
        verifier does not hold, a status other than 1, a seq already taken). Raises a
        VerifyError for an event that must not be applied: forged, wrong typ, iss or uri,
        idx outside the list, a seq that is not its SSE id. The feed calls it; so can a
        program that receives events another way."""
        tb = jws.encode("utf-8", "surrogatepass") if isinstance(jws, str) else bytes(jws)
        if not tb:
            raise MalformedError("empty event")
        alg, kid, typ, signing_input, payload, signature = parse_compact(tb)
        check_event_typ(typ)
        k = self._key_for(kid, alg, True)
        if not k.verify(signing_input, None, signature):
            raise SignatureError("event")
        c = read_event_claims(payload)
        if c.iss != self._issuer:
            raise IssuerError("event iss %r" % _truncate(c.iss, 100))
        if not c.uri.startswith(self._issuer + "/statuslists/") or not self._list_uri_ok(c.uri):
            raise StatusUnavailableError("event for %r, not a list of the issuer" % _truncate(c.uri, 100))
        if id is not None and id != str(c.seq):
            raise ClaimsError("event seq %d under SSE id %r" % (c.seq, _truncate(id, 40)))
        e = self._lists.get(c.uri)
        with self._feed_lock:
            lst = e.current if e is not None else None
            if lst is not None and (c.idx >> 3) >= len(lst.bits):
                raise StatusUnavailableError("event index %d is outside the list" % c.idx)
            # A genuine event from here on. Replayed, for a list not held, or not a revocation: nothing to do.
            if self._seqs.seen(c.seq):
                return False
            self._seqs.take(c.seq)
            if e is None or lst is None or c.status != 1:
                return False
            lst.bits[c.idx >> 3] |= 1 << (c.idx & 7)
            if len(e.pushed) < MAX_PUSHED or c.idx in e.pushed:
                e.pushed[c.idx] = max(c.ver, e.pushed.get(c.idx, c.ver))
        now = self._now()
        self._feed_last = now
        self._feed_lag = max(0.0, now - c.iat)
        return True

    def _install_list(self, e: StatusEntry, lst: StatusList) -> None:
        """Installs a fetched list (the source of truth), keeping the pushed bits it does
        not have yet: revocation is one-way, so a list without a bit a signed event set
        is older than that event, and is fetched again at the next pass."""
        with self._feed_lock:
            behind = False
            for idx, ver in list(e.pushed.items()):
                byte = idx >> 3
                if byte >= len(lst.bits) or lst.bits[byte] & (1 << (idx & 7)) or (lst.ver is not None and lst.ver >= ver):
                    del e.pushed[idx]  # confirmed, or the list is at least as new as the event
                    continue
                lst.bits[byte] |= 1 << (idx & 7)
                behind = True
            e.behind = behind
            e.current = lst

    # --- requests -------------------------------------------------------------------

    def token_from_headers(self, headers: Any, query_string: Union[str, bytes, None] = None) -> str:
        """The credential of a request: "Authorization: Bearer …" (scheme matched
        case-insensitively), then X-API-Key if header_api_key is set, then the query
        parameter if query_param is set (and query_string given). "" when there is none.
        headers is any mapping (case-insensitive lookups are used when it has them) or a
        list of (name, value) pairs."""
        auth = _header(headers, "authorization")
        if auth:
            scheme, sep, tok = auth.partition(" ")
            if sep and scheme.lower() == "bearer":
                return tok.strip(_TRIM)
        if self._header_api_key:
            k = _header(headers, "x-api-key")
            if k:
                return k.strip(_TRIM)
        if self._query_param and query_string:
            if isinstance(query_string, bytes):
                query_string = query_string.decode("latin-1")
            v = parse_qs(query_string).get(self._query_param)
            if v:
                return v[0]
        return ""

    def stats(self) -> Stats:
        """The current counters."""
        f = self._feed
        return Stats(
            cached_credentials=len(self._cache),
            feed_enabled=f is not None,
            feed_connected=f is not None and f.connected,
            feed_events_applied=self._feed_n["applied"],
            feed_events_rejected=self._feed_n["rejected"],
            feed_events_ignored=self._feed_n["ignored"],
            feed_last_event_id=self._seqs.highest,
            feed_last_event=self._feed_last,
            feed_lag=self._feed_lag,
            feed_reconnects=f.reconnects if f is not None else 0,
            feed_resets=self._feed_n["resets"],
            **{k: c.value for k, c in self._n.items()},
        )


def _stop_background(wake: threading.Event, stopped: threading.Event) -> None:
    stopped.set()
    wake.set()


def _background(ref: "weakref.ReferenceType[Verifier]", wake: threading.Event, stopped: threading.Event) -> None:
    """Refreshes in the background until stopped or until the verifier is collected.
    It sleeps until something is due (refresh() says when), or until woken: by close(),
    or by a status list fetched on demand, which it must now keep fresh."""
    v = ref()
    if v is None:
        return
    delay = v._refresh_every
    del v
    while True:
        wake.wait(delay)
        if stopped.is_set():
            return
        wake.clear()
        v = ref()
        if v is None:
            return
        try:
            delay = v.refresh()
        except Exception:  # never let the refresher die
            v._log.exception("gatehouse_verify: background refresh failed")
            delay = v._refresh_every
        del v

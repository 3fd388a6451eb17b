"""A fake Gatehouse portal for the tests: keys, signed credentials and status lists,
served through an injected fetch (no network), with a clock the tests move."""

from __future__ import annotations

import base64
import json
import os
import sys
import threading
import zlib
from collections import Counter
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

_SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
if _SRC not in sys.path:
    sys.path.insert(0, _SRC)

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature  # noqa: E402

from gatehouse_verify import Verifier  # noqa: E402

ISSUER = "https://issuer.test"
AUDIENCE = "orders-api"
NOW = 1_800_000_000.0


def b64(b: Union[bytes, str]) -> str:
    if isinstance(b, str):
        b = b.encode()
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64int(n: int, size: Optional[int] = None) -> str:
    size = size or (n.bit_length() + 7) // 8
    return b64(n.to_bytes(size, "big"))


def compact_json(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


# Keys are made once per test run: RSA generation is slow.
_KEYS: Dict[str, Any] = {}


def keys() -> Dict[str, Any]:
    if not _KEYS:
        _KEYS["es1"] = ("ES256", ec.generate_private_key(ec.SECP256R1()))
        _KEYS["ed1"] = ("EdDSA", ed25519.Ed25519PrivateKey.generate())
        _KEYS["rs1"] = ("RS256", rsa.generate_private_key(65537, 2048))
        _KEYS["attacker"] = ("ES256", ec.generate_private_key(ec.SECP256R1()))
    return _KEYS


def public_jwk(kid: str, alg: str, key: Any) -> Dict[str, Any]:
    pub = key.public_key()
    if alg == "ES256":
        n = pub.public_numbers()
        return {"kty": "EC", "crv": "P-256", "kid": kid, "alg": alg, "use": "sig", "x": b64int(n.x, 32), "y": b64int(n.y, 32)}
    if alg == "EdDSA":
        raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "kid": kid, "alg": alg, "use": "sig", "x": b64(raw)}
    n = pub.public_numbers()
    return {"kty": "RSA", "kid": kid, "alg": alg, "use": "sig", "n": b64int(n.n), "e": b64int(n.e)}


def raw_sign(alg: str, key: Any, data: bytes) -> bytes:
    if alg == "ES256":
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    if alg == "EdDSA":
        return key.sign(data)
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def sign_raw(alg: str, key: Any, header: Union[str, bytes, dict], claims: Union[str, bytes, dict]) -> str:
    """A compact JWS of exactly these header and claims texts."""
    h = header if isinstance(header, (str, bytes)) else compact_json(header)
    c = claims if isinstance(claims, (str, bytes)) else compact_json(claims)
    si = b64(h) + "." + b64(c)
    return si + "." + b64(raw_sign(alg, key, si.encode()))


def zlib_bits(bits: bytes) -> bytes:
    return zlib.compress(bytes(bits), 9)


class Clock:
    def __init__(self, t: float = NOW):
        self.t = t
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.t

    def advance(self, s: float) -> None:
        with self._lock:
            self.t += s


class Issuer:
    """Serves metadata, JWKS and status lists for ISSUER through fetch()."""

    def __init__(self, url: str = ISSUER, list_ttl: float = 300, list_validity: float = 3600, clock: Optional[Clock] = None):
        self.url = url
        self.clock = clock or Clock()
        self.keys = dict(keys())
        self.published = ["es1", "ed1", "rs1"]  # kids in the JWKS
        self.sign_kid = "es1"
        self.list_ttl = list_ttl
        self.list_validity = list_validity
        self.lists: Dict[str, bytearray] = {"sl_1": bytearray(16)}
        self.overrides: Dict[str, Tuple[int, Dict[str, str], bytes]] = {}
        self.hits: Counter = Counter()
        self.requests: List[str] = []
        self.down = False
        self.metadata_extra: Dict[str, Any] = {}
        self._lock = threading.Lock()

    # --- what the portal serves ----------------------------------------------------

    def metadata(self) -> Dict[str, Any]:
        m = {
            "issuer": self.url,
            "jwks_uri": self.url + "/jwks",
            "signing_alg_values_supported": ["ES256", "EdDSA", "RS256"],
            "status_list_uri_prefix": self.url + "/statuslists/",
        }
        m.update(self.metadata_extra)
        return m

    def jwks(self) -> Dict[str, Any]:
        return {"keys": [public_jwk(kid, *self.keys[kid]) for kid in self.published]}

    def list_token(self, list_id: str, bits: Optional[bytes] = None, **edit: Any) -> str:
        now = self.clock()
        claims: Dict[str, Any] = {
            "iss": self.url,
            "sub": self.url + "/statuslists/" + list_id,
            "iat": int(now),
            "exp": int(now + self.list_validity),
            "ttl": self.list_ttl,
            "status_list": {"bits": 1, "lst": b64(zlib_bits(bits if bits is not None else self.lists[list_id]))},
        }
        for k, v in edit.items():
            if v is _DEL:
                claims.pop(k, None)
            else:
                claims[k] = v
        alg, key = self.keys[self.sign_kid]
        return sign_raw(alg, key, {"alg": alg, "typ": "statuslist+jwt", "kid": self.sign_kid}, claims)

    def fetch(self, url: str, accept: str, timeout: float) -> Tuple[int, Dict[str, str], bytes]:
        with self._lock:
            self.hits[url] += 1
            self.requests.append(url)
        if self.down:
            raise ConnectionRefusedError("the portal is down")
        if url in self.overrides:
            return self.overrides[url]
        json_h = {"content-type": "application/json", "cache-control": "max-age=300"}
        if url == self.url + "/.well-known/oauth-authorization-server":
            return 200, json_h, compact_json(self.metadata()).encode()
        if url == self.url + "/jwks":
            return 200, json_h, compact_json(self.jwks()).encode()
        prefix = self.url + "/statuslists/"
        if url.startswith(prefix) and url[len(prefix):] in self.lists:
            return 200, {"content-type": "application/statuslist+jwt"}, self.list_token(url[len(prefix):]).encode()
        return 404, {}, b"not found"

    def serve(self, url: str, body: Union[str, bytes], status: int = 200) -> None:
        self.overrides[url] = (status, {}, body.encode() if isinstance(body, str) else body)

    def revoke(self, list_id: str, idx: int) -> None:
        self.lists[list_id][idx // 8] |= 1 << (idx % 8)

    # --- credentials ----------------------------------------------------------------

    def claims(self, kind: str = "api_key", **edit: Any) -> Dict[str, Any]:
        now = int(self.clock())
        c: Dict[str, Any] = {
            "iss": self.url,
            "sub": "prj_orders",
            "aud": AUDIENCE,
            "iat": now - 60,
            "exp": now + 86400,
            "jti": "key_1",
            "scope": "orders:read orders:write",
            "team": "team_blue",
        }
        if kind == "api_key":
            c["status"] = {"status_list": {"idx": 3, "uri": self.url + "/statuslists/sl_1"}}
        else:
            c["client_id"] = "prj_orders"
            c["jti"] = "at_1"
        for k, v in edit.items():
            if v is _DEL:
                c.pop(k, None)
            else:
                c[k] = v
        return c

    def sign(self, claims: Union[dict, str], typ: Optional[str] = "apikey+jwt", kid: Optional[str] = None, key_of: Optional[str] = None, **header: Any) -> str:
        kid = kid or self.sign_kid
        alg, key = self.keys[key_of or kid]
        h: Dict[str, Any] = {"alg": alg, "typ": typ, "kid": kid}
        if typ is None:
            del h["typ"]
        h.update(header)
        return sign_raw(alg, key, h, claims)

    def api_key(self, **edit: Any) -> str:
        return self.sign(self.claims("api_key", **edit), "apikey+jwt")

    def access_token(self, **edit: Any) -> str:
        return self.sign(self.claims("access_token", **edit), "at+jwt")

    def key_on(self, list_id: str, idx: int, jti: str = "key_1") -> str:
        return self.api_key(jti=jti, status={"status_list": {"idx": idx, "uri": self.url + "/statuslists/" + list_id}})

    def verifier(self, **kw: Any) -> Verifier:
        kw.setdefault("audience", AUDIENCE)
        kw.setdefault("fetch", self.fetch)
        kw.setdefault("now", self.clock)
        kw.setdefault("refresh_interval", None)
        return Verifier(self.url, **kw)


class _Del:
    def __repr__(self) -> str:
        return "DEL"


#: As a claim value in claims()/api_key(): leave the claim out.
_DEL = DEL = _Del()


def serve_document(handler: Any, iss: "Issuer") -> None:
    """Answers an http.server request (a BaseHTTPRequestHandler) with what iss serves
    at that path."""
    status, headers, body = iss.fetch(iss.url + handler.path, handler.headers.get("Accept", ""), 5)
    handler.send_response(status)
    for k, v in headers.items():
        handler.send_header(k, v)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def wait_for(cond: Callable[[], bool], timeout: float = 10.0, interval: float = 0.01) -> bool:
    """Polls cond until it holds or the deadline passes (never a fixed sleep)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(interval)
    return cond()

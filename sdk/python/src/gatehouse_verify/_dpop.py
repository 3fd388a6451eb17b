"""DPoP proofs (RFC 9449 §4.3), as verify/dpop.go checks them."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import threading
from collections import OrderedDict
from typing import Any, Dict, Optional, Tuple
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from . import _jsonstrict
from ._jose import b64decode_lenient, raw_to_der
from .errors import DPoPProofError

#: The algorithms a DPoP proof may be signed with: asymmetric only.
DPOP_ALGS = ("ES256", "ES384", "EdDSA", "RS256", "PS256")
#: Longer proofs are refused before anything is decoded.
MAX_DPOP_PROOF_LEN = 8 << 10
#: How far a proof's iat may be from the verifier's clock (seconds).
DPOP_WINDOW = 60.0

_header_names = _jsonstrict.Names(("typ", "alg", "jwk", "kid", "jku", "x5u", "x5c", "crit", "b64", "enc", "zip"))
_claim_names = _jsonstrict.Names(("jti", "htm", "htu", "iat", "ath", "nonce"))
_PRIVATE = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")
_COMPACT = re.compile(r"\A[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\Z")


def _b64(s: str) -> bytes:
    if len(s) % 4 == 1:
        raise ValueError("length")
    out = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    if base64.urlsafe_b64encode(out).rstrip(b"=").decode() != s:
        raise ValueError("not canonical")
    return out


def htu(raw: str) -> str:
    """The URL as htu compares it: no query or fragment, scheme and host lower case, the
    default port dropped ("" for anything but an absolute http(s) URL)."""
    try:
        u = urlsplit(raw)
        port = u.port
    except ValueError:
        return ""
    scheme = u.scheme.lower()
    if scheme not in ("http", "https") or not u.hostname:
        return ""
    host = u.hostname.lower()
    if ":" in host:
        host = "[" + host + "]"
    if port is not None and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host += ":%d" % port
    return scheme + "://" + host + (u.path or "/")


def jwk_thumbprint(jwk: Dict[str, Any]) -> str:
    """The RFC 7638 SHA-256 thumbprint (base64url) of a public JWK."""
    kty = jwk.get("kty")
    if kty == "EC":
        members = {"crv": jwk.get("crv"), "kty": "EC", "x": jwk.get("x"), "y": jwk.get("y")}
    elif kty == "OKP":
        members = {"crv": jwk.get("crv"), "kty": "OKP", "x": jwk.get("x")}
    elif kty == "RSA":
        members = {"e": jwk.get("e"), "kty": "RSA", "n": jwk.get("n")}
    else:
        raise DPoPProofError("the proof's jwk is not a valid public key")
    if any(type(v) is not str for v in members.values()):
        raise DPoPProofError("the proof's jwk is not a valid public key")
    canon = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(hashlib.sha256(canon).digest()).rstrip(b"=").decode()


def _key(jwk: Any, alg: str) -> Tuple[Any, str]:
    if not isinstance(jwk, dict):
        raise DPoPProofError("the proof's header must carry its public key (jwk)")
    if any(m in jwk for m in _PRIVATE):
        raise DPoPProofError("the proof's jwk must be a public key: it has private members")
    jkt = jwk_thumbprint(jwk)
    bad = DPoPProofError("the proof's jwk does not fit its alg")
    try:
        kty = jwk.get("kty")
        if alg in ("ES256", "ES384"):
            crv, size, curve = ("P-256", 32, ec.SECP256R1()) if alg == "ES256" else ("P-384", 48, ec.SECP384R1())
            if kty != "EC" or jwk.get("crv") != crv:
                raise bad
            x, y = b64decode_lenient(jwk["x"]), b64decode_lenient(jwk["y"])
            if len(x) != size or len(y) != size:
                raise bad
            key: Any = ec.EllipticCurvePublicNumbers(int.from_bytes(x, "big"), int.from_bytes(y, "big"), curve).public_key()
        elif alg == "EdDSA":
            if kty != "OKP" or jwk.get("crv") != "Ed25519":
                raise bad
            key = Ed25519PublicKey.from_public_bytes(b64decode_lenient(jwk["x"]))
        else:
            if kty != "RSA":
                raise bad
            n = int.from_bytes(b64decode_lenient(jwk["n"]), "big")
            e = int.from_bytes(b64decode_lenient(jwk["e"]), "big")
            if n.bit_length() < 2048:
                raise DPoPProofError("the proof's jwk does not fit its alg (RSA keys need at least 2048 bits)")
            key = rsa.RSAPublicNumbers(e, n).public_key()
    except (ValueError, TypeError, KeyError, binascii.Error):
        raise DPoPProofError("the proof's jwk is not a valid public key") from None
    return key, jkt


def _verify(alg: str, key: Any, data: bytes, sig: bytes) -> bool:
    try:
        if alg == "ES256":
            if len(sig) != 64:
                return False
            key.verify(raw_to_der(sig), data, ec.ECDSA(hashes.SHA256()))
        elif alg == "ES384":
            if len(sig) != 96:
                return False
            r, s = int.from_bytes(sig[:48], "big"), int.from_bytes(sig[48:], "big")
            key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA384()))
        elif alg == "EdDSA":
            if len(sig) != 64:
                return False
            key.verify(sig, data)
        elif alg == "RS256":
            key.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            key.verify(sig, data, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
        return True
    except (InvalidSignature, ValueError):
        return False


def _loads(b: bytes, names: _jsonstrict.Names, what: str) -> Dict[str, Any]:
    try:
        return _jsonstrict.loads(b, names)
    except _jsonstrict.StrictError:
        raise DPoPProofError("the proof's %s are malformed" % what if what == "claims" else "the proof's header is malformed") from None


def check_dpop_proof(
    proof: str, method: str, url: str, access_token: Optional[str], now: float, window: float = DPOP_WINDOW
) -> Tuple[str, str, float, str]:
    """Checks one DPoP proof JWT (RFC 9449 §4.3): typ dpop+jwt, an algorithm of
    DPOP_ALGS, a public jwk (no private members) that verifies the signature, htm and
    htu matching the request, iat within the window, a jti, and ath matching
    access_token when given. Returns (jkt, jti, iat, nonce); the jti's replay and the
    nonce are the caller's to check. Raises DPoPProofError."""
    if not isinstance(proof, str) or not proof or len(proof) > MAX_DPOP_PROOF_LEN or not _COMPACT.match(proof):
        raise DPoPProofError("the proof must be a compact JWS of at most %d bytes" % MAX_DPOP_PROOF_LEN)
    h64, p64, s64 = proof.split(".")
    try:
        hb, pb, sig = _b64(h64), _b64(p64), _b64(s64)
    except (ValueError, binascii.Error):
        raise DPoPProofError("the proof is not a compact JWS") from None
    h = _loads(hb, _header_names, "header")
    typ, alg = h.get("typ"), h.get("alg")
    if type(typ) is not str or typ.lower() != "dpop+jwt":
        raise DPoPProofError("the proof's typ must be dpop+jwt")
    if alg not in DPOP_ALGS:
        raise DPoPProofError("the proof's alg must be one of " + ", ".join(DPOP_ALGS))
    if "jwk" not in h:
        raise DPoPProofError("the proof's header must carry its public key (jwk)")
    if any(m in h for m in ("jku", "x5u", "x5c", "crit", "b64", "enc", "zip")):
        raise DPoPProofError("the proof's header carries key URLs, certificates, crit or encryption, which are not accepted")
    key, jkt = _key(h["jwk"], alg)
    if not _verify(alg, key, (h64 + "." + p64).encode("ascii"), sig):
        raise DPoPProofError("the proof's signature does not verify with its jwk")
    c = _loads(pb, _claim_names, "claims")
    for name in ("jti", "htm", "htu", "ath", "nonce"):
        if c.get(name) is not None and type(c.get(name)) is not str:
            raise DPoPProofError("the proof's claims are malformed")
    iat = c.get("iat")
    if iat is not None and (type(iat) not in (int, float) or isinstance(iat, bool)):
        raise DPoPProofError("the proof's claims are malformed")
    jti = c.get("jti") or ""
    if not jti or len(jti) > 256:
        raise DPoPProofError("the proof needs a jti of at most 256 characters")
    if c.get("htm") != method:
        raise DPoPProofError("the proof's htm is not this request's method (%s)" % method)
    want = htu(url)
    if not want or htu(c.get("htu") or "") != want:
        raise DPoPProofError("the proof's htu is not this request's URL")
    if iat is None or not 0 <= iat < 253402300800:
        raise DPoPProofError("the proof has no valid iat")
    if abs(now - iat) > window:
        raise DPoPProofError("the proof's iat is not within %d seconds of the server's clock" % int(window))
    if access_token:
        ath = c.get("ath")
        if ath is None:
            raise DPoPProofError("the proof has no ath (the hash of the access token)")
        digest = hashlib.sha256(access_token.encode("utf-8", "surrogatepass")).digest()
        if not hmac.compare_digest(ath.encode("utf-8", "surrogatepass"), base64.urlsafe_b64encode(digest).rstrip(b"=")):
            raise DPoPProofError("the proof's ath does not match the access token")
    return jkt, jti, float(iat), c.get("nonce") or ""


class ReplayCache:
    """The DPoP proofs seen within their window, bounded: entries leave in the order they
    came (each is kept for the same time)."""

    def __init__(self, size: int):
        self._max = size
        self._seen: "OrderedDict[str, float]" = OrderedDict()
        self._lock = threading.Lock()

    def use(self, key: str, now: float, keep: float) -> None:
        """Records key as seen at now for keep seconds; DPoPProofError on a replay, or
        when the cache is full of entries still in their window."""
        with self._lock:
            while self._seen:
                k, exp = next(iter(self._seen.items()))
                if now < exp:
                    break
                self._seen.popitem(last=False)
            if key in self._seen:
                raise DPoPProofError("the proof (jti) has already been used")
            if len(self._seen) >= self._max:
                raise DPoPProofError("too many recent proofs to check for replay; retry shortly")
            self._seen[key] = now + keep

"""Compact JWS parsing, header rules, JWKS keys and signature checks (a port of the Go
verifier's token.go and the key part of fetch.go).

Signatures are checked with ``cryptography`` directly, with one public-key object per
JWK made when the JWKS is read, and only with the algorithm the JWKS gives the key.
"""

from __future__ import annotations

import binascii
import hashlib
import re
from typing import Any, Callable, Dict, Iterable, Optional, Tuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from . import _jsonstrict
from .errors import HeaderError, MalformedError

#: Longer credentials are rejected before any decoding.
MAX_TOKEN_LEN = 8 << 10

SUPPORTED_ALGS = ("ES256", "EdDSA", "RS256")

_URLSAFE = bytes.maketrans(b"-_", b"+/")
_PAD = (b"", b"", b"==", b"=")
# The last character of a 2- or 3-character final quantum must leave the unused bits
# zero (base64.RawURLEncoding.Strict()).
_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_ALPHABET_DOT = _ALPHABET + b"."
_LAST_OK = (
    None,
    None,
    frozenset(_ALPHABET[i] for i in range(0, 64, 16)),
    frozenset(_ALPHABET[i] for i in range(0, 64, 4)),
)


def b64decode(s: bytes) -> bytes:
    """Strict unpadded base64url (s already in the alphabet); raises ValueError."""
    n = len(s) & 3
    if n == 1 or (n and s[-1] not in _LAST_OK[n]):
        raise ValueError("not canonical base64url")
    return binascii.a2b_base64(s.translate(_URLSAFE) + _PAD[n])


def b64decode_lenient(s: str) -> bytes:
    """base64url with or without padding (JWK members); raises ValueError."""
    b = s.encode("ascii").rstrip(b"=")
    if not re.fullmatch(rb"[A-Za-z0-9_-]*", b) or len(b) & 3 == 1:
        raise ValueError("not base64url")
    return binascii.a2b_base64(b.translate(_URLSAFE) + _PAD[len(b) & 3])


HEADER_NAMES = ("alg", "kid", "typ", "crit", "b64", "jwk", "jku", "x5u", "x5c", "enc", "zip")
_header_names = _jsonstrict.Names(HEADER_NAMES)
_EMBEDDED = ("jwk", "jku", "x5u", "x5c")
_UNSUPPORTED = ("crit", "b64", "zip")


def _str_member(d: Dict[str, Any], name: str) -> str:
    """A string member as Go decodes it into a string field: absent or null is ""."""
    v = d.get(name)
    if v is None:
        return ""
    if type(v) is not str:
        raise TypeError(name)
    return _jsonstrict.fix_surrogates(v)


# Every credential a key signs has the same header: its accepted decodings are
# remembered (by the encoded header), bounded.
_HEADER_CACHE_SIZE = 256
_header_cache: Dict[bytes, Tuple[str, str, str]] = {}


def _parse_header(h64: bytes) -> Tuple[str, str, str]:
    """Decodes a header segment (standard alphabet) and applies the header rules:
    (alg, kid, typ)."""
    try:
        hb = _b64_std(h64)
    except (ValueError, binascii.Error):
        raise MalformedError("header encoding") from None
    try:
        h = _jsonstrict.loads(hb, _header_names)
    except _jsonstrict.StrictError as e:
        raise MalformedError("header: %s" % e) from None
    try:
        alg, kid, typ = _str_member(h, "alg"), _str_member(h, "kid"), _str_member(h, "typ")
    except TypeError:
        raise MalformedError("header JSON") from None
    if "enc" in h:
        raise MalformedError("encrypted tokens (JWE) are not accepted")
    for name in _EMBEDDED:
        if name in h:
            raise HeaderError("embedded keys and key URLs are not accepted")
    for name in _UNSUPPORTED:
        if name in h:
            raise HeaderError("crit, b64 and zip are not accepted")
    if not kid or len(kid) > 128 or (not kid.isascii() and len(kid.encode("utf-8", "surrogatepass")) > 128):
        raise HeaderError("kid missing or too long")
    return alg, kid, typ


def _b64_std(seg: bytes) -> bytes:
    """Decodes one segment of a token translated by _TO_STD: strict, canonical,
    unpadded."""
    n = len(seg) & 3
    if n:
        if n == 1 or seg[-1] not in _LAST_OK[n]:
            raise ValueError("not canonical base64url")
        seg += _PAD[n]
    return _a2b(seg)


try:
    binascii.a2b_base64(b"QQ==", strict_mode=True)

    def _a2b(seg: bytes) -> bytes:
        # strict_mode rejects any character outside the alphabet (Python 3.11+).
        return binascii.a2b_base64(seg, strict_mode=True)

    _CHECK_ALPHABET = False
except TypeError:  # Python < 3.11: the alphabet is checked beforehand
    _a2b = binascii.a2b_base64
    _CHECK_ALPHABET = True

# base64url to the standard alphabet, and "+", "/" and "=" (not base64url) to "*", which
# the strict decoder refuses.
_TO_STD = bytes.maketrans(b"-_+/=", b"+/***")

# A split and decoded credential: alg, kid, typ, signing input, payload, signature.
Compact = Tuple[str, str, str, bytes, bytes, bytes]


def parse_compact(token: bytes, max_len: int = MAX_TOKEN_LEN) -> Compact:
    """Splits and decodes a compact JWS of at most max_len bytes and applies the header
    rules; the signature is not checked. Anything that is not exactly
    header.payload.signature in the unpadded base64url alphabet is MalformedError, and so
    is a header with a duplicate member or a case variant of a member name."""
    if not token or len(token) > max_len:
        raise MalformedError("length %d" % len(token))
    if _CHECK_ALPHABET and token.translate(None, _ALPHABET_DOT):
        raise MalformedError("a character outside base64url")
    parts = token.translate(_TO_STD).split(b".")
    if len(parts) != 3 or not parts[0] or not parts[2]:
        raise MalformedError("not header.payload.signature")
    h64, p64, s64 = parts
    hdr = _header_cache.get(h64)
    if hdr is None:
        try:
            hdr = _parse_header(h64)
        except HeaderError:
            # A character outside the alphabet anywhere is malformed first (as in Go,
            # which checks the whole token before the header).
            if token.translate(None, _ALPHABET_DOT):
                raise MalformedError("a character outside base64url") from None
            raise
        if len(_header_cache) >= _HEADER_CACHE_SIZE:
            _header_cache.clear()
        _header_cache[h64] = hdr
    try:
        n = len(p64) & 3
        if n:
            if n == 1 or p64[-1] not in _LAST_OK[n]:
                raise ValueError
            payload = _a2b(p64 + _PAD[n])
        else:
            payload = _a2b(p64)
    except (ValueError, binascii.Error):
        raise MalformedError("payload encoding") from None
    try:
        n = len(s64) & 3
        if n:
            if n == 1 or s64[-1] not in _LAST_OK[n]:
                raise ValueError
            sig = _a2b(s64 + _PAD[n])
        else:
            sig = _a2b(s64)
    except (ValueError, binascii.Error):
        raise MalformedError("signature encoding") from None
    return hdr[0], hdr[1], hdr[2], token[: len(h64) + 1 + len(p64)], payload, sig


def normalize_typ(t: str) -> str:
    """Maps "application/at+jwt" to "at+jwt" (RFC 7515 §4.1.9) and lowercases, rune by
    rune as Go's strings.ToLower does."""
    if t.isascii():
        t = t.lower()
    else:
        t = t.replace("\u0130", "i").lower()
    if t.startswith("application/"):
        return t[12:]
    return t


# --- keys -------------------------------------------------------------------------

# The digest is taken with hashlib (cheaper per call than cryptography's Hash objects)
# and handed over prehashed.
_ECDSA_SHA256 = ec.ECDSA(Prehashed(hashes.SHA256()))
_sha256 = hashlib.sha256
_PKCS1 = padding.PKCS1v15()
_PREHASHED_SHA256 = Prehashed(hashes.SHA256())


def _der_int(b: bytes) -> bytes:
    b = b.lstrip(b"\0")
    if not b or b[0] & 0x80:
        b = b"\0" + b
    return b"\x02" + bytes((len(b),)) + b


def raw_to_der(sig: bytes) -> bytes:
    """An R‖S ECDSA P-256 signature (64 bytes) as the DER SEQUENCE OpenSSL verifies."""
    body = _der_int(sig[:32]) + _der_int(sig[32:])
    return b"\x30" + bytes((len(body),)) + body


class PublicKey:
    """A JWKS key reduced to what verification needs. Its algorithm is fixed by the
    JWKS, and only a token naming that same algorithm is checked against it.

    ``verify(data, digest, sig)`` checks sig over data; digest is SHA-256(data) when the
    caller has it already (None: computed here)."""

    __slots__ = ("kid", "alg", "key", "verify")

    def __init__(self, kid: str, alg: str, key: Any):
        self.kid, self.alg, self.key = kid, alg, key
        verify = key.verify
        if alg == "ES256":

            def check(data: bytes, digest: Optional[bytes], sig: bytes) -> bool:
                # Exactly R‖S, 32 bytes each: DER or any other length is rejected; OpenSSL
                # refuses r or s outside [1, n-1] (so r=s=0 fails).
                if len(sig) != 64:
                    return False
                try:
                    verify(raw_to_der(sig), digest or _sha256(data).digest(), _ECDSA_SHA256)
                    return True
                except InvalidSignature:
                    return False

        elif alg == "EdDSA":

            def check(data: bytes, digest: Optional[bytes], sig: bytes) -> bool:
                if len(sig) != 64:
                    return False
                try:
                    verify(sig, data)
                    return True
                except InvalidSignature:
                    return False

        else:  # RS256
            size = (key.key_size + 7) // 8

            def check(data: bytes, digest: Optional[bytes], sig: bytes) -> bool:
                if len(sig) != size:
                    return False
                try:
                    verify(sig, digest or _sha256(data).digest(), _PKCS1, _PREHASHED_SHA256)
                    return True
                except InvalidSignature:
                    return False

        self.verify: Callable[[bytes, Optional[bytes], bytes], bool] = check


def _jwk_bytes(jwk: Dict[str, Any], name: str) -> bytes:
    v = jwk.get(name)
    if type(v) is not str or not v:
        raise ValueError("JWK member %s" % name)
    return b64decode_lenient(v)


def key_from_jwk(jwk: Any, allowed: Iterable[str]) -> Optional[PublicKey]:
    """The verification key of one JWK, or None when it cannot verify here: not a public
    signature key, no kid, an algorithm that is not allowed or that does not match the
    key type and curve, a malformed or weak key. Others are skipped, never guessed."""
    if not isinstance(jwk, dict):
        return None
    kid, alg, use, kty = jwk.get("kid"), jwk.get("alg"), jwk.get("use"), jwk.get("kty")
    if type(kid) is not str or not kid or type(alg) is not str or alg not in allowed or (use is not None and use not in ("", "sig")):
        return None
    if "d" in jwk or "p" in jwk or "k" in jwk:
        return None  # a private or symmetric key is never used to verify
    try:
        if kty == "EC" and alg == "ES256":
            if jwk.get("crv") != "P-256":
                return None
            x, y = _jwk_bytes(jwk, "x"), _jwk_bytes(jwk, "y")
            if len(x) != 32 or len(y) != 32:
                return None
            key: Any = ec.EllipticCurvePublicNumbers(
                int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
            ).public_key()
        elif kty == "OKP" and alg == "EdDSA":
            if jwk.get("crv") != "Ed25519":
                return None
            x = _jwk_bytes(jwk, "x")
            if len(x) != 32:
                return None
            key = Ed25519PublicKey.from_public_bytes(x)
        elif kty == "RSA" and alg == "RS256":
            n = int.from_bytes(_jwk_bytes(jwk, "n"), "big")
            e = int.from_bytes(_jwk_bytes(jwk, "e"), "big")
            if n.bit_length() < 2048:
                return None
            key = rsa.RSAPublicNumbers(e, n).public_key()
        else:
            return None
    except (ValueError, TypeError, binascii.Error):
        return None
    return PublicKey(kid, alg, key)


def parse_jwks(body: bytes, allowed: Iterable[str]) -> Dict[str, PublicKey]:
    """The usable keys of a JWKS document by kid; raises ValueError when the document is
    not a JWKS at all."""
    import json

    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise ValueError("JWKS: %s" % e) from None
    if not isinstance(doc, dict):
        raise ValueError("JWKS: not a JSON object")
    keys = doc.get("keys")
    if keys is None:
        keys = []
    if not isinstance(keys, list):
        raise ValueError("JWKS: keys is not an array")
    allowed = frozenset(allowed)
    out: Dict[str, PublicKey] = {}
    for jwk in keys:
        k = key_from_jwk(jwk, allowed)
        if k is not None:
            out[k.kid] = k
    return out


def decode_str(v: Any) -> str:
    """A claim decoded into a Go string field: absent or null is "", another type fails;
    an unpaired surrogate escape becomes U+FFFD as in Go."""
    if type(v) is str:
        return v if v.isascii() else _jsonstrict.fix_surrogates(v)
    if v is None:
        return ""
    raise TypeError


def decode_num(v: Any) -> Optional[float]:
    """A claim decoded into a Go *float64: absent or null is None, a non-number fails."""
    if v is None:
        return None
    t = type(v)
    if t is int or t is float:
        try:
            f = float(v)
        except OverflowError:  # Go: "number ... is out of range"
            raise TypeError from None
        if f in _INFINITIES:  # 1e999: out of range for Go too
            raise TypeError
        return f
    raise TypeError


def decode_int(v: Any) -> Optional[int]:
    """A claim decoded into a Go *int (64-bit): an integer literal in range."""
    if v is None:
        return None
    if type(v) is not int or not (-(1 << 63) <= v < (1 << 63)):
        raise TypeError
    return v


def decode_obj(v: Any) -> Optional[Dict[str, Any]]:
    if v is None:
        return None
    if type(v) is not dict:
        raise TypeError
    return v


_INFINITIES = (float("inf"), float("-inf"))


def valid_numeric_date(f: float) -> bool:
    """NumericDates from 1970 to year 9999; anything else (negative, NaN, 1e19) is not a
    time."""
    return 0 <= f < 253402300800

"""Certificate-bound access tokens (RFC 8705 §3), as verify/mtls.go checks them: a token
whose cnf carries x5t#S256 (the base64url SHA-256 of the client certificate's DER) is
accepted only from a request presenting that certificate, on the TLS connection the
server terminates or forwarded by a trusted proxy (RFC 9440 Client-Cert)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import re
import ssl
from typing import Any, Callable, Iterable, List, Optional, Tuple

from .errors import CertBoundError

#: The header trusted proxies forward the client's certificate in (RFC 9440).
DEFAULT_CLIENT_CERT_HEADER = "Client-Cert"
#: A longer forwarded certificate is refused before it is decoded.
MAX_CLIENT_CERT_HEADER_LEN = 16 << 10

_B64STD = re.compile(r"[A-Za-z0-9+/]*\Z")
_B64URL = re.compile(r"[A-Za-z0-9_-]{43}\Z")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")

Networks = Tuple[Any, ...]
#: Returns the DER of the certificate a request presented, or None; may raise
#: CertBoundError (a trusted proxy's malformed header).
Peer = Callable[[], Optional[bytes]]


def cert_thumbprint(der: bytes) -> str:
    """The base64url (no padding) SHA-256 of a certificate's DER: its cnf.x5t#S256."""
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode("ascii")


def valid_x5t(s: str) -> bool:
    """Whether s is a cnf.x5t#S256: exactly 32 bytes in canonical unpadded base64url."""
    if not _B64URL.match(s):
        return False
    b = base64.urlsafe_b64decode(s + "=")
    return len(b) == 32 and base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii") == s


def parse_byte_sequence(s: str) -> Optional[bytes]:
    """An RFC 8941 Byte Sequence (":" base64 ":", padding optional, spaces around
    allowed, not empty) decoded as Go's RawStdEncoding.Strict() decodes it, or None."""
    s = s.strip(" \t")
    if len(s) < 3 or len(s) > MAX_CLIENT_CERT_HEADER_LEN or s[0] != ":" or s[-1] != ":":
        return None
    body = s[1:-1].rstrip("=")
    if not _B64STD.match(body) or len(body) % 4 == 1:
        return None
    try:
        der = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    if not der or base64.b64encode(der).rstrip(b"=").decode("ascii") != body:
        return None
    return der


def parse_trusted_proxies(cidrs: Optional[Iterable[str]]) -> Networks:
    """The trusted_proxies option as networks; ValueError on anything but CIDRs and
    addresses."""
    if cidrs is None:
        return ()
    if isinstance(cidrs, str):
        raise ValueError("gatehouse_verify: trusted_proxies must be a list of CIDRs")
    out = []
    for s in cidrs:
        try:
            if not isinstance(s, str) or "%" in s:
                raise ValueError(s)
            out.append(ipaddress.ip_network(s, strict=False))
        except ValueError:
            raise ValueError("gatehouse_verify: trusted_proxies: %r is not a CIDR or an address" % (s,)) from None
    return tuple(out)


def check_header_name(name: Any) -> str:
    if not isinstance(name, str) or not _TOKEN.match(name) or name.lower() == "authorization":
        raise ValueError("gatehouse_verify: client_cert_header must be a header name other than Authorization")
    return name.lower()


def is_trusted(networks: Networks, remote_addr: Optional[str]) -> bool:
    """Whether remote_addr (the direct peer's IP address) is in one of networks."""
    if not networks or not remote_addr:
        return False
    try:
        a = ipaddress.ip_address(remote_addr.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(a, ipaddress.IPv6Address) and a.ipv4_mapped is not None:
        a = a.ipv4_mapped
    return any(a in n for n in networks)


def header_values(headers: Any, name: str) -> List[str]:
    """Every value of header name (lower case) in a mapping or a list of pairs."""
    pairs = headers.items() if hasattr(headers, "items") else headers
    out = []
    for k, v in pairs or ():
        k = k.decode("latin-1") if isinstance(k, bytes) else str(k)
        if k.lower() == name and v is not None:
            out.append(v.decode("latin-1") if isinstance(v, bytes) else str(v))
    return out


def client_certificate(
    networks: Networks, header: str, headers: Any, remote_addr: Optional[str], tls_client_cert: Optional[bytes]
) -> Optional[bytes]:
    """The DER of the certificate the client presented: the header when remote_addr is a
    trusted proxy's (None without it), otherwise tls_client_cert."""
    if is_trusted(networks, remote_addr):
        vals = header_values(headers, header)
        if not vals:
            return None
        der = parse_byte_sequence(vals[0]) if len(vals) == 1 else None
        if der is None:
            raise CertBoundError("the proxy's %s header is not one certificate (:base64 DER:)" % header)
        return der
    return tls_client_cert or None


def pem_to_der(pem: Any) -> Optional[bytes]:
    """The DER of a PEM certificate (the ASGI tls extension's client_cert_chain[0], or
    WSGI's SSL_CLIENT_CERT), or None when there is none."""
    if not pem:
        return None
    if isinstance(pem, bytes):
        pem = pem.decode("ascii", "replace")
    try:
        return ssl.PEM_cert_to_DER_cert(pem)
    except ValueError:
        return None


def check_cert_binding(der: Optional[bytes], thumbprint: str, dpop: bool) -> None:
    """Raises CertBoundError unless der's x5t#S256 is thumbprint."""
    if der is None:
        raise CertBoundError("the token is bound to a client certificate and the request presented none", dpop)
    if not hmac.compare_digest(cert_thumbprint(der), thumbprint):
        raise CertBoundError("the request's client certificate is not the one the token is bound to", dpop)

"""Token Status List pieces: the decoded list and bounded decompression."""

from __future__ import annotations

import threading
import zlib
from typing import Dict, Optional

#: A decompressed status list larger than this (8 Mi entries) is a decompression bomb.
MAX_STATUS_BYTES = 1 << 20


def inflate(z: bytes, limit: int = MAX_STATUS_BYTES) -> bytes:
    """Decompresses zlib data, refusing output beyond limit bytes: never more than
    limit + 1 bytes are produced, whatever the input. Raises ValueError."""
    d = zlib.decompressobj()
    try:
        out = d.decompress(z, limit + 1)
    except zlib.error:
        raise ValueError("lst is not zlib or does not decompress") from None
    if len(out) > limit:
        raise ValueError("lst decompresses beyond %d bytes" % limit)
    if not d.eof:
        raise ValueError("lst does not decompress (truncated)")
    return out


class StatusList:
    """A verified, decoded status list: bit idx (LSB first within each byte) set means
    revoked."""

    __slots__ = ("bits", "exp", "ttl", "fetched", "ver")

    def __init__(self, bits: bytearray, exp: float, ttl: float, fetched: float, ver: Optional[int] = None):
        self.bits = bits  # the revocation feed sets bits in place
        self.exp = exp
        self.ttl = ttl
        self.fetched = fetched
        self.ver = ver  # the list's version when the token says (None: unknown)


class StatusEntry:
    """One list the verifier tracks: its current decoded version and its refreshing."""

    __slots__ = ("uri", "current", "last_used", "lock", "last_try", "pushed", "behind")

    def __init__(self, uri: str):
        self.uri = uri
        self.current: Optional[StatusList] = None
        self.last_used = 0
        self.lock = threading.Lock()  # one fetch at a time
        self.last_try: Optional[float] = None
        # Bits set by the revocation feed that no fetched list has confirmed yet: index →
        # the event's ver; behind: the installed list lacked one, fetch it again soon.
        self.pushed: Dict[int, int] = {}
        self.behind = False

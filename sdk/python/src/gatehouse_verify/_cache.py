"""A bounded cache of verified credentials keyed by the SHA-256 of the token."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Optional

from .principal import Principal


class Cached:
    """What a verified credential leaves behind: enough to re-accept it without a
    signature check while still checking its expiry, key, status and the allow-lists on
    every call. Never modified after it is stored (but for its "recently used" bit)."""

    __slots__ = ("principal", "exp", "kid", "status_uri", "status_idx", "project", "team", "ref")

    def __init__(self, principal: Principal, exp: float, kid: str, status_uri: str, status_idx: int, project: str, team: str):
        self.principal = principal
        self.exp = exp
        self.kid = kid
        self.status_uri = status_uri
        self.status_idx = status_idx
        # Copies of sub and team for the allow-lists.
        self.project = project
        self.team = team
        self.ref = False


class TokenCache:
    """CLOCK (second chance) over insertion order: when full, the oldest entry goes
    unless it was used since it last came round, in which case it moves to the back.
    Lookups take no lock; additions and removals do."""

    def __init__(self, size: int):
        self._cap = max(int(size), 1)
        self._map: "OrderedDict[bytes, Cached]" = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> Optional[Cached]:
        e = self._map.get(key)
        if e is not None and not e.ref:
            e.ref = True
        return e

    def put(self, key: bytes, entry: Cached) -> None:
        with self._lock:
            m = self._map
            if key in m:
                m[key] = entry
                return
            budget = len(m) + 1  # after a full round every bit is clear
            while len(m) >= self._cap:
                k, e = m.popitem(last=False)
                if e.ref and budget > 0:
                    budget -= 1
                    e.ref = False
                    m[k] = e
            m[key] = entry

    def remove(self, key: bytes) -> None:
        with self._lock:
            self._map.pop(key, None)

    def __len__(self) -> int:
        return len(self._map)

"""The default fetch: urllib.request, bounded in size."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Mapping, Tuple

from ._version import __version__

#: Every document fetched from the portal (metadata, JWKS, status list) is at most this.
MAX_DOCUMENT = 1 << 20

_USER_AGENT = "gatehouse-verify-python/" + __version__


def urllib_fetch(url: str, accept: str, timeout: float) -> Tuple[int, Mapping[str, str], bytes]:
    """GET url; returns (status, headers, body) with at most MAX_DOCUMENT + 1 bytes of
    body (the caller rejects a longer one). Network failures raise."""
    req = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": _USER_AGENT})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:  # noqa: S310 (the issuer's URLs)
            body = res.read(MAX_DOCUMENT + 1)
            return res.status, {k.lower(): v for k, v in res.headers.items()}, body
    except urllib.error.HTTPError as e:  # a status other than 2xx (after redirects)
        status, headers = e.code, {k.lower(): v for k, v in (e.headers or {}).items()}
        e.close()
        return status, headers, b""

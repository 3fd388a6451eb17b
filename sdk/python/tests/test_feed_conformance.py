"""The revocation feed's cases of sdk/conformance/vectors.json (feed_cases): each on a
new verifier whose metadata offers the feed. The feed's first connection waits until
the case's prime credentials are verified (the verifier then holds their lists), then
carries the case's events as Server-Sent Events and ends; the verifier's second
connection shows the Last-Event-ID it reconnects with. Then the checks, and the rejected
count."""

import io
import json
import threading
import unittest
from typing import Any, Dict, List

from ._issuer import wait_for  # first: puts src on sys.path
from .test_conformance import Web, load_vectors, verifier_for

import gatehouse_verify as gv


def sse(events: List[Dict[str, str]]) -> bytes:
    s = "retry: 1\n\n"
    for e in events:
        s += "id: %s\nevent: %s\ndata: %s\n\n" % (e["id"], e["event"], e["data"])
    return s.encode("utf-8")


class _Held(io.BytesIO):
    """A stream whose first read waits for the prime credentials."""

    def __init__(self, body: bytes, go: threading.Event):
        super().__init__(body)
        self._go = go

    def read1(self, n: int = -1) -> bytes:
        self._go.wait(30)
        return super().read1(n)


class FeedWeb(Web):
    def __init__(self, vectors: Dict[str, Any], case: Dict[str, Any]):
        super().__init__(vectors)
        meta_url = self.issuer + "/.well-known/oauth-authorization-server"
        self.events_url = self.issuer + "/statuslists/events"
        meta = json.loads(self.documents[meta_url]["body"])
        meta["status_list_events_endpoint"] = self.events_url
        self.documents = dict(self.documents, **{meta_url: dict(self.documents[meta_url], body=json.dumps(meta))})
        self.case = case
        self.primed = threading.Event()
        self.connections: List[Dict[str, str]] = []

    def open_stream(self, url: str, headers: Dict[str, str], connect_timeout: float, idle_timeout: float):
        assert url == self.events_url, url
        self.connections.append(dict(headers))
        if len(self.connections) > 1:
            return 503, {"retry-after": "3600"}, io.BytesIO(b"")
        return 200, {"content-type": "text/event-stream"}, _Held(sse(self.case["events"]), self.primed)


def answer(v: gv.Verifier, token: str) -> str:
    try:
        v.verify(token)
        return "valid"
    except gv.VerifyError as e:
        return e.code


class FeedConformanceTest(unittest.TestCase):
    def test_feed_vectors(self):
        vectors = load_vectors()
        cases = vectors.get("feed_cases") or []
        self.assertGreater(len(cases), 0)
        for case in cases:
            with self.subTest(case["name"]):
                web = FeedWeb(vectors, case)
                v = verifier_for(vectors, web, case["options"], status_events_open=web.open_stream)
                try:
                    for t in case["prime"]:
                        self.assertEqual(answer(v, t), "valid", "a prime credential was refused")
                    web.primed.set()
                    self.assertTrue(wait_for(lambda: len(web.connections) > 1), "no reconnection")
                    if case["last_event_id"] is not None:
                        self.assertEqual(web.connections[1].get("Last-Event-ID", ""), case["last_event_id"], "Last-Event-ID")
                    self.assertEqual(v.stats().feed_events_rejected, case["rejected"], "events rejected")
                    for i, k in enumerate(case["checks"]):
                        want = "valid" if k["expect"]["valid"] else k["expect"]["error"]
                        self.assertEqual(answer(v, k["token"]), want, "check %d" % i)
                    self.assertEqual(web.violations, [])
                finally:
                    v.close()
                self.assertFalse(v._feed.thread.is_alive())


if __name__ == "__main__":
    unittest.main()

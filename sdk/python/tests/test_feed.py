"""The revocation feed (GET /statuslists/events): the SSE parser, and a verifier
subscribed to an in-test SSE server (http.server in a thread) that signs events with the
fake issuer's key. Orderings are asserted (the server's list GETs counted), never times."""

import email.utils
import http.server
import queue
import threading
import time
import unittest
from typing import Any, Dict, List, Optional

from ._issuer import Issuer, serve_document, wait_for  # first: puts src on sys.path

import gatehouse_verify as gv
from gatehouse_verify._feed import SSEParser, backoff, retry_after


class SSEParserTest(unittest.TestCase):
    def parse(self, *chunks: Any) -> SSEParser:
        p = SSEParser(max_line=64, max_event=128)
        for c in chunks:
            p.feed(c) if isinstance(c, bytes) else p.push(c)
        return p

    def events(self, p: SSEParser):
        return [(e.type, e.data, e.id, e.oversize) for e in p.events]

    def test_fields_multiline_comments_crlf_split_anywhere(self):
        text = "\ufeff: ping\r\nretry: 250\r\nid: 7\revent: status\ndata: a\r\ndata:b\r\n\r\n: ping\n\nid: 8\ndata\n\n"
        want = [("status", "a\nb", "7", False), ("message", "", "8", False)]
        for cut in range(len(text) + 1):
            p = self.parse(text[:cut], text[cut:])
            self.assertEqual(self.events(p), want, "cut at %d" % cut)
            self.assertEqual(p.retry, 250)
            self.assertEqual(p.comments, 2)
        raw = text.encode("utf-8")
        self.assertEqual(self.events(self.parse(*[raw[i : i + 1] for i in range(len(raw))])), want)  # byte by byte

    def test_no_data_no_event_and_ignored_fields(self):
        p = self.parse("event: status\nid: 1\n\nid: 2\0\nretry: 1x\ndata: x\n\n")
        self.assertEqual(self.events(p), [("message", "x", None, False)])
        self.assertIsNone(p.retry)

    def test_bounds_mark_the_event_oversize_and_the_stream_goes_on(self):
        long = "x" * 100
        p = self.parse("event: status\ndata: " + long[:30], long + "\n\n", "data: ok\n\n")
        self.assertEqual(self.events(p), [("status", "", None, True), ("message", "ok", None, False)])
        q = self.parse("data: 0123456789012345678901234567890123456789\n" * 4 + "\ndata: ok\n\n")
        self.assertEqual([e.oversize for e in q.events], [True, False])

    def test_retry_after_and_backoff(self):
        self.assertEqual(retry_after("3", 0), 3)
        self.assertEqual(retry_after("0", 0), 1)
        self.assertEqual(retry_after("999999", 0), 600)
        self.assertEqual(retry_after(email.utils.formatdate(60, usegmt=True), 0), 60)
        self.assertIsNone(retry_after("soon", 0))
        self.assertEqual(backoff(0.5, 0), 0.5)
        for f in range(1, 30):
            self.assertTrue(0.5 <= backoff(0.5, f) <= 60)


class RealClock:
    def __call__(self) -> float:
        return time.time()


class Conn:
    """One feed connection the portal serves: what to write comes through a queue."""

    def __init__(self, handler: http.server.BaseHTTPRequestHandler):
        self.handler = handler
        self.last_event_id = handler.headers.get("Last-Event-ID", "")
        self.q: "queue.Queue[Optional[str]]" = queue.Queue()
        self.closed = False
        self.pings = 0

    def send(self, text: str) -> None:
        self.q.put(text)

    def end(self) -> None:
        self.q.put(None)

    def serve(self, stop: threading.Event, ping_every: Optional[float]) -> None:
        try:
            while not stop.is_set():
                try:
                    item = self.q.get(timeout=ping_every or 0.05)
                except queue.Empty:
                    if ping_every:
                        self.handler.wfile.write(b": ping\n\n")
                        self.handler.wfile.flush()
                        self.pings += 1
                    continue
                if item is None:
                    return
                self.handler.wfile.write(item.encode("utf-8"))
                self.handler.wfile.flush()
        except OSError:
            pass
        finally:
            self.closed = True


class Portal:
    """The fake issuer over HTTP on 127.0.0.1, its metadata offering the feed. Each feed
    connection is recorded and handed to on_events (by default: 200, retry: 20, kept open)."""

    def __init__(self, **issuer_kw: Any):
        portal = self
        self.stop = threading.Event()
        self.conns: List[Conn] = []
        self.ping_every: Optional[float] = None
        self.busy = False  # answer feed connections 503 Retry-After: 1

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/statuslists/events":
                    conn = Conn(self)
                    portal.conns.append(conn)
                    if portal.busy:
                        conn.closed = True
                        self.send_response(503)
                        self.send_header("Retry-After", "1")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()
                    self.wfile.write(b"retry: 20\n\n")
                    self.wfile.flush()
                    conn.serve(portal.stop, portal.ping_every)
                    return
                serve_document(self, portal.iss)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.iss = Issuer(url="http://127.0.0.1:%d" % self.server.server_address[1], clock=RealClock(), **issuer_kw)
        self.iss.metadata_extra = {"status_list_events_endpoint": self.iss.url + "/statuslists/events"}
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def conn(self) -> Conn:
        return self.conns[-1]

    def list_gets(self, list_id: str = "sl_1") -> int:
        return self.iss.hits[self.iss.url + "/statuslists/" + list_id]

    def event(self, seq: int, idx: int, list_id: str = "sl_1", typ: str = "statuslist-event+jwt",
              key_of: Optional[str] = None, sse_id: Optional[str] = None, **edit: Any) -> str:  # fmt: skip
        c: Dict[str, Any] = {"iss": self.iss.url, "uri": self.iss.url + "/statuslists/" + list_id, "idx": idx,
                             "status": 1, "ver": seq, "seq": seq, "iat": int(time.time())}  # fmt: skip
        c.update(edit)
        jws = self.iss.sign(c, typ=typ, key_of=key_of)
        return "id: %s\nevent: status\ndata: %s\n\n" % (sse_id or seq, jws)

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


class FeedTest(unittest.TestCase):
    def setUp(self):
        self.portal = Portal(list_ttl=60)
        self.addCleanup(self.portal.close)
        self.iss = self.portal.iss

    def verifier(self, **kw: Any) -> gv.Verifier:
        kw.setdefault("audience", "orders-api")
        v = gv.Verifier(self.iss.url, **kw)
        self.addCleanup(v.close)
        return v

    def connected(self, n: int = 1) -> None:
        self.assertTrue(wait_for(lambda: len(self.portal.conns) >= n and not self.portal.conns[n - 1].closed))

    def key(self, idx: int) -> str:
        return self.iss.key_on("sl_1", idx, jti="key_%d" % idx)

    def revoked(self, v: gv.Verifier, token: str) -> bool:
        try:
            v.verify(token)
            return False
        except gv.RevokedError:
            return True

    def test_a_revoked_bit_is_applied_before_any_list_refetch(self):
        v = self.verifier()
        self.connected()
        self.assertTrue(wait_for(lambda: v.stats().feed_connected))
        k3, k4 = self.key(3), self.key(4)
        self.assertEqual(v.verify(k3).key_id, "key_3")
        self.assertEqual(v.verify(k4).key_id, "key_4")
        self.assertEqual(self.portal.list_gets(), 1)
        self.portal.conn.send(self.portal.event(41, 3))
        self.assertTrue(wait_for(lambda: v.stats().feed_events_applied == 1))
        with self.assertRaises(gv.RevokedError):
            v.verify(k3)  # a cached credential too
        self.assertEqual(v.verify(k4).key_id, "key_4")
        self.assertEqual(self.portal.list_gets(), 1, "no list fetch between the event and the rejection")
        s = v.stats()
        self.assertTrue(s.feed_connected)
        self.assertEqual(s.feed_events_rejected, 0)
        self.assertIsNotNone(s.feed_last_event)
        self.assertGreaterEqual(s.feed_lag, 0)
        self.assertEqual(s.feed_reconnects, 0)

    def test_forged_misdirected_non_revoking_and_replayed_events_change_nothing(self):
        v = self.verifier()
        self.connected()
        k3 = self.key(3)
        v.verify(k3)
        send, ev = self.portal.conn.send, self.portal.event
        # Rejected, each counted.
        send(ev(50, 3, key_of="attacker"))  # the issuer's kid, another key
        send(ev(51, 3, typ="statuslist+jwt"))
        send(ev(52, 3, iss="https://attacker.test"))
        send(ev(53, 3, uri="https://attacker.test/statuslists/sl_1"))
        send(ev(54, 3, sse_id="99"))
        send("event: status\ndata: %s\n\n" % ("A" * 20000))  # over the event bound
        self.assertTrue(wait_for(lambda: v.stats().feed_events_rejected == 6))
        self.assertEqual(v.stats().feed_events_applied, 0)
        self.assertEqual(v.verify(k3).key_id, "key_3")
        # Genuine but nothing to apply: status 0 cannot clear, a replay applies nothing more.
        send(ev(60, 4))
        self.assertTrue(wait_for(lambda: v.stats().feed_events_applied == 1))
        send(ev(61, 4, status=0))
        send(ev(60, 4))  # replayed
        send(ev(62, 5))  # a marker: once applied, the two before were read
        self.assertTrue(wait_for(lambda: v.stats().feed_events_applied == 2))
        self.assertEqual(v.stats().feed_events_rejected, 6)
        self.assertEqual(v.stats().feed_events_ignored, 2)
        self.assertEqual(v.stats().feed_last_event_id, 62)
        self.assertEqual(v.verify(k3).key_id, "key_3")
        self.assertTrue(self.revoked(v, self.key(4)))
        self.assertEqual(self.portal.list_gets(), 1)

    def test_reconnects_with_last_event_id_after_the_server_cuts_the_stream(self):
        v = self.verifier()
        self.connected()
        v.verify(self.key(3))
        self.portal.conn.send(self.portal.event(7, 3))
        self.portal.conn.send(self.portal.event(8, 4, list_id="sl_other"))  # genuine, a list not held: still taken
        self.assertTrue(wait_for(lambda: v.stats().feed_events_applied == 1))
        self.assertEqual(self.portal.conns[0].last_event_id, "")
        self.portal.conn.end()
        self.connected(2)
        self.assertEqual(self.portal.conns[1].last_event_id, "8")
        self.assertTrue(wait_for(lambda: v.stats().feed_connected and v.stats().feed_reconnects == 1))
        self.portal.conn.send(self.portal.event(9, 5))
        self.assertTrue(wait_for(lambda: v.stats().feed_events_applied == 2))
        self.portal.conn.end()
        self.connected(3)
        self.assertEqual(self.portal.conns[2].last_event_id, "9")

    def test_reset_refetches_every_cached_list(self):
        v = self.verifier()
        self.connected()
        k3 = self.key(3)
        v.verify(k3)
        self.portal.conn.send(self.portal.event(30, 4))
        self.assertTrue(wait_for(lambda: v.stats().feed_last_event_id == 30))
        self.iss.revoke("sl_1", 3)  # missed by the feed
        self.assertEqual(self.portal.list_gets(), 1)
        self.portal.conn.send("event: reset\ndata: {}\n\n")
        self.assertTrue(wait_for(lambda: v.stats().feed_resets == 1 and self.revoked(v, k3)))
        self.assertEqual(self.portal.list_gets(), 2)
        self.assertEqual(v.stats().feed_last_event_id, 0, "the seqs before the reset are forgotten")
        self.portal.conn.send(self.portal.event(3, 5))  # the server starts over: a lower seq is not a replay
        self.assertTrue(wait_for(lambda: v.stats().feed_events_applied == 2))
        self.assertEqual(v.stats().feed_last_event_id, 3)

    def test_a_pushed_bit_outlives_an_older_list_until_a_fetched_list_has_it(self):
        v = self.verifier(cooldown=0, refresh_interval=None)
        self.connected()
        k5 = self.key(5)
        v.verify(k5)
        self.portal.conn.send(self.portal.event(70, 5))
        self.assertTrue(wait_for(lambda: v.stats().feed_events_applied == 1))
        self.portal.conn.send("event: reset\ndata: {}\n\n")  # refetch: the portal's list (a stale copy) lacks bit 5
        self.assertTrue(wait_for(lambda: v.stats().status_fetches == 2))
        self.assertTrue(self.revoked(v, k5))
        v.refresh()  # the list is behind the event: fetched again at the next pass
        self.assertEqual(self.portal.list_gets(), 3)
        self.assertTrue(self.revoked(v, k5))
        self.iss.revoke("sl_1", 5)
        v.refresh()
        self.assertEqual(self.portal.list_gets(), 4)
        v.refresh()  # confirmed: nothing due any more
        self.assertEqual(self.portal.list_gets(), 4)
        self.assertTrue(self.revoked(v, k5))

    def test_503_with_retry_after_polls_the_lists_and_tries_the_feed_later(self):
        self.portal.close()
        self.portal = Portal(list_ttl=1)
        self.addCleanup(self.portal.close)
        self.iss = self.portal.iss
        self.portal.busy = True
        v = self.verifier(refresh_interval=0.05)
        self.assertTrue(wait_for(lambda: len(self.portal.conns) == 1))
        k3 = self.key(3)
        v.verify(k3)
        self.assertFalse(v.stats().feed_connected)
        self.iss.revoke("sl_1", 3)  # no event: only the list says so
        self.assertTrue(wait_for(lambda: self.revoked(v, k3)))
        self.assertGreaterEqual(self.portal.list_gets(), 2)
        self.portal.busy = False
        self.assertTrue(wait_for(lambda: v.stats().feed_connected))
        self.assertGreaterEqual(len(self.portal.conns), 2)
        self.assertEqual(v.stats().feed_reconnects, len(self.portal.conns) - 1)

    def test_heartbeats_keep_a_quiet_stream_connected_a_silent_one_is_made_again(self):
        self.portal.ping_every = 0.03
        v = self.verifier(status_events_idle_timeout=1)
        self.connected()
        self.assertTrue(wait_for(lambda: self.portal.conn.pings >= 50))  # 50 heartbeats: longer than the idle timeout
        self.assertEqual(len(self.portal.conns), 1)
        self.assertEqual(v.stats().feed_reconnects, 0)
        self.assertTrue(v.stats().feed_connected)
        self.portal.ping_every = None  # the next connection is silent
        self.portal.conn.end()
        self.connected(2)
        self.assertTrue(wait_for(lambda: len(self.portal.conns) >= 3))  # dropped for silence, made again
        self.assertEqual(self.portal.conns[1].pings, 0)
        self.assertGreaterEqual(v.stats().feed_reconnects, 2)

    def test_a_feed_endpoint_not_under_the_issuer_is_refused(self):
        self.iss.metadata_extra = {"status_list_events_endpoint": "https://attacker.test/statuslists/events"}
        with self.assertRaisesRegex(gv.DiscoveryError, "not under the issuer"):
            self.verifier()
        self.assertEqual(self.portal.conns, [])

    def test_status_events_false_does_not_subscribe(self):
        v = self.verifier(status_events=False)
        v.verify(self.key(3))
        self.assertEqual(self.portal.conns, [])
        self.assertFalse(v.stats().feed_enabled)
        self.assertFalse(v.stats().feed_connected)

    def test_close_ends_the_connection_and_the_thread(self):
        self.portal.ping_every = 0.02  # the server notices a closed connection when it writes
        v = self.verifier()
        self.connected()
        v.close()
        self.assertFalse(v._feed.thread.is_alive())
        self.assertTrue(wait_for(lambda: self.portal.conn.closed))
        self.assertFalse(v.stats().feed_connected)
        self.assertEqual(len(self.portal.conns), 1)


if __name__ == "__main__":
    unittest.main()

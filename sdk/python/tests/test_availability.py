"""When the portal is slow, down or changing: status lists used until their exp, then
fail closed (or open), background refresh, the unknown-kid cooldown, averify."""

import asyncio
import gc
import threading
import unittest
import weakref

from . import _issuer
from ._issuer import Issuer, wait_for

import gatehouse_verify as gv

LIST = _issuer.ISSUER + "/statuslists/sl_1"
JWKS = _issuer.ISSUER + "/jwks"


class PortalDownTest(unittest.TestCase):
    """The list has ttl 300 s and exp 3600 s; the clock is the test's."""

    def setUp(self):
        self.iss = Issuer(list_ttl=300, list_validity=3600)

    def test_fail_closed_after_the_lists_exp(self):
        v = self.iss.verifier()
        live = self.iss.api_key()
        v.verify(live)
        self.iss.revoke("sl_1", 9)
        self.iss.clock.advance(270)
        v.refresh()  # the list is refreshed at 90% of its ttl: it now has bit 9 set
        revoked = self.iss.key_on("sl_1", 9, jti="key_9")
        self.iss.down = True
        # Down: the cached list (and JWKS) keep serving until the list's exp...
        for step in (100, 1000, 2000):
            self.iss.clock.advance(step)
            v.refresh()  # fails, and is logged and counted
            self.assertEqual(v.verify(live).project, "prj_orders")
            with self.assertRaises(gv.RevokedError):
                v.verify(revoked)
            self.assertEqual(v.verify(self.iss.api_key(jti="key_new_%d" % step)).key_id, "key_new_%d" % step)
            self.assertEqual(v.verify(self.iss.access_token()).kind, "access_token")
        s = v.stats()
        self.assertGreater(s.status_fetch_errors, 0)
        self.assertGreater(s.status_stale, 0)
        self.assertGreater(s.jwks_fetch_errors, 0)
        self.assertEqual(s.fail_closed, 0)
        # ...and not after: the list was fetched at NOW+270 with exp NOW+270+3600.
        self.iss.clock.advance(270 + 3600 - 3370)
        with self.assertRaises(gv.StatusUnavailableError):
            v.verify(live)
        with self.assertRaises(gv.StatusUnavailableError):
            v.verify(self.iss.api_key(jti="key_first_sight"))
        self.assertEqual(v.verify(self.iss.access_token(jti="at_2")).kind, "access_token")  # no list needed
        self.assertGreaterEqual(v.stats().fail_closed, 2)

    def test_list_refetch_at_most_once_per_cooldown_when_down(self):
        v = self.iss.verifier(cooldown=30)
        v.verify(self.iss.api_key())
        self.iss.down = True
        self.iss.clock.advance(3700)
        n = self.iss.hits[LIST]
        for i in range(10):
            with self.assertRaises(gv.StatusUnavailableError):
                v.verify(self.iss.api_key(jti="key_%d" % i))
        self.assertEqual(self.iss.hits[LIST] - n, 1)
        # The portal is back: after the cooldown the list is fetched again.
        self.iss.down = False
        self.iss.clock.advance(31)
        self.assertEqual(v.verify(self.iss.api_key(jti="key_back")).key_id, "key_back")
        self.assertEqual(self.iss.hits[LIST] - n, 2)

    def test_fail_open(self):
        v = self.iss.verifier(fail_open=True)
        live = self.iss.api_key()
        v.verify(live)
        self.iss.revoke("sl_1", 9)
        self.iss.down = True
        self.iss.clock.advance(3700)
        with self.assertLogs("gatehouse_verify", "WARNING") as logs:
            self.assertEqual(v.verify(live).project, "prj_orders")
            self.assertEqual(v.verify(self.iss.key_on("sl_1", 9, jti="key_9")).key_id, "key_9")
        self.assertTrue(any("fail_open" in line for line in logs.output), logs.output)
        self.assertEqual(v.stats().fail_open, 2)
        self.assertEqual(v.stats().fail_closed, 0)

    def test_fail_open_does_not_hide_a_known_revocation_or_a_bad_index(self):
        v = self.iss.verifier(fail_open=True)
        self.iss.revoke("sl_1", 9)
        with self.assertRaises(gv.RevokedError):
            v.verify(self.iss.key_on("sl_1", 9))
        with self.assertRaises(gv.StatusUnavailableError):
            v.verify(self.iss.key_on("sl_1", 10000, jti="key_far"))
        # A list that is not the issuer's is refused whatever fail_open says.
        with self.assertRaises(gv.StatusUnavailableError):
            v.verify(self.iss.api_key(status={"status_list": {"idx": 1, "uri": "https://evil.example/statuslists/sl_1"}}))

    def test_first_sight_with_the_portal_down_from_the_start(self):
        v = self.iss.verifier()
        self.iss.down = True
        with self.assertRaises(gv.StatusUnavailableError):
            v.verify(self.iss.api_key())
        self.assertEqual(v.verify(self.iss.access_token()).kind, "access_token")


class RefreshTest(unittest.TestCase):
    def test_refresh_picks_up_a_revocation_within_the_ttl(self):
        iss = Issuer(list_ttl=60)
        v = iss.verifier()
        tok = iss.api_key()
        v.verify(tok)
        iss.revoke("sl_1", 3)
        iss.clock.advance(30)
        self.assertGreater(v.refresh(), 0)
        v.verify(tok)  # not due yet
        iss.clock.advance(24)  # 90% of the ttl
        v.refresh()
        with self.assertRaises(gv.RevokedError):
            v.verify(tok)

    def test_refresh_schedule(self):
        iss = Issuer(list_ttl=10)
        v = iss.verifier(refresh_interval=None)  # no thread; the schedule's interval is 5 s
        v.verify(iss.api_key())
        self.assertAlmostEqual(v.refresh(), 5)  # nothing due before the interval
        iss.clock.advance(8)
        self.assertAlmostEqual(v.refresh(), 1)  # the list is due at 9 s
        iss.clock.advance(2)
        self.assertAlmostEqual(v.refresh(), 5, delta=4.1)  # refreshed: next at 9 s from now, capped at 5
        # Lists not used for an hour are not refreshed in the background.
        n = iss.hits[LIST]
        iss.clock.advance(3700)
        v.refresh()
        self.assertEqual(iss.hits[LIST], n)

    def test_jwks_refreshed_before_it_expires(self):
        iss = Issuer()
        v = iss.verifier(refresh_interval=None)  # no thread; the schedule's interval is 5 s
        n = iss.hits[JWKS]
        iss.clock.advance(290)
        v.refresh()
        self.assertEqual(iss.hits[JWKS], n)
        iss.clock.advance(5)
        v.refresh()
        self.assertEqual(iss.hits[JWKS], n + 1)

    def test_background_thread_picks_up_a_revocation(self):
        iss = Issuer(list_ttl=2)
        v = iss.verifier(refresh_interval=0.05)
        self.addCleanup(v.close)
        tok = iss.api_key()
        v.verify(tok)
        iss.revoke("sl_1", 3)
        iss.clock.advance(2)  # the list's ttl: the background thread refetches it

        def revoked():
            try:
                v.verify(tok)
                return False
            except gv.RevokedError:
                return True

        self.assertTrue(wait_for(revoked, timeout=10), "the revocation did not arrive within 10 s")

    def test_a_list_fetched_on_demand_wakes_the_thread(self):
        # The thread sleeps refresh_interval (here 60 s) when nothing is due; a list
        # fetched on a request wakes it, so that the list is kept fresh from then on.
        iss = Issuer(list_ttl=1)
        v = iss.verifier(refresh_interval=60)
        self.addCleanup(v.close)
        v.verify(iss.api_key())
        n = iss.hits[LIST]
        iss.clock.advance(1)
        self.assertTrue(wait_for(lambda: iss.hits[LIST] > n, timeout=10), "the list was not refreshed")

    def test_close_stops_the_thread(self):
        iss = Issuer()
        v = iss.verifier(refresh_interval=0.05)
        t = v._thread
        self.assertTrue(t.is_alive())
        with v:
            pass
        self.assertFalse(t.is_alive())
        v.close()  # idempotent

    def test_a_forgotten_verifier_stops_its_thread(self):
        iss = Issuer()
        v = iss.verifier(refresh_interval=0.05)
        t = v._thread
        ref = weakref.ref(v)
        del v
        gc.collect()
        self.assertIsNone(ref())
        self.assertTrue(wait_for(lambda: not t.is_alive(), timeout=10))

    def test_no_thread_without_refresh_interval(self):
        def refreshers():
            return sum(t.name == "gatehouse-verify-refresh" for t in threading.enumerate())

        before = refreshers()  # other tests' threads may still be ending: never more after
        v = Issuer().verifier(refresh_interval=None)
        self.assertIsNone(v._thread)
        self.assertLessEqual(refreshers(), before)


class UnknownKidTest(unittest.TestCase):
    def test_refetch_at_most_once_per_cooldown(self):
        iss = Issuer()
        v = iss.verifier(cooldown=30)
        key = iss.keys["es1"]

        def unknown(i):
            with self.assertRaises(gv.UnknownKeyError):
                v.verify(iss.sign(iss.claims(jti="k%d" % i), kid="unknown-%d" % i, key_of="es1"))

        # Right after the constructor's own fetch: no refetch.
        h0 = iss.hits[JWKS]
        unknown(0)
        self.assertEqual(iss.hits[JWKS], h0)
        iss.clock.advance(31)
        for i in range(20):
            unknown(i)
        self.assertEqual(iss.hits[JWKS] - h0, 1)
        iss.clock.advance(31)
        unknown(100)
        unknown(101)
        self.assertEqual(iss.hits[JWKS] - h0, 2)
        # The refetch is what lets a freshly published key in.
        iss.keys["es2"] = key
        iss.published.append("es2")
        tok = iss.sign(iss.claims(jti="key_es2"), kid="es2")
        with self.assertRaises(gv.UnknownKeyError):
            v.verify(tok)
        iss.clock.advance(31)
        self.assertEqual(v.verify(tok).key_id, "key_es2")
        self.assertEqual(v.stats().jwks_fetches, 4)


class AsyncTest(unittest.TestCase):
    def test_averify_runs_on_the_loop_unless_it_must_fetch(self):
        iss = Issuer()
        threads = []
        real_fetch = iss.fetch

        def fetch(url, accept, timeout):
            threads.append(threading.current_thread())
            return real_fetch(url, accept, timeout)

        v = iss.verifier(fetch=fetch)
        threads.clear()

        async def main():
            loop_thread = threading.current_thread()
            p1 = await v.averify(iss.api_key())  # the list's first fetch: in a worker thread
            p2 = await v.averify(iss.api_key(jti="key_2"))  # cached list: on the loop, no fetch
            with self.assertRaises(gv.SignatureError):
                await v.averify(iss.api_key()[:-4] + "AAAA")
            with self.assertRaises(gv.NoTokenError):
                await v.averify("")
            return loop_thread, p1, p2

        loop_thread, p1, p2 = asyncio.run(main())
        self.assertEqual((p1.key_id, p2.key_id), ("key_1", "key_2"))
        self.assertEqual(len(threads), 1)
        self.assertIsNot(threads[0], loop_thread)
        s = v.stats()
        self.assertEqual((s.verified, s.rejected), (2, 1))


if __name__ == "__main__":
    unittest.main()

"""The cache of verified credentials: no second signature check, but expiry, key
presence, status bit and allow-lists re-checked on every call; bounded."""

import hashlib
import threading
import unittest

from . import _issuer
from ._issuer import Issuer

import gatehouse_verify as gv
from gatehouse_verify._cache import Cached, TokenCache


class CacheTest(unittest.TestCase):
    def setUp(self):
        self.iss = Issuer()
        self.v = self.iss.verifier()

    def count_signature_checks(self):
        calls = []
        for k in self.v._keys.keys.values():
            real = k.verify

            def counting(data, digest, sig, real=real):
                calls.append(1)
                return real(data, digest, sig)

            k.verify = counting
        return calls

    def test_seen_before_is_not_checked_again(self):
        calls = self.count_signature_checks()
        tok = self.iss.api_key()
        p1 = self.v.verify(tok)
        self.assertEqual(len(calls), 2)  # the key and its status list
        p2 = self.v.verify(tok)
        self.assertIs(p1, p2)
        self.assertEqual(len(calls), 2)
        s = self.v.stats()
        self.assertEqual((s.verified, s.cache_hits, s.rejected, s.cached_credentials), (1, 1, 0, 1))

    def test_key_is_the_sha256(self):
        tok = self.iss.api_key()
        self.v.verify(tok)
        self.assertIn(hashlib.sha256(tok.encode()).digest(), self.v._cache._map)

    def test_expiry_rechecked(self):
        tok = self.iss.api_key(exp=int(_issuer.NOW) + 100)
        self.v.verify(tok)
        self.iss.clock.advance(129)
        self.v.verify(tok)  # within the leeway
        self.iss.clock.advance(1)
        with self.assertRaises(gv.ExpiredError):
            self.v.verify(tok)
        self.assertEqual(self.v.stats().cached_credentials, 0)

    def test_revocation_rechecked(self):
        tok = self.iss.api_key()
        self.v.verify(tok)
        self.iss.revoke("sl_1", 3)
        self.v.verify(tok)  # the cached list does not know yet
        self.iss.clock.advance(300)  # the list's ttl
        self.v.refresh()
        with self.assertRaises(gv.RevokedError):
            self.v.verify(tok)
        with self.assertRaises(gv.RevokedError):
            self.v.verify(tok)
        s = self.v.stats()
        self.assertEqual((s.verified, s.cache_hits, s.rejected), (1, 1, 2))

    def test_removed_key_rechecked(self):
        tok = self.iss.api_key()
        self.v.verify(tok)
        self.iss.published.remove("es1")
        self.iss.sign_kid = "ed1"  # lists signed by a key still published
        self.iss.clock.advance(301)
        self.v.refresh()
        with self.assertRaises(gv.UnknownKeyError):
            self.v.verify(tok)
        # Never seen, same key: unknown too.
        self.iss.sign_kid = "es1"
        with self.assertRaises(gv.UnknownKeyError):
            self.v.verify(self.iss.api_key(jti="key_new"))

    def test_rotation_publishes_before_use(self):
        # A key published ahead is taken without a JWKS refetch.
        self.iss.published = ["es1"]
        v = self.iss.verifier()
        self.iss.published = ["es1", "ed1"]
        self.iss.clock.advance(301)
        v.refresh()
        n = self.iss.hits[self.iss.url + "/jwks"]
        v.verify(self.iss.sign(self.iss.claims(), kid="ed1"))
        self.assertEqual(self.iss.hits[self.iss.url + "/jwks"], n)

    def test_rejections_are_not_cached(self):
        tok = self.iss.api_key(aud="billing-api")
        for _ in range(3):
            with self.assertRaises(gv.AudienceError):
                self.v.verify(tok)
        self.assertEqual(self.v.stats().cached_credentials, 0)

    def test_allow_lists_rechecked_on_the_cached_copy(self):
        v = self.iss.verifier(projects=["prj_orders"])
        tok = self.iss.api_key()
        p = v.verify(tok)
        with self.assertRaises(Exception):
            p.project = "prj_evil"  # a frozen Principal: callers cannot change what is checked
        self.assertIs(v.verify(tok), p)

    def test_bounded(self):
        v = self.iss.verifier(cache_size=50)
        toks = [self.iss.api_key(jti="key_%d" % i) for i in range(200)]
        for t in toks:
            v.verify(t)
        self.assertLessEqual(v.stats().cached_credentials, 50)
        # A hot credential survives the churn (CLOCK gives it second chances).
        hot = toks[-1]
        for t in [self.iss.api_key(jti="key_more_%d" % i) for i in range(100)]:
            v.verify(hot)
            v.verify(t)
        self.assertIn(hashlib.sha256(hot.encode()).digest(), v._cache._map)

    def test_concurrent_use(self):
        toks = [self.iss.api_key(jti="key_%d" % i) for i in range(40)]
        v = self.iss.verifier(cache_size=16)
        errors = []

        def work():
            try:
                for _ in range(5):
                    for t in toks:
                        self.assertEqual(v.verify(t).project, "prj_orders")
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        s = v.stats()
        self.assertEqual(s.verified + s.cache_hits, 4 * 5 * 40)
        self.assertEqual(s.rejected, 0)


class TokenCacheTest(unittest.TestCase):
    def entry(self):
        return Cached(None, 0.0, "k", "", 0, "p", "t")  # type: ignore[arg-type]

    def test_clock_eviction(self):
        c = TokenCache(3)
        for k in (b"a", b"b", b"c"):
            c.put(k, self.entry())
        c.get(b"a")  # used: survives the next eviction
        c.put(b"d", self.entry())
        self.assertEqual(set(c._map), {b"a", b"c", b"d"})
        c.remove(b"a")
        c.remove(b"zz")
        self.assertEqual(len(c), 2)
        c.put(b"c", self.entry())  # replacing keeps the size
        self.assertEqual(len(c), 2)


if __name__ == "__main__":
    unittest.main()

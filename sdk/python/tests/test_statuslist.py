"""Status lists: decoding, the revoked bit, what is refused (and never fetched), and
bounded decompression."""

import base64
import os
import tracemalloc
import unittest
import zlib

from . import _issuer
from ._issuer import DEL, Issuer, b64, compact_json, sign_raw

import gatehouse_verify as gv
from gatehouse_verify._statuslist import MAX_STATUS_BYTES, inflate


class StatusListTest(unittest.TestCase):
    def setUp(self):
        self.iss = Issuer()
        self.v = self.iss.verifier()
        self.prefix = self.iss.url + "/statuslists/"

    def serve(self, list_id, token):
        self.iss.serve(self.prefix + list_id, token)

    def key(self, list_id, idx=3, jti="key_1"):
        return self.iss.key_on(list_id, idx, jti)

    def assertStatus(self, token, err=gv.StatusUnavailableError, v=None):
        with self.assertRaises(err) as cm:
            (v or self.v).verify(token)
        self.assertIs(type(cm.exception), err, repr(cm.exception))
        return cm.exception

    def test_revoked_bit_and_neighbours(self):
        self.iss.lists["sl_rev"] = bytearray(16)
        self.iss.revoke("sl_rev", 5)
        self.assertStatus(self.key("sl_rev", 5), gv.RevokedError)
        for idx in (4, 6, 0, 127, 13):
            self.v.verify(self.key("sl_rev", idx, jti="key_%d" % idx))
        # Bits are LSB-first within each byte: bit 5 is 0x20 of byte 0.
        self.assertEqual(self.iss.lists["sl_rev"][0], 0x20)

    def test_index_out_of_range(self):
        for idx in (128, 100000, -1):
            with self.subTest(idx=idx):
                self.assertStatus(self.key("sl_1", idx, jti="key_%d" % idx))

    def test_portal_sized_list(self):
        bits = bytearray(os.urandom(1 << 14))
        bits[0] &= ~(1 << 7)
        bits[1] |= 1
        self.iss.lists["sl_big"] = bits
        self.assertGreater(len(self.iss.list_token("sl_big")), 8192)  # longer than a credential may be
        self.v.verify(self.key("sl_big", 7))
        self.assertStatus(self.key("sl_big", 8, jti="key_8"), gv.RevokedError)

    def test_uris_not_the_issuers_are_refused_unfetched(self):
        for uri in [
            "https://attacker.example/statuslists/sl_1",
            self.iss.url + "@attacker.example/statuslists/sl_1",
            "http://issuer.test/statuslists/sl_1",
            self.prefix + "../x",
            self.prefix + "..\\x",
            self.prefix + "sl_1?x=1",
            self.prefix + "sl_1/x",
            self.prefix + "sl_1#x",
            self.prefix[:-1],
            self.prefix,
        ]:
            with self.subTest(uri=uri):
                n = len(self.iss.requests)
                self.assertStatus(self.iss.api_key(status={"status_list": {"idx": 3, "uri": uri}}))
                self.assertEqual(self.iss.requests[n:], [])

    def test_prefix_from_metadata(self):
        iss = Issuer()
        iss.metadata_extra["status_list_uri_prefix"] = iss.url + "/lists/"
        iss.serve(iss.url + "/lists/a", iss.list_token("sl_1", sub=iss.url + "/lists/a"))
        v = iss.verifier()
        v.verify(iss.api_key(status={"status_list": {"idx": 3, "uri": iss.url + "/lists/a"}}))
        with self.assertRaises(gv.StatusUnavailableError):
            v.verify(iss.api_key())  # /statuslists/ is not the prefix any more

    def test_bad_lists_fail_closed(self):
        alg, key = self.iss.keys["es1"]
        attacker = self.iss.keys["attacker"][1]
        z16 = b64(zlib.compress(bytes(16)))

        def signed(list_id, header=None, **claims_edit):
            c = {"iss": self.iss.url, "sub": self.prefix + list_id, "iat": int(_issuer.NOW),
                 "exp": int(_issuer.NOW) + 3600, "ttl": 300, "status_list": {"bits": 1, "lst": z16}}  # fmt: skip
            for k, v in claims_edit.items():
                if v is DEL:
                    c.pop(k, None)
                else:
                    c[k] = v
            return sign_raw(alg, key, header or {"alg": "ES256", "typ": "statuslist+jwt", "kid": "es1"}, c)

        def raw_claims(list_id, text):
            return sign_raw(alg, key, {"alg": "ES256", "typ": "statuslist+jwt", "kid": "es1"}, text)

        good_claims = compact_json({"iss": self.iss.url, "sub": self.prefix + "sl_x", "iat": int(_issuer.NOW),
                                    "exp": int(_issuer.NOW) + 3600, "status_list": {"bits": 1, "lst": z16}})  # fmt: skip
        h, p, s = signed("sl_x").split(".")
        padded = base64.urlsafe_b64encode(zlib.compress(bytes(16))).decode()
        self.assertTrue(padded.endswith("="))
        bad = {
            "bits 2": signed("sl_x", status_list={"bits": 2, "lst": z16}),
            "bits 0": signed("sl_x", status_list={"bits": 0, "lst": z16}),
            "bits 1.0": signed("sl_x", status_list={"bits": 1.0, "lst": z16}),
            "no status_list": signed("sl_x", status_list=DEL),
            "typ JWT": signed("sl_x", {"alg": "ES256", "typ": "JWT", "kid": "es1"}),
            "no typ": signed("sl_x", {"alg": "ES256", "kid": "es1"}),
            "typ apikey+jwt": signed("sl_x", {"alg": "ES256", "typ": "apikey+jwt", "kid": "es1"}),
            "sub another list": signed("sl_x", sub=self.prefix + "sl_1"),
            "no sub": signed("sl_x", sub=DEL),
            "another iss": signed("sl_x", iss="https://evil.example"),
            "unknown key": sign_raw("ES256", attacker, {"alg": "ES256", "typ": "statuslist+jwt", "kid": "k404"}, good_claims),
            "another key under our kid": sign_raw("ES256", attacker, {"alg": "ES256", "typ": "statuslist+jwt", "kid": "es1"}, good_claims),
            "flipped signature": h + "." + p + "." + ("A" if s[0] != "A" else "B") + s[1:],
            "alg none": b64(compact_json({"alg": "none", "typ": "statuslist+jwt", "kid": "es1"})) + "." + p + ".AA",
            "jku": sign_raw("ES256", attacker, {"alg": "ES256", "typ": "statuslist+jwt", "kid": "attacker", "jku": "https://evil.example"}, good_claims),
            "expired": signed("sl_x", exp=int(_issuer.NOW) - 60),
            "exp now": signed("sl_x", exp=int(_issuer.NOW)),
            "exp 1e19": signed("sl_x", exp=1e19),
            "no exp": signed("sl_x", exp=DEL),
            "exp a string": signed("sl_x", exp="9999999999"),
            "lst not base64": signed("sl_x", status_list={"bits": 1, "lst": "!!not base64!!"}),
            "lst padded": signed("sl_x", status_list={"bits": 1, "lst": padded}),
            "lst not zlib": signed("sl_x", status_list={"bits": 1, "lst": b64(bytes(16))}),
            "lst empty": signed("sl_x", status_list={"bits": 1, "lst": ""}),
            "lst truncated": signed("sl_x", status_list={"bits": 1, "lst": b64(zlib.compress(bytes([0x5A, 0xA5, 0x3C]) * 100)[:-6])}),
            "lst bad checksum": signed("sl_x", status_list={"bits": 1, "lst": b64(zlib.compress(bytes(16))[:-1] + b"\x00")}),
            "lst a number": signed("sl_x", status_list={"bits": 1, "lst": 5}),
            "duplicate bits": raw_claims("sl_x", good_claims.replace('"bits":1', '"bits":2,"lst":"%s","bits":1' % z16)),
            "LST": raw_claims("sl_x", good_claims.replace('"lst"', '"LST"')),
            "SUB alongside sub": raw_claims("sl_x", good_claims.replace('"sub":"%ssl_x"' % self.prefix, '"sub":"%ssl_1","SUB":"%ssl_x"' % (self.prefix, self.prefix))),
            "TTL": raw_claims("sl_x", good_claims[:-1] + ',"TTL":1}'),
            "duplicate typ in the header": sign_raw(alg, key, '{"alg":"ES256","typ":"JWT","kid":"es1","typ":"statuslist+jwt"}', good_claims),
            "Kid in the header": sign_raw(alg, key, '{"alg":"ES256","typ":"statuslist+jwt","Kid":"es1"}', good_claims),
            "garbage": "hello",
            "a JWE": b64('{"alg":"RSA-OAEP","enc":"A256GCM","kid":"es1"}') + ".AAAA.AAAA.AAAA.AAAA",
            "zlib bomb that fits in 8 KiB": signed("sl_x", status_list={"bits": 1, "lst": b64(zlib.compress(bytes(4 << 20), 9))}),
        }
        for name, token in bad.items():
            with self.subTest(name):
                iss = Issuer()
                iss.serve(self.prefix + "sl_x", token)
                v = iss.verifier()
                e = self.assertStatus(iss.key_on("sl_x", 3), v=v)
                self.assertEqual(v.stats().status_fetch_errors, 1)
                self.assertEqual(v.stats().fail_closed, 1)
                self.assertIn("status unavailable", str(e))
        # Duplicate and case-variant member names are StatusUnavailableError caused by a
        # MalformedError (Go: the error wraps both).
        for name in ("duplicate bits", "LST", "SUB alongside sub", "TTL"):
            with self.subTest(name):
                with self.assertRaises(gv.StatusUnavailableError) as cm:
                    self.v._decode_status_list(self.prefix + "sl_x", bad[name].encode())
                self.assertIsInstance(cm.exception.__cause__, gv.MalformedError)

    def test_list_answered_404_or_too_large(self):
        self.assertStatus(self.key("sl_missing"))
        self.iss.serve(self.prefix + "sl_huge", "x" * ((1 << 20) + 1))
        self.assertStatus(self.key("sl_huge"))

    def test_lst_with_newlines_decodes(self):
        # Go's base64 decoder skips \r and \n.
        lst = b64(zlib.compress(bytes(16)))
        self.iss.serve(self.prefix + "sl_nl", self.iss.list_token("sl_1", sub=self.prefix + "sl_nl",
                                                                  status_list={"bits": 1, "lst": lst[:5] + "\r\n" + lst[5:]}))  # fmt: skip
        self.v.verify(self.key("sl_nl"))

    def test_ttl_and_iss_optional(self):
        self.iss.serve(self.prefix + "sl_t", self.iss.list_token("sl_1", sub=self.prefix + "sl_t", ttl=DEL, iss=DEL))
        self.v.verify(self.key("sl_t"))
        self.assertEqual(self.v._lists[self.prefix + "sl_t"].current.ttl, 60)

    def test_too_many_lists(self):
        v = self.iss.verifier(fail_open=False)
        for i in range(gv.verifier.MAX_LISTS):
            v._add_list(self.prefix + "l%d" % i)
        self.assertStatus(self.key("sl_1"), v=v)


class InflateTest(unittest.TestCase):
    def test_limit(self):
        self.assertEqual(inflate(zlib.compress(bytes(MAX_STATUS_BYTES))), bytes(MAX_STATUS_BYTES))
        with self.assertRaises(ValueError):
            inflate(zlib.compress(bytes(MAX_STATUS_BYTES + 1)))

    def test_bomb_is_cut_off_with_bounded_memory(self):
        # 64 MiB of zeros in about 64 KiB of zlib.
        co = zlib.compressobj(1)
        chunk = bytes(1 << 20)
        z = b"".join([co.compress(chunk) for _ in range(64)] + [co.flush()])
        self.assertLess(len(z), 1 << 20)
        tracemalloc.start()
        try:
            with self.assertRaises(ValueError):
                inflate(z)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        self.assertLess(peak, 8 << 20, "inflate allocated %d bytes at its peak" % peak)

    def test_bomb_through_the_verifier(self):
        co = zlib.compressobj(1)
        z = b"".join([co.compress(bytes(1 << 20)) for _ in range(64)] + [co.flush()])
        iss = Issuer()
        prefix = iss.url + "/statuslists/"
        iss.serve(prefix + "sl_bomb", iss.list_token("sl_1", sub=prefix + "sl_bomb", status_list={"bits": 1, "lst": b64(z)}))
        v = iss.verifier()
        tracemalloc.start()
        try:
            with self.assertRaises(gv.StatusUnavailableError):
                v.verify(iss.key_on("sl_bomb", 3))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        self.assertLess(peak, 16 << 20, "verify allocated %d bytes at its peak" % peak)

    def test_trailing_data_after_the_stream_is_ignored(self):
        # As Go's zlib reader: it stops at the end of the stream.
        self.assertEqual(inflate(zlib.compress(b"abc") + b"junk"), b"abc")

    def test_preset_dictionary_refused(self):
        co = zlib.compressobj(zdict=b"dictionary")
        with self.assertRaises(ValueError):
            inflate(co.compress(b"dictionary") + co.flush())


if __name__ == "__main__":
    unittest.main()

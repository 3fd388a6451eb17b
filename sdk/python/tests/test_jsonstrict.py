"""Strict JSON: duplicates, case and Unicode-fold variants, depth, UTF-8 (as Go's
package jsonstrict)."""

import unittest

from . import _issuer  # noqa: F401  (puts src on sys.path)
from gatehouse_verify import _jsonstrict as J

NAMES = J.Names(["iss", "sub", "aud", "kid", "status", "status_list", "idx", "uri", "client_id"])


def ok(doc):
    return J.loads(doc if isinstance(doc, bytes) else doc.encode("utf-8"), NAMES)


class StrictJSONTest(unittest.TestCase):
    def rejects(self, doc, why=None):
        with self.assertRaises(J.StrictError, msg=repr(doc)) as cm:
            ok(doc)
        if why:
            self.assertIn(why, str(cm.exception))

    def test_accepts_plain_objects(self):
        self.assertEqual(ok('{"sub":"a","aud":["x","y"],"n":1.5,"t":true,"f":false,"z":null}')["aud"], ["x", "y"])
        self.assertEqual(ok(' \t\r\n{"sub":"a"}\n '), {"sub": "a"})
        self.assertEqual(ok("{}"), {})

    def test_unknown_names_in_any_case_are_fine(self):
        self.assertEqual(len(ok('{"Foo":1,"foo":2,"FOO":{"sub":"x","aud":"y"}}')), 3)

    def test_escaped_known_name_is_that_name(self):
        self.assertEqual(ok('{"\\u0073ub":"a"}'), {"sub": "a"})

    def test_duplicates(self):
        for doc in [
            '{"aud":"a","aud":"b"}',
            '{"sub":"a","\\u0073ub":"b"}',
            '{"foo":1,"foo":2}',
            '{"ext":[{"a":{"b":1,"b":2}}]}',
            '{"status":{"status_list":{"idx":5,"uri":"u","idx":3}}}',
            '{"x":":a","y":1,"y":2}',
            '{"a" :1,"a":2}',
            # Go decodes an unpaired surrogate as U+FFFD: these two names are the same.
            '{"\\ud800":1,"\\ud801":2}',
            '{"\\ud800":1,"\\ufffd":2}',
        ]:
            self.rejects(doc, "duplicate")

    def test_case_and_fold_variants_of_known_names(self):
        for doc in [
            '{"AUD":"x"}',
            '{"Sub":"x"}',
            '{"status":{"status_list":{"URI":"x"}}}',
            '{"x":{"Iss":1}}',
            '{"x":[{"ISS":1}]}',
            '{"\u017fub":"x"}',  # long s
            '{"\\u017fub":"x"}',
            '{"\u212aid":"x"}',  # Kelvin sign
            '{"\u0131ss":"x"}',  # dotless i
            '{"\u0130SS":"x"}',  # dotted capital I
            '{"client_ID":"x"}',
        ]:
            self.rejects(doc, "case variant")

    def test_non_ascii_names_that_are_not_variants(self):
        self.assertEqual(ok('{"s\u00fcb":1,"\u00df":2}'), {"s\u00fcb": 1, "\u00df": 2})

    def test_depth(self):
        ok('{"x":' + "[" * 63 + "]" * 63 + "}")
        ok('{"x":' + '{"a":' * 62 + "1" + "}" * 62 + "}")
        self.rejects('{"x":' + "[" * 64 + "]" * 64 + "}", "nested")
        self.rejects('{"x":' + '{"a":' * 64 + "1" + "}" * 64 + "}", "nested")
        self.rejects('{"x":' + "[" * 100000 + "]" * 100000 + "}", "nested")

    def test_utf8(self):
        self.rejects(b'{"\xff":1}', "UTF-8")
        self.rejects(b'{"a":1,"b\xc3":2}', "UTF-8")
        # Invalid UTF-8 in a value is replaced byte by byte, as Go does.
        self.assertEqual(ok(b'{"a":"x\xe2\x82y\xff"}'), {"a": "x\ufffd\ufffdy\ufffd"})

    def test_not_one_object(self):
        for doc in ['["a"]', '"a"', "1", "null", "", " ", '{"a":1}x', '{"a":1}{"b":2}', "{", '{"a":}', "{'a':1}",
                    '{"a":NaN}', '{"a":Infinity}', '{"a":[-Infinity]}', '{"a":01}', '{"a":1.}', '{"a":"\x01"}',
                    '{"a":"\\x"}', '\ufeff{"a":1}', '{"a":1,}', '{"a" 1}']:  # fmt: skip
            self.rejects(doc)

    def test_big_numbers(self):
        self.assertEqual(ok('{"x":1e999}')["x"], float("inf"))
        self.assertIsInstance(ok('{"x":' + "9" * 5000 + "}")["x"], float)
        self.assertEqual(ok('{"x":-0}')["x"], 0)

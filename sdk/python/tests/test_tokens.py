"""Credentials: format, header rules, signatures, claims, types and allow-lists (the
hostile cases of the Go verifier's hostile_test.go, and controls)."""

import base64
import json
import unittest

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from . import _issuer
from ._issuer import AUDIENCE, DEL, Issuer, b64, compact_json, public_jwk, sign_raw

import gatehouse_verify as gv
from gatehouse_verify import (
    AudienceError,
    ClaimsError,
    ExpiredError,
    HeaderError,
    IssuerError,
    MalformedError,
    NoTokenError,
    NotAllowedError,
    NotYetValidError,
    SignatureError,
    TokenTypeError,
    UnknownKeyError,
    VerifyError,
)

P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def with_sig(token: str, sig: bytes) -> str:
    h, p, _ = token.split(".")
    return h + "." + p + "." + b64(sig)


def flip(token: str) -> str:
    h, p, s = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
    raw[10] ^= 1
    return h + "." + p + "." + b64(bytes(raw))


class Base(unittest.TestCase):
    def setUp(self):
        self.iss = Issuer()
        self.v = self.iss.verifier()
        self.addCleanup(self.v.close)
        self.kid = "es1"
        self.key = self.iss.keys["es1"][1]

    def hdr(self, **extra):
        h = {"alg": "ES256", "typ": "apikey+jwt", "kid": self.kid}
        h.update(extra)
        return h

    def signed(self, header, claims=None, key=None):
        return sign_raw("ES256", key or self.key, header, claims if claims is not None else self.iss.claims())

    def assertRejected(self, token, err, v=None):
        v = v or self.v
        with self.assertRaises(err, msg="token %r" % (token[:80] if isinstance(token, str) else token,)) as cm:
            v.verify(token)
        self.assertIs(type(cm.exception), err, "got %r" % cm.exception)
        # A rejected credential is never remembered.
        with self.assertRaises(err):
            v.verify(token)
        return cm.exception

    def assertAccepted(self, token, v=None):
        p = (v or self.v).verify(token)
        self.assertIsInstance(p, gv.Principal)
        return p


class ControlTest(Base):
    def test_api_key(self):
        p = self.assertAccepted(self.iss.api_key())
        self.assertEqual(
            (p.kind, p.api, p.project, p.team, p.scopes, p.key_id, p.audience),
            ("api_key", AUDIENCE, "prj_orders", "team_blue", ("orders:read", "orders:write"), "key_1", (AUDIENCE,)),
        )
        self.assertEqual(p.expires_at, _issuer.NOW + 86400)
        self.assertEqual(p.issued_at, _issuer.NOW - 60)
        self.assertTrue(p.has_scope("orders:write"))
        self.assertFalse(p.has_scope("orders"))
        with self.assertRaises(Exception):
            p.project = "other"  # frozen

    def test_access_token(self):
        p = self.assertAccepted(self.iss.access_token())
        self.assertEqual((p.kind, p.key_id), ("access_token", "at_1"))

    def test_every_algorithm(self):
        for kid in ("es1", "ed1", "rs1"):
            with self.subTest(kid=kid):
                self.assertEqual(self.assertAccepted(self.iss.sign(self.iss.claims(jti="key_" + kid), kid=kid)).key_id, "key_" + kid)

    def test_bytes_token(self):
        self.assertAccepted(self.iss.api_key().encode())

    def test_typ_variants_accepted(self):
        for typ in ("application/at+jwt", "AT+JWT", "At+Jwt"):
            with self.subTest(typ=typ):
                self.assertEqual(self.assertAccepted(self.iss.sign(self.iss.claims("access_token"), typ)).kind, "access_token")
        self.assertEqual(self.assertAccepted(self.iss.sign(self.iss.claims(), "APPLICATION/APIKEY+JWT")).kind, "api_key")

    def test_principal_details(self):
        p = self.assertAccepted(self.iss.api_key(aud=["billing-api", AUDIENCE], scope="  a\tb  c ", team=DEL))
        self.assertEqual(p.audience, ("billing-api", AUDIENCE))
        self.assertEqual(p.scopes, ("a", "b", "c"))
        self.assertEqual(p.team, "")
        p = self.assertAccepted(self.iss.api_key(jti="key_2", scope=DEL, iat=DEL))
        self.assertEqual((p.scopes, p.issued_at), ((), None))
        # Go's strings.Fields: \x1c is no separator there, U+2003 (em space) is.
        p = self.assertAccepted(self.iss.api_key(jti="key_3", scope="a\x1cb c\u2003d"))
        self.assertEqual(p.scopes, ("a\x1cb", "c", "d"))


class FormatTest(Base):
    def test_no_token(self):
        for t in ("", None, b""):
            with self.assertRaises(NoTokenError):
                self.v.verify(t)
        self.assertEqual(self.v.stats().rejected, 0)

    def test_malformed(self):
        good = self.iss.api_key()
        h, p, s = good.split(".")
        cases = {
            "garbage": "not-a-key",
            "1 MB of dots": "." * (1 << 20),
            "100 dots": "." * 100,
            "two segments": h + "." + p,
            "two segments and a dot": h + "." + p + ".",
            "four segments": good + "." + s,
            "empty header": "." + p + "." + s,
            "flattened JSON serialization": json.dumps({"payload": p, "protected": h, "signature": s}),
            "padding in the header": h + "=." + p + "." + s,
            "padding in the payload": h + "." + p + "==." + s,
            "padding in the signature": good + "==",
            "standard base64 + in the payload": h + ".+" + p[1:] + "." + s,
            "standard base64 / in the signature": h + "." + p + "./" + s[1:],
            "* in the signature": h + "." + p + "." + s[:10] + "*" + s[11:],
            "leading space": " " + good,
            "newline in the header": h[:5] + "\n" + h[5:] + "." + p + "." + s,
            "newline in the payload": h + "." + p[:5] + "\n" + p[5:] + "." + s,
            "CR LF at the end": good + "\r\n",
            "header not an object": b64('["ES256"]') + "." + p + "." + s,
            "header not JSON": b64("alg=ES256") + "." + p + "." + s,
            "longer than 8 KiB": self.iss.api_key(x="y" * 9000),
            "non-ASCII": good[:20] + "\u00e9" + good[21:],
            "5 parts (JWE)": b64('{"alg":"dir","enc":"A256GCM","kid":"es1"}') + "..AAAA.AAAA.AAAA",
            "3 parts with enc": self.signed(self.hdr(enc="A256GCM")),
            "alg none, empty signature": b64(compact_json(self.hdr(alg="none"))) + "." + p + ".",
            "kid a number": self.signed(self.hdr(kid=1)),
            "alg a number": self.signed(self.hdr(alg=256)),
            "typ an array": self.signed(self.hdr(typ=["apikey+jwt"])),
            "duplicate alg": self.signed('{"alg":"ES256","typ":"apikey+jwt","kid":"es1","alg":"none"}'),
            "duplicate kid": self.signed('{"alg":"ES256","typ":"apikey+jwt","kid":"k404","kid":"es1"}'),
            "duplicate typ": self.signed('{"alg":"ES256","typ":"JWT","kid":"es1","typ":"apikey+jwt"}'),
            "TYP": self.signed('{"alg":"ES256","TYP":"apikey+jwt","kid":"es1"}'),
            "Kid": self.signed('{"alg":"ES256","typ":"apikey+jwt","Kid":"es1"}'),
            "Kelvin-sign kid": self.signed('{"alg":"ES256","typ":"apikey+jwt","\u212aid":"es1"}'),
            "duplicate unknown header member": self.signed('{"alg":"ES256","typ":"apikey+jwt","kid":"es1","cty":"a","cty":"b"}'),
            "Jwk": self.signed(self.hdr(Jwk={"kty": "EC"})),
        }
        # Non-canonical trailing bits: the signature is 64 bytes (86 characters, 2 unused
        # bits); setting one of them leaves the bytes but breaks the encoding.
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        last = alphabet.index(s[-1])
        cases["non-canonical trailing bits"] = good[:-1] + alphabet[last | 1 if last % 4 == 0 else last & ~3]
        for name, tok in cases.items():
            with self.subTest(name):
                self.assertRejected(tok, MalformedError)

    def test_not_a_string(self):
        with self.assertRaises(MalformedError):
            self.v.verify(12345)


class HeaderTest(Base):
    def test_header_rules(self):
        attacker = self.iss.keys["attacker"][1]
        attacker_jwk = public_jwk("attacker", "ES256", attacker)
        claims = self.iss.claims()
        good = self.iss.api_key()
        _, p, s = good.split(".")
        unsigned = lambda h: b64(compact_json(h)) + "." + p + "." + s  # noqa: E731
        cases = {
            "alg none with a real signature": unsigned(self.hdr(alg="none")),
            "alg None": unsigned(self.hdr(alg="None")),
            "alg NONE": unsigned(self.hdr(alg="NONE")),
            "alg missing": unsigned({"typ": "apikey+jwt", "kid": "es1"}),
            "alg null": unsigned(self.hdr(alg=None)),
            "alg RS256 naming the ES256 key": unsigned(self.hdr(alg="RS256")),
            "alg EdDSA naming the ES256 key": unsigned(self.hdr(alg="EdDSA")),
            "alg es256": unsigned(self.hdr(alg="es256")),
            "alg ES384": unsigned(self.hdr(alg="ES384")),
            "alg HS256 (key confusion)": unsigned(self.hdr(alg="HS256")),
            "embedded jwk": self.signed(self.hdr(kid="attacker", jwk=attacker_jwk), claims, attacker),
            "embedded jwk with our kid": self.signed(self.hdr(jwk=attacker_jwk), claims, attacker),
            "jku": self.signed(self.hdr(kid="attacker", jku="https://evil.example/jwks"), claims, attacker),
            "jku with our kid": self.signed(self.hdr(jku="https://evil.example/jwks"), claims, attacker),
            "x5u": self.signed(self.hdr(x5u="https://evil.example/cert.pem"), claims, attacker),
            "x5c": self.signed(self.hdr(x5c=["MIIB"]), claims, attacker),
            "jwk null": self.signed(self.hdr(jwk=None)),
            "crit": self.signed(self.hdr(crit=["exp"], exp=1)),
            "crit empty": self.signed(self.hdr(crit=[])),
            "b64 false": self.signed(self.hdr(b64=False, crit=["b64"])),
            "b64 false without crit": self.signed(self.hdr(b64=False)),
            "zip": self.signed(self.hdr(zip="DEF")),
            "kid missing": self.signed({"alg": "ES256", "typ": "apikey+jwt"}),
            "kid empty": self.signed(self.hdr(kid="")),
            "kid of 200 bytes": self.signed(self.hdr(kid="k" * 200)),
        }
        for name, tok in cases.items():
            with self.subTest(name):
                self.assertRejected(tok, HeaderError)

    def test_unknown_kids(self):
        for kid in ("k999", "../../../etc/passwd", "' OR '1'='1", "es1\x00", "es1 ", "https://evil.example/jwks", "ES1"):
            with self.subTest(kid=kid):
                self.assertRejected(self.signed(self.hdr(kid=kid)), UnknownKeyError)
        # None of these fetched anything: only discovery, the JWKS (no refetch within the
        # cooldown of the constructor's own fetch) and nothing else.
        self.assertEqual(self.iss.requests, [ISSUER_META, ISSUER_JWKS])

    def test_typ(self):
        claims = self.iss.claims()
        id_token = {"iss": self.iss.url, "sub": "prj_orders", "aud": AUDIENCE, "exp": int(_issuer.NOW) + 3600,
                    "iat": int(_issuer.NOW), "nonce": "n", "at_hash": "x"}  # fmt: skip
        cases = {
            "JWT": self.iss.sign(claims, "JWT"),
            "no typ": self.iss.sign(claims, None),
            "empty typ": self.iss.sign(claims, ""),
            "statuslist+jwt": self.iss.sign(claims, "statuslist+jwt"),
            "the issuer's own status list": self.iss.list_token("sl_1"),
            "application/jwt": self.iss.sign(claims, "application/jwt"),
            "apikey+jwt2": self.iss.sign(claims, "apikey+jwt2"),
            "ID token": self.iss.sign(id_token, "JWT"),
            "ID token without typ": self.iss.sign(id_token, None),
            "typ a number-like string": self.iss.sign(claims, "1"),
        }
        for name, tok in cases.items():
            with self.subTest(name):
                self.assertRejected(tok, TokenTypeError)
        keys_only = self.iss.verifier(accept=["api_key"])
        tokens_only = self.iss.verifier(accept="access_token")
        self.assertRejected(self.iss.access_token(), TokenTypeError, keys_only)
        self.assertRejected(self.iss.sign(self.iss.claims("access_token"), "application/at+jwt"), TokenTypeError, keys_only)
        self.assertRejected(self.iss.api_key(), TokenTypeError, tokens_only)
        self.assertAccepted(self.iss.api_key(), keys_only)
        self.assertAccepted(self.iss.access_token(), tokens_only)


ISSUER_META = _issuer.ISSUER + "/.well-known/oauth-authorization-server"
ISSUER_JWKS = _issuer.ISSUER + "/jwks"


class SignatureTest(Base):
    def test_bad_signatures(self):
        good = self.iss.api_key()
        _, _, s = good.split(".")
        sig = base64.urlsafe_b64decode(s + "==")
        r, s_ = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
        fixed = lambda a, b: a.to_bytes(32, "big") + b.to_bytes(32, "big")  # noqa: E731
        h, p, _ = good.split(".")
        der = self.key.sign((h + "." + p).encode(), ec.ECDSA(hashes.SHA256()))
        other = self.iss.keys["attacker"][1]
        cases = {
            "r=s=0": bytes(64),
            "r=s=n": fixed(P256_N, P256_N),
            "r=n": fixed(P256_N, s_),
            "r=2^256-1": fixed(2**256 - 1, s_),
            "s=n": fixed(r, P256_N),
            "s=0": fixed(r, 0),
            "DER": der,
            "63 bytes": sig[:63],
            "65 bytes (a zero after)": sig + b"\0",
            "65 bytes (a zero before)": b"\0" + sig,
            "64 bytes of 0xff": b"\xff" * 64,
            "another key under our kid": self.signed(self.hdr(), None, other).split(".")[2],
            "s replaced by n - s (malleated)": fixed(r, P256_N - s_),
        }
        for name, sg in cases.items():
            with self.subTest(name):
                tok = h + "." + p + "." + sg if isinstance(sg, str) else with_sig(good, sg)
                if name.startswith("s replaced"):
                    # ECDSA accepts (r, n-s) too; Go does as well. It is a different token
                    # for the same claims, not a forgery: accepted.
                    self.assertAccepted(tok)
                    continue
                self.assertRejected(tok, SignatureError)
        self.assertRejected(with_sig(self.iss.api_key(jti="key_x"), sig), SignatureError)  # moved onto other claims
        self.assertRejected(h + ".." + s, SignatureError)  # empty payload (detached)

    def test_signature_wins_over_claims(self):
        for name, tok in {
            "expired": flip(self.iss.api_key(exp=1)),
            "expired, another key": self.signed(self.hdr(), self.iss.claims(exp=1), self.iss.keys["attacker"][1]),
            "wrong iss and aud": flip(self.iss.api_key(iss="https://evil.example", aud="x")),
            "good claims": flip(self.iss.api_key(jti="key_flip")),
            "duplicate claims": flip(self.signed(self.hdr(), compact_json(self.iss.claims())[:-1] + ',"aud":"x"}')),
        }.items():
            with self.subTest(name):
                self.assertRejected(tok, SignatureError)

    def test_rsa_and_eddsa_bad_signatures(self):
        for kid in ("ed1", "rs1"):
            good = self.iss.sign(self.iss.claims(), kid=kid)
            with self.subTest(kid):
                self.assertRejected(flip(good), SignatureError)
                self.assertRejected(with_sig(good, b"\0" * 64), SignatureError)
                self.assertRejected(good[:-2], SignatureError)  # a shorter signature


class ClaimsTest(Base):
    def test_time_claims(self):
        now = int(_issuer.NOW)
        k = self.iss.api_key
        self.assertRejected(k(exp=DEL), ExpiredError)
        self.assertRejected(k(exp=None), ExpiredError)
        self.assertRejected(k(exp=now - 3600), ExpiredError)
        self.assertRejected(k(exp=now - 31), ExpiredError)
        self.assertRejected(k(exp=now - 30), ExpiredError)
        self.assertAccepted(k(exp=now - 10))
        self.assertAccepted(k(exp=now - 29.5, jti="key_f"))
        self.assertRejected(k(nbf=now + 300), NotYetValidError)
        self.assertAccepted(k(nbf=now + 20, jti="key_n"))
        self.assertRejected(k(iat=now + 300), NotYetValidError)
        self.assertAccepted(k(iat=now + 20, jti="key_i"))
        for name, edit in {
            "exp a string": {"exp": "9999999999"},
            "exp an object": {"exp": {"$numberLong": "9999999999"}},
            "exp a bool": {"exp": True},
            "exp 1e19": {"exp": 1e19},
            "exp negative": {"exp": -1},
            "nbf 1e19": {"nbf": 1e19},
            "iat 1e19": {"iat": 1e19},
            "nbf a string": {"nbf": "0"},
        }.items():
            with self.subTest(name):
                self.assertRejected(k(**edit), ClaimsError)
        # 1e999 is JSON, but no float64 (Go: "number out of range"): a claim of the wrong type.
        self.assertRejected(self.signed(self.hdr(), compact_json(self.iss.claims(exp=DEL))[:-1] + ',"exp":1e999}'), ClaimsError)
        self.assertAccepted(self.signed(self.hdr(), compact_json(self.iss.claims(jti="key_big"))[:-1] + ',"x":1e999}'))

    def test_leeway_option(self):
        now = int(_issuer.NOW)
        strict = self.iss.verifier(leeway=0)
        self.assertRejected(self.iss.api_key(exp=now), ExpiredError, strict)
        self.assertAccepted(self.iss.api_key(exp=now + 1), strict)
        self.assertRejected(self.iss.api_key(nbf=now + 1), NotYetValidError, strict)
        for bad in (-1, 301):
            with self.assertRaises(ValueError):
                self.iss.verifier(leeway=bad)

    def test_iss_aud_sub_jti(self):
        k = self.iss.api_key
        self.assertRejected(k(iss="https://evil.example"), IssuerError)
        self.assertRejected(k(iss=self.iss.url + "/"), IssuerError)
        self.assertRejected(k(iss=DEL), IssuerError)
        self.assertRejected(k(iss=None), IssuerError)
        self.assertRejected(k(aud="billing-api"), AudienceError)
        self.assertRejected(k(aud=["billing-api", "orders-api-v2"]), AudienceError)
        self.assertRejected(k(aud=["Orders-API"]), AudienceError)
        self.assertRejected(k(aud=DEL), AudienceError)
        self.assertRejected(k(aud=[]), AudienceError)
        self.assertRejected(k(aud=None), AudienceError)
        self.assertRejected(k(aud=42), ClaimsError)
        self.assertRejected(k(aud=[AUDIENCE, 1]), ClaimsError)
        self.assertRejected(k(aud={"a": AUDIENCE}), ClaimsError)
        self.assertAccepted(k(aud=[None, AUDIENCE]))
        self.assertAccepted(k(aud=AUDIENCE, jti="key_s"))
        self.assertRejected(k(sub=DEL), ClaimsError)
        self.assertRejected(k(sub=""), ClaimsError)
        self.assertRejected(k(jti=DEL), ClaimsError)
        self.assertRejected(k(sub=5), ClaimsError)
        self.assertRejected(k(scope=["a"]), ClaimsError)
        self.assertRejected(k(team=1), ClaimsError)

    def test_status_reference(self):
        k = self.iss.api_key
        pre = self.iss.url + "/statuslists/"
        self.assertRejected(k(status=DEL), ClaimsError)
        self.assertRejected(k(status=None), ClaimsError)
        self.assertRejected(k(status={}), ClaimsError)
        self.assertRejected(k(status={"status_list": None}), ClaimsError)
        self.assertRejected(k(status={"status_list": {"uri": pre + "sl_1"}}), ClaimsError)
        self.assertRejected(k(status={"status_list": {"idx": 3}}), ClaimsError)
        self.assertRejected(k(status={"status_list": {"idx": 3, "uri": ""}}), ClaimsError)
        self.assertRejected(k(status={"status_list": {"idx": "3", "uri": pre + "sl_1"}}), ClaimsError)
        self.assertRejected(k(status={"status_list": {"idx": 3.0, "uri": pre + "sl_1"}}), ClaimsError)
        self.assertRejected(k(status={"status_list": {"idx": 2**63, "uri": pre + "sl_1"}}), ClaimsError)
        self.assertRejected(k(status={"status_list": {"idx": True, "uri": pre + "sl_1"}}), ClaimsError)
        self.assertRejected(k(status={"status_list": 5}), ClaimsError)
        self.assertRejected(k(status=[]), ClaimsError)
        # An access token's status is not read, but it must still decode.
        self.assertRejected(self.iss.access_token(status="x"), ClaimsError)
        self.assertAccepted(self.iss.access_token(status={"status_list": {"idx": 3}}))

    def test_access_token_client_id(self):
        self.assertRejected(self.iss.access_token(client_id="prj_other"), ClaimsError)
        self.assertRejected(self.iss.access_token(client_id=DEL), ClaimsError)

    def test_strict_member_names(self):
        base = compact_json(self.iss.claims())[:-1]
        raw = lambda extra, **edit: self.signed(self.hdr(), compact_json(self.iss.claims(**edit))[:-1] + "," + extra + "}")  # noqa: E731
        p = self.assertAccepted(self.signed(self.hdr(), base + ',"Foo":1,"foo":2,"FOO":{"sub":"x","aud":"y"}}'))
        self.assertEqual(p.project, "prj_orders")
        p = self.assertAccepted(raw('"\\u0073cope":"orders:read"', scope=DEL, jti="key_e"))
        self.assertEqual(p.scopes, ("orders:read",))
        cases = {
            "AUD alongside aud": raw('"AUD":"orders-api"', aud="billing-api"),
            "AUD alone": raw('"AUD":"orders-api"', aud=DEL),
            "duplicate aud, last ours": raw('"aud":"orders-api"', aud="billing-api"),
            "duplicate aud, first ours": raw('"aud":"billing-api"'),
            "duplicate aud escaped": raw('"\\u0061ud":"orders-api"', aud="billing-api"),
            "duplicate exp": raw('"exp":1'),
            "EXP": raw('"EXP":9999999999', exp=1),
            "duplicate idx": self.signed(self.hdr(), base.replace('"idx":3', '"idx":5,"idx":3') + "}"),
            "URI": self.signed(self.hdr(), base.replace('"uri"', '"URI"') + "}"),
            "duplicate status_list": self.signed(self.hdr(), base.replace('"status":{', '"status":{"status_list":{"idx":5},') + "}"),
            "duplicate unknown claim": raw('"foo":1,"foo":2'),
            "duplicate deep in an unknown claim": raw('"ext":[{"a":{"b":1,"b":2}}]'),
            "long-s sub": raw('"\u017fub":"prj_orders"', sub=DEL),
            "escaped long-s sub": raw('"\\u017fub":"prj_orders"', sub=DEL),
            "dotless-i iss": raw('"\u0131ss":"%s"' % self.iss.url, iss=DEL),
            "SCOPE": raw('"SCOPE":"orders:admin"'),
            "nested too deep": raw('"x":' + "[" * 65 + "]" * 65),
            "name not UTF-8": self.signed(self.hdr(), base.encode() + b',"\xff":1}'),
            "not JSON": self.signed(self.hdr(), "hello"),
            "a JSON array": self.signed(self.hdr(), "[1]"),
            "NaN": raw('"x":NaN'),
        }
        for name, tok in cases.items():
            with self.subTest(name):
                self.assertRejected(tok, MalformedError)
        # A duplicate client_id in an access token.
        at = compact_json(self.iss.claims("access_token", client_id="prj_other"))[:-1] + ',"client_id":"prj_orders"}'
        self.assertRejected(self.signed(self.hdr(typ="at+jwt"), at), MalformedError)


class AllowListTest(Base):
    def test_projects(self):
        v = self.iss.verifier(projects=["prj_orders", "prj_other"])
        self.assertAccepted(self.iss.api_key(), v)
        e = self.assertRejected(self.iss.api_key(sub="prj_evil", jti="key_e"), NotAllowedError, v)
        self.assertEqual(e.reason, NotAllowedError.PROJECT_NOT_LISTED)
        self.assertEqual(gv.describe(e), "not allowed: project not on the allow-list")
        self.assertNotIn("prj_evil", gv.describe(e))
        # Signature and claims come first.
        self.assertRejected(flip(self.iss.api_key(sub="prj_evil", jti="key_f")), SignatureError, v)
        self.assertRejected(self.iss.api_key(sub="prj_evil", exp=1), ExpiredError, v)
        v1 = self.iss.verifier(projects="prj_orders")
        self.assertAccepted(self.iss.api_key(), v1)

    def test_teams(self):
        v = self.iss.verifier(teams=["team_blue"])
        self.assertAccepted(self.iss.api_key(), v)
        e = self.assertRejected(self.iss.api_key(team="team_red", jti="key_r"), NotAllowedError, v)
        self.assertEqual(gv.describe(e), "not allowed: team not on the allow-list")
        e = self.assertRejected(self.iss.access_token(team=DEL), NotAllowedError, v)
        self.assertEqual(gv.describe(e), "not allowed: no team claim")
        self.assertRejected(self.iss.api_key(team="", jti="key_t"), NotAllowedError, v)

    def test_not_allowed_costs_no_status_fetch(self):
        v = self.iss.verifier(projects=["prj_other"])
        n = len(self.iss.requests)
        self.assertRejected(self.iss.api_key(), NotAllowedError, v)
        self.assertEqual(len(self.iss.requests), n)

    def test_bad_lists(self):
        for kw in ({"projects": []}, {"teams": []}, {"projects": [""]}, {"teams": ["t", ""]}):
            with self.subTest(kw=kw), self.assertRaises(ValueError):
                self.iss.verifier(**kw)


class OptionsTest(unittest.TestCase):
    def test_constructor_checks(self):
        iss = Issuer()
        for kw in ({"audience": ""}, {"accept": []}, {"accept": ["id_token"]}, {"algorithms": ["HS256"]},
                   {"algorithms": ["ES256", "none"]}, {"refresh_interval": 0}):  # fmt: skip
            with self.subTest(kw=kw), self.assertRaises(ValueError):
                iss.verifier(**kw)

    def test_discovery_failures(self):
        for name, setup in {
            "metadata 404": lambda i: i.serve(i.url + "/.well-known/oauth-authorization-server", "", 404),
            "metadata not JSON": lambda i: i.serve(i.url + "/.well-known/oauth-authorization-server", "<html>"),
            "another issuer": lambda i: i.metadata_extra.update(issuer="https://evil.example"),
            "no jwks_uri": lambda i: i.metadata_extra.update(jwks_uri=""),
            "jwks 500": lambda i: i.serve(i.url + "/jwks", "", 500),
            "jwks not JSON": lambda i: i.serve(i.url + "/jwks", "nope"),
            "no common algorithm": lambda i: i.metadata_extra.update(signing_alg_values_supported=["PS256"]),
            "portal down": lambda i: setattr(i, "down", True),
            "metadata too large": lambda i: i.serve(i.url + "/.well-known/oauth-authorization-server", "{" + " " * (1 << 20) + "}"),
        }.items():
            with self.subTest(name):
                iss = Issuer()
                setup(iss)
                with self.assertRaises(gv.DiscoveryError):
                    iss.verifier()

    def test_issuer_trailing_slash_and_algorithms(self):
        iss = Issuer()
        v = gv.Verifier(iss.url + "/", audience=AUDIENCE, fetch=iss.fetch, now=iss.clock, refresh_interval=None)
        self.assertEqual(v.issuer, iss.url)
        v.verify(iss.api_key())
        es_only = iss.verifier(algorithms=["ES256"])
        with self.assertRaises(HeaderError):
            es_only.verify(iss.sign(iss.claims(), kid="ed1"))
        iss.metadata_extra["signing_alg_values_supported"] = ["EdDSA"]
        iss.sign_kid = "ed1"  # the status lists too
        ed_only = iss.verifier()
        with self.assertRaises(HeaderError):
            ed_only.verify(iss.sign(iss.claims(), kid="es1"))
        ed_only.verify(iss.api_key())
        # A status list signed with an algorithm this verifier does not take fails closed.
        iss.sign_kid = "es1"
        other = iss.verifier(algorithms=["EdDSA"])
        with self.assertRaises(gv.StatusUnavailableError):
            other.verify(iss.sign(iss.claims(), kid="ed1"))

    def test_jwks_keys_that_cannot_verify_are_skipped(self):
        iss = Issuer()
        es = public_jwk("es1", *iss.keys["es1"])
        ed = public_jwk("ed1", *iss.keys["ed1"])
        rs = public_jwk("rs1", *iss.keys["rs1"])
        small_rsa = __import__("cryptography.hazmat.primitives.asymmetric.rsa", fromlist=["x"]).generate_private_key(65537, 1024)
        keys = [
            dict(es, kid="no-alg", alg=None),
            dict(es, kid="es-as-rs", alg="RS256"),
            dict(ed, kid="ed-as-es", alg="ES256"),
            dict(es, kid="enc", use="enc"),
            dict(es, kid="private", d="AAAA"),
            dict(es, kid="p384", crv="P-384"),
            dict(es, kid="short-x", x=es["x"][:-2]),
            dict(es, kid="off-curve", y=es["x"]),
            {"kty": "oct", "kid": "hmac", "alg": "HS256", "k": "c2VjcmV0"},
            public_jwk("rsa1024", "RS256", small_rsa),
            dict(rs, kid="rs-bad-e", e="AA"),
            "not an object",
            dict(es, kid=""),
            es, ed, rs,
        ]  # fmt: skip
        iss.serve(iss.url + "/jwks", compact_json({"keys": keys}))
        v = iss.verifier()
        self.assertEqual(sorted(v._keys.keys), ["ed1", "es1", "rs1"])


class InteropTest(unittest.TestCase):
    """Credentials made by another JOSE library (PyJWT) verify the same."""

    def test_pyjwt_tokens(self):
        try:
            import jwt
        except ImportError:  # pragma: no cover - depends on the machine
            self.skipTest("PyJWT is not importable (apt-get install python3-jwt)")
        iss = Issuer()
        v = iss.verifier()
        for kid in ("es1", "ed1", "rs1"):
            alg, key = iss.keys[kid]
            with self.subTest(kid=kid):
                tok = jwt.encode(iss.claims(jti="key_" + kid), key, algorithm=alg, headers={"kid": kid, "typ": "apikey+jwt"})
                self.assertEqual(v.verify(tok).key_id, "key_" + kid)
                # And the SDK's own test tokens verify with PyJWT.
                ours = iss.sign(iss.claims(jti="ours_" + kid), kid=kid)
                claims = jwt.decode(ours, key.public_key(), algorithms=[alg], audience=AUDIENCE, options={"verify_exp": False, "verify_iat": False, "verify_nbf": False})
                self.assertEqual(claims["jti"], "ours_" + kid)


class UnitTest(unittest.TestCase):
    def test_error_codes(self):
        codes = {
            "NoTokenError": "no_token", "MalformedError": "malformed", "HeaderError": "header",
            "UnknownKeyError": "unknown_key", "SignatureError": "signature", "TokenTypeError": "type",
            "IssuerError": "issuer", "AudienceError": "audience", "ExpiredError": "expired",
            "NotYetValidError": "not_yet_valid", "ClaimsError": "claims", "RevokedError": "revoked",
            "StatusUnavailableError": "status_unavailable", "NotAllowedError": "not_allowed",
            "InsufficientScopeError": "insufficient_scope",
        }  # fmt: skip
        for name, code in codes.items():
            cls = getattr(gv, name)
            self.assertTrue(issubclass(cls, VerifyError))
            self.assertEqual(cls.code, code)
            self.assertEqual(cls().code, code)
            self.assertIn(name, gv.__all__)
        descriptions = {
            gv.MalformedError: "malformed token", gv.HeaderError: "unacceptable token header",
            gv.UnknownKeyError: "unknown signing key", gv.SignatureError: "bad signature",
            gv.TokenTypeError: "wrong token type", gv.IssuerError: "wrong issuer", gv.AudienceError: "wrong audience",
            gv.ExpiredError: "expired", gv.NotYetValidError: "not yet valid", gv.ClaimsError: "invalid claims",
            gv.RevokedError: "revoked", gv.StatusUnavailableError: "status unavailable", gv.NotAllowedError: "not allowed",
        }  # fmt: skip
        for cls, d in descriptions.items():
            self.assertEqual(gv.describe(cls(detail="detail that must not leak")), d)

    def test_core_imports_no_framework(self):
        import subprocess
        import sys

        code = (
            "import sys, gatehouse_verify, gatehouse_verify.wsgi, gatehouse_verify.asgi, gatehouse_verify.fastapi; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'starlette', 'httpx', 'jwt')))"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONPATH": _issuer._SRC})
        self.assertEqual(out.stdout.strip(), "[]", out.stderr)

    def test_der_conversion(self):
        from gatehouse_verify._jose import raw_to_der
        from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

        for r, s in [(1, 1), (0, 0), (2**255, 5), (2**256 - 1, 2**248), (0x7F, 0x80), (P256_N - 1, 12345)]:
            self.assertEqual(raw_to_der(r.to_bytes(32, "big") + s.to_bytes(32, "big")), encode_dss_signature(r, s))
        self.assertEqual(decode_dss_signature(raw_to_der(bytes(64))), (0, 0))


if __name__ == "__main__":
    unittest.main()

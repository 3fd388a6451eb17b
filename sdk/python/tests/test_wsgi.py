"""The WSGI middleware, called directly with WSGI environs: RFC 6750 answers as the Go
verifier's http.go writes them."""

import io
import json
import unittest
from wsgiref.util import setup_testing_defaults

from ._issuer import Issuer

import gatehouse_verify as gv
from gatehouse_verify.wsgi import ENVIRON_KEY, VerifyMiddleware, error_response, principal, require_scope


def call(app, headers=None, path="/orders", method="GET", query="", remote_addr=None):
    environ = {"PATH_INFO": path, "REQUEST_METHOD": method, "QUERY_STRING": query, "wsgi.input": io.BytesIO()}
    if remote_addr is not None:
        environ["REMOTE_ADDR"] = remote_addr
    setup_testing_defaults(environ)
    for k, v in (headers or {}).items():
        environ["HTTP_" + k.upper().replace("-", "_")] = v
    out = {}

    def start_response(status, hdrs, exc_info=None):
        out["status"] = status
        out["headers"] = hdrs

    body = b"".join(app(environ, start_response))
    return out["status"], dict(out["headers"]), body, environ


def orders(environ, start_response):
    p = principal(environ)
    body = json.dumps({"project": p.project, "kind": p.kind, "scopes": list(p.scopes)}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


class WSGITest(unittest.TestCase):
    def setUp(self):
        self.iss = Issuer()
        self.v = self.iss.verifier()
        self.app = VerifyMiddleware(orders, self.v)

    def test_accepts_and_passes_the_principal(self):
        tok = self.iss.api_key(scope="orders:read")
        for headers in ({"Authorization": "Bearer " + tok}, {"Authorization": "bearer  " + tok + " "}, {"Authorization": "BEARER " + tok}):
            status, h, body, environ = call(self.app, headers)
            self.assertEqual(status, "200 OK")
            self.assertEqual(json.loads(body), {"project": "prj_orders", "kind": "api_key", "scopes": ["orders:read"]})
            self.assertEqual(environ[ENVIRON_KEY].key_id, "key_1")

    def test_no_credential(self):
        for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer"}, {"X-API-Key": self.iss.api_key()}):
            with self.subTest(headers=headers):
                status, h, body, _ = call(self.app, headers)
                self.assertEqual(status, "401 Unauthorized")
                self.assertEqual(h["WWW-Authenticate"], 'Bearer realm="orders-api"')
                self.assertEqual(h["Content-Type"], "application/json")
                self.assertEqual(h["Cache-Control"], "no-store")
                self.assertEqual(int(h["Content-Length"]), len(body))
                self.assertEqual(body, b'{"error":"invalid_request","error_description":"no credential: send Authorization: Bearer \\u003ckey\\u003e"}\n')
                self.assertEqual(json.loads(body)["error_description"], "no credential: send Authorization: Bearer <key>")

    def test_rejections(self):
        good = self.iss.api_key()
        self.iss.revoke("sl_1", 5)
        for name, tok, desc in [
            ("garbage", "not-a-key", "malformed token"),
            ("tampered", good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBA"), "bad signature"),
            ("expired", self.iss.api_key(exp=1), "expired"),
            ("wrong audience", self.iss.api_key(aud="billing-api"), "wrong audience"),
            ("revoked", self.iss.key_on("sl_1", 5), "revoked"),
            ("not the issuer's list", self.iss.api_key(status={"status_list": {"idx": 1, "uri": "https://x/y"}}), "status unavailable"),
            ("typ", self.iss.sign(self.iss.claims(), "JWT"), "wrong token type"),
        ]:
            with self.subTest(name):
                status, h, body, _ = call(self.app, {"Authorization": "Bearer " + tok})
                self.assertEqual(status, "401 Unauthorized")
                self.assertEqual(
                    h["WWW-Authenticate"],
                    'Bearer realm="orders-api", error="invalid_token", error_description="%s"' % desc,
                )
                self.assertEqual(json.loads(body), {"error": "invalid_token", "error_description": desc})
                self.assertEqual(h["Cache-Control"], "no-store")

    def test_not_allowed_names_the_list_not_the_id(self):
        app = VerifyMiddleware(orders, self.iss.verifier(projects=["prj_other"]))
        status, h, body, _ = call(app, {"Authorization": "Bearer " + self.iss.api_key()})
        self.assertEqual(status, "401 Unauthorized")
        self.assertEqual(json.loads(body)["error_description"], "not allowed: project not on the allow-list")
        self.assertNotIn(b"prj_orders", body)

    def test_require_scope(self):
        app = VerifyMiddleware(require_scope("orders:write")(orders), self.v)
        status, h, body, _ = call(app, {"Authorization": "Bearer " + self.iss.api_key(scope="orders:read")}, method="POST")
        self.assertEqual(status, "403 Forbidden")
        self.assertEqual(
            h["WWW-Authenticate"],
            'Bearer error="insufficient_scope", error_description="this request needs the scope orders:write", scope="orders:write"',
        )
        self.assertEqual(json.loads(body), {"error": "insufficient_scope", "error_description": "this request needs the scope orders:write"})
        status, _, _, _ = call(app, {"Authorization": "Bearer " + self.iss.api_key(jti="key_w")}, method="POST")
        self.assertEqual(status, "200 OK")
        # Without the middleware there is no principal: 403 too.
        status, _, _, _ = call(require_scope("a", "b")(orders))
        self.assertEqual(status, "403 Forbidden")

    def test_x_api_key_and_query_parameter(self):
        v = self.iss.verifier(header_api_key=True, query_param="access_token")
        app = VerifyMiddleware(orders, v)
        tok = self.iss.api_key()
        self.assertEqual(call(app, {"X-API-Key": " " + tok})[0], "200 OK")
        self.assertEqual(call(app, query="access_token=" + tok)[0], "200 OK")
        self.assertEqual(call(app, {"Authorization": "Basic x", "X-API-Key": tok})[0], "200 OK")
        # The Authorization header wins over X-API-Key.
        self.assertEqual(call(app, {"Authorization": "Bearer nope", "X-API-Key": tok})[0], "401 Unauthorized")
        self.assertEqual(call(self.app, query="access_token=" + tok)[0], "401 Unauthorized")  # off by default

    def test_token_from_headers_mappings(self):
        tok = "abc"
        self.assertEqual(self.v.token_from_headers({"Authorization": "Bearer abc"}), tok)
        self.assertEqual(self.v.token_from_headers({"authorization": "Bearer abc"}), tok)
        self.assertEqual(self.v.token_from_headers({"AUTHORIZATION": "Bearer abc"}), tok)
        self.assertEqual(self.v.token_from_headers([(b"authorization", b"Bearer abc")]), tok)
        self.assertEqual(self.v.token_from_headers({"Authorization": "Token abc"}), "")
        self.assertEqual(self.v.token_from_headers({}), "")
        self.assertEqual(self.v.token_from_headers(None), "")

    def test_error_response_helper(self):
        status, headers, body = error_response(self.v, gv.RevokedError("detail"))
        self.assertEqual(status, "401 Unauthorized")
        self.assertIn(("WWW-Authenticate", 'Bearer realm="orders-api", error="invalid_token", error_description="revoked"'), headers)
        status, headers, body = error_response(self.v, gv.InsufficientScopeError())
        self.assertEqual(status, "403 Forbidden")

    def test_realm_is_quoted_safely(self):
        iss = Issuer()
        v = iss.verifier(audience='a"b\\c\r\nd')
        status, h, _, _ = call(VerifyMiddleware(orders, v))
        self.assertEqual(h["WWW-Authenticate"], 'Bearer realm="abcd"')


if __name__ == "__main__":
    unittest.main()

"""The resource_metadata option (RFC 9728 §5.1), as the Go verifier's ResourceMetadata:
the challenges of the verifier's error answers (the WSGI and ASGI middleware, the
FastAPI dependency's rejections of a credential, wsgi.error_response) end with
resource_metadata="<url>"; the requirement helpers' answers (require_scope,
require_auth_time, require_acr and their ASGI and FastAPI forms) do not.

The ASGI and FastAPI cases are skipped, with the reason, when FastAPI, Starlette or
httpx cannot be imported."""

import io
import json
import unittest
from wsgiref.util import setup_testing_defaults

from ._issuer import Issuer

import gatehouse_verify as gv
from gatehouse_verify.wsgi import VerifyMiddleware, error_response, require_acr, require_auth_time, require_scope

try:
    import httpx  # noqa: F401  (TestClient needs it)
    from fastapi import Depends, FastAPI
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient
except ImportError as e:  # pragma: no cover - depends on the machine
    MISSING = "FastAPI/Starlette/httpx not importable (%s): apt-get install python3-fastapi python3-starlette python3-httpx" % e
else:
    MISSING = ""

META = "https://orders.example.com/.well-known/oauth-protected-resource/v1"
PARAM = ', resource_metadata="%s"' % META
NO_CREDENTIAL = 'Bearer realm="orders-api"'
EXPIRED = 'Bearer realm="orders-api", error="invalid_token", error_description="expired"'
STALE = 'Bearer error="insufficient_user_authentication", error_description="the user authenticated too long ago", max_age="300"'


def ok(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b"{}"]


def call(app, token=None):
    environ = {"PATH_INFO": "/orders", "REQUEST_METHOD": "GET", "QUERY_STRING": "", "wsgi.input": io.BytesIO()}
    setup_testing_defaults(environ)
    if token is not None:
        environ["HTTP_AUTHORIZATION"] = "Bearer " + token
    out = {}

    def start_response(status, headers, exc_info=None):
        out["status"], out["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response))
    return out["status"], out["headers"].get("WWW-Authenticate"), body


class Fixture(unittest.TestCase):
    def setUp(self):
        self.iss = Issuer()
        self.v = self.iss.verifier(resource_metadata=META)
        self.plain = self.iss.verifier()

    def user_token(self):
        """A user's access token that authenticated an hour ago, without acr."""
        return self.iss.access_token(sub="usr_1", sub_type="user", auth_time=int(self.iss.clock()) - 3600)

    def expired(self):
        return self.iss.api_key(exp=1)


class OptionTest(Fixture):
    def test_the_verifier_has_it(self):
        self.assertEqual(self.v.resource_metadata, META)
        self.assertIsNone(self.plain.resource_metadata)
        self.assertIsNone(self.iss.verifier(resource_metadata="").resource_metadata)

    def test_anything_but_a_string_is_refused_before_the_portal_is_asked(self):
        for bad in (42, True, b"https://orders.example.com/", [META], {"url": META}):
            with self.subTest(bad=bad):
                before = len(self.iss.requests)
                with self.assertRaises(ValueError) as cm:
                    self.iss.verifier(resource_metadata=bad)
                self.assertEqual(str(cm.exception), "gatehouse_verify: resource_metadata must be a string (a URL)")
                self.assertEqual(len(self.iss.requests), before)

    def test_quoted_as_every_auth_param(self):
        v = self.iss.verifier(resource_metadata=META + '?x="a\\\r\nb"')
        _, h, _ = call(VerifyMiddleware(ok, v))
        self.assertEqual(h, NO_CREDENTIAL + ', resource_metadata="%s?x=ab"' % META)


class WSGITest(Fixture):
    def test_middleware_rejections_name_it(self):
        app = VerifyMiddleware(ok, self.v)
        self.assertEqual(call(app), ("401 Unauthorized", NO_CREDENTIAL + PARAM,
                                     b'{"error":"invalid_request","error_description":"no credential: send Authorization: Bearer \\u003ckey\\u003e"}\n'))  # fmt: skip
        status, h, body = call(app, self.expired())
        self.assertEqual((status, h), ("401 Unauthorized", EXPIRED + PARAM))
        self.assertEqual(json.loads(body), {"error": "invalid_token", "error_description": "expired"})
        self.assertEqual(call(app, self.iss.api_key())[0], "200 OK")

    def test_without_the_option_none(self):
        app = VerifyMiddleware(ok, self.plain)
        self.assertEqual(call(app)[1], NO_CREDENTIAL)
        self.assertEqual(call(app, self.expired())[1], EXPIRED)
        self.assertEqual(call(VerifyMiddleware(ok, self.iss.verifier(resource_metadata="")), self.expired())[1], EXPIRED)

    def test_error_response_names_it(self):
        status, headers, _ = error_response(self.v, gv.InsufficientScopeError("orders:admin"))
        self.assertEqual(status, "403 Forbidden")
        self.assertEqual(dict(headers)["WWW-Authenticate"], 'Bearer error="insufficient_scope", error_description="%s"%s'
                         % (gv.InsufficientScopeError("orders:admin"), PARAM))  # fmt: skip
        p = self.v.verify(self.user_token())
        with self.assertRaises(gv.InsufficientUserAuthenticationError) as cm:
            p.check_auth_time(self.v.now(), 300)
        status, headers, _ = error_response(self.v, cm.exception)
        self.assertEqual((status, dict(headers)["WWW-Authenticate"]), ("401 Unauthorized", STALE + PARAM))
        self.assertEqual(dict(error_response(self.plain, cm.exception)[1])["WWW-Authenticate"], STALE)

    def test_requirement_helpers_do_not(self):
        reader = self.iss.api_key(scope="orders:read")
        for name, app, token, status in [
            ("require_scope", require_scope("orders:delete")(ok), reader, "403 Forbidden"),
            ("require_auth_time", require_auth_time(300)(ok), self.user_token(), "401 Unauthorized"),
            ("require_acr", require_acr("urn:example:mfa")(ok), self.user_token(), "401 Unauthorized"),
        ]:
            with self.subTest(name):
                got, h, _ = call(VerifyMiddleware(app, self.v), token)
                self.assertEqual(got, status)
                self.assertTrue(h.startswith("Bearer error="), h)
                self.assertNotIn("resource_metadata", h)


@unittest.skipIf(MISSING, MISSING)
class ASGITest(Fixture):
    def test_middleware_rejections_name_it_and_requirements_do_not(self):
        from gatehouse_verify.asgi import RequireAuthTime, RequireScope, VerifyMiddleware as ASGIVerify

        async def orders(request):
            return JSONResponse({})

        inner = Starlette(routes=[Route("/orders", orders), Route("/delete", RequireScope(orders, "orders:delete")),
                                  Route("/recent", RequireAuthTime(orders, 300))])  # fmt: skip
        client = TestClient(ASGIVerify(inner, self.v))
        r = client.get("/orders")
        self.assertEqual((r.status_code, r.headers["www-authenticate"]), (401, NO_CREDENTIAL + PARAM))
        r = client.get("/orders", headers={"Authorization": "Bearer " + self.expired()})
        self.assertEqual((r.status_code, r.headers["www-authenticate"]), (401, EXPIRED + PARAM))
        r = client.get("/delete", headers={"Authorization": "Bearer " + self.iss.api_key()})
        self.assertEqual(r.status_code, 403)
        self.assertNotIn("resource_metadata", r.headers["www-authenticate"])
        r = client.get("/recent", headers={"Authorization": "Bearer " + self.user_token()})
        self.assertEqual((r.status_code, r.headers["www-authenticate"]), (401, STALE))
        r = TestClient(ASGIVerify(inner, self.plain)).get("/orders")
        self.assertEqual(r.headers["www-authenticate"], NO_CREDENTIAL)

    def test_fastapi_dependency(self):
        from gatehouse_verify.fastapi import install_error_handler, require

        app = FastAPI()
        install_error_handler(app)
        recent = require(self.v, max_age=300)
        any_key, writer = require(self.v), require(self.v, scopes=["orders:delete"])

        @app.get("/orders")
        async def orders(p=Depends(any_key)):
            return {"project": p.project}

        @app.get("/delete")
        async def delete(p=Depends(writer)):
            return {}

        @app.get("/recent")
        async def fresh(p=Depends(recent)):
            return {}

        client = TestClient(app)
        r = client.get("/orders")
        self.assertEqual((r.status_code, r.headers["www-authenticate"]), (401, NO_CREDENTIAL + PARAM))
        r = client.get("/orders", headers={"Authorization": "Bearer " + self.expired()})
        self.assertEqual((r.status_code, r.headers["www-authenticate"]), (401, EXPIRED + PARAM))
        self.assertEqual(r.json(), {"error": "invalid_token", "error_description": "expired"})
        r = client.get("/delete", headers={"Authorization": "Bearer " + self.iss.api_key()})
        self.assertEqual(r.status_code, 403)
        self.assertNotIn("resource_metadata", r.headers["www-authenticate"])
        r = client.get("/recent", headers={"Authorization": "Bearer " + self.user_token()})
        self.assertEqual((r.status_code, r.headers["www-authenticate"]), (401, STALE))
        self.assertEqual(client.get("/orders", headers={"Authorization": "Bearer " + self.iss.api_key()}).json(), {"project": "prj_orders"})


if __name__ == "__main__":
    unittest.main()

"""Subject types (sub_type) and step-up authentication (RFC 9470: auth_time, acr, amr,
and the WSGI, ASGI and FastAPI requirements), as the Go verifier does them. The WSGI and
plain ASGI middleware are called directly; the FastAPI dependency through Starlette's
TestClient (skipped, with the reason, when FastAPI, Starlette or httpx is missing)."""

import asyncio
import io
import json
import unittest
from wsgiref.util import setup_testing_defaults

from ._issuer import DEL, Issuer

import gatehouse_verify as gv
from gatehouse_verify import asgi, wsgi

try:
    import httpx  # noqa: F401  (TestClient needs it)
    from fastapi import Depends, FastAPI
    from starlette.testclient import TestClient
except ImportError as e:  # pragma: no cover - depends on the machine
    MISSING = "FastAPI/Starlette/httpx not importable (%s): apt-get install python3-fastapi python3-starlette python3-httpx" % e
else:
    MISSING = ""

MFA, HWK, PWD = "urn:gatehouse:acr:mfa", "urn:gatehouse:acr:hwk", "urn:gatehouse:acr:pwd"
STALE = "the user authenticated too long ago"
NO_AUTH_TIME = "the credential does not say when the user authenticated"
WEAK = "the user's authentication is not of a required level"


def challenge(params, desc):
    return 'Bearer error="insufficient_user_authentication", error_description="%s", %s' % (desc, params)


class Base(unittest.TestCase):
    def setUp(self):
        self.iss = Issuer()
        self.v = self.iss.verifier()

    def user_token(self, **edit):
        """A user's access token: sub the user, client_id the app acting for them."""
        edit.setdefault("sub", "usr_1")
        edit.setdefault("sub_type", "user")
        return self.iss.access_token(**edit)

    def code_of(self, token):
        try:
            self.v.verify(token)
        except gv.VerifyError as e:
            return e.code
        return "valid"


class SubjectTypeTest(Base):
    def test_principals(self):
        p = self.v.verify(self.iss.access_token())
        self.assertEqual((p.subject_type, p.subject, p.project, p.service_account), ("project", "prj_orders", "prj_orders", ""))
        p = self.v.verify(self.iss.access_token(sub="sa_build", client_id="sa_build", sub_type="service_account"))
        self.assertEqual((p.subject_type, p.subject, p.project, p.service_account), ("service_account", "sa_build", "", "sa_build"))
        p = self.v.verify(self.user_token())
        self.assertEqual((p.subject_type, p.subject, p.project, p.service_account), ("user", "usr_1", "", ""))
        p = self.v.verify(self.iss.api_key(sub_type="project"))
        self.assertEqual((p.subject_type, p.project), ("project", "prj_orders"))

    def test_projects_allow_list_checks_the_client(self):
        """A user's token is the app's: the projects allow-list and client_id name it."""
        p = self.iss.verifier(projects=["prj_orders"]).verify(self.user_token())
        self.assertEqual((p.client_id, p.subject, p.project), ("prj_orders", "usr_1", ""))
        with self.assertRaises(gv.NotAllowedError):
            self.iss.verifier(projects=["prj_other"]).verify(self.user_token())

    def test_refused(self):
        for name, tok, want in (
            ("unknown sub_type", self.iss.access_token(sub_type="robot"), "claims"),
            ("API key for a service account", self.iss.api_key(sub_type="service_account"), "claims"),
            ("API key for a user", self.iss.api_key(sub_type="user"), "claims"),
            ("SUB_TYPE", self.iss.access_token(SUB_TYPE="project"), "malformed"),
            ("user's token without client_id", self.user_token(client_id=DEL), "claims"),
            ("service account's token naming another client", self.iss.access_token(sub="sa_build", sub_type="service_account"), "claims"),
        ):
            with self.subTest(name):
                self.assertEqual(self.code_of(tok), want)


class StepUpClaimsTest(Base):
    def test_principal(self):
        auth_at = int(self.iss.clock()) - 120
        p = self.v.verify(self.user_token(auth_time=auth_at, acr=MFA, amr=["pwd", "otp"]))
        self.assertEqual((p.auth_time, p.acr, p.amr), (auth_at, MFA, ("pwd", "otp")))
        p = self.v.verify(self.iss.access_token())
        self.assertEqual((p.auth_time, p.acr, p.amr), (None, "", ()))

    def test_malformed(self):
        for name, edit, want in (
            ("auth_time a string", {"auth_time": "1800000000"}, "claims"),
            ("auth_time 1e19", {"auth_time": 1e19}, "claims"),
            ("auth_time negative", {"auth_time": -1}, "claims"),
            ("auth_time a bool", {"auth_time": True}, "claims"),
            ("acr a number", {"acr": 2}, "claims"),
            ("acr an array", {"acr": [MFA]}, "claims"),
            ("amr a string", {"amr": "pwd"}, "claims"),
            ("amr with a number", {"amr": ["pwd", 1]}, "claims"),
            ("amr with a null element", {"amr": ["pwd", None]}, "claims"),
            ("AUTH_TIME", {"AUTH_TIME": 1}, "malformed"),
            ("Acr", {"Acr": MFA}, "malformed"),
            ("AMR", {"AMR": ["hwk"]}, "malformed"),
        ):
            with self.subTest(name):
                self.assertEqual(self.code_of(self.user_token(**edit)), want)

    def test_checks(self):
        now = self.iss.clock()
        p = self.v.verify(self.user_token(auth_time=int(now) - 300, acr=MFA))
        p.check_auth_time(now, 600)
        p.check_auth_time(now, 300)  # exactly max_age old
        with self.assertRaises(gv.InsufficientUserAuthenticationError) as c:
            p.check_auth_time(now, 299)
        self.assertEqual((c.exception.max_age, c.exception.reason, c.exception.code), (299, STALE, "insufficient_user_authentication"))
        with self.assertRaises(gv.InsufficientUserAuthenticationError) as c:
            self.v.verify(self.iss.access_token()).check_auth_time(now, 3600)
        self.assertEqual(c.exception.reason, NO_AUTH_TIME)
        p.check_acr(HWK, MFA)
        p.check_acr([HWK, MFA])
        with self.assertRaises(gv.InsufficientUserAuthenticationError) as c:
            p.check_acr(HWK)
        self.assertEqual(c.exception.acr_values, (HWK,))
        with self.assertRaises(ValueError):
            p.check_auth_time(now, -1)

    def test_arguments(self):
        for bad in (lambda: wsgi.require_auth_time(-1), lambda: wsgi.require_auth_time("300"), lambda: wsgi.require_acr(),
                    lambda: wsgi.require_acr(MFA, ""), lambda: asgi.RequireAuthTime(None, -1), lambda: asgi.RequireACR(None)):  # fmt: skip
            with self.assertRaises(ValueError):
                bad()


def ok_wsgi(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"subject": wsgi.principal(environ).subject}).encode()]


class WSGIStepUpTest(Base):
    def call(self, app, token):
        environ = {"PATH_INFO": "/", "REQUEST_METHOD": "GET", "QUERY_STRING": "", "wsgi.input": io.BytesIO(),
                   "HTTP_AUTHORIZATION": "Bearer " + token}  # fmt: skip
        setup_testing_defaults(environ)
        out = {}

        def start_response(status, headers, exc_info=None):
            out["status"], out["headers"] = status, dict(headers)

        body = b"".join(wsgi.VerifyMiddleware(app, self.v)(environ, start_response))
        return out["status"], out["headers"], json.loads(body)

    def test_auth_time_on_the_verifiers_clock(self):
        # The issuer's clock is years from the wall clock: a minute-old authentication
        # passes only when the verifier's clock is the one used.
        app = wsgi.require_auth_time(300)(ok_wsgi)
        tok = self.user_token(auth_time=int(self.iss.clock()) - 60)
        self.assertEqual(self.call(app, tok), ("200 OK", {"Content-Type": "application/json"}, {"subject": "usr_1"}))
        self.iss.clock.advance(241)  # 301 s after auth_time
        status, headers, body = self.call(app, tok)
        self.assertEqual(status, "401 Unauthorized")
        self.assertEqual(headers["WWW-Authenticate"], challenge('max_age="300"', STALE))
        self.assertEqual(headers["Cache-Control"], "no-store")
        self.assertEqual(body, {"error": "insufficient_user_authentication", "error_description": STALE})

    def test_acr(self):
        app = wsgi.require_acr(MFA, HWK)(ok_wsgi)
        self.assertEqual(self.call(app, self.user_token(acr=HWK))[0], "200 OK")
        status, headers, _ = self.call(app, self.user_token(acr=PWD))
        self.assertEqual((status, headers["WWW-Authenticate"]), ("401 Unauthorized", challenge('acr_values="%s %s"' % (MFA, HWK), WEAK)))


async def ok_asgi(scope, receive, send):
    body = json.dumps({"subject": asgi.principal(scope).subject}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


class ASGIStepUpTest(Base):
    def call(self, app, token):
        scope = {"type": "http", "method": "GET", "path": "/", "query_string": b"", "headers": [(b"authorization", ("Bearer " + token).encode())]}
        sent = []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(m):
            sent.append(m)

        asyncio.run(asgi.VerifyMiddleware(app, self.v)(scope, receive, send))
        return sent[0]["status"], {k.decode(): v.decode() for k, v in sent[0]["headers"]}, json.loads(sent[1]["body"])

    def test_auth_time_on_the_verifiers_clock(self):
        app = asgi.RequireAuthTime(ok_asgi, 300)
        tok = self.user_token(auth_time=int(self.iss.clock()) - 60)
        self.assertEqual(self.call(app, tok)[::2], (200, {"subject": "usr_1"}))
        self.iss.clock.advance(241)
        status, headers, body = self.call(app, tok)
        self.assertEqual((status, headers["www-authenticate"]), (401, challenge('max_age="300"', STALE)))
        self.assertEqual(body, {"error": "insufficient_user_authentication", "error_description": STALE})
        status, headers, _ = self.call(app, self.iss.access_token())
        self.assertEqual((status, headers["www-authenticate"]), (401, challenge('max_age="300"', NO_AUTH_TIME)))

    def test_acr(self):
        app = asgi.RequireACR(ok_asgi, MFA)
        self.assertEqual(self.call(app, self.user_token(acr=MFA))[0], 200)
        status, headers, _ = self.call(app, self.user_token(acr=PWD))
        self.assertEqual((status, headers["www-authenticate"]), (401, challenge('acr_values="%s"' % MFA, WEAK)))

    def test_websocket_closed(self):
        scope = {"type": "websocket", "path": "/", "query_string": b"",
                 "headers": [(b"authorization", ("Bearer " + self.user_token(acr=PWD)).encode())]}  # fmt: skip
        sent = []

        async def receive():
            return {"type": "websocket.connect"}

        async def send(m):
            sent.append(m)

        asyncio.run(asgi.VerifyMiddleware(asgi.RequireACR(ok_asgi, MFA), self.v)(scope, receive, send))
        self.assertEqual(sent, [{"type": "websocket.close", "code": 1008}])


@unittest.skipIf(MISSING, MISSING)
class FastAPIStepUpTest(Base):
    def test_require_max_age_and_acr(self):
        from gatehouse_verify.fastapi import install_error_handler, require

        app = FastAPI()
        install_error_handler(app)

        @app.get("/payouts")
        def payouts(p: gv.Principal = Depends(require(self.v, max_age=300, acr_values=[MFA]))):
            return {"subject": p.subject}

        client = TestClient(app)
        get = lambda tok: client.get("/payouts", headers={"Authorization": "Bearer " + tok})  # noqa: E731
        now = int(self.iss.clock())
        r = get(self.user_token(auth_time=now - 60, acr=MFA))
        self.assertEqual((r.status_code, r.json()), (200, {"subject": "usr_1"}))
        r = get(self.user_token(auth_time=now - 301, acr=MFA))
        self.assertEqual((r.status_code, r.headers["www-authenticate"]), (401, challenge('max_age="300"', STALE)))
        self.assertEqual(r.json(), {"error": "insufficient_user_authentication", "error_description": STALE})
        r = get(self.user_token(auth_time=now - 60, acr=PWD))
        self.assertEqual((r.status_code, r.headers["www-authenticate"]), (401, challenge('acr_values="%s"' % MFA, WEAK)))


if __name__ == "__main__":
    unittest.main()

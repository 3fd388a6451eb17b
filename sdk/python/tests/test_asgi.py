"""The ASGI middleware and the FastAPI dependency, through Starlette's TestClient.

Skipped, with the reason, when FastAPI, Starlette or httpx cannot be imported
(Debian: apt-get install python3-fastapi python3-starlette python3-httpx)."""

import asyncio
import json
import unittest

from ._issuer import Issuer

try:
    import httpx  # noqa: F401  (TestClient needs it)
    from fastapi import Depends, FastAPI
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route, WebSocketRoute
    from starlette.testclient import TestClient
except ImportError as e:  # pragma: no cover - depends on the machine
    MISSING = "FastAPI/Starlette/httpx not importable (%s): apt-get install python3-fastapi python3-starlette python3-httpx" % e
else:
    MISSING = ""

from gatehouse_verify.principal import Principal


def challenge_of(res):
    return res.headers.get("www-authenticate", "")


@unittest.skipIf(MISSING, MISSING)
class ASGITest(unittest.TestCase):
    def setUp(self):
        from gatehouse_verify.asgi import RequireScope, VerifyMiddleware, principal

        self.iss = Issuer()
        self.v = self.iss.verifier()

        async def orders(request):
            p = principal(request.scope)
            self.assertIs(request.state.gatehouse_principal, p)
            return JSONResponse({"project": p.project, "kind": p.kind, "scopes": list(p.scopes)})

        async def create(scope, receive, send):
            await JSONResponse({"created": True}, status_code=201)(scope, receive, send)

        async def ws(websocket):
            await websocket.accept()
            await websocket.send_json({"project": principal(websocket.scope).project})
            await websocket.close()

        inner = Starlette(routes=[Route("/orders", orders), Route("/orders/new", RequireScope(create, "orders:write"), methods=["POST"]),
                                  WebSocketRoute("/ws", ws)])  # fmt: skip
        self.app = VerifyMiddleware(inner, self.v)
        self.client = TestClient(self.app)

    def test_accepts(self):
        r = self.client.get("/orders", headers={"Authorization": "Bearer " + self.iss.api_key(scope="orders:read")})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json(), {"project": "prj_orders", "kind": "api_key", "scopes": ["orders:read"]})

    def test_rejections(self):
        r = self.client.get("/orders")
        self.assertEqual(r.status_code, 401)
        self.assertEqual(challenge_of(r), 'Bearer realm="orders-api"')
        self.assertEqual(r.json()["error"], "invalid_request")
        self.assertEqual(r.headers["cache-control"], "no-store")
        r = self.client.get("/orders", headers={"Authorization": "Bearer not-a-key"})
        self.assertEqual(r.status_code, 401)
        self.assertEqual(challenge_of(r), 'Bearer realm="orders-api", error="invalid_token", error_description="malformed token"')
        self.assertEqual(r.json(), {"error": "invalid_token", "error_description": "malformed token"})
        self.assertEqual(r.content, b'{"error":"invalid_token","error_description":"malformed token"}\n')

    def test_require_scope(self):
        r = self.client.post("/orders/new", headers={"Authorization": "Bearer " + self.iss.api_key(scope="orders:read")})
        self.assertEqual(r.status_code, 403)
        self.assertIn('error="insufficient_scope"', challenge_of(r))
        r = self.client.post("/orders/new", headers={"Authorization": "Bearer " + self.iss.api_key(jti="key_w")})
        self.assertEqual(r.status_code, 201)

    def test_websocket(self):
        with self.client.websocket_connect("/ws", headers={"Authorization": "Bearer " + self.iss.api_key()}) as ws:
            self.assertEqual(ws.receive_json(), {"project": "prj_orders"})
        from starlette.websockets import WebSocketDisconnect

        with self.assertRaises(WebSocketDisconnect) as cm:
            with self.client.websocket_connect("/ws") as ws:
                ws.receive_json()
        self.assertEqual(cm.exception.code, 1008)

    def test_lifespan_passes_through(self):
        with TestClient(self.app) as c:  # runs the lifespan protocol through the middleware
            self.assertEqual(c.get("/orders").status_code, 401)

    def test_state_is_per_request(self):
        from gatehouse_verify.asgi import VerifyMiddleware

        seen = []

        async def app(scope, receive, send):
            seen.append(scope["state"])
            await JSONResponse({})(scope, receive, send)

        shared = {"lifespan": "x"}

        async def run():
            mw = VerifyMiddleware(app, self.v)
            for jti in ("key_a", "key_b"):
                scope = {"type": "http", "method": "GET", "path": "/", "headers": [(b"authorization", ("Bearer " + self.iss.api_key(jti=jti)).encode())],
                         "query_string": b"", "state": shared}  # fmt: skip
                sent = []

                async def receive():
                    return {"type": "http.request", "body": b""}

                async def send(m):
                    sent.append(m)

                await mw(scope, receive, send)

        asyncio.run(run())
        self.assertEqual(shared, {"lifespan": "x"})  # not written into
        self.assertEqual([s["gatehouse_principal"].key_id for s in seen], ["key_a", "key_b"])
        self.assertEqual(seen[0]["lifespan"], "x")


@unittest.skipIf(MISSING, MISSING)
class FastAPITest(unittest.TestCase):
    def setUp(self):
        from gatehouse_verify.fastapi import install_error_handler, require

        self.iss = Issuer()
        self.v = self.iss.verifier()
        app = FastAPI()
        install_error_handler(app)
        any_key = require(self.v)
        writer = require(self.v, scopes=["orders:write"])

        @app.get("/orders")
        async def orders(p: Principal = Depends(any_key)):
            return {"project": p.project, "kind": p.kind, "scopes": list(p.scopes)}

        @app.post("/orders", status_code=201)
        async def create(p: Principal = Depends(writer)):
            return {"created": True, "project": p.project}

        self.app = app
        self.client = TestClient(app)

    def test_accepts_with_scope(self):
        tok = self.iss.api_key()
        r = self.client.get("/orders", headers={"Authorization": "Bearer " + tok})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json(), {"project": "prj_orders", "kind": "api_key", "scopes": ["orders:read", "orders:write"]})
        self.assertEqual(self.client.post("/orders", headers={"Authorization": "Bearer " + tok}).status_code, 201)

    def test_rejections_with_the_error_handler(self):
        r = self.client.get("/orders")
        self.assertEqual(r.status_code, 401)
        self.assertEqual(challenge_of(r), 'Bearer realm="orders-api"')
        self.assertEqual(r.json(), {"error": "invalid_request", "error_description": "no credential: send Authorization: Bearer <key>"})
        self.assertEqual(r.headers["cache-control"], "no-store")
        r = self.client.get("/orders", headers={"Authorization": "Bearer " + self.iss.api_key(exp=1)})
        self.assertEqual(r.status_code, 401)
        self.assertEqual(challenge_of(r), 'Bearer realm="orders-api", error="invalid_token", error_description="expired"')
        self.assertEqual(r.json(), {"error": "invalid_token", "error_description": "expired"})
        self.assertEqual(r.headers["content-type"], "application/json")
        r = self.client.post("/orders", headers={"Authorization": "Bearer " + self.iss.api_key(scope="orders:read")})
        self.assertEqual(r.status_code, 403)
        self.assertEqual(r.json()["error"], "insufficient_scope")
        self.assertIn('scope="orders:write"', challenge_of(r))

    def test_without_the_error_handler(self):
        from gatehouse_verify.fastapi import require

        app = FastAPI()
        dep = require(self.v, "orders:write")

        @app.get("/x")
        async def x(p: Principal = Depends(dep)):
            return {}

        r = TestClient(app).get("/x", headers={"Authorization": "Bearer garbage"})
        self.assertEqual(r.status_code, 401)
        self.assertEqual(r.json(), {"detail": {"error": "invalid_token", "error_description": "malformed token"}})
        self.assertIn('error="invalid_token"', challenge_of(r))

    def test_uses_the_middlewares_principal(self):
        from gatehouse_verify.asgi import VerifyMiddleware

        calls = []
        real = self.v._averify_bearer

        async def counting(token, peer):
            calls.append(token)
            return await real(token, peer)

        self.v._averify_bearer = counting
        client = TestClient(VerifyMiddleware(self.app, self.v))
        r = client.get("/orders", headers={"Authorization": "Bearer " + self.iss.api_key()})
        self.assertEqual(r.status_code, 200)
        self.assertEqual(len(calls), 1)

    def test_add_middleware_and_request_state(self):
        from fastapi import Request

        from gatehouse_verify.asgi import VerifyMiddleware

        app = FastAPI()
        app.add_middleware(VerifyMiddleware, verifier=self.v)

        @app.get("/who")
        async def who(request: Request):
            return {"project": request.state.gatehouse_principal.project}

        client = TestClient(app)
        self.assertEqual(client.get("/who", headers={"Authorization": "Bearer " + self.iss.api_key()}).json(), {"project": "prj_orders"})
        self.assertEqual(client.get("/who").status_code, 401)

    def test_openapi_declares_bearer(self):
        doc = self.client.get("/openapi.json").json()
        self.assertIn("HTTPBearer", json.dumps(doc["components"]["securitySchemes"]))


if __name__ == "__main__":
    unittest.main()

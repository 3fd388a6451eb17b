"""The WSGI and ASGI middleware accept a DPoP-bound token with its proof and answer a
bound token sent as a bearer token with an RFC 9449 DPoP challenge (tokens and proofs
from the conformance vectors)."""

import asyncio
import unittest

from gatehouse_verify import asgi, wsgi

from .test_conformance import Web, load_vectors, verifier_for


def _case(vectors, name):
    return next(c for c in vectors["dpop_cases"] if c["name"] == name)


class DPoPMiddlewareTest(unittest.TestCase):
    def setUp(self):
        self.vectors = load_vectors()
        self.valid = _case(self.vectors, "DPoP/valid proof")
        self.want = self.valid["requests"][0]["expect"]["dpop_thumbprint"]

    def verifier(self):
        v = verifier_for(self.vectors, Web(self.vectors), self.valid["options"])
        self.addCleanup(v.close)
        return v

    def test_wsgi(self):
        seen = {}

        def app(environ, start_response):
            seen["p"] = wsgi.principal(environ)
            start_response("200 OK", [])
            return [b"ok"]

        mw = wsgi.VerifyMiddleware(app, self.verifier())
        token, proof = self.valid["token"], self.valid["requests"][0]["dpop"][0]
        base = {"REQUEST_METHOD": "GET", "wsgi.url_scheme": "https", "HTTP_HOST": "api.conformance.test", "PATH_INFO": "/orders"}
        status = {}

        def start(s, h):
            status["s"], status["h"] = s, dict(h)

        mw({**base, "HTTP_AUTHORIZATION": "DPoP " + token, "HTTP_DPOP": proof}, start)
        self.assertEqual(status["s"], "200 OK")
        self.assertEqual(seen["p"].dpop_thumbprint, self.want)
        # The same proof again is a replay; the token as a bearer token is refused.
        for env, code in (
            ({**base, "HTTP_AUTHORIZATION": "DPoP " + token, "HTTP_DPOP": proof}, "invalid_dpop_proof"),
            ({**base, "HTTP_AUTHORIZATION": "Bearer " + token}, "invalid_token"),
        ):
            body = b"".join(mw(env, start))
            self.assertTrue(status["s"].startswith("401"), status["s"])
            ch = status["h"]["WWW-Authenticate"]
            self.assertTrue(ch.startswith("DPoP ") and 'algs="ES256 ES384 EdDSA RS256 PS256"' in ch and code in ch, ch)
            self.assertIn(code.encode(), body)

    def test_asgi(self):
        seen = {}

        async def app(scope, receive, send):
            seen["p"] = asgi.principal(scope)
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})

        mw = asgi.VerifyMiddleware(app, self.verifier())
        token, proof = self.valid["token"], self.valid["requests"][0]["dpop"][0]
        sent = []

        async def send(m):
            sent.append(m)

        async def receive():
            return {"type": "http.request"}

        scope = {"type": "http", "method": "GET", "scheme": "https", "path": "/orders", "root_path": "",
                 "headers": [(b"host", b"api.conformance.test"), (b"authorization", b"DPoP " + token.encode()),
                             (b"dpop", proof.encode())]}  # fmt: skip
        asyncio.run(mw(scope, receive, send))
        self.assertEqual(sent[0]["status"], 200)
        self.assertEqual(seen["p"].dpop_thumbprint, self.want)
        sent.clear()
        asyncio.run(mw(scope, receive, send))
        self.assertEqual(sent[0]["status"], 401)
        ch = dict(sent[0]["headers"])[b"www-authenticate"]
        self.assertTrue(ch.startswith(b"DPoP ") and b"invalid_dpop_proof" in ch, ch)


if __name__ == "__main__":
    unittest.main()

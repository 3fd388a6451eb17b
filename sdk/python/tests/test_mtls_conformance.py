"""The mTLS cases of sdk/conformance/vectors.json (RFC 8705 certificate-bound tokens):
each on a new verifier with the case's trusted_proxies and client_cert_header, its
requests in order through the ASGI middleware (the peer in scope["client"], the TLS
certificate in the "tls" extension's client_cert_chain, a PEM) and through
verify_request, on the file's clock."""

import asyncio
import base64
import json
import ssl
import unittest

from gatehouse_verify.asgi import VerifyMiddleware, principal

from .test_conformance import Web, load_vectors, verifier_for
from .test_dpop_conformance import run_request_cases


async def _echo(scope, receive, send):
    p = principal(scope)
    body = json.dumps({"cert": p.cert_thumbprint, "cert_bound": p.cert_bound, "jkt": p.dpop_thumbprint}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


def _scope(case, r):
    url = r["url"].split("://", 1)[1]
    host, _, path = url.partition("/")
    headers = [(b"host", host.encode()), (b"authorization", ("%s %s" % (r["scheme"], case["token"])).encode())]
    headers += [(b"dpop", p.encode()) for p in r["dpop"] or []]
    headers += [(k.lower().encode(), v.encode()) for k, v in (r["headers"] or {}).items()]
    scope = {"type": "http", "method": r["method"], "scheme": "https", "path": "/" + path, "headers": headers,
             "query_string": b"", "client": (r["remote_addr"], 40000), "extensions": {}}
    if r["tls_client_cert"]:
        pem = ssl.DER_cert_to_PEM_cert(base64.b64decode(r["tls_client_cert"]))
        scope["extensions"]["tls"] = {"client_cert_chain": [pem], "tls_version": 0x0304}
    return scope


async def _call(app, scope):
    out = {}

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(m):
        if m["type"] == "http.response.start":
            out["status"] = m["status"]
            out["headers"] = {k.decode().lower(): v.decode() for k, v in m["headers"]}
        else:
            out["body"] = out.get("body", b"") + m.get("body", b"")

    await app(scope, receive, send)
    return out


class MTLSConformanceTest(unittest.TestCase):
    def _verifier(self, vectors, case):
        kw = {"trusted_proxies": case["trusted_proxies"]}
        if case["client_cert_header"]:
            kw["client_cert_header"] = case["client_cert_header"]
        return verifier_for(vectors, Web(vectors), case["options"], **kw)

    def test_mtls_vectors_through_asgi(self):
        vectors = load_vectors()
        cases = vectors.get("mtls_cases") or []
        self.assertGreater(len(cases), 0)
        for case in cases:
            with self.subTest(case["name"]):
                v = self._verifier(vectors, case)
                try:
                    app = VerifyMiddleware(_echo, v)
                    for i, r in enumerate(case["requests"]):
                        out = asyncio.run(_call(app, _scope(case, r)))
                        want = r["expect"]
                        if want["valid"]:
                            self.assertEqual(out["status"], 200, "request %d: %s" % (i, out.get("body")))
                            cert = want.get("cert_thumbprint", "")
                            self.assertEqual(json.loads(out["body"]),
                                             {"cert": cert, "cert_bound": cert != "", "jkt": want.get("dpop_thumbprint", "")})
                        else:
                            self.assertEqual(out["status"], 401, "request %d" % i)
                            ch = out["headers"]["www-authenticate"]
                            self.assertTrue(ch.startswith(want["challenge_scheme"] + " "), "request %d: %s" % (i, ch))
                            self.assertIn('error="invalid_', ch)
                finally:
                    v.close()

    def test_mtls_vectors_through_verify_request(self):
        vectors = load_vectors()

        def send(v, case, r):
            headers = [("Authorization", "%s %s" % (r["scheme"], case["token"]))]
            headers += [("DPoP", p) for p in r["dpop"] or []]
            headers += list((r["headers"] or {}).items())
            der = base64.b64decode(r["tls_client_cert"]) if r["tls_client_cert"] else None
            return v.verify_request(r["method"], r["url"], headers, remote_addr=r["remote_addr"], tls_client_cert=der)

        run_request_cases(
            self, vectors["mtls_cases"], lambda case: self._verifier(vectors, case), send,
            lambda p: (p.cert_thumbprint, p.cert_bound, p.dpop_thumbprint),
            lambda w: (w.get("cert_thumbprint", ""), w.get("cert_thumbprint", "") != "", w.get("dpop_thumbprint", "")),
        )

if __name__ == "__main__":
    unittest.main()

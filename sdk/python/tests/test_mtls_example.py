"""examples/mtls_asgi.py, which the README shows as it is: imported against a fake portal
on 127.0.0.1 and called with ASGI scopes as a server gives them: the certificate in the
"tls" extension, or in Client-Cert from a trusted proxy's address (and a forged one from
elsewhere)."""

import asyncio
import base64
import importlib.util
import json
import os
import ssl
import unittest

from gatehouse_verify import cert_thumbprint

from .test_example import Portal
from .test_mtls_conformance import _call

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "examples", "mtls_asgi.py")


class MTLSExampleTest(unittest.TestCase):
    def test_readme_shows_the_example(self):
        with open(EXAMPLE) as f:
            example = f.read()
        with open(os.path.join(ROOT, "README.md")) as f:
            readme = f.read()
        self.assertIn("```python\n" + example + "```", readme)

    def test_example(self):
        portal = Portal(ttl=300, validity=3600)
        self.addCleanup(portal.stop)
        env = {"GATEHOUSE_ISSUER": portal.iss.url, "GATEHOUSE_AUDIENCE": "orders-api"}
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            spec = importlib.util.spec_from_file_location("mtls_asgi_example", EXAMPLE)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        self.addCleanup(mod.verifier.close)
        der = os.urandom(200)  # only its SHA-256 matters to the binding
        pem = ssl.DER_cert_to_PEM_cert(der)
        tok = portal.iss.access_token(cnf={"x5t#S256": cert_thumbprint(der)})
        header = (b"client-cert", (":%s:" % base64.b64encode(der).decode()).encode())

        def scope(client, headers=(), tls=None):
            s = {"type": "http", "method": "GET", "scheme": "https", "path": "/orders", "query_string": b"",
                 "headers": [(b"authorization", b"Bearer " + tok.encode()), *headers], "client": (client, 50000)}
            if tls is not None:
                s["extensions"] = {"tls": {"client_cert_chain": [tls]}}
            return s

        want = {"project": "prj_orders", "cert_bound": True, "cert_thumbprint": cert_thumbprint(der)}
        for name, s, status in (
            ("tls extension", scope("192.0.2.9", tls=pem), 200),
            ("trusted proxy header", scope("10.1.2.3", [header]), 200),
            ("forged header", scope("192.0.2.9", [header]), 401),
            ("no certificate", scope("192.0.2.9"), 401),
        ):
            with self.subTest(name):
                out = asyncio.run(_call(mod.app, s))
                self.assertEqual(out["status"], status, out.get("body"))
                if status == 200:
                    self.assertEqual(json.loads(out["body"]), want)
                else:
                    self.assertTrue(out["headers"]["www-authenticate"].startswith('Bearer realm="orders-api", error="invalid_token"'))


if __name__ == "__main__":
    unittest.main()

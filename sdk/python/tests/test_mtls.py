"""Certificate-bound tokens (RFC 8705) outside the vectors: verify() refuses them (it
sees no request), the WSGI middleware believes a proxy's header from REMOTE_ADDR in
trusted_proxies only, and the options are checked."""

import base64
import os
import unittest

import gatehouse_verify as gv
from gatehouse_verify.wsgi import VerifyMiddleware

from ._issuer import Issuer
from .test_wsgi import call, orders


class MTLSTest(unittest.TestCase):
    def setUp(self):
        self.iss = Issuer()
        self.der = os.urandom(300)  # only its SHA-256 matters to the binding
        self.tok = self.iss.access_token(cnf={"x5t#S256": gv.cert_thumbprint(self.der)})

    def test_verify_refuses_a_certificate_bound_token(self):
        v = self.iss.verifier()
        self.addCleanup(v.close)
        with self.assertRaises(gv.CertBoundError) as cm:
            v.verify(self.tok)
        self.assertEqual(cm.exception.code, "cert_bound")
        self.assertFalse(cm.exception.dpop)

    def test_wsgi_proxy_header(self):
        v = self.iss.verifier(trusted_proxies=["192.0.2.0/24"], client_cert_header="X-Client-Cert")
        self.addCleanup(v.close)
        app = VerifyMiddleware(orders, v)
        hv = ":%s:" % base64.b64encode(self.der).decode()
        for remote, headers, want in (
            ("192.0.2.7", {"X-Client-Cert": hv}, "200 OK"),
            ("198.51.100.1", {"X-Client-Cert": hv}, "401 Unauthorized"),  # forged: not a proxy
            ("192.0.2.7", {"Client-Cert": hv}, "401 Unauthorized"),  # not the configured header
            ("192.0.2.7", {"X-Client-Cert": hv + ", " + hv}, "401 Unauthorized"),  # two, joined
        ):
            with self.subTest(remote=remote, headers=list(headers)):
                env_headers = dict(headers, Authorization="Bearer " + self.tok)
                status, h, body, _ = call(app, env_headers, remote_addr=remote)
                self.assertEqual(status, want, body)
                if want != "200 OK":
                    self.assertTrue(h["WWW-Authenticate"].startswith('Bearer realm="orders-api", error="invalid_token"'))

    def test_options_are_checked(self):
        for kw in ({"trusted_proxies": ["10.0.0.0/33"]}, {"trusted_proxies": ["proxy.internal"]}, {"trusted_proxies": "10.0.0.0/8"},
                   {"client_cert_header": "Authorization"}, {"client_cert_header": ""}, {"client_cert_header": "a b"}):
            with self.subTest(kw=kw):
                with self.assertRaises(ValueError):
                    self.iss.verifier(**kw)


if __name__ == "__main__":
    unittest.main()

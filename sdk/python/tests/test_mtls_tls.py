"""Certificate-bound tokens (RFC 8705) over real TLS: the WSGI middleware behind a
wsgiref server on a TLS socket that asks for (does not require) a client certificate and
exports it as SSL_CLIENT_CERT (a PEM, as mod_ssl does), called by http.client with a
certificate, another one, none, or a forged Client-Cert header; and the same server
trusted as a proxy address, where the header is the certificate."""

import base64
import datetime
import http.client
import json
import os
import ssl
import tempfile
import threading
import unittest
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gatehouse_verify import cert_thumbprint
from gatehouse_verify.wsgi import VerifyMiddleware, principal

from ._issuer import Issuer


def _cert(dir_, name):
    """A P-256 key and self-signed certificate in dir_: (cert path, key path, DER)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cp, kp = os.path.join(dir_, name + ".pem"), os.path.join(dir_, name + ".key")
    with open(cp, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(kp, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cp, kp, cert.public_bytes(serialization.Encoding.DER)


class _TLSHandler(WSGIRequestHandler):
    def get_environ(self):
        env = super().get_environ()
        der = self.connection.getpeercert(binary_form=True)
        if der:
            env["SSL_CLIENT_CERT"] = ssl.DER_cert_to_PEM_cert(der)
        return env

    def log_message(self, *args):
        pass


def _echo(environ, start_response):
    p = principal(environ)
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"cert_bound": p.cert_bound, "cert_thumbprint": p.cert_thumbprint}).encode()]


class MTLSOverTLSTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        d = cls.dir.name
        cls.server_cert = _cert(d, "localhost")
        cls.alice = _cert(d, "alice")
        cls.mallory = _cert(d, "mallory")
        cls.iss = Issuer()
        cls.servers = []

    @classmethod
    def tearDownClass(cls):
        for s, t in cls.servers:
            s.shutdown()
            s.server_close()
            t.join()
        cls.dir.cleanup()

    def serve(self, verifier):
        """A TLS server for the middleware: its port."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.server_cert[0], self.server_cert[1])
        # Ask for a certificate; the self-signed ones are the "CAs" so that the handshake
        # takes them (what a deployment trusts is its business, the binding is ours).
        ctx.verify_mode = ssl.CERT_OPTIONAL
        for c in (self.alice, self.mallory):
            ctx.load_verify_locations(c[0])
        s = make_server("127.0.0.1", 0, VerifyMiddleware(_echo, verifier), server_class=WSGIServer, handler_class=_TLSHandler)
        s.socket = ctx.wrap_socket(s.socket, server_side=True)
        t = threading.Thread(target=s.serve_forever, daemon=True)
        t.start()
        self.servers.append((s, t))
        return s.server_port

    def get(self, port, token, cert=None, headers=None):
        ctx = ssl.create_default_context(cafile=self.server_cert[0])
        if cert is not None:
            ctx.load_cert_chain(cert[0], cert[1])
        conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=10)
        try:
            conn.request("GET", "/orders", headers={"Authorization": "Bearer " + token, **(headers or {})})
            r = conn.getresponse()
            return r.status, r.getheader("WWW-Authenticate") or "", r.read()
        finally:
            conn.close()

    def bound(self, cert):
        return self.iss.access_token(cnf={"x5t#S256": cert_thumbprint(cert[2])})

    def test_over_tls(self):
        v = self.iss.verifier(trusted_proxies=["10.0.0.0/8"])
        self.addCleanup(v.close)
        port = self.serve(v)
        tok = self.bound(self.alice)
        status, _, body = self.get(port, tok, self.alice)
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body), {"cert_bound": True, "cert_thumbprint": cert_thumbprint(self.alice[2])})
        forged = {"Client-Cert": ":%s:" % base64.b64encode(self.alice[2]).decode()}
        for name, cert, headers, desc in (
            ("another certificate", self.mallory, None, "is not the one the token is bound to"),
            ("no certificate", None, None, "presented none"),
            ("a forged Client-Cert from an untrusted address", None, forged, "presented none"),
        ):
            with self.subTest(name):
                status, challenge, body = self.get(port, tok, cert, headers)
                self.assertEqual(status, 401)
                self.assertTrue(challenge.startswith('Bearer realm="orders-api", error="invalid_token", error_description="'), challenge)
                self.assertIn(desc, challenge)
                self.assertEqual(json.loads(body)["error"], "invalid_token")
        status, _, body = self.get(port, self.iss.access_token(), None)
        self.assertEqual((status, json.loads(body)), (200, {"cert_bound": False, "cert_thumbprint": ""}))

    def test_trusted_proxy_address(self):
        # Here the loopback address stands for the proxy's.
        v = self.iss.verifier(trusted_proxies=["127.0.0.1/32", "::1"])
        self.addCleanup(v.close)
        port = self.serve(v)
        tok = self.bound(self.alice)
        header = {"Client-Cert": ":%s:" % base64.b64encode(self.alice[2]).decode()}
        status, _, body = self.get(port, tok, None, header)
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["cert_thumbprint"], cert_thumbprint(self.alice[2]))
        # The proxy's own TLS certificate is not the client's.
        status, challenge, _ = self.get(port, tok, self.alice)
        self.assertEqual(status, 401)
        self.assertIn("presented none", challenge)


if __name__ == "__main__":
    unittest.main()

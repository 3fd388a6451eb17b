"""examples/wsgi_app.py end to end, as the repository's e2e tests run it: a real
process, the default (urllib) fetch against a fake portal on 127.0.0.1, a revocation
arriving within the list's ttl, the portal going away (cached list until its exp, then
fail closed), and a clean exit on SIGTERM."""

import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request

from . import _issuer
from ._issuer import Issuer, serve_document, wait_for

EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples", "wsgi_app.py")


class RealClock:
    def __call__(self):
        return time.time()

    def advance(self, s):  # pragma: no cover - not used with the real clock
        raise NotImplementedError


class Portal:
    """The fake issuer's documents over HTTP on 127.0.0.1."""

    def __init__(self, ttl, validity):
        portal = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                serve_document(self, portal.iss)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.iss = Issuer(url="http://127.0.0.1:%d" % self.server.server_address[1], list_ttl=ttl,
                          list_validity=validity, clock=RealClock())  # fmt: skip
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def request(method, url, token=None):
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return res.status, dict(res.headers), res.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def description(res):
    status, headers, body = res
    if status == 200 or not body:
        return None
    return json.loads(body).get("error_description")


class ExampleTest(unittest.TestCase):
    def test_example_api(self):
        portal = Portal(ttl=1, validity=4)
        self.addCleanup(portal.stop)
        iss = portal.iss
        env = dict(os.environ, PYTHONPATH=_issuer._SRC, GATEHOUSE_ISSUER=iss.url, GATEHOUSE_AUDIENCE=_issuer.AUDIENCE, PORT="0")
        proc = subprocess.Popen([sys.executable, EXAMPLE], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        def cleanup():
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            proc.stdout.close()
            proc.stderr.close()

        self.addCleanup(cleanup)
        lines = []
        reader = threading.Thread(target=lambda: lines.append(proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(30)
        self.assertTrue(lines and lines[0].startswith("listening on http://127.0.0.1:"), "no listening line: %r" % lines)
        base = lines[0].split("listening on ", 1)[1].strip()
        orders = base + "/orders"

        reader_key = iss.api_key(jti="key_reader", scope="orders:read")  # status index 3
        writer_key = iss.key_on("sl_1", 4, jti="key_writer")

        status, _, body = request("GET", orders, reader_key)
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body), {"project": "prj_orders", "kind": "api_key", "scopes": ["orders:read"]})
        status, headers, _ = request("POST", orders, reader_key)
        self.assertEqual(status, 403)
        self.assertIn('error="insufficient_scope"', headers["WWW-Authenticate"])
        self.assertEqual(request("POST", orders, writer_key)[0], 201)
        status, headers, _ = request("GET", orders)
        self.assertEqual((status, headers["WWW-Authenticate"]), (401, 'Bearer realm="orders-api"'))
        self.assertEqual(description(request("GET", orders, "not-a-key")), "malformed token")
        self.assertEqual(request("GET", base + "/nope", writer_key)[0], 404)

        # Revoked in the portal: rejected within the list's ttl (1 s), polled.
        iss.revoke("sl_1", 3)
        self.assertTrue(wait_for(lambda: description(request("GET", orders, reader_key)) == "revoked", timeout=15, interval=0.1))
        self.assertEqual(request("GET", orders, writer_key)[0], 200)

        # The portal goes away: the cached list serves until its exp (4 s), then fail closed.
        portal.stop()
        self.assertEqual(request("GET", orders, writer_key)[0], 200)
        self.assertTrue(
            wait_for(lambda: description(request("GET", orders, writer_key)) == "status unavailable", timeout=20, interval=0.2)
        )

        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(15), 0, proc.stderr.read())


if __name__ == "__main__":
    unittest.main()

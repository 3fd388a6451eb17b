"""A tiny orders API protected by gatehouse_verify's WSGI middleware (stdlib only).

    PYTHONPATH=sdk/python/src GATEHOUSE_ISSUER=https://portal.example.com \\
    GATEHOUSE_AUDIENCE=orders-api PORT=8081 /usr/bin/python3 sdk/python/examples/wsgi_app.py

GET /orders answers the caller's principal; POST /orders needs the scope orders:write.
PORT=0 picks a free port. The line "listening on http://127.0.0.1:<port>" is printed once
the server accepts connections; SIGTERM (or SIGINT) stops it cleanly.
"""

import json
import os
import signal
import socketserver
import sys
import threading
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from gatehouse_verify import Verifier
from gatehouse_verify.wsgi import VerifyMiddleware, principal, require_scope


def json_response(start_response, status, obj):
    body = (json.dumps(obj) + "\n").encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def list_orders(environ, start_response):
    p = principal(environ)
    return json_response(start_response, "200 OK", {"project": p.project, "kind": p.kind, "scopes": list(p.scopes)})


@require_scope("orders:write")
def create_order(environ, start_response):
    p = principal(environ)
    return json_response(start_response, "201 Created", {"created": True, "project": p.project})


def orders_api(environ, start_response):
    path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
    if path == "/orders":
        if method == "GET":
            return list_orders(environ, start_response)
        if method == "POST":
            return create_order(environ, start_response)
        return json_response(start_response, "405 Method Not Allowed", {"error": "method not allowed"})
    return json_response(start_response, "404 Not Found", {"error": "not found"})


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class Handler(WSGIRequestHandler):
    def log_message(self, format, *args):  # one line per request, on stderr
        sys.stderr.write("%s %s\n" % (self.address_string(), format % args))


def main():
    verifier = Verifier(os.environ["GATEHOUSE_ISSUER"], audience=os.environ["GATEHOUSE_AUDIENCE"])
    app = VerifyMiddleware(orders_api, verifier)
    server = make_server("127.0.0.1", int(os.environ.get("PORT", "0")), app, ThreadingWSGIServer, Handler)

    def stop(signum, frame):
        # shutdown() waits for serve_forever to return: call it from another thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("listening on http://127.0.0.1:%d" % server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        verifier.close()


if __name__ == "__main__":
    main()

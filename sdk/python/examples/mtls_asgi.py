"""An orders API (ASGI) that takes certificate-bound access tokens (RFC 8705).

    GATEHOUSE_ISSUER=https://portal.example.com GATEHOUSE_AUDIENCE=orders-api \\
        uvicorn --no-proxy-headers mtls_asgi:app
"""

import json
import os

from gatehouse_verify import Verifier
from gatehouse_verify.asgi import VerifyMiddleware, principal

verifier = Verifier(
    os.environ["GATEHOUSE_ISSUER"],
    audience=os.environ["GATEHOUSE_AUDIENCE"],
    trusted_proxies=["10.0.0.0/8"],  # TLS-terminating proxies whose Client-Cert header counts
)


async def orders(scope, receive, send):
    p = principal(scope)  # p.cert_bound, p.cert_thumbprint
    body = {"project": p.project, "cert_bound": p.cert_bound, "cert_thumbprint": p.cert_thumbprint}
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})


app = VerifyMiddleware(orders, verifier)  # a certificate-bound token needs its certificate

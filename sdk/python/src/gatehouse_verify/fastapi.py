"""A FastAPI dependency that verifies the request's credential.

    from fastapi import Depends, FastAPI
    from gatehouse_verify.fastapi import require, install_error_handler

    app = FastAPI()
    install_error_handler(app)          # RFC 6750 bodies: {"error", "error_description"}
    orders_write = require(verifier, scopes=["orders:write"])

    @app.post("/orders")
    async def create(p: Principal = Depends(orders_write)): ...

    # Step-up (RFC 9470): 401 insufficient_user_authentication with max_age or acr_values.
    payouts = require(verifier, max_age=300, acr_values=["urn:example:mfa"])

Rejections raise an HTTPException with the RFC 6750 status and headers
(WWW-Authenticate, Cache-Control: no-store); install_error_handler makes the body exactly
{"error": …, "error_description": …} (without it FastAPI's default handler wraps that in
{"detail": …}). When gatehouse_verify.asgi.VerifyMiddleware already verified the request,
the dependency uses its principal.

FastAPI is imported when these functions are called, not when this module is imported;
the core package never imports it.
"""

import functools
import json
from typing import Any, Callable, Iterable, Optional, Union

from ._http import Response, acr_values_of, error_response, max_age_of, missing_scope, step_up_check
from .asgi import SCOPE_KEY, verify_scope
from .errors import VerifyError
from .principal import Principal
from .verifier import Verifier

__all__ = ["require", "install_error_handler", "http_exception_class"]


@functools.lru_cache(maxsize=None)
def http_exception_class() -> type:
    """The HTTPException subclass the dependency raises (made on first use)."""
    from starlette.exceptions import HTTPException

    class GatehouseHTTPException(HTTPException):
        """A rejection, with its exact RFC 6750 answer in ``response``."""

        def __init__(self, response: Response):
            status, headers, body = response
            self.response = response
            self.body = body
            super().__init__(
                status_code=status,
                detail=json.loads(body),
                headers={k: v for k, v in headers if k not in ("Content-Type", "Content-Length")},
            )

    return GatehouseHTTPException


def require(
    verifier: Verifier,
    scopes: Union[str, Iterable[str], None] = (),
    *,
    max_age: Optional[float] = None,
    acr_values: Union[str, Iterable[str], None] = None,
) -> Callable[..., Any]:
    """A dependency returning the request's Principal, or raising the RFC 6750 rejection:
    401 for a missing or rejected credential, 403 insufficient_scope when it lacks one of
    scopes. Step-up (RFC 9470): with max_age (seconds), 401
    insufficient_user_authentication with max_age unless the user authenticated at most
    that long ago by the verifier's clock; with acr_values, the same with acr_values
    unless the principal's acr is one of them."""
    try:
        from fastapi import Depends, Request
        from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
    except ImportError as e:  # pragma: no cover - exercised only without FastAPI
        raise ImportError("gatehouse_verify.fastapi needs FastAPI (pip install gatehouse-verify[fastapi])") from e

    needed = (scopes,) if isinstance(scopes, str) else tuple(scopes or ())
    need_age = None if max_age is None else max_age_of(max_age)
    need_acr = () if acr_values is None else acr_values_of(acr_values)
    exc = http_exception_class()
    # Declares the bearer scheme in the OpenAPI document; the credential itself is read
    # by the verifier (which also knows X-API-Key when enabled).
    bearer = HTTPBearer(auto_error=False)

    async def dependency(
        request: Request, _credentials: Optional[HTTPAuthorizationCredentials] = Depends(bearer)
    ) -> Principal:
        p = request.scope.get(SCOPE_KEY)
        if p is None:
            try:
                p = await verify_scope(verifier, request.scope)
            except VerifyError as e:
                raise exc(error_response(verifier.audience, e, verifier.resource_metadata)) from None
            request.scope[SCOPE_KEY] = p
        r = missing_scope(p, needed)
        if r is None and need_age is not None:
            r = step_up_check(p, verifier.now(), need_age, ())
        if r is None and need_acr:
            r = step_up_check(p, verifier.now(), None, need_acr)
        if r is not None:
            raise exc(r)
        return p

    return dependency


def install_error_handler(app: Any) -> None:
    """Makes FastAPI answer the dependency's rejections with exactly the RFC 6750 body."""
    from starlette.responses import Response as StarletteResponse

    exc = http_exception_class()

    async def handler(request: Any, e: Any) -> Any:
        status, headers, body = e.response
        return StarletteResponse(
            content=body,
            status_code=status,
            headers={k: v for k, v in headers if k != "Content-Length"},
        )

    app.add_exception_handler(exc, handler)

"""``/self-service/methods/oidc/callback[/{provider}]``: the upstream provider's redirect
back (GET), and Apple's ``form_post`` (POST, answered with a 302 to the GET)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from phalanx.errors import endpoint_disabled
from phalanx.http.adapter import run_flow
from phalanx.http.prefix import route_path
from phalanx.http.state import registry_of
from phalanx.selfservice.request import FlowRequest, Outcome
from phalanx.selfservice.strategy.oidc.callback import form_post_redirect

__all__ = ["routes"]


async def callback(request: Request) -> Response:
    registry = registry_of(request)
    handler = registry.oidc_callback
    provider = request.path_params.get("provider")

    async def step(req: FlowRequest) -> Outcome:
        if handler is None:  # strategy.IsDisabled
            forwarded: Outcome = await registry.flow_env.forward_error(req, endpoint_disabled())
            return forwarded
        return await handler.handle(req, provider)

    return await run_flow(request, step)


async def form_post(request: Request) -> Response:
    """Kratos ``redirectToGET``: CSRF-exempt; the form fields move into the query."""
    body = (await request.body())[: 64 * 1024].decode("utf-8", errors="replace")
    form = dict(parse_qsl(body, keep_blank_values=True))
    target = form_post_redirect(
        registry_of(request).config.public_base_url,
        route_path(request.scope),
        dict(request.query_params),
        form,
    )
    return RedirectResponse(target, status_code=302)


routes = [
    Route("/self-service/methods/oidc/callback", callback, methods=["GET"]),
    Route("/self-service/methods/oidc/callback/{provider}", callback, methods=["GET"]),
    Route("/self-service/methods/oidc/callback/{provider}", form_post, methods=["POST"]),
]

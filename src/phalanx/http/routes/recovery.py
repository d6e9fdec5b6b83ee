"""``/self-service/recovery/*`` routes, and the link confirmation page both flows share.

``GET /self-service/recovery?flow=&token=`` (the link in a recovery mail) uses the token as
Kratos does; with ``phalanx.link_confirmation.enabled`` it answers a small page whose
button POSTs it instead (see :class:`~phalanx.selfservice.flow.challenge.ChallengeService`),
so mail scanners prefetching links cannot consume them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from phalanx.errors import KratosError
from phalanx.http.adapter import apply_cookies, flow_request, respond, run_flow
from phalanx.http.responses import NO_CACHE, error_response
from phalanx.http.state import registry_of
from phalanx.selfservice.flow.base import FlowKind, FlowType
from phalanx.selfservice.flow.recovery.service import LinkConfirmation
from phalanx.selfservice.request import FlowRequest, Outcome

__all__ = ["confirmation_page", "open_link", "routes"]

_TEXTS = {
    FlowKind.RECOVERY: (
        "Recover your account",
        "Continue to recover your account and choose a new password.",
    ),
    FlowKind.VERIFICATION: (
        "Verify your email address",
        "Continue to confirm that this email address belongs to you.",
    ),
}


def confirmation_page(confirmation: LinkConfirmation) -> str:
    """The HTML of a link's confirmation page: one form, hidden fields, one button."""
    title, lead = _TEXTS.get(confirmation.kind, ("Continue", "Continue."))
    fields = "\n".join(
        f'      <input type="hidden" name="{escape(k)}" value="{escape(v)}">'
        for k, v in confirmation.fields.items()
    )
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="referrer" content="no-referrer">
  <meta name="robots" content="noindex, nofollow">
  <title>{escape(title)}</title>
  <style>
    body {{ font-family: system-ui, sans-serif; background: #f5f6f8; margin: 0; }}
    main {{ max-width: 26rem; margin: 12vh auto; background: #fff; padding: 2rem;
           border-radius: .75rem; box-shadow: 0 1px 4px rgba(0,0,0,.12); }}
    h1 {{ font-size: 1.4rem; margin-top: 0; }}
    button {{ width: 100%; padding: .75rem; font-size: 1rem; border: 0;
             border-radius: .5rem; background: #1f5eff; color: #fff; cursor: pointer; }}
  </style>
</head>
<body>
  <main>
    <h1>{escape(title)}</h1>
    <p>{escape(lead)}</p>
    <form method="POST" action="{escape(confirmation.action)}">
{fields}
      <button type="submit" autofocus>Continue</button>
    </form>
  </main>
</body>
</html>
"""


async def open_link(
    request: Request,
    step: Callable[[FlowRequest], Awaitable[Outcome | LinkConfirmation]],
) -> Response:
    """``GET`` of a submit URL: either an Outcome or the confirmation page."""
    registry = registry_of(request)
    req = await flow_request(request)
    try:
        result = await step(req)
    except KratosError as error:
        return error_response(error)
    if not isinstance(result, LinkConfirmation):
        return respond(registry, req, result)
    form_action = " ".join(["'self'", *result.form_targets])
    response = HTMLResponse(
        confirmation_page(result),
        headers={
            "Cache-Control": NO_CACHE,
            "Referrer-Policy": "no-referrer",
            "X-Robots-Tag": "noindex, nofollow",
            "X-Frame-Options": "DENY",
            # form-action also governs the redirects after the POST: the 303 to an
            # external UI (ui_url, return URLs) must be allowed, or the browser stops it.
            "Content-Security-Policy": (
                "default-src 'none'; style-src 'unsafe-inline'; "
                f"form-action {form_action}; "
                "frame-ancestors 'none'; base-uri 'none'"
            ),
        },
    )
    apply_cookies(registry, response, Outcome(set_csrf=result.set_csrf), req)
    return response


async def create_browser(request: Request) -> Response:
    service = registry_of(request).recovery
    return await run_flow(request, lambda req: service.create(req, FlowType.BROWSER))


async def create_api(request: Request) -> Response:
    service = registry_of(request).recovery
    return await run_flow(request, lambda req: service.create(req, FlowType.API))


async def fetch(request: Request) -> Response:
    service = registry_of(request).recovery
    return await run_flow(request, lambda req: service.fetch(req, req.query.get("id")))


async def submit(request: Request) -> Response:
    service = registry_of(request).recovery
    return await run_flow(
        request, lambda req: service.submit(req, req.query.get("flow")), with_body=True
    )


async def open_(request: Request) -> Response:
    service = registry_of(request).recovery
    return await open_link(request, lambda req: service.open(req, req.query.get("flow")))


routes = [
    Route("/self-service/recovery/browser", create_browser, methods=["GET"]),
    Route("/self-service/recovery/api", create_api, methods=["GET"]),
    Route("/self-service/recovery/flows", fetch, methods=["GET"]),
    Route("/self-service/recovery", submit, methods=["POST"]),
    Route("/self-service/recovery", open_, methods=["GET"]),
]

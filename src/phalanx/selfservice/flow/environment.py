"""What every flow service shares: config lookups, CSRF, error forwarding, responses.

This is Kratos's ``flow.EnsureCSRF``, the error manager (``errorx``) and the
JSON-or-redirect helpers, in one framework-free place.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urljoin

from phalanx.errors import BadRequestError, CSRFViolationError, KratosError
from phalanx.selfservice.flow.base import Flow, FlowKind
from phalanx.selfservice.flow.csrf import mask_token, new_real_token, tokens_match
from phalanx.selfservice.flow.return_to import secure_redirect
from phalanx.selfservice.flow.store import ErrorStore
from phalanx.selfservice.request import FlowRequest, Outcome, with_query
from phalanx.session.manager import SessionManager

if TYPE_CHECKING:
    from phalanx.config import Config, UIFlow

__all__ = ["FlowEnvironment"]

_CSRF_DOCS = "https://www.ory.com/docs/troubleshooting/csrf"
_HINT_AJAX = (
    "We detected an AJAX call, please ensure that CORS is enabled and configured correctly, "
    "and that your AJAX code sends cookies and has credentials enabled. For further guidance, "
    "check the documentation."
)
_HINT_BROWSER = (
    "We detected a regular browser or server-side call. Please ensure that the cookies are "
    "set correctly and that the request is made from the same origin."
)


class FlowEnvironment:
    def __init__(self, config: Config, sessions: SessionManager, errors: ErrorStore) -> None:
        self.config = config
        self.sessions = sessions
        self.errors = errors

    # -- URLs ----------------------------------------------------------------------------
    @property
    def public_url(self) -> str:
        return str(self.config.public_base_url)

    def self_service_url(self, path: str) -> str:
        return urljoin(self.public_url, "self-service/" + path.lstrip("/"))

    def action_url(self, kind: FlowKind, flow_id: uuid.UUID) -> str:
        return with_query(self.self_service_url(str(kind)), flow=str(flow_id))

    def ui_url(self, kind: str) -> str:
        return self.config.ui_url(cast("UIFlow", kind))

    def flow_ui_url(self, flow: Flow) -> str:
        return with_query(self.ui_url(str(flow.kind)), flow=str(flow.id))

    def default_return_url(self, kind: FlowKind | str, method: str | None = None) -> str:
        """``flows.<kind>.after.<method>.default_browser_return_url`` → ``flows.<kind>.after…``
        → ``selfservice.default_browser_return_url``."""
        after = getattr(getattr(self.config.selfservice.flows, str(kind), None), "after", None)
        url = None
        if method and after is not None:
            url = getattr(getattr(after, method, None), "default_browser_return_url", None)
        if not url and after is not None:
            url = getattr(after, "default_browser_return_url", None)
        if not url:
            return self.config.default_browser_return_url
        return self.config.absolute_url(str(url))

    def secure_return_to(
        self, return_to: str | None, kind: FlowKind | str, method: str | None = None
    ) -> str:
        return secure_redirect(
            return_to,
            default=self.default_return_url(kind, method),
            allowed=self.allowed_return_urls,
            public_base_url=self.public_url,
        )

    @property
    def allowed_return_urls(self) -> list[str]:
        """``selfservice.allowed_return_urls`` plus the UI pages (so a refresh login can
        return to the settings page it came from)."""
        configured = [str(u) for u in (self.config.selfservice.allowed_return_urls or [])]
        pages = [
            self.ui_url(k)
            for k in ("login", "registration", "settings", "recovery", "verification")
        ]
        return [*configured, *pages, self.config.default_browser_return_url]

    # -- CSRF ----------------------------------------------------------------------------
    def csrf_for_new_flow(self, req: FlowRequest) -> tuple[str, str | None]:
        """(masked token for the flow, real token to set as cookie if the request lacked one)."""
        if req.csrf_cookie:
            return mask_token(req.csrf_cookie), None
        real = new_real_token()
        req.csrf_cookie = real
        return mask_token(real), real

    def ensure_csrf(self, req: FlowRequest, flow: Flow) -> None:
        """Kratos ``flow.EnsureCSRF``: api flows refuse browser traits; browser flows need
        the CSRF cookie and a matching token in the body or ``X-CSRF-Token``."""
        if flow.is_api:
            self._ensure_api_request(req)
            return
        sent = req.headers.get("x-csrf-token") or req.body.get("csrf_token")
        if isinstance(sent, str) and tokens_match(req.csrf_cookie, sent):
            return
        raise self.csrf_error(req, sent if isinstance(sent, str) else None)

    def csrf_error(self, req: FlowRequest, sent: str | None) -> CSRFViolationError:
        ajax = req.headers.get("sec-fetch-mode") in ("cors", "same-origin")
        details: dict[str, Any] = {
            "docs": _CSRF_DOCS,
            "hint": _HINT_AJAX if ajax else _HINT_BROWSER,
        }
        if not req.headers.get("cookie"):
            details["reject_reason"] = "The HTTP Cookie Header is empty or not set."
        elif not req.csrf_cookie:
            details["reject_reason"] = (
                "The HTTP Cookie Header was set but did not include the anti-CSRF cookie."
            )
        elif not sent:
            details["hint"] = (
                "The anti-CSRF cookie was found but the CSRF token was not included in the HTTP "
                "request body (csrf_token) nor in the HTTP Header (X-CSRF-Token)."
            )
        else:
            details["reject_reason"] = (
                "The HTTP Cookie Header was set and a CSRF token was sent but they do not match. "
                "We recommend deleting all cookies for this domain and retrying the flow."
            )
        return CSRFViolationError(details=details)

    def _ensure_api_request(self, req: FlowRequest) -> None:
        if req.headers.get("origin"):
            raise BadRequestError(
                'The HTTP Request Header included the "Origin" key, indicating that this request '
                "was made as part of an AJAX request in a Browser. The flow however was initiated "
                "as an API request. To prevent potential misuse and mitigate several attack "
                "vectors including CSRF, the request has been blocked. Please consult the "
                "documentation."
            )
        found = [name for name in req.cookies if not name.startswith(("__cf", "_cf", "cf_"))]
        if found:
            raise BadRequestError(
                'The HTTP Request Header included the "Cookie" key, indicating that this request '
                "was made by a Browser. The flow however was initiated as an API request. To "
                "prevent potential misuse and mitigate several attack vectors including CSRF, the "
                "request has been blocked. Please consult the documentation.",
                details={"found cookies": found},
            )

    # -- responses ----------------------------------------------------------------------
    def flow_or_redirect(self, req: FlowRequest, flow: Flow, *, status: int = 200) -> Outcome:
        """API flows and JSON clients get the flow; plain browsers a 303 to the flow's UI."""
        if flow.is_browser and not req.is_json:
            return Outcome.redirect(self.flow_ui_url(flow))
        return Outcome.json(flow.to_dict(), status=status)

    async def forward_error(self, req: FlowRequest, error: KratosError) -> Outcome:
        """Kratos's error manager: JSON clients get the envelope, browsers the error UI."""
        if req.is_json:
            raise error
        error_id = await self.errors.add(error.to_dict())
        return Outcome.redirect(with_query(self.ui_url("error"), id=str(error_id)))

"""What every flow service shares: config lookups, CSRF, error forwarding, responses.

This is Kratos's ``flow.EnsureCSRF``, the error manager (``errorx``) and the
JSON-or-redirect helpers, in one framework-free place.
"""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urljoin

from phalanx.errors import (
    BadRequestError,
    BrowserLocationChangeRequiredError,
    CSRFViolationError,
    KratosError,
    error_envelope,
)
from phalanx.selfservice.flow.audit import FlowAudit
from phalanx.selfservice.flow.base import Flow, FlowKind, FlowType
from phalanx.selfservice.flow.csrf import mask_token, new_real_token, tokens_match
from phalanx.selfservice.flow.results import ExternalRedirect
from phalanx.selfservice.flow.return_to import secure_redirect
from phalanx.selfservice.flow.store import ErrorStore
from phalanx.selfservice.request import FlowRequest, Outcome, with_query
from phalanx.session.aal import AalGuard
from phalanx.session.manager import SessionManager
from phalanx.session.model import Session

if TYPE_CHECKING:
    from phalanx.config import Config, UIFlow
    from phalanx.identity.model import Identity
    from phalanx.selfservice.hook.runner import FlowHooks

__all__ = ["FlowEnvironment"]

# Kratos v25.4 (x/nosurfx/nosurf.go) texts, verbatim.
_CSRF_DOCS = "https://www.ory.sh/kratos/docs/debug/csrf"
_HINT_AJAX = (
    "We detected an AJAX call, please ensure that CORS is enabled and configured correctly, "
    "and that your AJAX code sends cookies and has credentials enabled. For further debugging, "
    "check your Browser's Network Tab to see what cookies are included or excluded."
)
_HINT_SERVER = (
    "We detected a regular browser or server-side call. To debug browser calls check your "
    "Browser's Network Tab to see what cookies are included or excluded. If you are calling "
    "from a server ensure that the appropriate cookies are being forwarded and that the SDK "
    "method is called correctly."
)
_NO_COOKIE = "The HTTP Cookie Header is empty or not set."
_COOKIE_MISSING = "The HTTP Cookie Header was set but did not include the anti-CSRF cookie."
_TOKEN_NOT_SENT = (
    "The anti-CSRF cookie was found but the CSRF token was not included in the HTTP request "
    "body (csrf_token) nor in the HTTP Header (X-CSRF-Token)."
)
_TOKEN_MISMATCH = (
    "The HTTP Cookie Header was set and a CSRF token was sent but they do not match. We "
    "recommend deleting all cookies for this domain and retrying the flow."
)


class FlowEnvironment:
    """Config, sessions and the error store as every flow service needs them."""

    def __init__(
        self,
        config: Config,
        sessions: SessionManager,
        errors: ErrorStore,
        aal: AalGuard,
    ) -> None:
        self.config = config
        self.sessions = sessions
        self.errors = errors
        #: ``DoesSessionSatisfy`` (whoami's and settings' ``required_aal``, login checkAAL).
        self.aal = aal
        #: Kratos: ``--dev`` plus ``DEV_DISABLE_API_FLOW_ENFORCEMENT=true`` (for test rigs).
        self.disable_api_flow_enforcement = config.dev and (
            os.environ.get("DEV_DISABLE_API_FLOW_ENFORCEMENT") == "true"
        )
        #: Hook points (``web_hook`` and Python hooks) by flow kind; the registry fills it.
        self.hook_points: dict[str, FlowHooks] = {}
        #: Audit events of the flows (the registry gives it the audit log).
        self.audit = FlowAudit()

    # -- hooks ---------------------------------------------------------------------------
    def hooks(self, kind: FlowKind) -> FlowHooks | None:
        """The hook points of a flow kind (None: nothing configured or registered)."""
        return self.hook_points.get(str(kind))

    async def before_hooks(self, req: FlowRequest, flow: Flow) -> Outcome | None:
        """Run the flow's before-hooks on a new, not yet stored flow. A failure forwards to
        the error UI for browsers (the Outcome) and is raised for API flows."""
        points = self.hooks(flow.kind)
        if points is None:
            return None
        try:
            await points.before(req, flow.to_dict)
        except KratosError as error:
            if flow.is_api:
                raise
            return await self.forward_error(req, error)
        return None

    async def after_hooks(
        self,
        req: FlowRequest,
        flow: Flow,
        identity: Identity,
        method: str | None,
        session: Session | None = None,
        *,
        keep_changes: bool = True,
    ) -> None:
        """Login/recovery/verification after-hooks (see :class:`FlowHooks`)."""
        points = self.hooks(flow.kind)
        if points is not None:
            await points.after(
                req, flow.to_dict, identity, method, session, keep_changes=keep_changes
            )

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

    def default_return_url(
        self, kind: FlowKind | str, method: str | None = None, *, fallback: str | None = None
    ) -> str:
        """``flows.<kind>.after.<method>.default_browser_return_url`` → ``flows.<kind>.after…``
        → ``fallback`` (the settings flow: its own UI page) →
        ``selfservice.default_browser_return_url``."""
        after = getattr(getattr(self.config.selfservice.flows, str(kind), None), "after", None)
        url = None
        if method and after is not None:
            url = getattr(getattr(after, method, None), "default_browser_return_url", None)
        if not url and after is not None:
            url = getattr(after, "default_browser_return_url", None)
        if not url:
            return fallback or self.config.default_browser_return_url
        return self.config.absolute_url(str(url))

    def secure_return_to(
        self,
        return_to: str | None,
        kind: FlowKind | str,
        method: str | None = None,
        *,
        fallback: str | None = None,
    ) -> str:
        """Kratos ``SecureRedirectTo``: ``return_to`` if allow-listed, the flow's default
        return URL when absent (see :meth:`default_return_url`); raises
        ``self_service_flow_return_to_forbidden`` otherwise."""
        return secure_redirect(
            return_to,
            default=self.default_return_url(kind, method, fallback=fallback),
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

    def csrf_for_flow(self, req: FlowRequest, flow_type: FlowType) -> tuple[str, str | None]:
        """The ``csrf_token`` node value of a new flow and the cookie to set, if any.

        Browser flows get a masked token (and a cookie when the request had none). API flows
        get the node too, empty: Kratos's CSRF middleware ignores the ``/api`` routes, so
        ``nosurf.Token`` is ``""`` there (unless the client sent a CSRF cookie).
        """
        if flow_type == FlowType.BROWSER:
            return self.csrf_for_new_flow(req)
        return (mask_token(req.csrf_cookie) if req.csrf_cookie else ""), None

    def refresh_csrf_node(self, req: FlowRequest, flow: Flow) -> None:
        """Re-mask the CSRF token on a browser flow rendered again after an error
        (``f.UI.SetCSRF(GenerateCSRFToken(r))``)."""
        if flow.is_browser and req.csrf_cookie:
            flow.ui.set_csrf(mask_token(req.csrf_cookie))

    @staticmethod
    def tokens_match_flow(req: FlowRequest, flow: Flow) -> bool:
        """Fetching a browser flow: the CSRF cookie must carry the flow's token."""
        return tokens_match(req.csrf_cookie, flow.csrf_token)

    def ensure_csrf(self, req: FlowRequest, flow: Flow) -> None:
        """Kratos ``flow.EnsureCSRF``: api flows refuse browser traits; browser flows need
        the CSRF cookie and a matching token (body ``csrf_token`` or ``X-CSRF-Token``)."""
        if flow.is_api:
            if not self.disable_api_flow_enforcement:
                self._ensure_api_request(req)
            return
        sent = req.body.get("csrf_token") or req.headers.get("x-csrf-token")
        if isinstance(sent, str) and tokens_match(req.csrf_cookie, sent):
            return
        raise self.csrf_error(req)

    def csrf_error(self, req: FlowRequest, sent: str | None = None) -> CSRFViolationError:
        """The 403 ``security_csrf_violation`` with Kratos's ``details`` (``CSRFErrorReason``).

        Kratos calls a request without ``Origin`` "AJAX" and only looks for a token in form
        fields and the ``X-CSRF-Token`` header when choosing the reason; both kept as is.
        """
        ajax = not req.headers.get("origin")
        details: dict[str, Any] = {"docs": _CSRF_DOCS}
        form_token = req.body.get("csrf_token") if not req.is_json else None
        sent_any = (
            sent or form_token or req.headers.get("x-csrf-token") or (req.query.get("csrf_token"))
        )
        if not req.headers.get("cookie"):
            details["hint"] = _HINT_AJAX if ajax else _HINT_SERVER
            details["reject_reason"] = _NO_COOKIE
        elif not req.csrf_cookie:
            details["hint"] = _HINT_AJAX if ajax else _HINT_SERVER
            details["reject_reason"] = _COOKIE_MISSING
        elif not sent_any:
            details["hint"] = _TOKEN_NOT_SENT
        else:
            details["hint"] = _HINT_AJAX
            details["reject_reason"] = _TOKEN_MISMATCH
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

    # -- sessions ------------------------------------------------------------------------
    async def rotate_csrf_for(self, req: FlowRequest, issued: Session) -> bool:
        """Kratos ``IssueCookie``: a new anti-CSRF token when the request had no session or
        one of another identity (the session principal changes)."""
        previous = await self.sessions.from_request(req)
        return previous is None or previous.identity_id != issued.identity_id

    # -- responses ----------------------------------------------------------------------
    def flow_or_redirect(self, req: FlowRequest, flow: Flow, *, status: int = 200) -> Outcome:
        """API flows and JSON clients get the flow; plain browsers a 303 to the flow's UI
        (``SendFlowCompletedAsRedirectOrJSON`` negotiates on Accept only)."""
        if flow.is_browser and not req.accepts_json:
            return Outcome.redirect(self.flow_ui_url(flow))
        return Outcome.json(flow.to_dict(), status=status)

    def show(
        self, req: FlowRequest, flow: Flow, *, status: int = 200, relocate: bool = False
    ) -> Outcome:
        """A flow a strategy changed (:class:`~.results.ShowFlow`): JSON with ``status``
        for API flows and JSON clients (``IsJSONRequest``), else a 303 to its UI;
        ``relocate`` answers JSON clients of browser flows with ``422
        browser_location_change_required`` pointing at that UI."""
        if flow.is_browser and not req.is_json:
            return Outcome.redirect(self.flow_ui_url(flow))
        if flow.is_browser and relocate:
            raise BrowserLocationChangeRequiredError(self.flow_ui_url(flow))
        return Outcome.json(flow.to_dict(), status=status)

    def external_redirect(self, req: FlowRequest, result: ExternalRedirect) -> Outcome:
        """:class:`~.results.ExternalRedirect`: Kratos answers JSON clients with
        ``422 browser_location_change_required`` and browsers with a 303."""
        if req.is_json:
            error = BrowserLocationChangeRequiredError(result.location)
            outcome = Outcome(status=error.code, body=error_envelope(error))
        else:
            outcome = Outcome.redirect(result.location)
        outcome.set_continuity = result.continuity
        return outcome

    async def forward_error(self, req: FlowRequest, error: KratosError) -> Outcome:
        """Kratos's error manager (``errorx.Forward``): JSON clients get the envelope,
        browsers a 303 to the error UI with the stored error's id."""
        if req.is_json:
            raise error
        error_id = await self.errors.add(error.to_dict())
        if req.accepts_json:
            raise error
        return Outcome.redirect(with_query(self.ui_url("error"), id=str(error_id)))

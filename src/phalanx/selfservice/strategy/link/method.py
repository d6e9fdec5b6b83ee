"""What the ``link`` method does alike in the recovery and verification flows (Kratos
``link/strategy.go``): the e-mail form, mailing a link, the token a confirmation page
POSTs, and starting over in a browser.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from phalanx.limits.keys import Action
from phalanx.selfservice.flow.base import Flow, FlowState, FlowType
from phalanx.selfservice.flow.csrf import tokens_match
from phalanx.selfservice.flow.environment import FlowEnvironment
from phalanx.selfservice.flow.results import Retry, ShowFlow
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.strategy.code.form import (
    email_input,
    email_invalid,
    email_required,
    submit_button,
)
from phalanx.text import UiText
from phalanx.ui import NodeGroup

if TYPE_CHECKING:
    from phalanx.selfservice.strategy.link.sender import LinkSender

__all__ = ["LinkMethod"]

GROUP = NodeGroup.LINK


class LinkMethod:
    """Base of :class:`~.recovery.LinkRecovery` and :class:`~.verification.LinkVerification`."""

    id: ClassVar[str] = "link"
    #: Set by the subclasses (one sender per method row).
    sender: LinkSender

    def populate(self, flow: Flow, csrf_token: str) -> None:
        flow.ui.set_csrf(csrf_token)
        flow.ui.upsert(email_input(group=GROUP))
        flow.ui.append(submit_button(self.id, group=GROUP))

    @staticmethod
    def submitted_token(
        req: FlowRequest, values: Mapping[str, Any], env: FlowEnvironment
    ) -> str | None:
        """The token of an opened link (None: not such a submission). A ``GET`` (the link
        itself) carries no CSRF token, and Kratos asks for none; the POST of the
        confirmation page (``phalanx.link_confirmation``) must match the cookie, as any
        browser form."""
        token = values.get("token")
        if not isinstance(token, str) or not token:
            return None
        if req.method == "GET":
            return token
        sent = values.get("csrf_token") or req.headers.get("x-csrf-token")
        if not isinstance(sent, str) or not tokens_match(req.csrf_cookie, sent):
            raise env.csrf_error(req, sent if isinstance(sent, str) else None)
        return token

    async def send_link(
        self,
        req: FlowRequest,
        flow: Flow,
        values: Mapping[str, Any],
        env: FlowEnvironment,
        send: Callable[[Flow, str], Awaitable[None]],
        sent: UiText,
    ) -> ShowFlow:
        """``{method: link, email}``: mail a link (``send``) -> ``sent_email`` with ``sent``."""
        email = values.get("email")
        flow.ui.reset_messages()
        if not isinstance(email, str) or not email:
            raise email_required(flow, email_input(group=GROUP))
        invalid = email_invalid(flow, email_input(email, group=GROUP), email)
        if invalid is not None:
            raise invalid
        env.ensure_csrf(req, flow)
        await self.sender.limiter.hit(Action.SENDING, req, email)
        await send(flow, email)
        flow.ui.upsert(email_input(email, group=GROUP))
        flow.active = self.id
        flow.state = FlowState.SENT_EMAIL
        flow.ui.messages = [sent]
        return ShowFlow()

    @staticmethod
    def retry_in_browser(message: UiText) -> Retry:
        """A used link goes wrong: a new browser flow carrying ``message`` (links are
        opened in browsers, whatever kind of client asked for them)."""
        return Retry(message=message, flow_type=FlowType.BROWSER, redirect_by_type=True)

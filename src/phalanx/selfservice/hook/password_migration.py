"""The password migration hook (Kratos ``selfservice/hook/password_migration_hook.go``).

An identity imported with ``{"password": {"config": {"use_password_migration_hook": true}}}``
has no hash. On its first password login Phalanx asks the old system
(``selfservice.methods.password.config.migrate_hook``): a POST with
``{"identifier": ..., "password": ...}`` (or the Jsonnet ``body`` rendered with ``ctx``
plus ``identifier`` and ``password``). ``200 {"status": "password_match"}`` accepts the
password -- the login strategy then stores a hash and drops the flag, so the hook is never
called again for that identity; any other 200 reply and ``403`` are wrong credentials;
anything else is a 502. Requests go through the same client as ``web_hook`` (SSRF guard,
retries, timeout).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from phalanx.config.model_methods import MigrateHookConfig
from phalanx.errors import BadGatewayError, GatewayTimeoutError, InternalServerError
from phalanx.outbound.request import request_headers
from phalanx.selfservice.hook.events import HookEvent
from phalanx.selfservice.hook.web_hook import WebHookCaller, hook_context

if TYPE_CHECKING:
    from phalanx.identity.model import Identity
    from phalanx.selfservice.flow.login.flow import LoginFlow
    from phalanx.selfservice.request import FlowRequest

__all__ = ["PasswordMigrationHook"]

_UNREACHABLE = "A third-party upstream service could not be reached. Please try again later."
_IMPROPER = "A third-party upstream service responded improperly. Please try again later."


@dataclass(slots=True)
class PasswordMigrationHook:
    """Asks the legacy system whether ``password`` is right for ``identifier``."""

    config: MigrateHookConfig
    caller: WebHookCaller

    async def verify(
        self,
        req: FlowRequest,
        flow: LoginFlow,
        identity: Identity,
        identifier: str,
        password: str,
    ) -> bool:
        """True on ``password_match``; False for wrong credentials; raises 502 otherwise."""
        config = self.config
        if config.url is None:
            raise InternalServerError("The password migration hook is enabled but has no url.")
        headers = request_headers(config.headers, config.auth)
        if config.body:
            event = HookEvent("login", "after", "password", req, flow.to_dict(), identity)
            ctx = hook_context(
                event, self.caller.settings.header_allowlist, self.caller.identity_json
            )
            ctx.update(identifier=identifier, password=password)
            content = await self.caller.render(str(config.body), ctx, headers, "password_migration")
        else:
            content = json.dumps({"identifier": identifier, "password": password}).encode()
        try:
            response = await self.caller.deliver(
                str(config.url),
                config.method,
                headers,
                content,
                emit_analytics_event=config.emit_analytics_event,
                name="password_migration_hook",
            )
        except (GatewayTimeoutError, InternalServerError) as exc:
            raise BadGatewayError(
                _UNREACHABLE, message="calling the password migration hook failed"
            ) from exc
        if response.status == 200:
            try:
                reply = json.loads(response.body[:1024])
            except ValueError:
                return False
            return isinstance(reply, dict) and reply.get("status") == "password_match"
        if response.status == 403:
            return False
        raise BadGatewayError(
            _IMPROPER,
            message=f"password migration hook failed with status code {response.status}",
        )

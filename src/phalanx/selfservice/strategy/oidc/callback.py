"""``GET|POST /self-service/methods/oidc/callback/{provider}`` (Kratos ``HandleCallback``).

Checks in Kratos's order, with its error texts: the ``state`` parameter, the sealed state,
the provider in the URL, the flow (registration, login, then settings), the continuity
cookie, the provider's ``error``, the ``code``; then the token exchange, the claims, and the
flow's own ending (login, registration or link). Errors before the flow is known go to the
error UI; later ones are written into the flow (a 400 becomes 4000001 on the form).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from phalanx import text
from phalanx.clock import isoformat, utcnow
from phalanx.errors import (
    BadRequestError,
    FlowExpiredError,
    IdentityMismatchError,
    KratosError,
    NotFoundError,
    SessionInactiveError,
)
from phalanx.selfservice.flow.base import Flow
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.login.flow import LoginFlow
from phalanx.selfservice.flow.registration.flow import RegistrationFlow
from phalanx.selfservice.flow.settings.flow import SettingsFlow
from phalanx.selfservice.flow.settings.strategy import SettingsResult
from phalanx.selfservice.request import FlowRequest, Outcome
from phalanx.selfservice.strategy.oidc import continuity
from phalanx.selfservice.strategy.oidc.claims import validate_claims
from phalanx.selfservice.strategy.oidc.core import (
    OidcCore,
    Tokens,
    add_oidc_credential,
    provider_entry,
)
from phalanx.selfservice.strategy.oidc.state import OAuthState
from phalanx.session.model import AuthenticationMethod

__all__ = ["OidcCallback", "form_post_redirect"]

_PREFIX = "Unable to complete OpenID Connect flow"


def _bad(reason: str) -> BadRequestError:
    return BadRequestError(reason)


def form_post_redirect(
    public_url: str, path: str, query: dict[str, str], form: dict[str, str]
) -> str:
    """Kratos ``redirectToGET``: Apple's ``form_post`` callback becomes a GET of the same
    path with the form fields in the query (so SameSite=Lax cookies are sent)."""
    merged = {**query, **form}
    base = public_url.rstrip("/") + path
    return base + ("?" + urlencode(merged) if merged else "")


def _expired(flow: Flow) -> FlowExpiredError:
    since = utcnow() - flow.expires_at
    return FlowExpiredError(
        f"The self-service flow expired {since.total_seconds() / 60:.2f} minutes ago, "
        "initialize a new one.",
        extra={
            "expired_at": isoformat(flow.expires_at),
            "since": int(since.total_seconds() * 1_000_000_000),
        },
    )


class OidcCallback:
    def __init__(self, core: OidcCore) -> None:
        self.core = core

    @property
    def deps(self) -> Any:
        return self.core.deps

    async def handle(self, req: FlowRequest, provider_id: str | None) -> Outcome:
        env = self.deps.flow_env
        try:
            flow, state, container = await self._validate(req, provider_id)
        except KratosError as error:
            forwarded: Outcome = await env.forward_error(req, error)
            return forwarded
        try:
            return await self._finish(req, flow, state, container)
        except (FlowValidationError, KratosError) as error:
            return await self._fail(req, flow, error)

    async def _validate(
        self, req: FlowRequest, provider_id: str | None
    ) -> tuple[Flow, OAuthState, continuity.AuthCodeContainer]:
        state_param = req.query.get("state") or ""
        if not state_param:
            raise _bad(
                f"{_PREFIX} because the OpenID Provider did not return the state query parameter."
            )
        state = self.core.sealer.open(state_param)
        if state is None:
            raise _bad(f"{_PREFIX} because the state parameter is invalid.")
        if provider_id and state.provider_id != provider_id:
            raise _bad(f"{_PREFIX}: provider mismatch between internal state and URL.")
        flow = await self._flow(req, state)
        container = continuity.take(flow, req.cookies.get(continuity.COOKIE_NAME))
        if container is None:
            raise _bad(
                "The browser does not contain the necessary cookie to resume the session. This "
                "is a security violation and was blocked. Please clear your browser's cookies "
                "and cache and try again!"
            )
        if container.state != state_param:
            raise _bad(
                f"{_PREFIX} because the query state parameter does not match the state "
                "parameter from the session cookie."
            )
        return flow, state, container

    async def _flow(self, req: FlowRequest, state: OAuthState) -> Flow:
        deps = self.deps
        flow: Flow | None = await deps.registration.store.get(state.flow_id)
        if flow is None:
            flow = await deps.login.store.get(state.flow_id)
        if flow is None:
            flow = await deps.settings.store.get(state.flow_id)
            if flow is not None:
                session = await deps.sessions.from_request(req)
                if session is None:
                    raise SessionInactiveError()
                if getattr(flow, "identity_id", None) != session.identity_id:
                    raise IdentityMismatchError(
                        "The request was initiated by someone else and has been blocked for "
                        "security reasons. Please go back and try again."
                    )
        if flow is None:
            raise NotFoundError(message="Unable to locate the resource")
        if flow.is_expired():
            raise _expired(flow)
        return flow

    async def _finish(
        self,
        req: FlowRequest,
        flow: Flow,
        state: OAuthState,
        container: continuity.AuthCodeContainer,
    ) -> Outcome:
        error = req.query.get("error")
        if error:
            raise _bad(
                f'{_PREFIX} because the OpenID Provider returned error "{error}": '
                f"{req.query.get('error_description', '')}"
            )
        code = req.query.get("code") or req.query.get("authCode") or ""
        if not code:
            raise _bad(
                f"{_PREFIX} because the OpenID Provider did not return the code query parameter."
            )
        provider = self.core.provider(state.provider_id)
        token = await provider.exchange(code, state.pkce_verifier or None, req.query)
        tokens = Tokens.encrypt(self.core.cipher, token)
        claims = await provider.claims(token, req.query)
        validate_claims(claims)
        flow.transient_payload = container.transient_payload
        if isinstance(flow, LoginFlow):
            await self.deps.login.store.update(flow)
            return await self.core.login(req, flow, provider, claims, tokens, container)
        if isinstance(flow, RegistrationFlow):
            await self.deps.registration.store.update(flow)
            return await self.core.register(req, flow, provider, claims, tokens, container)
        assert isinstance(flow, SettingsFlow)
        return await self._link(req, flow, provider.id, str(claims["sub"]), tokens)

    async def _link(
        self, req: FlowRequest, flow: SettingsFlow, provider_id: str, subject: str, tokens: Tokens
    ) -> Outcome:
        """Kratos ``linkProvider``."""
        deps = self.deps
        settings = deps.settings
        strategy = next(s for s in settings.strategies if s.id == "oidc")
        session = await deps.sessions.from_request(req)
        if session is None:
            raise SessionInactiveError()
        if not settings.is_privileged(session):
            refresh: Outcome = await settings.refresh_required(
                req, flow, session, strategy, {"link": provider_id}
            )
            return refresh
        identity = await deps.identities.get(session.identity_id, with_credentials=True)
        if not strategy.linkable(identity, provider_id):
            raise FlowValidationError(
                [
                    text.validation_generic(
                        "can not link unknown or already existing OpenID Connect connection"
                    )
                ]
            )
        if await self.core.find(self.core.provider(provider_id), subject) is not None:
            raise FlowValidationError([text.duplicate_credentials()])
        add_oidc_credential(identity, provider_entry(provider_id, subject, tokens))
        session.authentication_methods.append(
            AuthenticationMethod(method="oidc", aal="aal1", provider=provider_id)
        )
        await deps.sessions.save(session)
        outcome: Outcome = await settings.complete(
            req, flow, session, strategy, SettingsResult(identity=identity)
        )
        return outcome

    async def _fail(self, req: FlowRequest, flow: Flow, error: Exception) -> Outcome:
        deps = self.deps
        outcome: Outcome
        if isinstance(flow, LoginFlow):
            outcome = await deps.login.fail(req, flow, error)
        elif isinstance(flow, RegistrationFlow):
            outcome = await deps.registration.fail(req, flow, error)
        else:
            assert isinstance(flow, SettingsFlow)
            outcome = await deps.settings.fail(req, flow, error)
        return outcome

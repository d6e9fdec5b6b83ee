"""What the OIDC cells and the callback share (Kratos ``oidc.Strategy``): the configured
providers, starting the provider redirect, the native ``id_token`` check, and finishing a
login, a registration or a link from verified claims.

The flow services are reached through ``deps`` (the registry) at call time, because the
strategy cells are built before the services that hold them.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from authlib.common.security import generate_token

from phalanx import text
from phalanx.cipher import Cipher, CipherError
from phalanx.clock import utcnow
from phalanx.config import Config
from phalanx.errors import (
    BadGatewayError,
    BadRequestError,
    ConflictError,
    ForbiddenError,
    InternalServerError,
    KratosError,
    NotFoundError,
)
from phalanx.identity.credentials import oidc_identifier
from phalanx.identity.model import AddressStatus, Credential, CredentialType, Identity
from phalanx.outbound import guard_from_config
from phalanx.selfservice.deps import StrategyDeps
from phalanx.selfservice.flow.base import Flow, FlowType
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.login.flow import LoginFlow
from phalanx.selfservice.flow.login.strategy import LoginResult
from phalanx.selfservice.flow.registration.flow import RegistrationFlow
from phalanx.selfservice.flow.results import ExternalRedirect
from phalanx.selfservice.request import FlowRequest, Outcome, with_query
from phalanx.selfservice.strategy.oidc import continuity
from phalanx.selfservice.strategy.oidc.claims import Claims, validate_claims
from phalanx.selfservice.strategy.oidc.mapper import Mapper, merge_traits
from phalanx.selfservice.strategy.oidc.nodes import GROUP, add_provider
from phalanx.selfservice.strategy.oidc.provider import Provider, ProviderContext, build_provider
from phalanx.selfservice.strategy.oidc.provider.idtoken import IDTokenError
from phalanx.selfservice.strategy.oidc.state import OAuthState, StateSealer
from phalanx.session.model import AuthenticationMethod
from phalanx.ui import UiContainer

__all__ = ["DUPLICATE_KEY", "OidcCore", "Tokens"]

#: ``flow.internal_context`` key of a pending account link (Kratos
#: ``registration_duplicate_credentials``).
DUPLICATE_KEY = "registration_duplicate_credentials"

_TOKEN_FIELDS = ("initial_id_token", "initial_access_token", "initial_refresh_token")


@dataclass(slots=True)
class Tokens:
    """The provider's tokens, encrypted with ``secrets.cipher`` (Kratos
    ``CredentialsOIDCEncryptedTokens``); empty strings for the native id_token path."""

    id_token: str = ""
    access_token: str = ""
    refresh_token: str = ""

    @classmethod
    def encrypt(cls, cipher: Cipher, token: Mapping[str, Any]) -> Tokens:
        def enc(key: str) -> str:
            value = token.get(key)
            return cipher.encrypt(value.encode()) if isinstance(value, str) else ""

        try:
            return cls(enc("id_token"), enc("access_token"), enc("refresh_token"))
        except CipherError as exc:
            raise InternalServerError(str(exc)) from exc


def provider_entry(provider_id: str, subject: str, tokens: Tokens) -> dict[str, Any]:
    """One ``config.providers[]`` item of an ``oidc`` credential."""
    return {
        "subject": subject,
        "provider": provider_id,
        "initial_id_token": tokens.id_token,
        "initial_access_token": tokens.access_token,
        "initial_refresh_token": tokens.refresh_token,
    }


def add_oidc_credential(identity: Identity, entry: Mapping[str, Any]) -> None:
    """Kratos ``linkCredentials``: append the identifier and provider config."""
    credential = identity.credentials.get(CredentialType.OIDC)
    if credential is None:
        credential = Credential(type=CredentialType.OIDC, config={"providers": []})
        identity.credentials[CredentialType.OIDC] = credential
    identifier = oidc_identifier(str(entry["provider"]), str(entry["subject"]))
    if identifier not in credential.identifiers:
        credential.identifiers.append(identifier)
    providers = list(credential.config.get("providers") or [])
    providers.append(dict(entry))
    credential.config = {**credential.config, "providers": providers}
    credential.updated_at = utcnow()


def linked_provider_ids(identity: Identity) -> list[str]:
    credential = identity.credentials.get(CredentialType.OIDC)
    if credential is None:
        return []
    return [
        str(p.get("provider"))
        for p in credential.config.get("providers") or []
        if isinstance(p, dict) and not p.get("organization")
    ]


class OidcCore:
    """Shared by :mod:`.login`, :mod:`.registration`, :mod:`.settings` and :mod:`.callback`."""

    def __init__(self, config: Config, deps: StrategyDeps, mapper: Mapper) -> None:
        method = config.selfservice.methods.oidc
        base = str(method.config.base_redirect_uri or config.public_base_url)
        guard = guard_from_config(config)
        context = ProviderContext(
            redirect_base=base,
            guard=None if guard.allow_private and not guard.exceptions else guard,
        )
        generic_id_token = config.phalanx.oidc.generic_id_token
        self.config = config
        self.deps = deps
        self.mapper = mapper
        self.providers: dict[str, Provider] = {
            p.id: build_provider(p, context, generic_id_token=generic_id_token)
            for p in method.config.providers
        }
        self.sealer = StateSealer(deps.cipher, config.cookie_secrets)
        self.cipher: Cipher = deps.cipher

    # -- providers ---------------------------------------------------------------------------
    def provider(self, provider_id: str) -> Provider:
        provider = self.providers.get(provider_id)
        if provider is None:
            raise NotFoundError(
                f'OpenID Connect Provider "{provider_id}" is unknown or has not been configured'
            )
        return provider

    def buttons(self) -> list[Provider]:
        """Providers that get a button (not the organization ones)."""
        return [p for p in self.providers.values() if not p.config.organization_id]

    def add_buttons(self, ui: UiContainer, label: Any, providers: list[Provider]) -> None:
        for provider in providers:
            add_provider(ui, provider.id, label(provider.label, provider.id))

    # -- the redirect to the provider --------------------------------------------------------
    async def pkce_verifier(self, provider: Provider) -> str:
        """``maybePKCE``: a verifier for ``force``, or ``auto`` when discovery offers S256."""
        mode = provider.config.pkce
        if mode == "never":
            return ""
        if mode != "force" and not await provider.pkce_supported():
            return ""
        return str(generate_token(48))

    async def start(
        self,
        req: FlowRequest,
        flow: Flow,
        provider: Provider,
        *,
        traits: Mapping[str, Any] | None,
        upstream: Any,
        refresh: bool = False,
    ) -> ExternalRedirect:
        """Seal the state, pause the continuity container, and send the browser to the
        provider (422 ``browser_location_change_required`` for JSON clients, else 303)."""
        if upstream is not None and not isinstance(upstream, Mapping):
            raise BadRequestError("upstream_parameters must be an object")
        params = {str(k): str(v) for k, v in (upstream or {}).items() if isinstance(v, str)}
        verifier = await self.pkce_verifier(provider)
        state = self.sealer.seal(OAuthState(flow.id, provider.id, verifier))
        schema = getattr(flow, "identity_schema", None)
        cookie = continuity.pause(
            flow,
            continuity.AuthCodeContainer(
                state=state,
                traits=dict(traits or {}),
                transient_payload=flow.transient_payload,
                identity_schema=schema,
            ),
        )
        url = await provider.authorization_url(
            state, code_verifier=verifier or None, upstream=params, refresh=refresh
        )
        flow.active = "oidc"
        return ExternalRedirect(url, continuity=cookie)

    # -- native id_token ---------------------------------------------------------------------
    async def verify_native(self, provider: Provider, id_token: str, nonce: str) -> Claims:
        """Kratos ``ProcessIDToken``."""
        if not provider.verifies_id_tokens:
            raise BadGatewayError(
                f"The provider {provider.config.provider} does not support id_token verification"
            )
        try:
            claims = await provider.verify_id_token(id_token)
        except IDTokenError as exc:
            raise ForbiddenError("Could not verify id_token", details={"error": str(exc)}) from exc
        try:
            validate_claims(claims)
        except KratosError as exc:
            raise ForbiddenError("The id_token claims were invalid") from exc
        token_nonce = str(claims.get("nonce") or "")
        if not token_nonce:
            if not provider.can_skip_nonce(claims):
                raise BadGatewayError(
                    "No nonce was included in the id_token but is required by the provider"
                )
        elif not nonce:
            raise BadGatewayError("No nonce was provided but is required by the provider")
        elif not secrets.compare_digest(nonce, token_nonce):
            raise BadGatewayError("The supplied nonce does not match the nonce from the id_token")
        return claims

    # -- login -------------------------------------------------------------------------------
    async def find(self, provider: Provider, subject: str) -> Identity | None:
        pool = self.deps.identity_pool
        found: Identity | None = await pool.find_by_identifier(
            CredentialType.OIDC, oidc_identifier(provider.id, subject)
        )
        return found

    def login_result(self, identity: Identity, provider: Provider, subject: str) -> LoginResult:
        credential = identity.credentials.get(CredentialType.OIDC)
        entries = (credential.config.get("providers") or []) if credential else []
        if not any(
            isinstance(e, dict) and e.get("subject") == subject and e.get("provider") == provider.id
            for e in entries
        ):
            raise InternalServerError("Unable to find matching OpenID Connect credentials.")
        return LoginResult(
            identity=identity,
            method=AuthenticationMethod(method="oidc", aal="aal1", provider=provider.id),
        )

    async def login(
        self,
        req: FlowRequest,
        flow: LoginFlow,
        provider: Provider,
        claims: Claims,
        tokens: Tokens,
        container: continuity.AuthCodeContainer,
    ) -> Outcome:
        """Kratos ``ProcessLogin``: a known subject signs in; an unknown one registers."""
        login = self.deps.login
        identity = await self.find(provider, str(claims["sub"]))
        if identity is None:
            registration = self.deps.registration
            rflow, _ = await registration.new_flow(req, flow.type)
            rflow.return_to = flow.return_to
            rflow.request_url = flow.request_url
            rflow.transient_payload = flow.transient_payload
            rflow.identity_schema = getattr(flow, "identity_schema", None)
            rflow.active = "oidc"
            await registration.store.create(rflow)
            return await self.register(req, rflow, provider, claims, tokens, container)
        try:
            result = self.login_result(identity, provider, str(claims["sub"]))
            session = await self.deps.sessions.from_request(req) if flow.refresh else None
            outcome: Outcome = await login.complete(req, flow, result, "oidc", session)
        except (FlowValidationError, KratosError) as error:
            outcome = await login.fail(req, flow, error)
        return outcome

    # -- registration ------------------------------------------------------------------------
    async def register(
        self,
        req: FlowRequest,
        flow: RegistrationFlow,
        provider: Provider,
        claims: Claims,
        tokens: Tokens,
        container: continuity.AuthCodeContainer,
    ) -> Outcome:
        """Kratos ``processRegistration``."""
        registration = self.deps.registration
        subject = str(claims["sub"])
        if await self.find(provider, subject) is not None:
            lflow = await self._login_flow_from(req, flow)
            return await self.login(req, lflow, provider, claims, tokens, container)
        try:
            mapped = await self.mapper.map(str(provider.config.mapper_url), claims)
        except KratosError as error:
            outcome: Outcome = await registration.fail(req, flow, error)
            return outcome
        traits = merge_traits(mapped.traits, container.traits)
        schema_id = container.identity_schema or flow.identity_schema
        forms = self.deps.forms
        errors = forms.trait_errors(traits, schema_id=schema_id)
        if errors:
            return await self._registration_form(req, flow, provider, traits, schema_id, errors)
        identity = Identity(
            schema_id=schema_id or self.deps.identities.default_schema_id, traits=traits
        )
        try:
            forms.apply_extension(identity)
        except (FlowValidationError, KratosError) as error:
            return await self._registration_form(req, flow, provider, traits, schema_id, error)
        if mapped.metadata_public is not None:
            identity.metadata_public = mapped.metadata_public
        if mapped.metadata_admin is not None:
            identity.metadata_admin = mapped.metadata_admin
        verified = set(mapped.verified_addresses)
        for address in identity.verifiable_addresses:
            if (address.via, address.value) in verified:
                address.verified = True
                address.status = AddressStatus.COMPLETED
                address.verified_at = utcnow().replace(microsecond=0)
        entry = provider_entry(provider.id, subject, tokens)
        add_oidc_credential(identity, entry)
        try:
            result: Outcome = await registration.complete(req, flow, identity, "oidc", provider.id)
        except ConflictError:
            return await self._link_existing(req, flow, provider, identity, entry)
        except (FlowValidationError, KratosError) as error:
            result = await registration.fail(req, flow, error)
        return result

    async def _login_flow_from(self, req: FlowRequest, flow: RegistrationFlow) -> LoginFlow:
        """Kratos ``registrationToLogin``."""
        login = self.deps.login
        lflow, _ = await login.new_flow(req, flow.type)
        lflow.return_to = flow.return_to
        lflow.request_url = flow.request_url
        lflow.transient_payload = flow.transient_payload
        lflow.identity_schema = flow.identity_schema
        lflow.internal_context = dict(flow.internal_context)
        lflow.active = "oidc"
        await login.store.create(lflow)
        result: LoginFlow = lflow
        return result

    async def _registration_form(
        self,
        req: FlowRequest,
        flow: RegistrationFlow,
        provider: Provider,
        traits: dict[str, Any],
        schema_id: str | None,
        errors: Any,
    ) -> Outcome:
        """Mapped traits fail the schema: the form with the provider's "Continue" button and
        the prefilled traits, errors on their nodes (Kratos ``HandleError`` with traits)."""
        group = (
            "oidc" if self.config.feature_flags.legacy_oidc_registration_node_group else "default"
        )
        flow.ui.nodes = []
        self.deps.flow_env.refresh_csrf_node(req, flow)
        add_provider(flow.ui, provider.id, text.registration_continue())
        for node in self.deps.forms.trait_nodes(group=group, values=None, schema_id=schema_id):
            flow.ui.append(node)
        flow.ui.update_values(traits, prefix="traits", group=group)
        if isinstance(errors, Exception):
            error: Exception = errors
        else:
            error = FlowValidationError(node_messages=errors)
        outcome: Outcome = await self.deps.registration.fail(req, flow, error)
        return outcome

    async def _link_existing(
        self,
        req: FlowRequest,
        flow: RegistrationFlow,
        provider: Provider,
        identity: Identity,
        entry: dict[str, Any],
    ) -> Outcome:
        """An identity with the same identifier exists: never merge silently. Switch to a
        login flow that links the social profile after the user proves the existing account
        (Kratos ``HandleError`` for ``ErrDuplicateCredentials`` + ``populateAccountLinkingUI``)."""
        duplicate = await self._duplicate_identifier(identity)
        flow.internal_context[DUPLICATE_KEY] = {
            "credentials_type": "oidc",
            "credentials_config": {"providers": [entry]},
            "duplicate_identifier": duplicate,
        }
        lflow = await self._login_flow_from(req, flow)
        login_ui = self.config.ui_url("login")
        self._account_linking_ui(lflow, provider, duplicate, login_ui)
        await self.deps.login.store.update(lflow)
        if lflow.type == FlowType.API or req.is_json:
            return Outcome.json(lflow.to_dict(), status=400)
        return Outcome.redirect(with_query(self.deps.flow_env.flow_ui_url(lflow), no_org_ui="true"))

    async def _duplicate_identifier(self, identity: Identity) -> str:
        pool = self.deps.identity_pool
        for ctype, credential in identity.credentials.items():
            if ctype == CredentialType.OIDC:
                continue
            for identifier in credential.identifiers:
                if await pool.find_by_identifier(ctype, identifier) is not None:
                    return identifier
        for credential in identity.credentials.values():
            if credential.type != CredentialType.OIDC and credential.identifiers:
                return credential.identifiers[0]
        return ""

    def _account_linking_ui(
        self, flow: LoginFlow, provider: Provider, duplicate: str, login_ui: str
    ) -> None:
        nodes = []
        for node in flow.ui.nodes:
            label = node.meta.label
            if label is None or node.group == "default":
                nodes.append(node)
                continue
            if node.group == GROUP and node.value == provider.id:
                continue
            if label.id == 1010001:
                node.meta.label = text.login_and_link()
            elif label.id == 1010002:
                node.meta.label = text.login_with_and_link(str((label.context or {})["provider"]))
            nodes.append(node)
        identifier = next((n for n in nodes if n.id == "identifier"), None)
        if identifier is not None:
            identifier.attributes.type = "hidden"  # type: ignore[union-attr]
            identifier.attributes.set_value(duplicate)
        flow.ui.nodes = nodes
        flow.ui.messages = [text.login_link(duplicate, provider.label, login_ui)]

    async def link_pending(self, flow: LoginFlow, identity: Identity) -> list[AuthenticationMethod]:
        """Kratos ``maybeLinkCredentials``: after signing in to the existing account, add the
        social profile that was refused at registration."""
        pending = flow.internal_context.get(DUPLICATE_KEY)
        if not isinstance(pending, dict) or pending.get("credentials_type") != "oidc":
            return []
        duplicate = str(pending.get("duplicate_identifier") or "")
        owned = {i for c in identity.credentials.values() for i in c.identifiers}
        owned |= {a.value for a in identity.verifiable_addresses}
        if duplicate not in owned:
            raise FlowValidationError([text.login_linked_credentials_mismatch()])
        entries = (pending.get("credentials_config") or {}).get("providers") or []
        if len(entries) != 1:
            raise InternalServerError("no oidc provider was set")
        full = await self.deps.identities.get(identity.id, with_credentials=True)
        add_oidc_credential(full, entries[0])
        await self.deps.identities.update(full)
        identity.credentials = full.credentials
        del flow.internal_context[DUPLICATE_KEY]
        return [
            AuthenticationMethod(method="oidc", aal="aal1", provider=str(entries[0]["provider"]))
        ]

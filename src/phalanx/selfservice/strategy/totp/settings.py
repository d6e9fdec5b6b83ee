"""TOTP in settings (Kratos ``totp/settings.go``): link an authenticator app, or unlink it.

Without TOTP, each rendered flow gets a new key, kept in ``internal_context.totp_url`` and
shown as a QR code and as text; a valid ``totp_code`` stores it (message 1050001) and the
current session gains ``{method: totp, aal: aal2}``. With TOTP, ``totp_unlink`` removes it.
Both need a privileged session.
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlsplit

from phalanx import text
from phalanx.errors import InternalServerError
from phalanx.identity.model import CredentialType, Identity
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.settings.flow import SettingsFlow
from phalanx.selfservice.flow.settings.strategy import (
    SettingsContext,
    SettingsResult,
    SettingsStrategy,
)
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.strategy.totp.credential import key_of, new_credential
from phalanx.selfservice.strategy.totp.key import matching_step, new_key, parse_key_url, qr_data_uri
from phalanx.selfservice.traits import TraitForms
from phalanx.session.model import AAL, AuthenticationMethod
from phalanx.ui import NodeGroup, image_node, input_node, text_node

__all__ = ["TotpSettings", "totp_issuer"]

#: ``internal_context`` key of the key offered by this flow (Kratos ``totp_url``).
KEY_URL = "totp_url"


def totp_issuer(configured: str | None, public_url: str) -> str:
    """``selfservice.methods.totp.config.issuer``, else the public URL's host name."""
    return configured or (urlsplit(public_url).hostname or "")


def _truthy(value: Any) -> bool:
    """A form or JSON boolean (``true``, ``"true"``, ``"1"`` …)."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.lower() in ("true", "1", "on", "t")


class TotpSettings(SettingsStrategy):
    """The ``totp`` method's settings cell."""

    id = "totp"
    group = NodeGroup.TOTP

    def __init__(self, forms: TraitForms, issuer: str) -> None:
        self.forms = forms
        self.issuer = issuer

    # -- form -------------------------------------------------------------------------------
    def populate(self, flow: SettingsFlow, identity: Identity) -> None:
        if key_of(identity) is not None:
            flow.ui.upsert(
                input_node(
                    "totp_unlink",
                    "submit",
                    group=self.group,
                    value="true",
                    required=True,
                    label=text.settings_unlink_totp(),
                )
            )
            return
        names = self.forms.derived_identifiers(identity, "totp")
        key = new_key(self.issuer, names[0] if names else str(identity.id))
        flow.internal_context[KEY_URL] = key.url
        secret = text_node(
            "totp_secret_key", text.settings_totp_secret(key.secret), group=self.group
        )
        secret.meta.label = text.settings_totp_secret_label()
        flow.ui.upsert(secret)
        qr = image_node("totp_qr", qr_data_uri(key.url), group=self.group)
        qr.meta.label = text.settings_totp_qr_code()
        flow.ui.upsert(qr)
        flow.ui.upsert(
            input_node(
                "totp_code", "text", group=self.group, required=True, label=text.label_verify_otp()
            )
        )
        flow.ui.append(
            input_node("method", "submit", group=self.group, value=self.id, label=text.label_save())
        )

    # -- submit -----------------------------------------------------------------------------
    def handles(self, body: dict[str, Any]) -> bool:
        """``totp_unlink: true`` makes this the method, whatever ``method`` says."""
        return body.get("method") == self.id or _truthy(body.get("totp_unlink"))

    def decode(self, req: FlowRequest, flow: SettingsFlow, body: dict[str, Any]) -> dict[str, Any]:
        code = body.get("totp_code")
        return {
            "method": self.id,
            "totp_code": code if isinstance(code, str) else "",
            "totp_unlink": _truthy(body.get("totp_unlink")),
        }

    async def apply(self, ctx: SettingsContext, payload: dict[str, Any]) -> SettingsResult:
        ctx.require_privileged()
        identity = copy.deepcopy(ctx.identity)
        if key_of(identity) is not None:
            if payload.get("totp_unlink"):
                del identity.credentials[CredentialType.TOTP]
            return SettingsResult(identity=identity)
        return self._link(ctx, identity, str(payload.get("totp_code") or ""))

    def _link(self, ctx: SettingsContext, identity: Identity, code: str) -> SettingsResult:
        url = ctx.flow.internal_context.get(KEY_URL)
        key = parse_key_url(url) if isinstance(url, str) else None
        if key is None:
            raise InternalServerError(
                "Could not find they TOTP key in the internal context. This is a code bug and "
                "should be reported to https://github.com/ory/kratos/."
            )
        if not code:
            raise FlowValidationError(
                node_messages=[("totp_code", text.validation_required("totp_code"))]
            )
        step = matching_step(key.secret, code)
        if step is None:
            raise FlowValidationError(node_messages=[("totp_code", text.totp_verifier_wrong())])
        # The code that proved the app cannot be replayed at the next login.
        identity.credentials[CredentialType.TOTP] = new_credential(identity, key, step=step)
        ctx.flow.internal_context.pop(KEY_URL, None)
        return SettingsResult(
            identity=identity,
            authenticated=AuthenticationMethod(method=self.id, aal=AAL.AAL2),
        )

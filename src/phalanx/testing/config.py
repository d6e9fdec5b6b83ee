"""Config presets for tests, as dicts to merge into a ``kratos.yml`` (or to pass to
:meth:`Phalanx.from_config <phalanx.embed.Phalanx.from_config>`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from phalanx.config.load import deep_merge
from phalanx.testing.mail import MailSink

__all__ = ["deep_merge", "flows_config", "mail_config", "settings_config"]


def flows_config(extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Password method on without the breached-password lookup (no internet in tests),
    a session right after password registration; ``extra`` merged on top."""
    base: dict[str, Any] = {
        "selfservice": {
            "methods": {"password": {"enabled": True, "config": {"haveibeenpwned_enabled": False}}},
            "flows": {
                "registration": {"after": {"password": {"hooks": [{"hook": "session"}]}}},
            },
        },
    }
    return deep_merge(base, extra or {})


def settings_config(extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """:func:`flows_config` plus the profile method and cheap bcrypt."""
    base: dict[str, Any] = {
        "selfservice": {"methods": {"profile": {"enabled": True}}},
        "hashers": {"algorithm": "bcrypt", "bcrypt": {"cost": 4}},
    }
    return flows_config(deep_merge(base, extra or {}))


def mail_config(sink: MailSink | str, **overrides: Any) -> dict[str, Any]:
    """:func:`flows_config` with mail: the ``code`` method, recovery and verification by
    code, the courier sending to ``sink`` (a :class:`MailSink` or an SMTP URI) every 100 ms,
    the verification UI shown after registration, cheap bcrypt."""
    uri = sink if isinstance(sink, str) else sink.connection_uri
    base: dict[str, Any] = {
        "courier": {
            "smtp": {"connection_uri": uri, "from_address": "no-reply@phalanx.test"},
            "worker": {"pull_wait": "100ms"},
        },
        "hashers": {"bcrypt": {"cost": 4}},
        "selfservice": {
            "methods": {"code": {"enabled": True}},
            "flows": {
                "recovery": {"enabled": True, "use": "code"},
                "verification": {"enabled": True, "use": "code"},
                "settings": {"privileged_session_max_age": "15m"},
                "registration": {
                    "after": {
                        "password": {
                            "hooks": [{"hook": "session"}, {"hook": "show_verification_ui"}]
                        }
                    }
                },
            },
        },
    }
    return deep_merge(flows_config(base), overrides)

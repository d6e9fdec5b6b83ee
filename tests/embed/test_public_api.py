"""The package's public surface: exactly these names, each importable, nothing heavy on
``import phalanx``."""

from __future__ import annotations

import subprocess
import sys

import pytest

import phalanx
import phalanx.testing

PUBLIC = [
    "Config",
    "ConfigError",
    "HookEvent",
    "HookInterrupt",
    "HookMessage",
    "Phalanx",
    "PythonHooks",
    "RequiredAal",
    "SessionError",
    "__version__",
]

TESTING = [
    "JSON",
    "PASSWORD",
    "Browser",
    "FrozenClock",
    "Mail",
    "MailSink",
    "client",
    "code_of",
    "confirmation_form",
    "create_identity",
    "csrf_cookie_name",
    "csrf_token",
    "deep_merge",
    "flows_config",
    "free_port",
    "group_nodes",
    "link_of",
    "logged_in",
    "login_browser",
    "mail_config",
    "message_ids",
    "node",
    "node_messages",
    "query_of",
    "register_api",
    "register_verify_login",
    "set_cookies",
    "set_response_check",
    "settings_config",
    "unique_email",
]


def test_exported_names_are_pinned() -> None:
    assert sorted(phalanx.__all__) == sorted(PUBLIC)
    assert dir(phalanx) == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(phalanx, name) is not None
    assert phalanx.Phalanx.__module__ == "phalanx.embed"


def test_testing_names_are_pinned() -> None:
    assert sorted(phalanx.testing.__all__) == sorted(TESTING)
    for name in TESTING:
        assert getattr(phalanx.testing, name) is not None


def test_other_names_are_not_exported() -> None:
    for name in ("Registry", "create_public_app", "create_admin_app", "load_config"):
        with pytest.raises(AttributeError):
            getattr(phalanx, name)


def test_import_stays_light() -> None:
    code = (
        "import sys, phalanx; "
        "print(sorted(m for m in ('starlette', 'sqlalchemy', 'pydantic') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

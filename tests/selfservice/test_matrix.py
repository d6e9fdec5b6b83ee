"""The method x flow matrix alone decides which cells exist and which are disabled."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from phalanx.config import load_config
from phalanx.selfservice.matrix import METHODS, build_matrix


def _deps(config: Any) -> Any:
    return SimpleNamespace(config=config)


def test_disabled_methods_build_nothing_and_are_reported_per_flow(
    monkeypatch: Any, tmp_path: Any
) -> None:
    built: list[str] = []
    for name, row in list(METHODS.items()):
        monkeypatch.setitem(
            METHODS, name, row.__class__(row.flows, lambda deps, n=name: built.append(n) or [])
        )
    config = load_config(
        env={},
        data_dir=tmp_path,
        overrides={"selfservice": {"methods": {"password": {"enabled": False}}}},
    )
    matrix = build_matrix(config, _deps(config))
    assert "password" not in built and "profile" in built and "code" in built
    assert "password" in matrix.disabled_in("settings")
    assert "password" in matrix.disabled_in("login")
    assert "password" not in matrix.disabled_in("recovery")
    # Kratos's second factors are off by default: their settings cells answer 404.
    assert {"totp", "lookup_secret", "webauthn", "passkey"} <= matrix.disabled_in("settings")
    assert "link" not in matrix.disabled_in("settings")

"""Every identity module declares exactly its public names in ``__all__``."""

from __future__ import annotations

import importlib
import inspect

import pytest

MODULES = [
    "phalanx.identity.credentials",
    "phalanx.identity.decoding",
    "phalanx.identity.import_credentials",
    "phalanx.identity.manager",
    "phalanx.identity.patch",
    "phalanx.identity.payloads",
    "phalanx.identity.traits",
    "phalanx.identity.wire",
    "phalanx.http.routes.admin_identities",
    "phalanx.http.routes.admin_identities_query",
    "phalanx.cli.identities",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_matches_public_definitions(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(module.__all__)
    assert all(hasattr(module, n) for n in exported), exported - set(dir(module))
    defined = {
        n
        for n, value in vars(module).items()
        if not n.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and getattr(value, "__module__", None) == name
    }
    assert defined <= exported, f"public but not in __all__: {sorted(defined - exported)}"

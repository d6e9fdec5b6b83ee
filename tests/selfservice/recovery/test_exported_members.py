"""The recovery/verification packages declare their public names, and they resolve."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

PACKAGES = [
    "phalanx.selfservice.flow.recovery",
    "phalanx.selfservice.flow.verification",
    "phalanx.selfservice.strategy.code",
    "phalanx.selfservice.strategy.link",
]
MODULES = [
    "phalanx.persistence.sql.code_store",
    "phalanx.http.routes.recovery",
    "phalanx.http.routes.verification",
    "phalanx.http.routes.admin_recovery",
]


def _modules() -> list[str]:
    names = list(MODULES)
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        names.append(package_name)
        names.extend(f"{package_name}.{i.name}" for i in pkgutil.iter_modules(package.__path__))
    return names


@pytest.mark.parametrize("name", _modules())
def test_module_declares_all(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert isinstance(exported, list), name
    assert len(set(exported)) == len(exported)
    for item in exported:
        assert hasattr(module, item), f"{name}.{item}"

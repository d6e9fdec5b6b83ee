"""Every courier module declares exactly its public names in ``__all__``."""

from __future__ import annotations

import importlib
import inspect

import pytest

import phalanx.courier

MODULES = [
    "phalanx.courier.channel",
    "phalanx.courier.gotemplate",
    "phalanx.courier.http_channel",
    "phalanx.courier.message",
    "phalanx.courier.models",
    "phalanx.courier.queue",
    "phalanx.courier.smtp",
    "phalanx.outbound.guard",
    "phalanx.outbound.http",
    "phalanx.outbound.sources",
    "phalanx.courier.store",
    "phalanx.courier.template",
    "phalanx.courier.worker",
    "phalanx.persistence.sql.courier_store",
    "phalanx.http.routes.admin_courier",
    "phalanx.cli.courier",
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


def test_package_exports() -> None:
    assert {
        "Courier",
        "CourierWorker",
        "TemplateRenderer",
        "Message",
        "MessageStatus",
        "run_worker",
        "run_worker_from_registry",
    } <= set(phalanx.courier.__all__)
    assert all(hasattr(phalanx.courier, n) for n in phalanx.courier.__all__)

"""``phalanx.web``'s public names are deliberate: every module lists them and they import."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import phalanx.web as package


def test_every_module_declares_all() -> None:
    modules = [info.name for info in pkgutil.iter_modules(package.__path__)]
    assert {"render", "views", "routes", "pages", "i18n", "security"} <= set(modules)
    for name in modules:
        module = importlib.import_module(f"{package.__name__}.{name}")
        exported = getattr(module, "__all__", None)
        assert isinstance(exported, list), module.__name__
        assert len(set(exported)) == len(exported), module.__name__
        for item in exported:
            assert hasattr(module, item), f"{module.__name__}.{item}"


def test_view_models_are_framework_free() -> None:
    """Only ``views`` and ``routes`` touch Starlette; the rest renders from plain JSON."""
    for name in (
        "render",
        "nodes",
        "pages",
        "i18n",
        "security",
        "branding",
        "sessions",
        "templates",
    ):
        module = importlib.import_module(f"phalanx.web.{name}")
        source = Path(module.__file__ or "").read_text(encoding="utf-8")
        assert "from starlette" not in source and "import starlette" not in source, name

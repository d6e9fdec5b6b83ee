"""``phalanx.ui``'s public names are deliberate: listed and importable."""

from __future__ import annotations

import importlib
import pkgutil

import phalanx.ui as package


def test_all_names_resolve() -> None:
    assert len(set(package.__all__)) == len(package.__all__)
    for name in package.__all__:
        assert hasattr(package, name), name


def test_every_module_declares_all() -> None:
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        assert isinstance(getattr(module, "__all__", None), list), module.__name__
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"

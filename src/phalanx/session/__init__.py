"""Sessions: the model, tokens, cookies and the manager that issues and checks them."""

from __future__ import annotations

__all__: list[str] = []

"""Phalanx: an identity server that speaks the Ory Kratos v25.4 HTTP API."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"

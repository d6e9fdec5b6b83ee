"""A validation problem in an identity's traits, addressed the way Kratos addresses it.

Kratos validates ``{"traits": <traits>}`` against the identity schema and reports each
problem at a JSON pointer converted to dot notation (``#/traits/name/first`` ->
``traits.name.first``; a ``.`` inside a key is escaped as ``\\.``). The UI attaches the
message to the node of that name; an empty pointer means the whole form.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from phalanx.text import UiText

__all__ = ["TraitError", "dot_pointer"]


def dot_pointer(tokens: Iterable[str | int]) -> str:
    """Dot notation of a JSON pointer's tokens (``jsonschemax.JSONPointerToDotNotation``)."""
    return ".".join(str(t).replace(".", "\\.") for t in tokens)


@dataclass(frozen=True, slots=True)
class TraitError:
    """One message for one place: ``pointer`` is ``"traits.email"`` or ``""`` (form-wide)."""

    pointer: str
    message: UiText

    def to_dict(self) -> dict[str, object]:
        return {"pointer": self.pointer, "message": self.message.to_dict()}

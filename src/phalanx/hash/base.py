"""The contract of a password hash *generator*.

Mirrors Kratos's ``hash.Hasher`` interface (``Generate`` + ``Understands``) and adds Django's
``must_update`` so a login can also re-hash a hash of the right algorithm but weaker parameters.
Verification is not part of a hasher: any supported format verifies through
:func:`phalanx.hash.verify`, whatever hasher is configured.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

__all__ = ["Hasher"]


class Hasher(ABC):
    """Generates hashes of one algorithm with fixed parameters (Kratos ``hash.Hasher``)."""

    algorithm: ClassVar[str]
    """The ``hashers.algorithm`` config value this hasher implements (``bcrypt``, ``argon2``)."""

    @abstractmethod
    def hash(self, password: str | bytes) -> str:
        """Hash ``password`` with a fresh random salt (Kratos ``Generate``).

        Blocking and CPU-heavy: call it through :class:`phalanx.hash.PasswordHashing` from
        async code.
        """

    @abstractmethod
    def understands(self, hashed: str) -> bool:
        """Whether ``hashed`` is of this hasher's algorithm (Kratos ``Understands``).

        Kratos re-hashes a password on login exactly when this is false.
        """

    def must_update(self, hashed: str) -> bool:
        """Whether a hash this hasher understands was made with other (weaker) parameters.

        Kratos has no such check; it is Django's ``must_update``. The default says no.
        """
        return False

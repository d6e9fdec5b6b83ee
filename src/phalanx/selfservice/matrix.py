"""THE method × flow table: the one place strategies are wired into flows.

Adding a method is adding a package under ``strategy/`` and a row here. Strategies are
partitioned by the flow ABC they implement, so each flow service receives only its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from phalanx.selfservice.flow.login.strategy import LoginStrategy
from phalanx.selfservice.flow.registration.strategy import RegistrationStrategy
from phalanx.selfservice.flow.settings.strategy import SettingsStrategy

if TYPE_CHECKING:
    from phalanx.config import Config

__all__ = ["METHODS", "Matrix", "build_matrix"]


@dataclass
class Matrix:
    login: list[LoginStrategy] = field(default_factory=list)
    registration: list[RegistrationStrategy] = field(default_factory=list)
    settings: list[SettingsStrategy] = field(default_factory=list)
    extra: list[object] = field(default_factory=list)

    def add(self, strategy: object) -> None:
        placed = False
        if isinstance(strategy, LoginStrategy):
            self.login.append(strategy)
            placed = True
        if isinstance(strategy, RegistrationStrategy):
            self.registration.append(strategy)
            placed = True
        if isinstance(strategy, SettingsStrategy):
            self.settings.append(strategy)
            placed = True
        if not placed:
            self.extra.append(strategy)


def _password(deps: Any) -> list[object]:
    from phalanx.selfservice.strategy.password.login import PasswordLogin
    from phalanx.selfservice.strategy.password.registration import PasswordRegistration
    from phalanx.selfservice.strategy.password.settings import PasswordSettings

    return [
        PasswordLogin(deps.identities, deps.forms, deps.hashing),
        PasswordRegistration(deps.forms, deps.hashing, deps.password_policy),
        PasswordSettings(deps.forms, deps.hashing, deps.password_policy),
    ]


def _profile(deps: Any) -> list[object]:
    from phalanx.selfservice.strategy.profile.settings import ProfileSettings

    return [ProfileSettings(deps.forms)]


METHODS: dict[str, Callable[[Any], list[object]]] = {
    # method -> the strategies (one per flow it joins); order = order of UI groups
    "profile": _profile,
    "password": _password,
}


def build_matrix(config: Config, deps: Any) -> Matrix:
    """Instantiate every enabled method's strategies (``selfservice.methods.<m>.enabled``)."""
    matrix = Matrix()
    methods = config.selfservice.methods
    for name, factory in METHODS.items():
        method_config = getattr(methods, name, None)
        if method_config is not None and not getattr(method_config, "enabled", True):
            continue
        for strategy in factory(deps):
            matrix.add(strategy)
    return matrix

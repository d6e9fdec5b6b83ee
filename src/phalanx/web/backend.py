"""What the built-in UI needs from the composition root, stated as Protocols.

The pages obtain flows in-process, through the same services the JSON API uses, so they
see exactly what a separate UI would see over HTTP. Only these attributes of
:class:`phalanx.registry.Registry` are used; a test may pass any object that has them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from phalanx.config import Config
    from phalanx.courier.message import Message
    from phalanx.selfservice.request import FlowRequest, Outcome
    from phalanx.session.model import Session
    from phalanx.session.store import SessionPage

__all__ = [
    "CourierStore",
    "ErrorStore",
    "FlowFetcher",
    "LoadedSchema",
    "LogoutService",
    "MessageList",
    "SchemaSource",
    "SessionRenderer",
    "SessionService",
    "SessionStore",
    "UiBackend",
]


class FlowFetcher(Protocol):
    """A flow service's fetch step (``GET /self-service/<flow>/flows?id=``)."""

    async def fetch(self, req: FlowRequest, flow_id: str | None) -> Outcome: ...


class SessionService(Protocol):
    async def from_request(self, req: FlowRequest) -> Session | None: ...

    async def revoke_own(self, current: Session, target: uuid.UUID) -> bool: ...

    async def revoke_others(self, identity_id: uuid.UUID, keep: uuid.UUID | None) -> int: ...


class SessionStore(Protocol):
    async def get(self, session_id: uuid.UUID, *, with_identity: bool = True) -> Session | None: ...

    async def list_for_identity(
        self,
        identity_id: uuid.UUID,
        *,
        active: bool | None = None,
        exclude: uuid.UUID | None = None,
        page_size: int = 250,
        page_token: str | None = None,
    ) -> SessionPage: ...


class SessionRenderer(Protocol):
    def session(
        self,
        session: Session,
        *,
        include_identity: bool = True,
        include_devices: bool = True,
        admin: bool = False,
    ) -> dict[str, Any]: ...


class LogoutService(Protocol):
    async def create_browser(self, req: FlowRequest) -> Outcome: ...


class LoadedSchema(Protocol):
    @property
    def raw(self) -> Mapping[str, Any]: ...


class SchemaSource(Protocol):
    """The identity schemas (``SchemaRegistry``): the welcome page labels traits with them."""

    def get(self, schema_id: str = "") -> LoadedSchema: ...


class ErrorStore(Protocol):
    async def get(self, error_id: uuid.UUID) -> Mapping[str, Any] | None: ...


class MessageList(Protocol):
    @property
    def messages(self) -> Sequence[Message]: ...


class CourierStore(Protocol):
    async def list_messages(self, *, page_size: int = 10) -> MessageList: ...


class UiBackend(Protocol):
    """The registry as the built-in UI sees it (read-only attributes)."""

    @property
    def config(self) -> Config: ...

    @property
    def dev(self) -> bool: ...

    @property
    def courier_store(self) -> CourierStore: ...

    @property
    def login(self) -> FlowFetcher: ...

    @property
    def registration(self) -> FlowFetcher: ...

    @property
    def settings(self) -> FlowFetcher: ...

    @property
    def recovery(self) -> FlowFetcher: ...

    @property
    def verification(self) -> FlowFetcher: ...

    @property
    def logout(self) -> LogoutService: ...

    @property
    def sessions(self) -> SessionService: ...

    @property
    def session_store(self) -> SessionStore: ...

    @property
    def session_renderer(self) -> SessionRenderer: ...

    @property
    def error_store(self) -> ErrorStore: ...

    @property
    def schemas(self) -> SchemaSource: ...

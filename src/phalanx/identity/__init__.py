"""Identities: the model, the persistence port, the manager and the admin wire format.

Modules (import from them directly; this package re-exports nothing, so importing
:mod:`phalanx.identity.model` stays cheap for the persistence layer):

* :mod:`~phalanx.identity.model` -- ``Identity``, addresses, ``Credential`` (dataclasses)
* :mod:`~phalanx.identity.pool` -- ``IdentityPool``, the storage port (a Protocol)
* :mod:`~phalanx.identity.manager` -- ``IdentityManager``: validate, derive, import, store
* :mod:`~phalanx.identity.traits` -- schema validation + ``ory.sh/kratos`` extension glue
* :mod:`~phalanx.identity.credentials` -- active factors, available AAL, credential removal
* :mod:`~phalanx.identity.import_credentials` -- admin credential import (password hashing)
* :mod:`~phalanx.identity.payloads` / :mod:`~phalanx.identity.decoding` -- admin bodies,
  decoded with Go ``encoding/json`` semantics (strict where Kratos is strict)
* :mod:`~phalanx.identity.patch` -- RFC 6902 JSON Patch of identities
* :mod:`~phalanx.identity.wire` -- the identity's JSON wire form
"""

from __future__ import annotations

__all__: list[str] = []

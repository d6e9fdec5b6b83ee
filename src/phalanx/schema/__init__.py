"""Identity schemas: loading, the meta-schema, trait validation and the ``ory.sh/kratos`` extension.

* :class:`SchemaRegistry` / :class:`IdentitySchema` -- ``identity.schemas[]`` loaded from
  ``file://``, ``base64://`` or ``http(s)://`` (SSRF-safe) and looked up by id or by the
  base64url segment of ``schema_url``.
* :func:`check_identity_schema` -- the identity meta-schema, in code.
* :func:`validate_traits` -- JSON-schema validation of traits with Kratos's messages, as
  :class:`TraitError` (dot-notation pointer + :class:`~phalanx.text.UiText`).
* :func:`derive` -- what the ``ory.sh/kratos`` extension derives from traits: credential
  identifiers, verifiable and recovery addresses, code addresses.
* :func:`list_paths` / :func:`keys_in_order` -- the schema walks the UI builds nodes and sorts
  them with.
"""

from __future__ import annotations

from phalanx.schema.extension import ExtensionResult, derive
from phalanx.schema.formats import FORMATS, format_checker, is_email
from phalanx.schema.loader import (
    PrivateAddressError,
    SchemaLoader,
    SchemaNotFoundError,
    SchemaReadError,
    SchemaUpstreamError,
)
from phalanx.schema.meta import (
    EXTENSION_KEYWORD,
    InvalidIdentitySchemaError,
    check_identity_schema,
    identity_schema_problems,
)
from phalanx.schema.normalize import (
    InvalidPhoneNumberError,
    graceful_normalization,
    normalize_email,
    normalize_identifier,
    normalize_phone,
)
from phalanx.schema.paths import PathKind, SchemaPath, keys_in_order, list_paths
from phalanx.schema.registry import (
    DEFAULT_SCHEMA_ID,
    IdentitySchema,
    SchemaEntry,
    SchemaRegistry,
    schema_id_to_url_segment,
    url_segment_to_schema_id,
)
from phalanx.schema.traits import TraitError, dot_pointer
from phalanx.schema.validation import json_type, validate_document, validate_traits

__all__ = [
    "DEFAULT_SCHEMA_ID",
    "EXTENSION_KEYWORD",
    "FORMATS",
    "ExtensionResult",
    "IdentitySchema",
    "InvalidIdentitySchemaError",
    "InvalidPhoneNumberError",
    "PathKind",
    "PrivateAddressError",
    "SchemaEntry",
    "SchemaLoader",
    "SchemaNotFoundError",
    "SchemaPath",
    "SchemaReadError",
    "SchemaRegistry",
    "SchemaUpstreamError",
    "TraitError",
    "check_identity_schema",
    "derive",
    "dot_pointer",
    "format_checker",
    "graceful_normalization",
    "identity_schema_problems",
    "is_email",
    "json_type",
    "keys_in_order",
    "list_paths",
    "normalize_email",
    "normalize_identifier",
    "normalize_phone",
    "schema_id_to_url_segment",
    "url_segment_to_schema_id",
    "validate_document",
    "validate_traits",
]

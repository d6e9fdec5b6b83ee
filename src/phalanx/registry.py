"""Composition root: the one place that turns a Config into concrete services.

Everything else receives what it needs from here; only this module knows concrete
classes (SQL stores, hashers, the strategy matrix).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from phalanx.config import Config
    from phalanx.hash import PasswordHashing
    from phalanx.identity.credentials import FactorPolicy
    from phalanx.identity.manager import IdentityManager
    from phalanx.identity.pool import IdentityPool
    from phalanx.persistence.sql.engine import Database
    from phalanx.schema import SchemaRegistry

__all__ = ["Registry"]


@dataclass
class Registry:
    """Long-lived services for one running Phalanx (both apps share one registry)."""

    config: Config
    database: Database
    schemas: SchemaRegistry
    hashing: PasswordHashing
    services: dict[str, Any] = field(default_factory=dict)
    #: Identity storage (SQL) and the manager every identity write goes through.
    identity_pool: IdentityPool = field(init=False)
    identities: IdentityManager = field(init=False)

    def __post_init__(self) -> None:
        from phalanx.identity.manager import IdentityManager
        from phalanx.persistence.sql.identity_pool import SQLIdentityPool
        from phalanx.schema.normalize import normalize_identifier

        self.identity_pool = SQLIdentityPool(self.database, normalize=normalize_identifier)
        self.identities = IdentityManager(
            self.identity_pool,
            self.schemas,
            self.hashing,
            default_schema_id=self.config.identity.default_schema_id,
            factors=_factor_policy(self.config),
        )

    @classmethod
    async def build(cls, config: Config) -> Registry:
        """Open the database and wire every service from the config."""
        from phalanx.config import parse_dsn
        from phalanx.hash import PasswordHashing, hasher_from_config
        from phalanx.persistence.sql.engine import Database, create_engine
        from phalanx.schema import SchemaEntry, SchemaRegistry

        url = parse_dsn(config.dsn)
        database = Database(create_engine(url.sqlalchemy_url, memory=url.is_memory))
        schemas = SchemaRegistry(
            [
                SchemaEntry(
                    id=s.id, url=str(s.url), selfservice_selectable=s.selfservice_selectable
                )
                for s in config.identity.schemas
            ],
            default_id=config.identity.default_schema_id,
        )
        await schemas.load()
        h = config.hashers
        hasher = hasher_from_config(
            h.algorithm,
            bcrypt_cost=config.bcrypt_cost,
            argon2_memory_kib=h.argon2.memory_kib,
            argon2_iterations=h.argon2.iterations,
            argon2_parallelism=h.argon2.parallelism,
            argon2_salt_length=h.argon2.salt_length,
            argon2_key_length=h.argon2.key_length,
        )
        return cls(
            config=config, database=database, schemas=schemas, hashing=PasswordHashing(hasher)
        )

    async def close(self) -> None:
        self.hashing.shutdown()
        await self.database.dispose()


def _factor_policy(config: Config) -> FactorPolicy:
    """Which credentials count as active factors, from ``selfservice.methods``."""
    from phalanx.identity.credentials import FactorPolicy

    methods = config.selfservice.methods
    enabled = {
        name
        for name, on in (
            ("password", methods.password.enabled),
            ("oidc", methods.oidc.enabled),
            ("totp", methods.totp.enabled),
            ("lookup_secret", methods.lookup_secret.enabled),
            ("webauthn", methods.webauthn.enabled),
            ("passkey", methods.passkey.enabled),
            ("code", methods.code.enabled),
        )
        if on
    }
    return FactorPolicy(
        enabled=frozenset(enabled),
        password_migration_hook=methods.password.config.migrate_hook.enabled,
        code_passwordless=methods.code.passwordless_enabled,
        code_mfa=methods.code.mfa_enabled,
    )

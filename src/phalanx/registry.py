"""Composition root: the one place that turns a Config into concrete services.

Everything else receives what it needs from here; only this module knows concrete
classes (SQL stores, hashers, the strategy matrix).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from phalanx.identity.model import Identity

if TYPE_CHECKING:
    from phalanx.audit import AuditLog
    from phalanx.cipher import Cipher
    from phalanx.config import Config
    from phalanx.courier import Courier, CourierStore
    from phalanx.hash import PasswordHashing
    from phalanx.identity.credentials import FactorPolicy
    from phalanx.identity.manager import IdentityManager
    from phalanx.identity.pool import IdentityPool
    from phalanx.invalidation import Invalidation
    from phalanx.limits import Limiter
    from phalanx.persistence.sql.engine import Database
    from phalanx.persistence.sql.sealing import CredentialSealer
    from phalanx.schema import SchemaLoader, SchemaRegistry
    from phalanx.selfservice.deps import SecretStore
    from phalanx.selfservice.flow.environment import FlowEnvironment
    from phalanx.selfservice.flow.login.service import LoginService
    from phalanx.selfservice.flow.logout.service import LogoutService
    from phalanx.selfservice.flow.recovery.service import RecoveryService
    from phalanx.selfservice.flow.registration.service import RegistrationService
    from phalanx.selfservice.flow.settings.service import SettingsService
    from phalanx.selfservice.flow.store import ErrorStore
    from phalanx.selfservice.flow.verification.service import VerificationService
    from phalanx.selfservice.hook.password_migration import PasswordMigrationHook
    from phalanx.selfservice.hook.python import PythonHooks
    from phalanx.selfservice.hook.web_hook import WebHookCaller
    from phalanx.selfservice.matrix import Matrix
    from phalanx.selfservice.strategy.oidc.callback import OidcCallback
    from phalanx.selfservice.strategy.password.policy import PasswordPolicy
    from phalanx.selfservice.traits import TraitForms
    from phalanx.session.aal import AalGuard
    from phalanx.session.epoch import RevocationEpoch
    from phalanx.session.idle import IdleTimeout
    from phalanx.session.manager import SessionManager
    from phalanx.session.store import SessionStore
    from phalanx.session.tokenizer import SessionTokenizer
    from phalanx.session.whoami import Whoami
    from phalanx.session.wire import SessionRenderer

__all__ = ["Registry", "identity_schemas", "url_loader"]


@dataclass
class Registry:
    """Long-lived services for one running Phalanx (both apps share one registry)."""

    config: Config
    database: Database
    schemas: SchemaRegistry
    hashing: PasswordHashing
    dev: bool = False
    #: Advanced after every write that can change a whoami answer; ``phalanx serve
    #: --workers N`` passes one shared by all its workers (None: a private one).
    epoch: RevocationEpoch | None = None
    #: Tells other hosts on the same database of those writes and hears of theirs
    #: (``phalanx.session_cache.invalidation``; None: this host only). See :meth:`start`.
    invalidation: Invalidation | None = field(init=False, default=None)
    #: ``secrets.cipher`` with ``ciphers.algorithm``: values encrypted at rest (OIDC tokens).
    cipher: Cipher = field(init=False)
    #: The audit log (``phalanx.audit``): ``await registry.audit.record(EventType.X, ...)``.
    audit: AuditLog = field(init=False)
    #: Identity storage (SQL) and the manager every identity write goes through.
    identity_pool: IdentityPool = field(init=False)
    identities: IdentityManager = field(init=False)
    #: Sessions: store, manager (tokens, cookies) and JSON rendering.
    session_store: SessionStore = field(init=False)
    sessions: SessionManager = field(init=False)
    session_renderer: SessionRenderer = field(init=False)
    #: Hooks registered in code (``Registry.build(config, hooks=...)``).
    python_hooks: PythonHooks = field(default_factory=lambda: _python_hooks())
    #: Kratos ``DoesSessionSatisfy``: required AALs of whoami, settings, login checkAAL.
    aal: AalGuard = field(init=False)
    #: ``/sessions/whoami``: lookup, rendering and the ``phalanx.session_cache``.
    whoami: Whoami = field(init=False)
    #: ``?tokenize_as=``: JWTs from ``session.whoami.tokenizer.templates``.
    tokenizer: SessionTokenizer = field(init=False)
    error_store: ErrorStore = field(init=False)
    #: ``web_hook`` calls (shared by every flow's hook points).
    web_hooks: WebHookCaller = field(init=False)
    #: ``selfservice.methods.password.config.migrate_hook`` (None when disabled).
    password_migration: PasswordMigrationHook | None = field(init=False)
    #: ``phalanx.rate_limits``: budgets and lockout for every guessable secret and sender.
    limiter: Limiter = field(init=False)
    #: Courier: messages queued in the database, delivered by the worker.
    courier_store: CourierStore = field(init=False)
    courier: Courier = field(init=False)
    #: Self-service: shared flow environment, the method x flow matrix, one service per flow.
    forms: TraitForms = field(init=False)
    password_policy: PasswordPolicy = field(init=False)
    flow_env: FlowEnvironment = field(init=False)
    matrix: Matrix = field(init=False)
    login: LoginService = field(init=False)
    registration: RegistrationService = field(init=False)
    settings: SettingsService = field(init=False)
    logout: LogoutService = field(init=False)
    #: Recovery and verification: one-time codes/links (HMAC'd) and the two flows.
    code_store: SecretStore = field(init=False)
    recovery: RecoveryService = field(init=False)
    verification: VerificationService = field(init=False)
    #: ``/self-service/methods/oidc/callback``: None when the oidc method is disabled.
    oidc_callback: OidcCallback | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        from phalanx.cipher import cipher_for
        from phalanx.config import parse_dsn
        from phalanx.identity.manager import IdentityManager
        from phalanx.invalidation import invalidation_for
        from phalanx.persistence.sql.identity_pool import SQLIdentityPool
        from phalanx.schema.normalize import normalize_identifier
        from phalanx.session.epoch import RevocationEpoch

        if self.epoch is None:
            self.epoch = RevocationEpoch()
        self.invalidation = invalidation_for(self.config, parse_dsn(self.config.dsn), self.epoch)
        self.cipher = cipher_for(self.config.ciphers.algorithm, self.config.cipher_secrets)
        self._wire_audit()
        self.identity_pool = SQLIdentityPool(
            self.database,
            normalize=normalize_identifier,
            notifier=self.invalidation or self.epoch,
            sealer=_credential_sealer(self.config),
        )
        self.identities = IdentityManager(
            self.identity_pool,
            self.schemas,
            self.hashing,
            default_schema_id=self.config.identity.default_schema_id,
            factors=_factor_policy(self.config),
            code_key=self.config.cookie_secrets[0],
            audit=self.audit,
        )
        self._wire_sessions()
        self._wire_courier()
        self._wire_limits()
        self._wire_selfservice()

    @property
    def cookie_keys(self) -> list[str]:
        """Keys for signing cookies: ``[0]`` signs, all verify (rotation)."""
        return self.config.cookie_secrets

    @property
    def session_cookie_name(self) -> str:
        return self.config.session.cookie.name

    def decrypt_token(self, value: str) -> str:
        """An OIDC token stored with ``secrets.cipher``, decrypted ("" when it does not
        decrypt, as Kratos's ``WithDeclassifiedCredentials``)."""
        from phalanx.cipher import CipherError

        try:
            return self.cipher.decrypt(value).decode("utf-8", errors="replace")
        except CipherError:
            return ""

    def identity_json(self, identity: Identity, admin: bool = False) -> dict[str, Any]:
        from phalanx.identity.wire import identity_to_wire

        return identity_to_wire(identity, public_base_url=self.config.public_base_url, admin=admin)

    def _wire_audit(self) -> None:
        from phalanx.audit import AuditLog
        from phalanx.persistence.sql.audit_store import SQLAuditStore

        self.audit = AuditLog(
            SQLAuditStore(self.database), enabled=self.config.phalanx.audit.enabled
        )

    def _idle_timeout(self) -> IdleTimeout | None:
        """``phalanx.session.idle_timeout`` (None when unset)."""
        from phalanx.audit import EventType
        from phalanx.persistence.sql.session_activity import SQLSessionActivity
        from phalanx.session.idle import IdleTimeout

        timeout = self.config.phalanx.session.idle_timeout
        if not timeout:
            return None

        async def expired(identity_id: uuid.UUID, session_id: uuid.UUID) -> None:
            await self.audit.record(
                EventType.SESSION_IDLE_EXPIRED,
                identity_id=identity_id,
                session_id=session_id,
                actor="system",
                details={"idle_timeout": f"{timeout.total_seconds():g}s"},
            )

        return IdleTimeout(
            SQLSessionActivity(self.database, self.session_store), timeout, on_expired=expired
        )

    def _wire_sessions(self) -> None:
        from phalanx.outbound import guard_from_config
        from phalanx.persistence.sql.error_store import SQLErrorStore
        from phalanx.persistence.sql.session_store import SQLSessionStore
        from phalanx.session.aal import AalGuard
        from phalanx.session.cache import ALWAYS_UP, WhoamiCache
        from phalanx.session.manager import SessionManager
        from phalanx.session.tokenizer import SessionTokenizer
        from phalanx.session.whoami import Whoami
        from phalanx.session.wire import SessionRenderer

        config = self.config
        assert self.epoch is not None
        self.session_store = SQLSessionStore(
            self.database, notifier=self.invalidation or self.epoch
        )
        self.sessions = SessionManager(
            self.session_store,
            lifespan=config.session.lifespan,
            earliest_possible_extend=config.session.earliest_possible_extend,
            cookie_name=config.session.cookie.name,
            cookie_keys=config.cookie_secrets,
            idle=self._idle_timeout(),
            audit=self.audit,
        )
        self.session_renderer = SessionRenderer(self.identity_json)
        self.aal = AalGuard(str(config.public_base_url), self.identities.has_second_factor)
        cache_config = config.phalanx.session_cache
        self.whoami = Whoami(
            self.session_store,
            self.session_renderer.session_bytes,
            WhoamiCache(
                self.epoch,
                max_entries=cache_config.max_entries,
                max_ttl=cache_config.max_ttl.total_seconds(),
                gate=self.invalidation.health if self.invalidation else ALWAYS_UP,
            )
            if cache_config.enabled
            else None,
            aal=self.aal,
            required_aal=config.session.whoami.required_aal,
            idle=self.sessions.idle,
        )
        self.tokenizer = SessionTokenizer(
            templates=config.session.whoami.tokenizer.templates,
            issuer=config.public_base_url,
            guard=guard_from_config(config),
        )
        self.error_store = SQLErrorStore(self.database)

    def _wire_courier(self) -> None:
        from phalanx.courier import Courier, TemplateRenderer
        from phalanx.persistence.sql.courier_store import SQLCourierStore

        self.courier_store = SQLCourierStore(self.database)
        self.courier = Courier(self.courier_store, TemplateRenderer(self.config.courier))

    def _wire_limits(self) -> None:
        from phalanx.limits import build_limiter

        self.limiter = build_limiter(
            self.config.phalanx.rate_limits,
            self.database,
            self.config.cookie_secrets[0],
            on_lockout=self._lockout_started,
        )

    async def _lockout_started(self, identifier: str, period: float, level: int) -> None:
        """A lockout began: record ``lockout.started`` in the audit log and, with
        ``lockout.notify``, mail the owner (template ``lockout_valid``, Phalanx only).
        An identifier nobody has is recorded without identity and mails nobody."""
        from phalanx.audit import EventType
        from phalanx.courier import TemplateType
        from phalanx.limits.keys import Action, Dimension

        identity = await self._identity_of(identifier)
        digest = self.limiter.keys.key(Action.SIGN_IN, Dimension.FAILURES, identifier)
        await self.audit.record(
            EventType.LOCKOUT_STARTED,
            identity_id=identity.id if identity is not None else None,
            details={"identifier_hash": digest, "seconds": int(period), "level": level},
        )
        if identity is None or not self.config.phalanx.rate_limits.lockout.notify:
            return
        model = {"locked_for_minutes": max(int(period // 60), 1)}
        for address in identity.verifiable_addresses:
            if address.via == "email" and address.value:
                await self.courier.queue_email(address.value, TemplateType.LOCKOUT_VALID, model)

    async def _identity_of(self, subject: str) -> Identity | None:
        """Whose sign-in ``subject`` (a normalised identifier, or a second factor's
        ``identity:<id>``) is."""
        import uuid

        if subject.startswith("identity:"):
            try:
                return await self.identity_pool.get(uuid.UUID(subject.removeprefix("identity:")))
            except ValueError:
                return None
        for kind in ("password", "code"):
            found = await self.identity_pool.find_by_identifier(kind, subject)
            if found is not None:
                return found
        return None

    def _wire_selfservice(self) -> None:
        from phalanx.persistence.sql.code_store import SQLCodeStore
        from phalanx.persistence.sql.flow_store import flow_store
        from phalanx.selfservice.flow.audit import FlowAudit
        from phalanx.selfservice.flow.environment import FlowEnvironment
        from phalanx.selfservice.flow.login.hooks import LoginHooks
        from phalanx.selfservice.flow.login.service import LoginService
        from phalanx.selfservice.flow.logout.service import LogoutService
        from phalanx.selfservice.flow.registration.hooks import RegistrationHooks
        from phalanx.selfservice.flow.registration.service import RegistrationService
        from phalanx.selfservice.flow.settings.hooks import SettingsHooks
        from phalanx.selfservice.flow.settings.service import SettingsService
        from phalanx.selfservice.hook import configured_hooks
        from phalanx.selfservice.matrix import build_matrix, two_step_registration
        from phalanx.selfservice.strategy.password.policy import PasswordPolicy, PolicyConfig
        from phalanx.selfservice.traits import TraitForms

        config = self.config
        flows = config.selfservice.flows
        pw = config.selfservice.methods.password.config
        self.forms = TraitForms(self.schemas, self.identities)
        self.password_policy = PasswordPolicy(
            PolicyConfig(
                min_length=pw.min_password_length,
                identifier_similarity_check=pw.identifier_similarity_check_enabled,
                hibp_enabled=pw.haveibeenpwned_enabled,
                hibp_host=pw.haveibeenpwned_host,
                max_breaches=pw.max_breaches,
                ignore_network_errors=pw.ignore_network_errors,
                offline_enabled=config.phalanx.breached_passwords.offline_enabled,
            )
        )
        self.flow_env = FlowEnvironment(config, self.sessions, self.error_store, self.aal)
        self.flow_env.audit = FlowAudit(self.audit)
        self._wire_hooks()
        self.code_store = SQLCodeStore(self.database, config.cookie_secrets)
        self.matrix = build_matrix(config, self)
        env = self.flow_env
        self._wire_verification()
        self.login = LoginService(
            env,
            flow_store(self.database, "login"),
            self.matrix.login,
            LoginHooks(
                lambda m: configured_hooks(flows.login.after, m),
                self.sessions,
                legacy_verified_error=config.feature_flags.legacy_require_verified_login_error,
                verification_ui_url=config.ui_url("verification"),
                start_verification=self.verification.start_for_login
                if flows.verification.enabled
                else None,
            ),
            self.session_renderer,
            flows.login.lifespan,
            load_identity=self.identities.get,
            identifier_first=flows.login.style == "identifier_first",
            disabled_methods=self.matrix.disabled_in("login"),
        )
        self.registration = RegistrationService(
            env,
            flow_store(self.database, "registration"),
            self.matrix.registration,
            self.identities,
            self.forms,
            RegistrationHooks(
                lambda m: configured_hooks(flows.registration.after, m),
                self.sessions,
                send_verification=self.verification.send_after_registration
                if flows.verification.enabled
                else None,
                decoy_verification=self.verification.decoy_after_registration
                if flows.verification.enabled
                else None,
            ),
            self.session_renderer,
            flows.registration.lifespan,
            flows.registration.enabled,
            two_step=two_step_registration(config),
            mitigate=config.security.account_enumeration.mitigate,
            notify_taken=self._notify_registration_taken,
            disabled_methods=self.matrix.disabled_in("registration"),
        )
        self.settings = SettingsService(
            env,
            flow_store(self.database, "settings"),
            self.matrix.settings,
            self.identities,
            self.forms,
            self.identity_json,
            SettingsHooks(
                lambda m: configured_hooks(flows.settings.after, m),
                self.sessions,
                send_verification=self.verification.send_after_settings,
                verification_enabled=flows.verification.enabled,
                legacy_show_verification_ui=config.feature_flags.legacy_continue_with_verification_ui,
            ),
            flows.settings.lifespan,
            flows.settings.privileged_session_max_age,
            disabled_methods=self.matrix.disabled_in("settings"),
        )
        self.logout = LogoutService(env)
        self._wire_recovery()
        from phalanx.selfservice.strategy.oidc.callback import OidcCallback

        self.oidc_callback = next(
            (x for x in self.matrix.extra if isinstance(x, OidcCallback)), None
        )

    async def _notify_registration_taken(self, flow: Any, identity: Identity) -> None:
        """Account enumeration mitigation: the owners of the e-mail addresses someone
        tried to sign up with are told (Phalanx template ``registration_code_invalid``)."""
        from phalanx.courier import TemplateType

        model = {"request_url": flow.request_url, "transient_payload": flow.transient_payload}
        for address in identity.verifiable_addresses:
            if address.via == "email" and address.value:
                await self.courier.queue_email(
                    address.value, TemplateType.REGISTRATION_CODE_INVALID, model
                )
        # Stand-in for what a real sign-up writes besides: its session, the verification
        # code and the address status (so timing does not tell a taken address either).
        for _ in range(3):
            await self.code_store.simulate_write()

    def _wire_hooks(self) -> None:
        """``web_hook`` hooks and Python hooks at every flow's hook points."""
        from phalanx.outbound import guard_from_config
        from phalanx.selfservice.hook.password_migration import PasswordMigrationHook
        from phalanx.selfservice.hook.runner import FlowHooks
        from phalanx.selfservice.hook.web_hook import WebHookCaller, WebHookSettings

        config = self.config
        self.web_hooks = WebHookCaller(
            WebHookSettings(
                guard=guard_from_config(config),
                header_allowlist=tuple(config.clients.web_hook.header_allowlist),
                timeout=config.phalanx.web_hooks.timeout.total_seconds(),
                retries=config.phalanx.web_hooks.retries,
            ),
            identity_json=lambda identity: self.identity_json(identity, False),
        )
        migrate = config.selfservice.methods.password.config.migrate_hook
        self.password_migration = (
            PasswordMigrationHook(migrate.config, self.web_hooks) if migrate.enabled else None
        )
        flows = config.selfservice.flows
        for kind, block in (
            ("login", flows.login),
            ("registration", flows.registration),
            ("settings", flows.settings),
            ("recovery", flows.recovery),
            ("verification", flows.verification),
        ):
            self.flow_env.hook_points[kind] = FlowHooks(
                kind,  # type: ignore[arg-type]
                block.before,
                block.after,
                self.web_hooks,
                self.python_hooks,
                self.session_renderer.session,
            )

    def _wire_verification(self) -> None:
        from phalanx.persistence.sql.flow_store import flow_store
        from phalanx.selfservice.flow.verification.service import VerificationService

        config = self.config
        flow = config.selfservice.flows.verification
        self.verification = VerificationService(
            self.flow_env,
            flow_store(self.database, "verification"),
            self.matrix.verification,
            self.identity_pool,
            enabled=flow.enabled,
            use=flow.use,
            lifespan=flow.lifespan,
            legacy_continue_with=config.feature_flags.legacy_continue_with_verification_ui,
        )

    def _wire_recovery(self) -> None:
        from phalanx.persistence.sql.flow_store import flow_store
        from phalanx.selfservice.flow.recovery.service import RecoveryService
        from phalanx.selfservice.hook import configured_hooks

        config = self.config
        flows = config.selfservice.flows
        self.recovery = RecoveryService(
            self.flow_env,
            flow_store(self.database, "recovery"),
            self.matrix.recovery,
            self.settings,
            enabled=flows.recovery.enabled,
            use=flows.recovery.use,
            lifespan=flows.recovery.lifespan,
            privileged_max_age=flows.settings.privileged_session_max_age,
            after_hooks=lambda: configured_hooks(flows.recovery.after, None),
            continue_with_transitions=config.feature_flags.use_continue_with_transitions,
        )

    @classmethod
    async def build(
        cls,
        config: Config,
        *,
        dev: bool = False,
        epoch: RevocationEpoch | None = None,
        hooks: PythonHooks | None = None,
    ) -> Registry:
        """Open the database and wire every service from the config; ``epoch`` is the
        revocation epoch shared with other worker processes (``phalanx serve --workers``);
        ``hooks`` are Python hooks registered in code (see README, "Python hooks")."""
        from phalanx.config import parse_dsn
        from phalanx.hash import PasswordHashing, hasher_from_config
        from phalanx.persistence.sql.engine import Database, engine_for

        url = parse_dsn(config.dsn)
        database = Database(engine_for(url))
        schemas = identity_schemas(config)
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
            config=config,
            database=database,
            schemas=schemas,
            hashing=PasswordHashing(hasher),
            dev=dev or config.dev,
            epoch=epoch,
            python_hooks=hooks or _python_hooks(),
        )

    async def start(self) -> None:
        """Start what runs in the background of a serving process: the whoami cache's
        cross-host invalidation listener (until it is subscribed, and without this call,
        a cache with a channel is bypassed). Call on the loop that serves requests."""
        if self.invalidation is not None and self.config.phalanx.session_cache.enabled:
            self.invalidation.start()

    async def close(self) -> None:
        if self.invalidation is not None:
            await self.invalidation.close()
        if self.sessions.idle is not None:
            await self.sessions.idle.close()
        await self.audit.close()
        self.hashing.shutdown()
        self.session_store.close()
        await self.limiter.close()
        await self.database.dispose()


def _python_hooks() -> PythonHooks:
    from phalanx.selfservice.hook.python import PythonHooks

    return PythonHooks()


def identity_schemas(config: Config) -> SchemaRegistry:
    """The configured identity schemas, not loaded yet. Remote schemas are fetched with
    Kratos's ``clients.http`` rules: private addresses are allowed unless
    ``disallow_private_ip_ranges`` is set (then only ``private_ip_exception_urls``)."""
    from phalanx.schema import SchemaEntry, SchemaRegistry

    return SchemaRegistry(
        [
            SchemaEntry(id=s.id, url=str(s.url), selfservice_selectable=s.selfservice_selectable)
            for s in config.identity.schemas
        ],
        default_id=config.identity.default_schema_id,
        loader=url_loader(config),
    )


def url_loader(config: Config) -> SchemaLoader:
    """The identity schema loader (``file://``/``base64://``/``http(s)://``) with Kratos's
    ``clients.http`` SSRF rules."""
    from phalanx.schema import SchemaLoader

    http = config.clients.http
    return SchemaLoader(
        allow_private=not http.disallow_private_ip_ranges,
        private_ip_exceptions=[str(u) for u in http.private_ip_exception_urls],
    )


def _factor_policy(config: Config) -> FactorPolicy:
    """What counts as an active factor (every method counts, enabled or not, as Kratos)."""
    from phalanx.identity.credentials import FactorPolicy

    methods = config.selfservice.methods
    return FactorPolicy(
        password_migration_hook=methods.password.config.migrate_hook.enabled,
        code_passwordless=methods.code.passwordless_enabled,
        code_mfa=methods.code.mfa_enabled,
    )


def _credential_sealer(config: Config) -> CredentialSealer | None:
    """Seals credential secrets with ``secrets.cipher`` and keys derived from
    ``secrets.default`` (see :mod:`phalanx.persistence.sql.sealing`)."""
    from phalanx.persistence.sql.sealing import CredentialSealer, derived_keys

    keys = [*config.cipher_secrets, *derived_keys(config.default_secrets)]
    return CredentialSealer(keys) if any(len(k.encode()) == 32 for k in keys) else None

"""The public surface of phalanx.hash is deliberate."""

from __future__ import annotations

import importlib
import pkgutil

import phalanx.hash

PUBLIC = {
    "Argon2Hasher",
    "BCRYPT_MAX_PASSWORD_BYTES",
    "BcryptHasher",
    "FORMATS",
    "HashBoundsError",
    "HashError",
    "HashFormat",
    "HashParseError",
    "Hasher",
    "PasswordHashing",
    "PasswordTooLongError",
    "Pbkdf2Hasher",
    "UnknownHashFormatError",
    "default_argon2_parallelism",
    "hasher_from_config",
    "identify",
    "needs_rehash",
    "validate_hash",
    "verify",
    "verify_strict",
}


def test_package_exports() -> None:
    assert set(phalanx.hash.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(phalanx.hash, name) is not None


def test_every_module_declares_all_and_it_resolves() -> None:
    for info in pkgutil.iter_modules(phalanx.hash.__path__, "phalanx.hash."):
        module = importlib.import_module(info.name)
        assert isinstance(module.__all__, list), info.name
        for name in module.__all__:
            assert hasattr(module, name), f"{info.name}.{name}"
        assert module.__doc__, info.name

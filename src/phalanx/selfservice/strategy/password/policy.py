"""Password policy (Kratos ``password/validator.go``) plus an offline breached list.

Checks, in order: maximum length (refuse absurd inputs cleanly), minimum length,
similarity to the identifier, the offline list of common/breached passwords, and the
Have I Been Pwned k-anonymity range API (only the first 5 hex chars of the SHA-1 leave
the machine). Network failures are ignored when ``ignore_network_errors`` is set.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import httpx

from phalanx import text
from phalanx.errors import BadGatewayError
from phalanx.logs.once import dependency_failed, dependency_recovered
from phalanx.text import UiText

__all__ = [
    "MAX_PASSWORD_BYTES",
    "PasswordPolicy",
    "PolicyConfig",
    "common_passwords",
    "hibp_base_url",
    "too_similar",
]

log = logging.getLogger("phalanx.password")

MAX_PASSWORD_BYTES = 4096


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    min_length: int = 8
    identifier_similarity_check: bool = True
    hibp_enabled: bool = True
    hibp_host: str = "api.pwnedpasswords.com"
    hibp_scheme: str = "https"
    max_breaches: int = 0
    ignore_network_errors: bool = True
    offline_enabled: bool = True


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common/breached passwords (lowercase), loaded once."""
    data = resources.files("phalanx.selfservice.strategy.password").joinpath(
        "common-passwords.txt.gz"
    )
    try:
        raw = gzip.decompress(data.read_bytes()).decode()
    except FileNotFoundError:  # pragma: no cover - packaging error
        log.error("common-passwords.txt.gz is missing; offline breach check disabled")
        return frozenset()
    return frozenset(line.strip().lower() for line in raw.splitlines() if line.strip())


def _levenshtein(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _longest_common_substring(a: str, b: str) -> int:
    best = 0
    lengths = [0] * (len(b) + 1)
    for ca in a:
        prev_diag = 0
        for j, cb in enumerate(b, 1):
            saved = lengths[j]
            lengths[j] = prev_diag + 1 if ca == cb else 0
            best = max(best, lengths[j])
            prev_diag = saved
    return best


def too_similar(identifier: str, password: str) -> bool:
    """Kratos: Levenshtein distance < 5, or the longest common substring covers more than
    half of the password (both lowercased, only when both are at most 256 bytes)."""
    ident, pw = identifier.lower(), password.lower()
    if not ident or len(ident.encode()) > 256 or len(pw.encode()) > 256:
        return False
    if _levenshtein(ident, pw) < 5:
        return True
    return _longest_common_substring(ident, pw) / max(len(pw), 1) > 0.5


def hibp_base_url(host: str, scheme: str = "https") -> str:
    """Where the range API lives: ``https://<haveibeenpwned_host>``.

    Phalanx addition: a host given with an explicit ``http://`` or ``https://`` prefix is
    used as is (Kratos always uses https), so tests and air-gapped mirrors can point the
    check at a plain-HTTP range server such as ``http://127.0.0.1:8080``.
    """
    host = host.strip().rstrip("/")
    if host.lower().startswith(("http://", "https://")):
        return host
    return f"{scheme}://{host}"


class PasswordPolicy:
    """Kratos's ``DefaultPasswordValidator`` plus the offline list, for one identifier."""

    def __init__(self, config: PolicyConfig, client: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self._client = client
        self._range_cache: dict[str, dict[str, int]] = {}

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(5.0, connect=1.0))
        return self._client

    async def check(self, password: str, identifiers: list[str]) -> UiText | None:
        """The first policy violation as a UI message for the ``password`` node, or None.

        Raises ``BadGatewayError`` when the breach database cannot be asked and
        ``ignore_network_errors`` is off (Kratos ``ErrNetworkFailure``).
        """
        size = len(password.encode())
        if size > MAX_PASSWORD_BYTES:
            return text.password_too_long(MAX_PASSWORD_BYTES, size)
        if size < self.config.min_length:
            return text.password_too_short(self.config.min_length, size)
        if self.config.identifier_similarity_check:
            for identifier in identifiers:
                if too_similar(identifier, password):
                    return text.password_identifier_too_similar()
        if self.config.offline_enabled and password.lower() in common_passwords():
            return text.password_breached(1)
        if self.config.hibp_enabled:
            breaches = await self._hibp_count(password)
            if breaches is not None and breaches > self.config.max_breaches:
                return text.password_breached(breaches)
        return None

    async def _hibp_count(self, password: str) -> int | None:
        digest = hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest().upper()
        prefix, suffix = digest[:5], digest[5:]
        table = self._range_cache.get(prefix)
        if table is None:
            base = hibp_base_url(self.config.hibp_host, self.config.hibp_scheme)
            try:
                response = await self._http().get(f"{base}/range/{prefix}")
            except httpx.HTTPError as exc:
                dependency_failed("haveibeenpwned", "haveibeenpwned lookup failed: %s", exc)
                self._network_failure(
                    "Unable to check if password has been leaked because an unexpected network "
                    "error occurred"
                )
                return None
            if response.status_code != 200:
                dependency_failed(
                    "haveibeenpwned", "haveibeenpwned answered %s", response.status_code
                )
                self._network_failure("Unexpected status code from haveibeenpwned.com")
                return None
            dependency_recovered("haveibeenpwned")
            table = {}
            for line in response.text.splitlines():
                hash_suffix, sep, count = line.strip().partition(":")
                if not hash_suffix:
                    continue
                raw = count.replace(",", "").strip()
                table[hash_suffix.upper()] = int(raw) if sep and raw.isdigit() else 1
            if len(self._range_cache) > 10_000:
                self._range_cache.clear()
            self._range_cache[prefix] = table
        return table.get(suffix, 0)

    def _network_failure(self, reason: str) -> None:
        if self.config.ignore_network_errors:
            return
        raise BadGatewayError(reason, message="Leaked password server unavailable")
